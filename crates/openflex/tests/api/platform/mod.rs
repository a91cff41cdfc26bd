//! What every dialect shares, and tests that cross dialects: the operator API and the CLI,
//! authentication budgets and refresh tokens, tenancy, durability under crashes, database faults
//! and scale-out, card data that never leaks, the portal, webhooks, the scheduler and its clock,
//! metrics, connection abuse, schema-driven hostile input, and the paths and methods every
//! dialect routes alike.

mod admin;
pub(crate) mod auth_budgets;
mod bench_pgbench;
mod cli;
mod config_cache;
mod crash;
mod db_faults;
mod failover;
mod isolation;
mod job_clock;
mod leak;
mod nul_queries;
mod ops_metrics;
mod pg_pair;
pub(crate) mod portal;
mod portal_actions;
pub(crate) mod portal_e2e;
mod portal_follow_ups;
mod portal_gateways;
mod portal_keys;
mod portal_lists;
mod portal_orders;
mod portal_origin;
mod portal_overview;
mod portal_recovery;
mod portal_safety;
mod portal_webhooks;
mod read_replica;
mod refresh_tokens;
mod routing;
mod scale_out;
mod scheduler;
mod schemathesis;
mod simulate;
mod slow_clients;
mod unicode_ids;
mod webhooks;
