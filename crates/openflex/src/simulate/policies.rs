//! The retry policies a simulation compares. openflex's own is the engine's (run through it by
//! `runner`); the others are the fixed schedules merchants use today, which are not openflex
//! code, so they are driven here against the same issuer model.

use super::issuer::{Card, Issuer};
use openflex_domain::codes::{CodeClass, ResponseCode};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// openflex's policy (`openflex_domain::retry_policy`), in scheduler mode, through the engine.
    Openflex,
    /// A retry a day for eight days.
    Daily8,
    /// Eight retries spread over two weeks, none after a hard decline (Stripe's recommended
    /// Smart Retries setting is "8 tries within 2 weeks").
    StripeLike,
    /// Kill Bill's default payment retry schedule: 8, 8 and 8 days.
    KillBill,
    /// Three retries within minutes of the decline.
    Immediate3,
}

pub const ALL: [Policy; 5] = [
    Policy::Openflex,
    Policy::Daily8,
    Policy::StripeLike,
    Policy::KillBill,
    Policy::Immediate3,
];

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Openflex => "openflex",
            Self::Daily8 => "daily8",
            Self::StripeLike => "stripe-like",
            Self::KillBill => "killbill",
            Self::Immediate3 => "immediate3",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        ALL.into_iter()
            .find(|p| p.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "unknown policy {name:?} (known: {})",
                    ALL.map(Self::name).join(", ")
                )
            })
    }

    /// A fixed schedule's retries, as offsets from the first attempt; `None` for openflex's.
    pub fn schedule(self) -> Option<Vec<Duration>> {
        let days = |d: &[i64]| d.iter().map(|n| Duration::days(*n)).collect();
        match self {
            Self::Openflex => None,
            Self::Daily8 => Some(days(&[1, 2, 3, 4, 5, 6, 7, 8])),
            Self::StripeLike => Some(days(&[1, 2, 4, 6, 8, 10, 12, 14])),
            Self::KillBill => Some(days(&[8, 16, 24])),
            Self::Immediate3 => Some((1..=3).map(Duration::minutes).collect()),
        }
    }

    /// Whether the schedule stops after a hard decline (the others retry whatever the code).
    pub fn stops_on_hard_declines(self) -> bool {
        matches!(self, Self::Openflex | Self::StripeLike)
    }
}

/// One retry and the issuer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub at: OffsetDateTime,
    pub code: ResponseCode,
}

/// Runs a fixed schedule on one card: its retries until one is approved, the schedule ends, or
/// (for schedules that stop there) a hard decline.
pub fn run_fixed(
    issuer: &Issuer,
    card: &Card,
    schedule: &[Duration],
    stop_on_hard: bool,
) -> Vec<Attempt> {
    let mut last = card.decline.code;
    let mut out = Vec::new();
    for offset in schedule {
        if last.is_approved() || (stop_on_hard && last.class() != CodeClass::Soft) {
            break;
        }
        let at = card.decline.first_at + *offset;
        last = issuer.answer(card, at);
        out.push(Attempt { at, code: last });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::issuer::Params;
    use crate::simulate::population::Decline;
    use openflex_domain::money::Currency;
    use time::macros::datetime;

    fn card(code: u32) -> (Issuer, Card) {
        let issuer = Issuer::new(11, Params::default());
        let decline = Decline {
            first_at: datetime!(2026-03-03 10:00 UTC),
            amount: 999,
            currency: Currency::parse("USD").unwrap(),
            code: ResponseCode(code),
        };
        let card = issuer.card(0, &decline);
        (issuer, card)
    }

    #[test]
    fn each_schedule_is_the_documented_one() {
        let days = |p: Policy| {
            p.schedule()
                .unwrap()
                .iter()
                .map(|d| d.whole_minutes())
                .collect::<Vec<_>>()
        };
        let d = 24 * 60;
        assert_eq!(
            days(Policy::Daily8),
            (1..=8).map(|n| n * d).collect::<Vec<_>>()
        );
        assert_eq!(
            days(Policy::StripeLike),
            [1, 2, 4, 6, 8, 10, 12, 14].map(|n| n * d)
        );
        assert_eq!(days(Policy::KillBill), [8 * d, 16 * d, 24 * d]);
        assert_eq!(days(Policy::Immediate3), [1, 2, 3]);
        assert!(Policy::Openflex.schedule().is_none());
        for p in ALL {
            assert_eq!(Policy::parse(p.name()), Ok(p));
        }
        assert!(
            Policy::parse("weekly")
                .unwrap_err()
                .contains("known: openflex")
        );
    }

    #[test]
    fn a_fixed_schedule_runs_to_its_end_on_a_card_that_never_recovers() {
        let (issuer, card) = card(30009);
        let got = run_fixed(&issuer, &card, &Policy::Daily8.schedule().unwrap(), false);
        assert_eq!(got.len(), 8, "daily8 retries a stolen card eight times");
        assert_eq!(got[7].at, datetime!(2026-03-11 10:00 UTC));
        let got = run_fixed(
            &issuer,
            &card,
            &Policy::StripeLike.schedule().unwrap(),
            true,
        );
        assert!(got.is_empty(), "stripe-like does not retry a hard decline");
    }

    #[test]
    fn a_schedule_stops_at_the_approval() {
        let issuer = Issuer::new(12, Params::default());
        let first = datetime!(2026-03-03 10:00 UTC);
        let recovered = (0..200u64)
            .map(|i| {
                let decline = Decline {
                    first_at: first,
                    amount: 999,
                    currency: Currency::parse("USD").unwrap(),
                    code: ResponseCode(20046),
                };
                run_fixed(
                    &issuer,
                    &issuer.card(i, &decline),
                    &Policy::Daily8.schedule().unwrap(),
                    false,
                )
            })
            .filter(|a| a.last().is_some_and(|l| l.code.is_approved()))
            .collect::<Vec<_>>();
        assert!(!recovered.is_empty());
        for chain in recovered {
            let approved = chain.iter().filter(|a| a.code.is_approved()).count();
            assert_eq!(approved, 1, "nothing is retried after the approval");
        }
    }
}
