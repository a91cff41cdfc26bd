//! openflex's policy replayed without the engine: `retry_policy::decide` and the limits
//! `continue_chain` enforces, on the runner's hourly grid (a retry due at `t` runs at the first
//! hour mark at or after `t`, as the test clock moving an hour at a time runs it).
//!
//! The sensitivity scenarios use it, because running the engine four times over would take
//! four times as long. It is not trusted on its own: every run that takes openflex's policy
//! through the engine compares the engine's chains with this replay, card by card, and fails
//! if one differs (`simulate`), and the tests do the same.

use super::issuer::{Card, Issuer};
use super::policies::Attempt;
use openflex_domain::retry_policy::{MAX_RETRIES, MAX_WINDOW, Policy, decide};
use time::{Duration, OffsetDateTime};

/// The hour mark at or after `t`.
fn hour_mark(t: OffsetDateTime) -> OffsetDateTime {
    let floor = t
        - Duration::seconds(i64::from(t.minute()) * 60 + i64::from(t.second()))
        - Duration::nanoseconds(i64::from(t.nanosecond()));
    if floor == t {
        t
    } else {
        floor + Duration::hours(1)
    }
}

/// The retries openflex makes on one card.
pub fn replay(policy: &Policy, issuer: &Issuer, card: &Card) -> Vec<Attempt> {
    let first = card.decline.first_at;
    let max = policy.max_retries.clamp(0, MAX_RETRIES);
    let window = MAX_WINDOW.min(Duration::days(policy.window_days.clamp(1, 30)));
    let mut out: Vec<Attempt> = Vec::new();
    let (mut code, mut now) = (card.decline.code, first);
    while !code.is_approved() {
        let Some(due) = decide(policy, code, now, first, out.len() as i64).retry_at else {
            break;
        };
        let at = hour_mark(due);
        let retry = out.len() as i64 + 1;
        if retry > max || at > first + window {
            break;
        }
        code = issuer.answer(card, at);
        out.push(Attempt { at, code });
        now = at;
    }
    out
}

/// The first card whose chains differ, with both chains, if any.
pub fn first_difference(
    engine: &[Vec<Attempt>],
    replayed: &[Vec<Attempt>],
) -> Option<(usize, String)> {
    engine
        .iter()
        .zip(replayed)
        .position(|(a, b)| a != b)
        .map(|i| {
            (
                i,
                format!("engine {:?} vs replay {:?}", engine[i], replayed[i]),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn retries_run_at_the_next_hour_mark() {
        assert_eq!(
            hour_mark(datetime!(2026-03-03 10:00 UTC)),
            datetime!(2026-03-03 10:00 UTC)
        );
        assert_eq!(
            hour_mark(datetime!(2026-03-03 10:00:01 UTC)),
            datetime!(2026-03-03 11:00 UTC)
        );
    }
}
