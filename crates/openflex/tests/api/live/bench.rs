//! The connector benchmark's set-up (`openflex bench --scenario flexpay-charge-connector`):
//! run briefly against a spawned server and a gateway double with a small latency, it creates
//! its live merchant and gateway with the settings the double accepts, and every charge it
//! counts reached the gateway as a well-formed payment. Throughput is measured by hand
//! (docs/performance.md), never asserted here.

use super::Gw;
use crate::helpers::*;
use crate::live;
use openflex::bench::{Gateway, Options, Scenario};
use std::time::Duration;

live!(the_connector_bench_charges_through_the_gateway_without_errors);

async fn the_connector_bench_charges_through_the_gateway_without_errors(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    double.control().set_latency(Duration::from_millis(5));
    let app = gw.app(backend, &double).await;
    let report = openflex::bench::run(Options {
        target: app.base.clone(),
        scenario: Scenario::FlexpayChargeConnector,
        concurrency: 4,
        duration: Duration::from_secs(2),
        admin_token: app.admin_token.clone(),
        list_rows: 0,
        database_url: None,
        compare_pgbench: false,
        baseline: openflex::bench::Baseline::Same,
        gateway: match gw {
            Gw::Stripe => Gateway::Stripe,
            Gw::Adyen => Gateway::Adyen,
            Gw::Nmi => Gateway::Nmi,
            Gw::AuthorizeNet => Gateway::Authorizenet,
        },
    })
    .await
    .expect("the bench runs");
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(report.ops > 0, "{report:?}");
    // The preparation's first (customer-initiated) charge, then one payment per counted op.
    assert_eq!(double.payments() as u64, report.ops + 1, "{report:?}");
    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}
