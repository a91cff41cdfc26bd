//! The SSRF guard of webhook deliveries. Anyone with a portal session can register a webhook
//! URL and read the delivery log, so without a guard the server would fetch its own network
//! (loopback services, cloud metadata, the database's admin page) on their behalf.
//!
//! Where the check happens, and why there: a check that looks a name up and lets the HTTP
//! client look it up again to connect leaves a window, since a DNS server can answer a public
//! address to the first lookup and 127.0.0.1 to the second (rebinding, TTL 0). So the check is
//! the HTTP client's own resolver: [`PublicOnly`] looks the name up once, refuses it if any
//! answer is a special-purpose address, and hands the client exactly the addresses it checked;
//! nothing is looked up twice. This keeps one pooled client for every delivery (a pooled
//! connection only ever goes to an address that passed the check), where pinning a checked
//! address with `ClientBuilder::resolve` would need a new client, TLS configuration and pool
//! per delivery for the same guarantee.
//!
//! Literal addresses never reach a resolver, and local names (`localhost.`, `intranet`) may be
//! answered from `/etc/hosts`, so both are refused on the URL itself ([`check_host`]), when an
//! endpoint is saved and again before every delivery (endpoints saved before the guard covered
//! the sandbox are caught there). Redirects are not followed: a 3xx is the receiver's answer,
//! never a second, unchecked target. Proxies from the environment are ignored while the guard
//! is on, since through a proxy the client would resolve the proxy and the proxy the target.
//!
//! An operator may allow private targets (`allow_private_webhook_targets`, a developer's local
//! receiver); the client then resolves and connects as any client would. Even so the answer of
//! a private peer is never stored, only its status and latency: the delivery log is the
//! merchant's to read, and keeping what an internal service said would still make the server a
//! proxy reader of its network. The developer has their receiver's own log for the rest.

use openflex_domain::network;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TargetError {
    #[error(
        "webhook targets must not be private, loopback, link-local or other special-purpose addresses"
    )]
    SpecialAddress,
    #[error(
        "webhook targets must be public host names, not localhost, a single label or a local-use domain"
    )]
    LocalName,
    #[error(
        "webhook targets must not resolve to private, loopback, link-local or other special-purpose addresses"
    )]
    ResolvesToSpecialAddress,
    #[error("cannot resolve the webhook target: {0}")]
    Unresolvable(#[source] std::io::Error),
}

/// Refuses a URL whose host is a special-purpose address or a name that can only be local.
pub(crate) fn check_host(url: &reqwest::Url) -> Result<(), TargetError> {
    let host = url.host_str().ok_or(TargetError::LocalName)?;
    // The URL parser has already turned every spelling of an address (`0x7f.1`, `2130706433`,
    // `127.0.0.1.`) into its canonical form, which is what std parses here.
    match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(ip) if network::is_special_purpose(ip) => Err(TargetError::SpecialAddress),
        Ok(_) => Ok(()),
        Err(_) if network::is_local_name(host) => Err(TargetError::LocalName),
        Err(_) => Ok(()),
    }
}

/// All of `addrs`, or a refusal when any of them is special-purpose: a name with one private
/// answer among public ones is not trusted with the public ones either.
pub(crate) fn public_only(
    addrs: impl IntoIterator<Item = SocketAddr>,
) -> Result<Vec<SocketAddr>, TargetError> {
    let addrs: Vec<SocketAddr> = addrs.into_iter().collect();
    if addrs.iter().any(|a| network::is_special_purpose(a.ip())) {
        return Err(TargetError::ResolvesToSpecialAddress);
    }
    Ok(addrs)
}

/// The guarded client's resolver: one lookup, whose answers are both checked and connected to.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let answers = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(TargetError::Unresolvable)?;
            let addrs: Addrs = Box::new(public_only(answers)?.into_iter());
            Ok(addrs)
        })
    }
}

/// The guard's refusal behind a failed request, if that is why it failed.
pub(crate) fn refusal(err: &reqwest::Error) -> Option<&TargetError> {
    let top: &(dyn std::error::Error + 'static) = err;
    std::iter::successors(Some(top), |e| e.source()).find_map(|e| e.downcast_ref())
}

/// Whether an answer from `peer` may be stored (only a public peer's; unknown counts as not).
pub(crate) fn may_store_answer(peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|a| !network::is_special_purpose(a.ip()))
}

/// The outbound HTTP client for webhooks: short timeouts, no redirects, and unless private
/// targets are allowed, the [`PublicOnly`] resolver and no proxy.
pub(crate) fn http_client(allow_private: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("openflex-webhooks/", env!("CARGO_PKG_VERSION")));
    let builder = if allow_private {
        builder
    } else {
        builder.no_proxy().dns_resolver(PublicOnly)
    };
    builder
        .build()
        .expect("HTTP client configuration is static")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn host_of(url: &str) -> Result<(), TargetError> {
        check_host(&reqwest::Url::parse(url).unwrap())
    }

    #[test]
    fn every_spelling_of_a_special_address_is_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://127.0.0.1./",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a00:1::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://198.18.0.1/",
            "https://224.0.0.1/",
            "https://240.0.0.1/",
        ] {
            assert!(
                matches!(host_of(url), Err(TargetError::SpecialAddress)),
                "{url}"
            );
        }
    }

    #[test]
    fn local_names_are_refused() {
        for url in [
            "http://localhost/",
            "http://localhost./",
            "http://LocalHost:8080/",
            "http://intranet/",
            "http://intranet./hook",
            "http://api.localhost/",
            "http://printer.local/",
        ] {
            assert!(matches!(host_of(url), Err(TargetError::LocalName)), "{url}");
        }
    }

    #[test]
    fn public_hosts_pass_the_url_check() {
        for url in [
            "https://hooks.example.com/flex",
            "https://hooks.example.com./flex",
            "https://8.8.8.8/",
            "https://[2606:4700::1111]/",
        ] {
            assert!(host_of(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn one_private_answer_refuses_the_name() {
        let public: SocketAddr = "93.184.215.14:0".parse().unwrap();
        let private: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:0".parse().unwrap();
        assert_eq!(public_only([public]).unwrap(), [public]);
        assert!(public_only([public, private]).is_err());
        assert!(public_only([mapped, public]).is_err());
        assert!(!may_store_answer(Some(private)));
        assert!(!may_store_answer(None));
        assert!(may_store_answer(Some(public)));
    }

    /// What a rebinding attacker relies on: the name the client connects to resolving to this
    /// machine. The guarded client's own lookup refuses it (no connection is made); the same
    /// request on the permissive client does connect, so the name does resolve here.
    #[tokio::test]
    async fn the_guarded_client_never_connects_to_a_name_resolving_to_loopback() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://localhost:{}/hook",
            listener.local_addr().unwrap().port()
        );
        let accept = || tokio::time::timeout(Duration::from_millis(300), listener.accept());

        let err = http_client(false).post(&url).send().await.unwrap_err();
        assert!(
            matches!(refusal(&err), Some(TargetError::ResolvesToSpecialAddress)),
            "{err:?}"
        );
        assert!(accept().await.is_err(), "the guarded client connected");

        let permissive = tokio::spawn(async move {
            let _ = http_client(true).post(&url).send().await;
        });
        assert!(
            accept().await.is_ok(),
            "the permissive client did not connect"
        );
        permissive.abort();
    }
}
