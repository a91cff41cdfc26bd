//! What a simulation found, per policy: the recovered share of declined revenue, retries per
//! recovered payment, the median days to recovery, card-network rule violations and the
//! recovery curve; plus the sensitivity table. Rendered as a text table or JSON. The JSON holds
//! no timing, so the same seed gives the identical document.

use super::issuer::{Card, Params};
use super::policies::{Attempt, Policy};
use openflex_domain::decline::classify;
use openflex_domain::money::minor_to_decimal;
use openflex_domain::retry_policy::{MAX_RETRIES, MAX_WINDOW};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use time::Duration;

/// Days the recovery curve covers (the card networks' window).
pub const CURVE_DAYS: i64 = 30;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violations {
    /// Retries after a decline the card networks say must not be retried.
    pub do_not_retry: usize,
    /// Retries past the 15th of a chain.
    pub over_15_retries: usize,
    /// Retries more than 30 days after the first attempt.
    pub over_30_days: usize,
}

impl Violations {
    pub fn total(&self) -> usize {
        self.do_not_retry + self.over_15_retries + self.over_30_days
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReport {
    pub policy: &'static str,
    pub declines: usize,
    pub recovered: usize,
    /// Recovered ÷ declined revenue (per currency, averaged by the currency's declines).
    pub recovered_share: f64,
    /// Per currency, in the currency's units.
    pub declined_revenue: BTreeMap<String, String>,
    pub recovered_revenue: BTreeMap<String, String>,
    /// Retries made (the first, declined attempt not counted).
    pub retries: usize,
    pub retries_per_recovery: Option<f64>,
    pub median_days_to_recovery: Option<f64>,
    pub violations: Violations,
    pub violations_total: usize,
    /// Recovered share by day 0, 1, … 30 after the first attempt.
    pub curve: Vec<f64>,
}

/// One scenario of the sensitivity table: each policy's recovered share.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sensitivity {
    pub scenario: String,
    pub params: Params,
    pub recovered_share: BTreeMap<&'static str, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub seed: u64,
    pub declines: usize,
    /// `synthetic`, or the history file's name.
    pub population: String,
    /// Declines openflex's policy ran through the engine (the others, and the sensitivity
    /// scenarios, through the replay those declines proved identical).
    pub engine_declines: usize,
    pub params: Params,
    pub policies: Vec<PolicyReport>,
    pub sensitivity: Vec<Sensitivity>,
}

/// Sums amounts per currency (minor units).
fn per_currency<'a>(cards: impl Iterator<Item = &'a Card>) -> BTreeMap<String, (i64, usize)> {
    let mut out: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    for card in cards {
        let e = out
            .entry(card.decline.currency.code().to_string())
            .or_default();
        e.0 += card.decline.amount;
        e.1 += 1;
    }
    out
}

/// The approval of a chain, if any.
fn approval(chain: &[Attempt]) -> Option<&Attempt> {
    chain.iter().find(|a| a.code.is_approved())
}

/// Recovered share of declined revenue among approvals within `within` of the first attempt.
pub fn recovered_share(cards: &[Card], chains: &[Vec<Attempt>], within: Option<Duration>) -> f64 {
    let declined = per_currency(cards.iter());
    let recovered = per_currency(cards.iter().zip(chains).filter_map(|(card, chain)| {
        approval(chain)
            .filter(|a| within.is_none_or(|w| a.at - card.decline.first_at <= w))
            .map(|_| card)
    }));
    let total: usize = declined.values().map(|(_, n)| n).sum();
    if total == 0 {
        return 0.0;
    }
    declined
        .iter()
        .map(|(currency, (amount, n))| {
            let got = recovered.get(currency).map_or(0, |(a, _)| *a);
            got as f64 / (*amount).max(1) as f64 * *n as f64 / total as f64
        })
        .sum()
}

/// Counts the retries of one chain that break a card-network rule.
pub fn violations(card: &Card, chain: &[Attempt]) -> Violations {
    let mut v = Violations::default();
    let mut previous = card.decline.code;
    for (n, attempt) in chain.iter().enumerate() {
        if !classify(previous).retryable {
            v.do_not_retry += 1;
        }
        if n as i64 >= MAX_RETRIES {
            v.over_15_retries += 1;
        }
        if attempt.at - card.decline.first_at > MAX_WINDOW {
            v.over_30_days += 1;
        }
        previous = attempt.code;
    }
    v
}

fn money(map: BTreeMap<String, (i64, usize)>) -> BTreeMap<String, String> {
    map.into_iter()
        .map(|(c, (amount, _))| {
            let exponent = openflex_domain::money::Currency::parse(&c).map_or(2, |c| c.exponent());
            (c, minor_to_decimal(amount, exponent))
        })
        .collect()
}

pub fn policy_report(policy: Policy, cards: &[Card], chains: &[Vec<Attempt>]) -> PolicyReport {
    let mut days: Vec<f64> = cards
        .iter()
        .zip(chains)
        .filter_map(|(card, chain)| {
            approval(chain).map(|a| (a.at - card.decline.first_at).as_seconds_f64() / 86_400.0)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    let recovered = days.len();
    let retries: usize = chains.iter().map(Vec::len).sum();
    let mut violation = Violations::default();
    for (card, chain) in cards.iter().zip(chains) {
        let v = violations(card, chain);
        violation.do_not_retry += v.do_not_retry;
        violation.over_15_retries += v.over_15_retries;
        violation.over_30_days += v.over_30_days;
    }
    PolicyReport {
        policy: policy.name(),
        declines: cards.len(),
        recovered,
        recovered_share: recovered_share(cards, chains, None),
        declined_revenue: money(per_currency(cards.iter())),
        recovered_revenue: money(per_currency(
            cards
                .iter()
                .zip(chains)
                .filter(|(_, chain)| approval(chain).is_some())
                .map(|(card, _)| card),
        )),
        retries,
        retries_per_recovery: (recovered > 0).then(|| retries as f64 / recovered as f64),
        median_days_to_recovery: median.map(|d| (d * 100.0).round() / 100.0),
        violations_total: violation.total(),
        violations: violation,
        curve: (0..=CURVE_DAYS)
            .map(|d| recovered_share(cards, chains, Some(Duration::days(d))))
            .collect(),
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// The report as text tables.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Recovery of {} declines ({}), seed {}; openflex's policy through the engine for {} of them\n",
        report.declines, report.population, report.seed, report.engine_declines
    );
    let _ = writeln!(
        out,
        "{:<12} {:>10} {:>10} {:>9} {:>13} {:>12} {:>11}",
        "policy", "recovered", "share", "retries", "retries/rec.", "median days", "violations"
    );
    for p in &report.policies {
        let _ = writeln!(
            out,
            "{:<12} {:>10} {:>10} {:>9} {:>13} {:>12} {:>11}",
            p.policy,
            p.recovered,
            percent(p.recovered_share),
            p.retries,
            p.retries_per_recovery
                .map_or("-".into(), |r| format!("{r:.2}")),
            p.median_days_to_recovery
                .map_or("-".into(), |d| format!("{d:.1}")),
            p.violations_total
        );
    }
    if !report.sensitivity.is_empty() {
        let _ = writeln!(out, "\nSensitivity: recovered share of declined revenue");
        let _ = write!(out, "{:<28}", "scenario");
        for p in &report.policies {
            let _ = write!(out, " {:>12}", p.policy);
        }
        let _ = writeln!(out);
        for s in &report.sensitivity {
            let _ = write!(out, "{:<28}", s.scenario);
            for p in &report.policies {
                let share = s.recovered_share.get(p.policy).copied().unwrap_or_default();
                let _ = write!(out, " {:>12}", percent(share));
            }
            let _ = writeln!(out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::issuer::Issuer;
    use crate::simulate::population::Decline;
    use openflex_domain::codes::ResponseCode;
    use openflex_domain::money::Currency;
    use time::macros::datetime;

    fn card(code: u32, amount: i64) -> Card {
        Issuer::new(1, Params::default()).card(
            0,
            &Decline {
                first_at: datetime!(2026-03-03 10:00 UTC),
                amount,
                currency: Currency::parse("USD").unwrap(),
                code: ResponseCode(code),
            },
        )
    }

    fn at(days: i64, code: u32) -> Attempt {
        Attempt {
            at: datetime!(2026-03-03 10:00 UTC) + Duration::days(days),
            code: ResponseCode(code),
        }
    }

    #[test]
    fn violations_are_counted_per_rule() {
        let stolen = card(30009, 100);
        assert_eq!(
            violations(&stolen, &[at(1, 30009), at(2, 30009)]).do_not_retry,
            2
        );
        let funds = card(20023, 100);
        let long: Vec<Attempt> = (1..=17).map(|d| at(d, 20023)).collect();
        assert_eq!(violations(&funds, &long).over_15_retries, 2);
        assert_eq!(violations(&funds, &[at(31, 20023)]).over_30_days, 1);
        assert_eq!(
            violations(&funds, &[at(1, 30080), at(2, 10000)]).do_not_retry,
            1,
            "a retry after the card turned do-not-retry counts"
        );
        assert_eq!(violations(&funds, &long[..15]).total(), 0);
    }

    #[test]
    fn shares_medians_and_curves_follow_the_chains() {
        let cards = vec![card(20023, 1000), card(20023, 3000), card(20003, 1000)];
        let chains = vec![
            vec![at(1, 20023), at(3, 10000)],
            vec![at(2, 10000)],
            vec![at(1, 20003)],
        ];
        let r = policy_report(Policy::Daily8, &cards, &chains);
        assert_eq!(r.recovered, 2);
        assert!((r.recovered_share - 0.8).abs() < 1e-9);
        assert_eq!(r.retries, 4);
        assert_eq!(r.retries_per_recovery, Some(2.0));
        assert_eq!(r.median_days_to_recovery, Some(2.5));
        assert_eq!(r.recovered_revenue["USD"], "40.00");
        assert!((r.curve[2] - 0.6).abs() < 1e-9 && (r.curve[3] - 0.8).abs() < 1e-9);
        assert_eq!(r.curve[0], 0.0);
    }
}
