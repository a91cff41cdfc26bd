//! Where a Flexiti call may come from. The vendor's overview (seed 004): "All API requests must
//! be made over HTTPS from your trust URL … Calls made over plain HTTP will fail."
//!
//! - **HTTPS in live mode.** Over plain HTTP the client secret and every bearer token cross the
//!   network readable, so a live call that did not arrive over TLS is refused even when its
//!   credentials are good (they are then exposed, but not usable from a sniffed plain call). The
//!   sandbox stays plain-HTTP friendly, like the vendor's TRAINING environment on a developer's
//!   machine.
//! - **Trusted networks.** A client may be given the networks it calls from (the vendor's "trust
//!   URL (or IP)"); none means any. They bind what only the merchant's own servers should hold:
//!   the client credentials (the token call) and merchant-scope tokens. A customer-scope token is
//!   made to be handed to the shopper's device (the hosted widget, a customer-facing app), which
//!   can be anywhere, so it is bound to HTTPS only; it was itself minted by a call that passed
//!   the network check.

use crate::cidr;
use ipnet::IpNet;
use std::net::IpAddr;

/// How a call reached the server, as the HTTP layer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The client's address (behind a trusted proxy, the one the proxy names); unknown only
    /// when the server has no connection to ask.
    pub address: Option<IpAddr>,
    /// TLS terminated in the server, or at a trusted proxy that said so.
    pub https: bool,
}

/// What the caller presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// The client id and secret, or a merchant-scope token.
    MerchantPowers,
    /// A customer-scope token.
    CustomerToken,
}

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distrust {
    /// A live call that did not come over HTTPS.
    PlainHttp,
    /// A call from outside the client's trusted networks.
    UntrustedSource,
}

/// Admits a call of a `live` (or sandbox) client whose trusted networks are `networks` (empty:
/// any address).
pub fn admit(
    live: bool,
    networks: &[IpNet],
    presented: Presented,
    origin: Origin,
) -> Result<(), Distrust> {
    if live && !origin.https {
        return Err(Distrust::PlainHttp);
    }
    if presented == Presented::MerchantPowers
        && !networks.is_empty()
        && !origin
            .address
            .is_some_and(|ip| cidr::contains(networks, ip))
    {
        return Err(Distrust::UntrustedSource);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Distrust::*;
    use Presented::*;

    fn from(address: &str, https: bool) -> Origin {
        Origin {
            address: Some(address.parse().unwrap()),
            https,
        }
    }

    #[test]
    fn live_calls_need_https_and_sandbox_calls_do_not() {
        for presented in [MerchantPowers, CustomerToken] {
            assert_eq!(
                admit(true, &[], presented, from("203.0.113.9", false)),
                Err(PlainHttp)
            );
            assert_eq!(
                admit(true, &[], presented, from("203.0.113.9", true)),
                Ok(())
            );
            assert_eq!(
                admit(false, &[], presented, from("203.0.113.9", false)),
                Ok(())
            );
        }
    }

    #[test]
    fn trusted_networks_bind_merchant_powers_only() {
        let office = cidr::parse_all(["198.51.100.0/24", "2001:db8::/32"]).unwrap();
        assert_eq!(
            admit(false, &office, MerchantPowers, from("198.51.100.20", false)),
            Ok(())
        );
        assert_eq!(
            admit(true, &office, MerchantPowers, from("2001:db8::7", true)),
            Ok(())
        );
        assert_eq!(
            admit(false, &office, MerchantPowers, from("203.0.113.9", false)),
            Err(UntrustedSource)
        );
        assert_eq!(
            admit(true, &office, CustomerToken, from("203.0.113.9", true)),
            Ok(())
        );
        let unknown = Origin {
            address: None,
            https: true,
        };
        assert_eq!(
            admit(true, &office, MerchantPowers, unknown),
            Err(UntrustedSource)
        );
        assert_eq!(admit(true, &[], MerchantPowers, unknown), Ok(()));
    }

    #[test]
    fn plain_http_is_named_before_the_network() {
        let office = cidr::parse_all(["198.51.100.0/24"]).unwrap();
        assert_eq!(
            admit(true, &office, MerchantPowers, from("203.0.113.9", false)),
            Err(PlainHttp)
        );
    }
}
