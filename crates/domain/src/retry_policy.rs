//! When to retry a declined rebill (docs/flexpay.md §7): deterministic, documented, and bounded by
//! the card-network limits — at most 15 retries and 30 days from the first attempt per card and
//! order; never for hard, risk or validation outcomes.
//!
//! | Reason family | Next attempt |
//! |---|---|
//! | insufficient funds, cardholder limit | the next likely pay day — the 1st or 15th of a month, or the weekday of the first attempt — at 06:00 UTC, at least a day away |
//! | issuer unavailable, timeout, system error | hours: 1, 2, 4, 8, 12, then 24 h |
//! | do not honor, generic, expired card, CVV/AVS, merchant | growing days: 1, 2, 3, 5, 7, 9, 12, 15, 20, 25 |
//!
//! Day-based dates keep the hour of the first attempt (the customer's usual billing time).

use crate::codes::ResponseCode;
use crate::decline::{Family, classify};
use time::{Duration, OffsetDateTime, Time, Weekday};

pub const MAX_RETRIES: i64 = 15;
pub const MAX_WINDOW: Duration = Duration::days(30);
const DAYS: [i64; 10] = [1, 2, 3, 5, 7, 9, 12, 15, 20, 25];
const HOURS: [i64; 6] = [1, 2, 4, 8, 12, 24];

/// The merchant's tuning of the policy (defaults are the documented table). The network limits
/// are ceilings: a merchant can retry less, never more.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Policy {
    pub max_retries: i64,
    pub window_days: i64,
    /// Hour (UTC) for pay-day retries.
    pub payday_hour: u8,
    /// Scheduler mode: the server performs the retries itself at `retryDate`.
    pub scheduler_mode: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_retries: MAX_RETRIES,
            window_days: 30,
            payday_hour: 6,
            scheduler_mode: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub retry_at: Option<OffsetDateTime>,
    /// Why this date (or why none), for the merchant.
    pub explain: String,
}

fn next_payday(after: OffsetDateTime, first: OffsetDateTime, hour: u8) -> OffsetDateTime {
    let start = after + Duration::days(1);
    let weekday: Weekday = first.weekday();
    let mut day = start.date();
    loop {
        if day.day() == 1 || day.day() == 15 || day.weekday() == weekday {
            let at = day
                .with_time(Time::from_hms(hour.min(23), 0, 0).unwrap_or(Time::MIDNIGHT))
                .assume_utc();
            if at >= start {
                return at;
            }
        }
        day = day.next_day().unwrap_or(day);
    }
}

/// The next retry for a decline with `code` at `now`, the `retry_count`-th retry already done,
/// in a chain that started at `first_attempt`.
impl Policy {
    /// Checks a merchant's settings against the network ceilings; `Err` names the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(0..=MAX_RETRIES).contains(&self.max_retries) {
            return Err(format!("maxRetries must be between 0 and {MAX_RETRIES}"));
        }
        if !(1..=30).contains(&self.window_days) {
            return Err("windowDays must be between 1 and 30".into());
        }
        if self.payday_hour > 23 {
            return Err("paydayHour must be between 0 and 23".into());
        }
        Ok(())
    }
}

pub fn decide(
    policy: &Policy,
    code: ResponseCode,
    now: OffsetDateTime,
    first_attempt: OffsetDateTime,
    retry_count: i64,
) -> Decision {
    let c = classify(code);
    let none = |why: String| Decision {
        retry_at: None,
        explain: why,
    };
    if !c.retryable {
        return none(format!(
            "{} ({}) is a {:?} outcome that card-network rules do not allow to retry",
            code.0,
            c.family.as_str(),
            c.class
        ));
    }
    let max = policy.max_retries.clamp(0, MAX_RETRIES);
    if retry_count >= max {
        return none(format!(
            "{retry_count} retries done; the limit is {max} per card and order"
        ));
    }
    let n = retry_count.max(0) as usize;
    let (at, why) = match c.family {
        Family::InsufficientFunds | Family::CardholderLimit => (
            next_payday(now, first_attempt, policy.payday_hour),
            "funds decline: next likely pay day (1st, 15th or the first attempt's weekday)"
                .to_string(),
        ),
        Family::IssuerUnavailable => {
            let h = HOURS[n.min(HOURS.len() - 1)];
            (
                now + Duration::hours(h),
                format!("issuer or system unavailable: retry in {h} h"),
            )
        }
        _ => {
            let d = DAYS[n.min(DAYS.len() - 1)];
            let base = (now + Duration::days(d)).date();
            let at = base
                .with_time(Time::from_hms(first_attempt.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
                .assume_utc();
            let at = if at <= now {
                at + Duration::days(1)
            } else {
                at
            };
            (
                at,
                format!(
                    "{} decline: retry #{} after {d} day(s), at the first attempt's hour",
                    c.family.as_str(),
                    n + 1
                ),
            )
        }
    };
    let window = Duration::days(policy.window_days.clamp(1, 30));
    let limit = first_attempt + window;
    if at > limit {
        return none(format!(
            "the next date would pass {} days from the first attempt",
            window.whole_days()
        ));
    }
    Decision {
        retry_at: Some(at),
        explain: why,
    }
}

/// One attempt of a recovery chain, as [`standing`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub approved: bool,
    pub retry_count: i64,
    pub retry_date: Option<OffsetDateTime>,
}

/// Where a recovery chain stands for the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Approved at this attempt (1 is the first attempt, 2 the first retry).
    Recovered { attempt: i64 },
    /// The next retry is due at this time.
    Scheduled { at: OffsetDateTime },
    /// The retry date has passed and no retry was made: the server's scheduler makes it when
    /// `scheduler_on`, else it is the merchant's to send.
    Overdue {
        since: OffsetDateTime,
        scheduler_on: bool,
    },
    /// The latest decline has no retry date: the policy allows none.
    Ended,
}

/// Where a chain (its attempts, oldest first) stands at `now`.
pub fn standing(attempts: &[Attempt], now: OffsetDateTime, scheduler_on: bool) -> Standing {
    if let Some(a) = attempts.iter().find(|a| a.approved) {
        return Standing::Recovered {
            attempt: a.retry_count + 1,
        };
    }
    match attempts.last().and_then(|a| a.retry_date) {
        None => Standing::Ended,
        Some(at) if at > now => Standing::Scheduled { at },
        Some(since) => Standing::Overdue {
            since,
            scheduler_on,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn funds_declines_wait_for_a_pay_day() {
        let first = datetime!(2026-11-24 19:00 UTC); // a Tuesday
        let d = decide(&Policy::default(), ResponseCode(20023), first, first, 0);
        assert_eq!(
            d.retry_at,
            Some(datetime!(2026-12-01 06:00 UTC)),
            "the 1st beats the next Tuesday at 06:00"
        );
        let d = decide(
            &Policy::default(),
            ResponseCode(20023),
            datetime!(2026-12-02 10:00 UTC),
            first,
            1,
        );
        assert_eq!(
            d.retry_at,
            Some(datetime!(2026-12-08 06:00 UTC)),
            "the first attempt's weekday"
        );
    }

    #[test]
    fn issuer_errors_retry_within_hours() {
        let now = datetime!(2026-11-24 19:00 UTC);
        let d = decide(&Policy::default(), ResponseCode(20039), now, now, 0);
        assert_eq!(d.retry_at, Some(now + Duration::hours(1)));
        let d = decide(&Policy::default(), ResponseCode(20046), now, now, 3);
        assert_eq!(d.retry_at, Some(now + Duration::hours(8)));
    }

    #[test]
    fn generic_declines_space_out() {
        let now = datetime!(2026-11-24 17:57 UTC);
        let d = decide(&Policy::default(), ResponseCode(20003), now, now, 0);
        assert_eq!(d.retry_at, Some(datetime!(2026-11-25 17:00 UTC)));
    }

    #[test]
    fn limits_end_the_chain() {
        let first = datetime!(2026-11-01 12:00 UTC);
        assert!(
            decide(&Policy::default(), ResponseCode(20003), first, first, 15)
                .retry_at
                .is_none(),
            "15 retries"
        );
        assert!(
            decide(&Policy::default(), ResponseCode(20003), first, first, 14)
                .retry_at
                .is_some(),
            "the 15th is allowed"
        );
        let late = first + Duration::days(29);
        assert!(
            decide(&Policy::default(), ResponseCode(20003), late, first, 5)
                .retry_at
                .is_none(),
            "day 30"
        );
        assert!(
            decide(&Policy::default(), ResponseCode(30011), first, first, 0)
                .retry_at
                .is_none()
        );
        assert!(
            decide(&Policy::default(), ResponseCode(40000), first, first, 0)
                .retry_at
                .is_none()
        );
        assert!(
            decide(&Policy::default(), ResponseCode(50000), first, first, 0)
                .retry_at
                .is_none()
        );
        assert!(
            decide(&Policy::default(), ResponseCode(10000), first, first, 0)
                .retry_at
                .is_none()
        );
    }

    proptest! {
        /// Dates never precede the decline, never pass 30 days from the first attempt, and
        /// only soft retryable codes get one.
        #[test]
        fn bounded(code in prop::sample::select(ResponseCode::all().collect::<Vec<_>>()), offset_h in 0i64..800, count in 0i64..20) {
            let first = datetime!(2026-01-15 08:30 UTC);
            let now = first + Duration::hours(offset_h);
            let d = decide(&Policy::default(), code, now, first, count);
            if let Some(at) = d.retry_at {
                prop_assert!(at > now);
                prop_assert!(at <= first + MAX_WINDOW);
                prop_assert!(classify(code).retryable);
                prop_assert!(count < MAX_RETRIES);
            }
        }

        /// For one decline time, more retries done never means an earlier next date.
        #[test]
        fn monotonic_in_retry_count(code in prop::sample::select(vec![20000u32, 20003, 20039, 20046, 20080, 20047]), offset_h in 0i64..200) {
            let first = datetime!(2026-03-02 09:00 UTC);
            let now = first + Duration::hours(offset_h);
            let mut last: Option<OffsetDateTime> = None;
            for count in 0..MAX_RETRIES {
                let d = decide(&Policy::default(), ResponseCode(code), now, first, count);
                match (last, d.retry_at) {
                    (Some(prev), Some(at)) => prop_assert!(at >= prev),
                    (_, None) => break,
                    _ => {}
                }
                last = d.retry_at;
            }
        }
    }

    #[test]
    fn a_chain_stands_recovered_scheduled_overdue_or_ended() {
        let now = datetime!(2026-12-01 12:00 UTC);
        let declined = |n: i64, at: Option<OffsetDateTime>| Attempt {
            approved: false,
            retry_count: n,
            retry_date: at,
        };
        let later = now + Duration::days(2);
        let earlier = now - Duration::hours(3);
        assert_eq!(
            standing(&[declined(0, Some(later))], now, false),
            Standing::Scheduled { at: later }
        );
        assert_eq!(
            standing(&[declined(0, Some(earlier))], now, false),
            Standing::Overdue {
                since: earlier,
                scheduler_on: false
            }
        );
        assert_eq!(
            standing(&[declined(0, Some(earlier))], now, true),
            Standing::Overdue {
                since: earlier,
                scheduler_on: true
            }
        );
        assert_eq!(standing(&[declined(0, None)], now, false), Standing::Ended);
        let won = Attempt {
            approved: true,
            retry_count: 2,
            retry_date: None,
        };
        assert_eq!(
            standing(
                &[declined(0, Some(earlier)), declined(1, Some(earlier)), won],
                now,
                false
            ),
            Standing::Recovered { attempt: 3 }
        );
        assert_eq!(standing(&[], now, false), Standing::Ended);
    }
}
