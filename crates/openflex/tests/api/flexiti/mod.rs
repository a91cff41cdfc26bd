//! Flexiti's endpoints (docs/flexiti.md): the ledger's money moves, the purchase flow's other
//! endpoints, every documented error, tenancy, and where calls may come from (HTTPS, trusted
//! networks, built-in TLS). `fx.rs` holds the request helpers, which the
//! platform tests use too.

pub(crate) mod fx;

mod flexiti_core;
mod flexiti_endpoints;
mod flexiti_errors;
mod flexiti_errors_money;
mod flexiti_isolation;
mod flexiti_smoke;
mod flexiti_tls;
mod flexiti_trust;
mod flexiti_widget;
mod flexiti_widget_e2e;
