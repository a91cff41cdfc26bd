//! FlexPay's endpoints (docs/flexpay.md): charges and their follow-ups, the vault, gateways and
//! routing, lists, recovery chains, risk rules and the sandbox processor. `fp.rs` holds the
//! request helpers the files share.

pub(crate) mod fp;

mod concurrency;
mod gateways;
pub(crate) mod lifecycle;
mod lists;
mod payment_methods;
mod recovery;
mod risk;
mod sandbox;
mod smoke;
mod validation_charge;
mod validation_envelope;
mod validation_vaulting;
