//! FlexPay charges, authorizations and follow-ups through live connectors; lost answers settled
//! by inquiry, never charged twice.

use super::{Gw, live_merchant};
use crate::flexpay::lifecycle::{assert_code, follow_as, id_of};
use crate::helpers::*;
use crate::live;
use openflex_gateway_doubles::Fault;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

live!(
    a_live_gateway_charges_authorizes_captures_refunds_and_voids,
    live_gateway_settings_are_checked_and_the_sandbox_type_is_refused,
    a_lost_answer_is_unknown_and_a_retry_answers_the_approval_without_charging_twice,
    the_inquiry_job_settles_a_lost_answer,
);

fn card(gw: Gw, mtid: &str, amount: i64) -> Value {
    let (number, month, cvv) = gw.approved_card();
    let mut body = card_payment(mtid, amount);
    let pm = &mut body["transaction"]["paymentMethod"];
    pm["creditCardNumber"] = json!(number);
    pm["expiryMonth"] = json!(month);
    pm["expiryYear"] = json!("2030");
    pm["cvv"] = json!(cvv);
    body
}

async fn pay(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.post_as(key, path, body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transaction"].clone()
}

async fn a_live_gateway_charges_authorizes_captures_refunds_and_voids(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let key = live_merchant(&app, gw).await;

    let t = pay(
        &app,
        &key,
        "/v1/gateways/charge",
        card(gw, "live-sale", 1500),
    )
    .await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayType"], gw.gateway_type(), "{t}");
    assert!(
        t["gatewayTransactionId"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{t}"
    );

    let auth = pay(
        &app,
        &key,
        "/v1/gateways/authorize",
        card(gw, "live-auth", 2000),
    )
    .await;
    assert_code(&auth, "10000");
    let cap = follow_as(&app, &key, "capture", &id_of(&auth), "live-cap", Some(1200)).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 1200, "{cap}");
    double.settle();
    let refund = follow_as(&app, &key, "refund", &id_of(&cap), "live-ref", Some(500)).await;
    assert_code(&refund, "10000");

    let auth2 = pay(
        &app,
        &key,
        "/v1/gateways/authorize",
        card(gw, "live-auth2", 900),
    )
    .await;
    let void = follow_as(&app, &key, "void", &id_of(&auth2), "live-void", None).await;
    // NMI answers a void "Transaction Void Successful": 10001, the reversal approval.
    assert_eq!(void["transactionStatus"], 1, "{void}");
    assert!(
        matches!(void["responseCode"].as_str(), Some("10000" | "10001")),
        "{void}"
    );

    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}

async fn live_gateway_settings_are_checked_and_the_sandbox_type_is_refused(
    gw: Gw,
    backend: Backend,
) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let m = app.new_merchant("live").await;
    let (status, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways",
            json!({"gateway": {"name": "x", "gatewayType": gw.gateway_type(), "settings": {}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("settings"), "{v}");
    let (status, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways",
            json!({"gateway": {"name": "x", "gatewayType": gw.gateway_type()}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a live type needs its credentials: {v}"
    );
    assert!(v.to_string().contains("settings"), "{v}");
    let (status, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways",
            json!({"gateway": {"name": "x", "gatewayType": "sandbox"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // Settings are write-only.
    let key = live_merchant(&app, gw).await;
    let (_, v) = app.get_as(&key, "/v1/gateways").await;
    assert!(
        !v.to_string().contains("sk_test") && !v.to_string().contains("security-key"),
        "{v}"
    );
}

async fn a_lost_answer_is_unknown_and_a_retry_answers_the_approval_without_charging_twice(
    gw: Gw,
    backend: Backend,
) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let key = live_merchant(&app, gw).await;
    double
        .control()
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);

    let first = pay(&app, &key, "/v1/gateways/charge", card(gw, "lost-1", 1500)).await;
    assert_eq!(first["responseCode"], "20039", "{first}");
    assert_eq!(first["transactionStatus"], 3, "{first}");
    assert_eq!(first["retryDate"], Value::Null, "{first}");
    let rd = first["referenceData"]
        .as_str()
        .expect("referenceData")
        .to_string();
    assert_eq!(double.payments(), 1, "the gateway took the payment");

    let mut retry = card(gw, "lost-2", 1500);
    retry["transaction"]["retryCount"] = json!(1);
    retry["transaction"]["referenceData"] = json!(rd);
    let second = pay(&app, &key, "/v1/gateways/charge", retry).await;
    assert_code(&second, "10000");
    assert_eq!(
        second["transactionId"], first["transactionId"],
        "the approval is the first attempt's"
    );
    assert_eq!(double.payments(), 1, "never charged twice");
}

async fn the_inquiry_job_settles_a_lost_answer(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let key = live_merchant(&app, gw).await;
    double
        .control()
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);
    let first = pay(
        &app,
        &key,
        "/v1/gateways/charge",
        card(gw, "lost-job", 1500),
    )
    .await;
    assert_eq!(first["responseCode"], "20039", "{first}");
    let id = id_of(&first);
    let mut last = Value::Null;
    for _ in 0..150 {
        let (_, v) = app.get_as(&key, &format!("/v1/transactions/{id}")).await;
        last = v["transaction"].clone();
        if last["transactionStatus"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_code(&last, "10000");
    assert_eq!(double.payments(), 1);
}
