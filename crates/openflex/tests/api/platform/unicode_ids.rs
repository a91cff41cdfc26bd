//! Merchant-chosen ids are compared in Unicode NFC: "café" typed with a precomposed é (NFC) and
//! with e + combining acute (NFD) is one id, so it cannot make two charges, two orders or two
//! uses of one idempotency key.

use crate::dual;
use crate::flexfactor::ff::{self, evaluate, evaluate_body, get_json};
use crate::flexiti::fx::{Fx, JANE, cents};
use crate::flexpay::lifecycle::{assert_code, id_of};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

dual!(
    flexpay_merchant_transaction_id_in_nfd_is_the_nfc_duplicate,
    flexfactor_order_id_in_nfd_is_the_nfc_order,
    flexfactor_idempotency_key_in_nfd_is_the_nfc_key,
    flexiti_idempotency_key_in_nfd_is_the_nfc_key,
);

const NFC: &str = "caf\u{e9}";
const NFD: &str = "cafe\u{301}";

async fn flexpay_merchant_transaction_id_in_nfd_is_the_nfc_duplicate(app: TestApp) {
    assert_ne!(NFC, NFD);
    let first = app.charge(NFC, 1000).await;
    assert_code(&first, "10000");
    let second = app.charge(NFD, 1000).await;
    assert_code(&second, "50129");
    assert_eq!(second["merchantTransactionId"], NFC, "echoed in NFC");

    let (status, found) = app
        .get(&format!("/v1/transactions/byMerchantTransactionId/{NFD}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(id_of(&found["transaction"]), id_of(&first));
}

async fn flexfactor_order_id_in_nfd_is_the_nfc_order(app: TestApp) {
    let b = ff::token(&app).await;
    let (status, first) = evaluate(&app, &b, evaluate_body(NFC, ff::RESCUABLE)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = evaluate(&app, &b, evaluate_body(NFD, ff::RESCUABLE)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["orderId"], first["orderId"], "{second}");
    let (_, page) = get_json(&app, "/v1/orders", &b).await;
    assert_eq!(page["totalItemCount"], 1, "{page}");
}

async fn flexfactor_idempotency_key_in_nfd_is_the_nfc_key(app: TestApp) {
    let b = ff::token(&app).await;
    let keyed = |order: &str, key: &str| {
        let mut body = evaluate_body(order, ff::RESCUABLE);
        body["idempotencyKey"] = json!(key);
        body
    };
    let (status, first) = evaluate(&app, &b, keyed("o-1", NFC)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, v) = evaluate(&app, &b, keyed("o-2", NFD)).await;
    assert_eq!(status, StatusCode::CONFLICT, "the key is taken: {v}");
    assert_eq!(v["errorCode"], "409001");
    let (status, again) = evaluate(&app, &b, keyed("o-1", NFD)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first, "the same key and payload: a replay");
    let (_, page) = get_json(&app, "/v1/orders", &b).await;
    assert_eq!(page["totalItemCount"], 1, "{page}");
}

async fn flexiti_idempotency_key_in_nfd_is_the_nfc_key(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let hold = || {
        Some(
            json!({"account_number": JANE, "amount": "250.00", "auto_capture": false,
            "financing_option": {"transaction_type": "regular_purchase"}}),
        )
    };
    let available = || async {
        let (s, v) = fx
            .get(&format!("/customers/lookup?account_number={JANE}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        cents(&v["available_credit"])
    };
    let before = available().await;
    let first = fx
        .send(
            Method::POST,
            "/authorization",
            hold(),
            &[("x-idempotency-key", NFC)],
        )
        .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    let again = fx
        .send(
            Method::POST,
            "/authorization",
            hold(),
            &[("x-idempotency-key", NFD)],
        )
        .await;
    assert_eq!(again, first, "a replay of the first hold");
    assert_eq!(available().await, before - 25_000, "one hold, not two");
}
