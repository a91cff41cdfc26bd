//! Any bytes as a FlexPay request body: the lenient binders (strings for numbers, any casing
//! of enums, nested objects) must answer a value or a coded failure, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openflex_engine::payments::PaymentKind;
use openflex_http::flexpay::request;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Some(t) = request::root(&body, "transaction") {
        let _ = request::payment(t, PaymentKind::Charge);
        let _ = request::payment(t, PaymentKind::Authorize);
    }
    if let Some(pm) = request::root(&body, "paymentMethod") {
        let _ = request::vault_input(pm);
        let _ = request::holder_patch(pm);
        let _ = request::recache_cvv(pm);
    }
    let _ = openflex_http::flexfactor::body::lower_keys(body);
});
