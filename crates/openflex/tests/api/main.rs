//! The integration suite: the real server over HTTP, every test on SQLite and on PostgreSQL.
//! One directory per dialect, plus `platform/` for what every dialect shares (the operator API,
//! tenancy, durability, the portal, webhooks, the scheduler) and for tests that cross dialects;
//! a test is found by its subject.

mod helpers;
mod process;
mod receiver;

mod flexfactor;
mod flexiti;
mod flexpay;
mod live;
mod platform;
