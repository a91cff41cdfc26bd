//! `openflex simulate recovery`: how much of its declined revenue a merchant recovers under
//! openflex's retry policy, compared with the fixed schedules merchants use today, against a
//! seeded model of the card issuer (docs/recovery.md).
//!
//! openflex's policy runs through the real engine in scheduler mode (`runner`); the baselines
//! are fixed schedules driven here (`policies`); all of them ask the same issuer model
//! (`issuer`) about the same declines (`population`). `report` turns the retries into the
//! figures and `chart` into the recovery curve.

mod chart;
pub mod issuer;
pub mod policies;
pub mod population;
mod replay;
mod report;
mod runner;

pub use report::{PolicyReport, Report, Sensitivity, Violations};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use issuer::{Card, Issuer, Params};
use policies::{Attempt, Policy};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use time::macros::datetime;

/// `openflex simulate recovery` options.
#[derive(Debug, Clone, clap::Args)]
pub struct RecoveryArgs {
    /// Synthetic declines to simulate (ignored with --history).
    #[arg(long, default_value_t = 100_000)]
    pub size: usize,
    /// Seed of the population and the issuer model: the same seed gives the same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Policies to compare, in this order.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = Policy::parse,
        default_value = "openflex,daily8,stripe-like,killbill,immediate3"
    )]
    pub policies: Vec<Policy>,
    /// A merchant's declines instead of the synthetic mix: CSV with the header
    /// first_attempt,amount,currency,decline_code.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Print the report as one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write the recovery curves of every policy to this SVG file.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// openflex's policy: the merchant's maximum retries per chain.
    #[arg(long, default_value_t = 15)]
    pub max_retries: i64,
    /// openflex's policy: the merchant's retry window in days.
    #[arg(long, default_value_t = 30)]
    pub window_days: i64,
    /// openflex's policy: the hour (UTC) of pay-day retries.
    #[arg(long, default_value_t = 6)]
    pub payday_hour: u8,
    /// Engines running openflex's policy side by side (default: one per core).
    #[arg(long)]
    pub shards: Option<usize>,
    /// Skip the sensitivity table (it runs every policy three more times).
    #[arg(long)]
    pub no_sensitivity: bool,
    /// Take only this many declines (evenly spread) through the engine for openflex's policy,
    /// and the rest through the replay of its policy that those declines prove identical.
    /// Default: every decline through the engine.
    #[arg(long)]
    pub engine_sample: Option<usize>,
}

/// When the synthetic population's first attempts start (a Monday, 00:00 UTC).
const SYNTHETIC_START: time::OffsetDateTime = datetime!(2026-01-05 00:00 UTC);

/// The scenarios of the sensitivity table, the base first.
fn scenarios() -> Vec<(&'static str, Params)> {
    let base = Params::default();
    vec![
        ("base", base),
        (
            "payday effect off",
            Params {
                payday_effect: false,
                ..base
            },
        ),
        (
            "base recovery -50 %",
            Params {
                base_scale: 0.5,
                ..base
            },
        ),
        (
            "base recovery +50 %",
            Params {
                base_scale: 1.5,
                ..base
            },
        ),
    ]
}

/// Runs the simulation and prints the report (tables, or JSON); writes the chart if asked.
pub async fn recovery(args: RecoveryArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = simulate(&args).await?;
    if let Some(path) = &args.chart {
        std::fs::write(path, chart::svg(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::table(&report));
    }
    eprintln!(
        "simulated {} declines x {} policies in {:.1} s",
        report.declines,
        report.policies.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The report of a run, without printing.
pub async fn simulate(args: &RecoveryArgs) -> anyhow::Result<Report> {
    policy_settings(args)
        .validate()
        .map_err(anyhow::Error::msg)?;
    if args.policies.is_empty() {
        anyhow::bail!("--policies names no policy");
    }
    if args.engine_sample == Some(0) {
        anyhow::bail!("--engine-sample must be at least 1");
    }
    let (declines, population) = match &args.history {
        Some(path) => (population::history(path)?, path.display().to_string()),
        None if args.size == 0 => anyhow::bail!("--size must be at least 1"),
        None => (
            population::synthetic(args.size, args.seed, SYNTHETIC_START),
            "synthetic".to_string(),
        ),
    };
    let mut scenarios = scenarios();
    if args.no_sensitivity {
        scenarios.truncate(1);
    }
    let engine_declines = if args.policies.contains(&Policy::Openflex) {
        args.engine_sample
            .map_or(declines.len(), |n| n.min(declines.len()))
    } else {
        0
    };
    let progress = progress_bar(engine_declines as u64);
    let mut policies = Vec::new();
    let mut sensitivity = Vec::new();
    for (name, params) in scenarios {
        let issuer = Issuer::new(args.seed, params);
        let cards: Arc<Vec<Card>> = Arc::new(
            declines
                .iter()
                .enumerate()
                .map(|(i, d)| issuer.card(i as u64, d))
                .collect(),
        );
        let mut shares = BTreeMap::new();
        let base = sensitivity.is_empty();
        for policy in &args.policies {
            let through_engine = if base { engine_declines } else { 0 };
            let chains = chains(
                *policy,
                issuer,
                &cards,
                args,
                through_engine,
                progress.clone(),
            )
            .await?;
            shares.insert(
                policy.name(),
                report::recovered_share(&cards, &chains, None),
            );
            if base {
                policies.push(report::policy_report(*policy, &cards, &chains));
            }
        }
        sensitivity.push(Sensitivity {
            scenario: name.to_string(),
            params,
            recovered_share: shares,
        });
    }
    progress.finish_and_clear();
    if args.no_sensitivity {
        sensitivity.clear();
    }
    Ok(Report {
        seed: args.seed,
        declines: declines.len(),
        population,
        engine_declines,
        params: Params::default(),
        policies,
        sensitivity,
    })
}

/// openflex's policy as the merchant configured it (the flags).
fn policy_settings(args: &RecoveryArgs) -> openflex_domain::retry_policy::Policy {
    openflex_domain::retry_policy::Policy {
        max_retries: args.max_retries,
        window_days: args.window_days,
        payday_hour: args.payday_hour,
        scheduler_mode: true,
    }
}

/// Every card's retries under `policy`. openflex's: `through_engine` cards (evenly spread; all
/// of them by default in the base scenario) go through the engine and are checked card by card
/// against the replay of its policy, which answers for the rest and for the sensitivity
/// scenarios.
async fn chains(
    policy: Policy,
    issuer: Issuer,
    cards: &Arc<Vec<Card>>,
    args: &RecoveryArgs,
    through_engine: usize,
    progress: ProgressBar,
) -> anyhow::Result<Vec<Vec<Attempt>>> {
    let settings = policy_settings(args);
    match policy.schedule() {
        None => {
            let replayed: Vec<_> = cards
                .iter()
                .map(|card| replay::replay(&settings, &issuer, card))
                .collect();
            if through_engine == 0 {
                return Ok(replayed);
            }
            let sample: Vec<usize> = (0..through_engine)
                .map(|i| i * cards.len() / through_engine)
                .collect();
            let sampled = Arc::new(sample.iter().map(|i| cards[*i].clone()).collect());
            let shards = args.shards.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            let engine = runner::run(issuer, sampled, settings, shards, progress).await?;
            let expected: Vec<_> = sample.iter().map(|i| replayed[*i].clone()).collect();
            if let Some((n, why)) = replay::first_difference(&engine, &expected) {
                anyhow::bail!(
                    "the engine and the replay of its policy disagree on decline {}: {why}",
                    sample[n]
                );
            }
            Ok(replayed)
        }
        Some(schedule) => Ok(cards
            .iter()
            .map(|card| {
                policies::run_fixed(&issuer, card, &schedule, policy.stops_on_hard_declines())
            })
            .collect()),
    }
}

/// A progress bar on a terminal; nothing when stdout is not one.
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} declines through the engine")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RecoveryArgs,
    }

    fn args(flags: &[&str]) -> RecoveryArgs {
        Cli::try_parse_from(std::iter::once("simulate").chain(flags.iter().copied()))
            .unwrap()
            .args
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_seed_gives_the_same_report_and_another_seed_another() {
        let json = |seed: &'static str| async move {
            let report = simulate(&args(&["--size", "120", "--seed", seed]))
                .await
                .unwrap();
            serde_json::to_string(&report).unwrap()
        };
        let first = json("7").await;
        assert_eq!(first, json("7").await);
        assert_ne!(first, json("8").await);
        let report: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert_eq!(report["policies"].as_array().unwrap().len(), 5);
        assert_eq!(report["sensitivity"].as_array().unwrap().len(), 4);
        assert_eq!(report["policies"][0]["policy"], "openflex");
        assert_eq!(report["policies"][0]["violationsTotal"], 0);
    }

    /// The engine's chains are the replay's, card by card, also for a merchant's own settings;
    /// and openflex breaks no card-network rule.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openflex_through_the_engine_matches_its_replay_and_breaks_no_network_rule() {
        for flags in [
            &["--size", "300", "--seed", "3"][..],
            &[
                "--size",
                "300",
                "--seed",
                "4",
                "--max-retries",
                "5",
                "--window-days",
                "12",
                "--payday-hour",
                "9",
            ][..],
        ] {
            let args = args(flags);
            let settings = policy_settings(&args);
            let issuer = Issuer::new(args.seed, Params::default());
            let cards: Arc<Vec<Card>> = Arc::new(
                population::synthetic(args.size, args.seed, SYNTHETIC_START)
                    .iter()
                    .enumerate()
                    .map(|(i, d)| issuer.card(i as u64, d))
                    .collect(),
            );
            let engine = runner::run(
                issuer,
                cards.clone(),
                settings.clone(),
                2,
                ProgressBar::hidden(),
            )
            .await
            .unwrap();
            let replayed: Vec<_> = cards
                .iter()
                .map(|card| replay::replay(&settings, &issuer, card))
                .collect();
            assert_eq!(engine, replayed, "{flags:?}");
            assert!(
                engine.iter().any(|c| c.len() > 2),
                "chains of several retries"
            );
            assert!(
                engine
                    .iter()
                    .any(|c| c.last().is_some_and(|a| a.code.is_approved())),
                "and recoveries"
            );
            let report = report::policy_report(Policy::Openflex, &cards, &engine);
            assert_eq!(report.violations, Violations::default(), "{flags:?}");
            let longest = engine.iter().map(Vec::len).max().unwrap_or_default();
            assert!(longest as i64 <= settings.max_retries, "{flags:?}");
        }
    }

    /// A sample through the engine gives the figures of every decline through it: the rest is
    /// the replay the sample was checked against.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_engine_sample_gives_the_same_figures() {
        let all = simulate(&args(&["--size", "200", "--seed", "9", "--no-sensitivity"]))
            .await
            .unwrap();
        let sample = simulate(&args(&[
            "--size",
            "200",
            "--seed",
            "9",
            "--no-sensitivity",
            "--engine-sample",
            "40",
        ]))
        .await
        .unwrap();
        assert_eq!((all.engine_declines, sample.engine_declines), (200, 40));
        assert_eq!(all.policies, sample.policies);
    }

    #[tokio::test]
    async fn bad_settings_and_empty_runs_are_refused() {
        let err = simulate(&args(&["--size", "10", "--max-retries", "16"]))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("maxRetries"), "{err}");
        let err = simulate(&args(&["--size", "0"])).await.unwrap_err();
        assert!(err.to_string().contains("--size"), "{err}");
        let err = simulate(&args(&["--size", "5", "--engine-sample", "0"]))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("--engine-sample"), "{err}");
        assert!(
            Cli::try_parse_from(["simulate", "--policies", "openflex,weekly"]).is_err(),
            "an unknown policy is refused by the parser"
        );
    }
}
