//! FlexFactor's endpoints (docs/flexfactor.md): evaluate and its decision table, managed MIT,
//! capture, refunds and cancels, and the order search. `ff.rs` holds the request helpers, which
//! the platform tests use too.

pub(crate) mod ff;

mod client_fidelity;
mod flexfactor_flows;
mod order_search;
