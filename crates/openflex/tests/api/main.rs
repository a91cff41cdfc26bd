//! The integration suite: the real server over HTTP, every test on SQLite and on PostgreSQL.

mod ff;
mod fx;
mod helpers;
mod process;
mod receiver;

mod admin;
mod cli;
mod concurrency;
mod crash;
mod db_faults;
mod flexfactor_flows;
mod flexiti_core;
mod flexiti_endpoints;
mod flexiti_errors;
mod flexiti_isolation;
mod flexiti_smoke;
mod gateways;
mod isolation;
mod job_clock;
mod leak;
mod lifecycle;
mod lists;
mod payment_methods;
mod portal;
mod portal_e2e;
mod recovery;
mod risk;
mod sandbox;
mod scale_out;
mod scheduler;
mod schemathesis;
mod slow_clients;
mod smoke;
mod validation;
mod webhooks;
