//! The recovery panel of a declined FlexPay payment: why it was declined (the decline family
//! in words), the rule that chose the next date (the retry policy's own explanation), retries
//! used and left, the end of the retry window, and where the chain stands now — recovered on
//! which attempt, the next retry, or overdue. The attempts themselves, each with its amount,
//! are the page's "Recovery chain" below it.
//!
//! Why "overdue" is computed at view time: a retry date the merchant's clock has passed is not
//! a "next retry" any more; the panel says so, and whether the server's scheduler will make it
//! or the merchant must (scheduler mode off).

use super::when;
use super::words::{explanation_words, status_words};
use maud::{Markup, html};
use openflex_domain::decline::classify;
use openflex_domain::retry_policy::{Attempt, MAX_RETRIES, Policy, Standing, standing};
use openflex_engine::model::Transaction;
use time::{Duration, OffsetDateTime};

/// The panel for `t` and its chain (oldest first); nothing for a transaction that is neither
/// declined nor part of a chain with a decline.
pub fn panel(
    t: &Transaction,
    chain: &[Transaction],
    policy: &Policy,
    now: OffsetDateTime,
) -> Markup {
    let alone = [t.clone()];
    let chain = if chain.is_empty() { &alone[..] } else { chain };
    let Some(decline) = chain
        .iter()
        .rev()
        .find(|a| !a.code.is_approved() && !a.pending)
    else {
        return html! {};
    };
    let attempts: Vec<Attempt> = chain
        .iter()
        .map(|a| Attempt {
            approved: a.code.is_approved(),
            retry_count: a.retry_count,
            retry_date: a.retry_date,
        })
        .collect();
    let latest = chain.last().unwrap_or(t);
    let max = policy.max_retries.clamp(0, MAX_RETRIES);
    let used = latest.retry_count;
    let first = chain
        .first()
        .and_then(|a| a.date_first_attempt.or(Some(a.created_at)))
        .unwrap_or(t.created_at);
    let window_end = first + Duration::days(policy.window_days.clamp(1, 30));
    let family = classify(decline.code).family;
    html! {
        section class="recovery" aria-labelledby="recovery-title" {
            h2 id="recovery-title" { "Recovery" }
            dl class="facts" {
                dt { "Standing" }
                dd {
                    @match standing(&attempts, now, policy.scheduler_mode) {
                        Standing::Recovered { attempt } => { strong { "Recovered on attempt " (attempt) } }
                        Standing::Scheduled { at } => { "Next retry " (when(at)) }
                        Standing::Overdue { since, scheduler_on: false } => {
                            strong { "Overdue — scheduler off" } ": the retry was due " (when(since))
                            " and is the merchant's to send (scheduler mode is off)."
                        }
                        Standing::Overdue { since, scheduler_on: true } => {
                            strong { "Overdue" } ": the retry was due " (when(since))
                            "; the scheduler makes it on its next run."
                        }
                        Standing::Ended => { "No retry left" }
                    }
                }
                dt { "Decline" }
                dd { (status_words(family.as_str())) " (" (decline.code.0) " " (decline.code.message()) ")" }
                dt { "Why this date" }
                dd {
                    (decline.result.retry_explanation.as_deref().map(explanation_words).unwrap_or_else(|| "—".into()))
                }
                dt { "Retries" }
                dd { (used) " of " (max) " used, " ((max - used).max(0)) " left" }
                dt { "Window ends" }
                dd { (when(window_end)) " (" (policy.window_days) " days from the first attempt)" }
            }
        }
    }
}
