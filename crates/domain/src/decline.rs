//! Decline classification: every FlexPay response code → class (from its range), a reason
//! family, and whether a retry is allowed. Card-network "do not retry" categories (pick up,
//! lost, stolen, fraud, invalid card number, closed) are never retryable, even when the vendor
//! lists them among soft `RETRY -` codes; every hard, risk and validation code is final.

use crate::codes::{CodeClass, ResponseCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Approved,
    InsufficientFunds,
    /// Over a cardholder limit (daily / amount): funds-like, retried around pay days.
    CardholderLimit,
    /// Issuer or processor unavailable, timeouts, system errors: retried within hours.
    IssuerUnavailable,
    DoNotHonor,
    /// Refer to issuer / unspecified declines.
    Generic,
    ExpiredCard,
    LostStolenFraud,
    InvalidCard,
    CvvAvs,
    /// Merchant-side limits and configuration (credentials, gateways, data).
    Merchant,
    Risk,
    Validation,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::InsufficientFunds => "insufficient_funds",
            Self::CardholderLimit => "cardholder_limit",
            Self::IssuerUnavailable => "issuer_unavailable",
            Self::DoNotHonor => "do_not_honor",
            Self::Generic => "generic",
            Self::ExpiredCard => "expired_card",
            Self::LostStolenFraud => "lost_stolen_fraud",
            Self::InvalidCard => "invalid_card",
            Self::CvvAvs => "cvv_avs",
            Self::Merchant => "merchant",
            Self::Risk => "risk",
            Self::Validation => "validation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub class: CodeClass,
    pub family: Family,
    pub retryable: bool,
}

pub fn classify(code: ResponseCode) -> Classification {
    let class = code.class();
    let family = match code.0 {
        10000..=19999 => Family::Approved,
        20023 => Family::InsufficientFunds,
        20050 | 20081 => Family::CardholderLimit,
        20013 | 20039 | 20046 => Family::IssuerUnavailable,
        20003 | 20022 => Family::DoNotHonor,
        20080 => Family::ExpiredCard,
        20101 | 20102 => Family::LostStolenFraud,
        20077..=20079 | 20103 => Family::InvalidCard,
        20086 | 20088..=20090 => Family::CvvAvs,
        20002 | 20056 | 20057 | 20068 | 20073 | 20075 | 20076 | 20104 => Family::Merchant,
        20087 | 20091..=20100 => Family::Risk,
        20000..=29999 => Family::Generic,
        30000 | 30001 | 30003 | 30004 | 30006 | 30008 | 30009 | 30031 | 30034 => {
            Family::LostStolenFraud
        }
        30002 | 30012 | 30019 | 30024 | 30025 | 30053 | 30058 => Family::InvalidCard,
        30026 | 30055 => Family::ExpiredCard,
        30049 => Family::CvvAvs,
        30051 | 30092 => Family::CardholderLimit,
        30087 => Family::InsufficientFunds,
        30081 | 30095..=30098 | 30061 | 30071 | 30074 => Family::Merchant,
        30000..=39999 => Family::Generic,
        40000..=49999 => Family::Risk,
        _ => Family::Validation,
    };
    let retryable = class == CodeClass::Soft
        && !matches!(family, Family::LostStolenFraud | Family::InvalidCard);
    Classification {
        class,
        family,
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_seed_is_classified_consistently() {
        for code in ResponseCode::all() {
            let c = classify(code);
            assert_eq!(c.class, code.class(), "{code:?}");
            if c.retryable {
                assert_eq!(c.class, CodeClass::Soft, "only soft codes retry: {code:?}");
            }
            match c.class {
                CodeClass::Approved => assert_eq!(c.family, Family::Approved),
                CodeClass::Risk => assert_eq!(c.family, Family::Risk),
                CodeClass::Validation => assert_eq!(c.family, Family::Validation),
                _ => assert!(
                    !matches!(c.family, Family::Approved | Family::Validation),
                    "{code:?}"
                ),
            }
        }
    }

    #[test]
    fn network_do_not_retry_categories_never_retry() {
        for code in [
            20101, 20102, 20103, 30001, 30004, 30008, 30009, 30012, 30082, 30100, 40000, 50000,
        ] {
            assert!(!classify(ResponseCode(code)).retryable, "{code}");
        }
        for code in [20000, 20003, 20023, 20039, 20046, 20050, 20080] {
            assert!(classify(ResponseCode(code)).retryable, "{code}");
        }
        assert_eq!(
            classify(ResponseCode(20023)).family,
            Family::InsufficientFunds
        );
        assert_eq!(
            classify(ResponseCode(20039)).family,
            Family::IssuerUnavailable
        );
        assert_eq!(
            classify(ResponseCode(30009)).family,
            Family::LostStolenFraud
        );
    }
}
