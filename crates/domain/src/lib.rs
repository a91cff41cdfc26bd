//! Payment rules as plain functions over plain types: no I/O, no clock, no async.
//!
//! Everything here is deterministic so it can be unit- and property-tested without a database,
//! and so the engine, the dialects and the sandbox all agree on one reading of the rules.

pub mod aamva;
pub mod card;
pub mod cidr;
pub mod codes;
mod codes_table;
pub mod country;
pub mod decline;
pub mod financing;
pub mod gateway_codes;
pub mod key_label;
pub mod lifecycle;
pub mod money;
pub mod network;
pub mod rescue;
pub mod retry_policy;
pub mod risk;
pub mod routing;
pub mod sandbox;
pub mod secret;
pub mod status;
pub mod time;

pub use codes::{CodeClass, ResponseCode};
pub use secret::Secret;
