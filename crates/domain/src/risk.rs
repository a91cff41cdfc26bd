//! Merchant risk rules (docs/flexpay.md §7): block lists, CVV and AVS requirements and country
//! consistency between billing, shipping, the card's BIN and the customer's IP. All off by
//! default; the first rule that fires decides the 40xxx code.

use serde::{Deserialize, Serialize};

/// Where a BIN or an IP address is from. The built-in [`SandboxGeo`] knows a few ranges; a real
/// BIN/IP database implements this trait in its place.
pub trait GeoLookup: Send + Sync {
    /// ISO 3166-1 alpha-3 country of a card's first six digits.
    fn bin_country(&self, first_six: &str) -> Option<&'static str>;
    /// ISO 3166-1 alpha-3 country of an IPv4 address.
    fn ip_country(&self, ip: &str) -> Option<&'static str>;
}

/// A small, documented table: enough to exercise every country rule in the sandbox.
pub struct SandboxGeo;

impl GeoLookup for SandboxGeo {
    fn bin_country(&self, first_six: &str) -> Option<&'static str> {
        match first_six {
            "492020" | "524420" | "341674" | "601188" | "303494" | "411111" | "400000" => {
                Some("USA")
            }
            "353011" => Some("JPN"),
            "450000" => Some("CAN"),
            "400001" => Some("GBR"),
            _ => None,
        }
    }

    fn ip_country(&self, ip: &str) -> Option<&'static str> {
        let first: u8 = ip.split('.').next()?.parse().ok()?;
        match first {
            3..=9 | 12..=24 => Some("USA"),
            70..=79 => Some("CAN"),
            80..=95 => Some("GBR"),
            126 | 133 => Some("JPN"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RiskRules {
    pub blocked_fingerprints: Vec<String>,
    pub blocked_ips: Vec<String>,
    pub blocked_emails: Vec<String>,
    pub blocked_phones: Vec<String>,
    /// Refuse payments without a matching CVV (40003).
    pub cvv_required: bool,
    /// Refuse payments whose AVS result is a mismatch (40006).
    pub avs_match_required: bool,
    /// Refuse when the shipping and billing countries differ (40007).
    pub shipping_billing_country: bool,
    /// Shipping vs BIN country (40008).
    pub shipping_bin_country: bool,
    /// Shipping vs IP country (40009).
    pub shipping_ip_country: bool,
    /// Billing vs BIN country (40010).
    pub billing_bin_country: bool,
    /// Billing vs IP country (40011).
    pub billing_ip_country: bool,
    /// BIN vs IP country (40012).
    pub bin_ip_country: bool,
}

/// What the rules look at, all optional.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub fingerprint: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub cvv_given: bool,
    pub first_six: Option<&'a str>,
    /// Alpha-3 billing country.
    pub billing_country: Option<&'a str>,
    /// Alpha-3 shipping country.
    pub shipping_country: Option<&'a str>,
}

fn listed(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| list.iter().any(|b| b.trim().eq_ignore_ascii_case(v.trim())))
}

/// The risk code for a payment before it reaches a gateway, if a rule fires.
pub fn check(rules: &RiskRules, geo: &dyn GeoLookup, f: &Facts) -> Option<u32> {
    if listed(&rules.blocked_fingerprints, f.fingerprint) {
        return Some(40030);
    }
    if listed(&rules.blocked_ips, f.ip) {
        return Some(40031);
    }
    if listed(&rules.blocked_emails, f.email) {
        return Some(40032);
    }
    if listed(&rules.blocked_phones, f.phone) {
        return Some(40033);
    }
    if rules.cvv_required && !f.cvv_given {
        return Some(40003);
    }
    let bin = f.first_six.and_then(|b| geo.bin_country(b));
    let ip = f.ip.and_then(|i| geo.ip_country(i));
    let differ = |a: Option<&str>, b: Option<&str>| matches!((a, b), (Some(x), Some(y)) if !x.eq_ignore_ascii_case(y));
    let checks = [
        (
            rules.shipping_billing_country,
            f.shipping_country,
            f.billing_country,
            40007,
        ),
        (rules.shipping_bin_country, f.shipping_country, bin, 40008),
        (rules.shipping_ip_country, f.shipping_country, ip, 40009),
        (rules.billing_bin_country, f.billing_country, bin, 40010),
        (rules.billing_ip_country, f.billing_country, ip, 40011),
        (rules.bin_ip_country, bin, ip, 40012),
    ];
    checks
        .into_iter()
        .find(|(on, a, b, _)| *on && differ(*a, *b))
        .map(|(_, _, _, code)| code)
}

/// After the gateway answered: a CVV that did not match, or an AVS mismatch, when required.
pub fn check_results(
    rules: &RiskRules,
    cvv_code: Option<&str>,
    avs_code: Option<&str>,
) -> Option<u32> {
    if rules.cvv_required && cvv_code == Some("N") {
        return Some(40003);
    }
    if rules.avs_match_required && matches!(avs_code, Some("N") | Some("C")) {
        return Some(40006);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default() {
        let f = Facts {
            ip: Some("81.2.3.4"),
            billing_country: Some("USA"),
            shipping_country: Some("CAN"),
            first_six: Some("353011"),
            ..Facts::default()
        };
        assert_eq!(check(&RiskRules::default(), &SandboxGeo, &f), None);
        assert_eq!(
            check_results(&RiskRules::default(), Some("N"), Some("N")),
            None
        );
    }

    #[test]
    fn each_rule_has_its_code() {
        let geo = SandboxGeo;
        let base = Facts {
            fingerprint: Some("FP"),
            ip: Some("8.8.8.8"),
            email: Some("a@b.c"),
            phone: Some("555"),
            cvv_given: true,
            first_six: Some("492020"),
            billing_country: Some("USA"),
            shipping_country: Some("USA"),
        };
        let rule = |r: RiskRules, f: &Facts| check(&r, &geo, f);
        assert_eq!(
            rule(
                RiskRules {
                    blocked_fingerprints: vec!["fp".into()],
                    ..Default::default()
                },
                &base
            ),
            Some(40030)
        );
        assert_eq!(
            rule(
                RiskRules {
                    blocked_ips: vec!["8.8.8.8".into()],
                    ..Default::default()
                },
                &base
            ),
            Some(40031)
        );
        assert_eq!(
            rule(
                RiskRules {
                    blocked_emails: vec!["A@B.C".into()],
                    ..Default::default()
                },
                &base
            ),
            Some(40032)
        );
        assert_eq!(
            rule(
                RiskRules {
                    blocked_phones: vec!["555".into()],
                    ..Default::default()
                },
                &base
            ),
            Some(40033)
        );
        let no_cvv = Facts {
            cvv_given: false,
            ..base.clone()
        };
        assert_eq!(
            rule(
                RiskRules {
                    cvv_required: true,
                    ..Default::default()
                },
                &no_cvv
            ),
            Some(40003)
        );
        let canada = Facts {
            shipping_country: Some("CAN"),
            ..base.clone()
        };
        assert_eq!(
            rule(
                RiskRules {
                    shipping_billing_country: true,
                    ..Default::default()
                },
                &canada
            ),
            Some(40007)
        );
        assert_eq!(
            rule(
                RiskRules {
                    shipping_bin_country: true,
                    ..Default::default()
                },
                &canada
            ),
            Some(40008)
        );
        assert_eq!(
            rule(
                RiskRules {
                    shipping_ip_country: true,
                    ..Default::default()
                },
                &canada
            ),
            Some(40009)
        );
        let uk_ip = Facts {
            ip: Some("81.2.3.4"),
            ..base.clone()
        };
        assert_eq!(
            rule(
                RiskRules {
                    billing_ip_country: true,
                    ..Default::default()
                },
                &uk_ip
            ),
            Some(40011)
        );
        assert_eq!(
            rule(
                RiskRules {
                    bin_ip_country: true,
                    ..Default::default()
                },
                &uk_ip
            ),
            Some(40012)
        );
        let japan_card = Facts {
            first_six: Some("353011"),
            ..base.clone()
        };
        assert_eq!(
            rule(
                RiskRules {
                    billing_bin_country: true,
                    ..Default::default()
                },
                &japan_card
            ),
            Some(40010)
        );
        assert_eq!(
            rule(
                RiskRules {
                    billing_bin_country: true,
                    ..Default::default()
                },
                &base
            ),
            None,
            "consistent"
        );
        let unknown = Facts {
            first_six: Some("999999"),
            ..base.clone()
        };
        assert_eq!(
            rule(
                RiskRules {
                    billing_bin_country: true,
                    ..Default::default()
                },
                &unknown
            ),
            None,
            "unknown BINs do not fire"
        );
        assert_eq!(
            check_results(
                &RiskRules {
                    avs_match_required: true,
                    ..Default::default()
                },
                Some("M"),
                Some("N")
            ),
            Some(40006)
        );
        assert_eq!(
            check_results(
                &RiskRules {
                    cvv_required: true,
                    ..Default::default()
                },
                Some("N"),
                Some("S")
            ),
            Some(40003)
        );
    }
}
