//! FlexPay's endpoints (docs/flexpay.md): charges and their follow-ups, the vault, gateways and
//! routing, lists, recovery chains, risk rules and the sandbox processor.

mod concurrency;
mod gateways;
pub(crate) mod lifecycle;
mod lists;
mod payment_methods;
mod recovery;
mod risk;
mod sandbox;
mod smoke;
pub(crate) mod validation;
