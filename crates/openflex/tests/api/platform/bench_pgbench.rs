//! `openflex bench --compare-pgbench`: both baselines' pgbench scripts run, briefly, on the
//! server's own PostgreSQL database — the scripts are SQL built from the bench merchant's rows,
//! so a statement the server changed without its script would fail here. Figures are measured
//! by hand (docs/performance.md), never asserted.

use crate::helpers::{Backend, spawn_app};
use openflex::bench::{Baseline, Gateway, Options, Scenario};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_pgbench_baselines_run_against_the_servers_database() {
    let app = spawn_app(Backend::Postgres).await;
    for baseline in [Baseline::Same, Baseline::Minimal] {
        let report = openflex::bench::run(Options {
            target: app.base.clone(),
            scenario: Scenario::FlexpayChargeToken,
            concurrency: 2,
            duration: Duration::from_secs(1),
            admin_token: app.admin_token.clone(),
            list_rows: 0,
            database_url: Some(app.database_url.clone()),
            compare_pgbench: true,
            baseline,
            gateway: Gateway::Stripe,
        })
        .await
        .unwrap_or_else(|e| panic!("{baseline:?}: {e:#}"));
        assert_eq!(report.errors, 0, "{report:?}");
        assert!(
            report.pgbench_tps.is_some_and(|t| t > 0.0),
            "{baseline:?}: {report:?}"
        );
        assert!(report.ratio.is_some(), "{report:?}");
    }
}
