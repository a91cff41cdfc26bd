//! FlexPay's endpoints (docs/flexpay.md): charges and their follow-ups, the vault, gateways and
//! routing, lists, recovery chains, risk rules, the sandbox processor, and the answers checked
//! against the served OpenAPI document. `fp.rs` holds the request helpers the files share.

pub(crate) mod fp;

mod card_fields;
mod concurrency;
mod gateway_element;
mod gateways;
pub(crate) mod lifecycle;
mod lists;
mod openapi_answers;
mod payment_methods;
mod recovery;
mod risk;
mod sandbox;
mod smoke;
mod validation_charge;
mod validation_envelope;
mod validation_vaulting;
