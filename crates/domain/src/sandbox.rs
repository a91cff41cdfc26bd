//! The deterministic sandbox processor's outcome table (docs/sandbox.md): whitelisted test cards,
//! trigger amounts, and CVV/AVS results. Outcomes depend only on the request.

use crate::card::Brand;
use crate::codes::ResponseCode;

pub struct TestCard {
    pub brand: Brand,
    pub pan: &'static str,
    pub cvv: &'static str,
}

pub const TEST_CARDS: [TestCard; 6] = [
    TestCard {
        brand: Brand::Visa,
        pan: "4920201996449560",
        cvv: "879",
    },
    TestCard {
        brand: Brand::Mastercard,
        pan: "5244209084665514",
        cvv: "010",
    },
    TestCard {
        brand: Brand::Amex,
        pan: "341674949684898",
        cvv: "1000",
    },
    TestCard {
        brand: Brand::Diners,
        pan: "30349475125576",
        cvv: "100",
    },
    TestCard {
        brand: Brand::Jcb,
        pan: "3530111333300000",
        cvv: "100",
    },
    TestCard {
        brand: Brand::Discover,
        pan: "6011885753412897",
        cvv: "100",
    },
];

pub fn test_card(pan: &str) -> Option<&'static TestCard> {
    TEST_CARDS.iter().find(|c| c.pan == pan)
}

/// The documented trigger amounts, then the open family `90CCCCC`: an amount of 90 followed by
/// any five-digit code of the seed's tables (e.g. 9020023 cents → 20023) yields that code, so
/// every code is reachable for client testing.
pub fn trigger(amount: i64) -> Option<ResponseCode> {
    match amount {
        2005 => Some(ResponseCode(20000)),
        2008 => Some(ResponseCode(20003)),
        2012 => Some(ResponseCode(20023)),
        3016 => Some(ResponseCode(30011)),
        4018 => Some(ResponseCode(40000)),
        5023 => Some(ResponseCode(50000)),
        9_010_000..=9_059_999 => ResponseCode::known((amount - 9_000_000) as u32),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvvResult {
    Match,
    NoMatch,
    NotProcessed,
}

impl CvvResult {
    pub fn code(self) -> &'static str {
        match self {
            Self::Match => "M",
            Self::NoMatch => "N",
            Self::NotProcessed => "P",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Match => "CVV matched.",
            Self::NoMatch => "CVV does not match.",
            Self::NotProcessed => "CVV not processed.",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "M" => Some(Self::Match),
            "N" => Some(Self::NoMatch),
            "P" => Some(Self::NotProcessed),
            _ => None,
        }
    }
}

pub const AVS_CODE: &str = "S";
/// A billing postal code the sandbox answers with AVS `N` (no match).
pub const AVS_MISMATCH_POSTAL_CODE: &str = "99999";
pub const AVS_MESSAGE: &str = "AVS not supported.";
/// AVS when the card carries neither a street address nor a postal code: nothing to verify.
pub const AVS_NO_DATA_CODE: &str = "U";
pub const AVS_NO_DATA_MESSAGE: &str = "No address data: AVS not performed.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub code: ResponseCode,
    pub cvv: CvvResult,
}

/// Outcome of a charge or authorization on a card: card table first, then trigger amounts.
pub fn decide_card(pan: &str, cvv: Option<&str>, amount: i64) -> Decision {
    let card = test_card(pan);
    let cvv_result = match (cvv, card) {
        (None, _) => CvvResult::NotProcessed,
        (Some(given), Some(card)) if given == card.cvv => CvvResult::Match,
        (Some(_), _) => CvvResult::NoMatch,
    };
    let code = match card {
        None => ResponseCode(30016),
        Some(_) => trigger(amount).unwrap_or(ResponseCode::APPROVED),
    };
    Decision {
        code,
        cvv: cvv_result,
    }
}

/// Outcome of a payment through a third-party gateway token: the card is not ours to check,
/// so only the trigger amounts apply.
pub fn decide_gateway_token(amount: i64) -> ResponseCode {
    trigger(amount).unwrap_or(ResponseCode::APPROVED)
}

/// Captures and refunds honour the trigger amounts too; voids always go through.
pub fn decide_follow_up(amount: i64) -> ResponseCode {
    trigger(amount).unwrap_or(ResponseCode::APPROVED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_triggers() {
        let visa = "4920201996449560";
        for (amount, code) in [
            (2005, 20000),
            (2008, 20003),
            (2012, 20023),
            (3016, 30011),
            (4018, 40000),
            (5023, 50000),
            (100, 10000),
        ] {
            assert_eq!(decide_card(visa, Some("879"), amount).code.0, code);
        }
    }

    #[test]
    fn open_family_reaches_every_code() {
        for code in ResponseCode::all().filter(|c| c.0 < 60000) {
            assert_eq!(trigger(9_000_000 + i64::from(code.0)), Some(code));
        }
        assert_eq!(trigger(9_020_001), None);
    }

    #[test]
    fn unknown_card_and_cvv_results() {
        assert_eq!(decide_card("4111111111111111", None, 100).code.0, 30016);
        assert_eq!(
            decide_card("4920201996449560", Some("000"), 100).cvv,
            CvvResult::NoMatch
        );
        assert_eq!(
            decide_card("4920201996449560", None, 100).cvv,
            CvvResult::NotProcessed
        );
        assert_eq!(
            decide_card("341674949684898", Some("1000"), 100).cvv,
            CvvResult::Match
        );
    }
}
