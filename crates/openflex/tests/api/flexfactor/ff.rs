//! FlexFactor test helpers: credentials of the sandbox merchant, tokens, request builders.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The sandbox merchant's FlexFactor credentials (from the first start's credentials file).
pub fn creds(app: &TestApp) -> Value {
    let text = std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["flexfactor"].clone()
}

pub async fn post_json(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(b) = bearer {
        req = req.header("Authorization", format!("Bearer {b}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

pub async fn get_json(app: &TestApp, path: &str, bearer: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .get(app.url(path))
        .header("Authorization", format!("Bearer {bearer}"))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

/// An access token for the sandbox merchant.
pub async fn token(app: &TestApp) -> String {
    token_with(app, &creds(app)).await
}

/// An access token for the FlexFactor credentials `c` (`appKey`, `appSecret`).
pub async fn token_with(app: &TestApp, c: &Value) -> String {
    let (status, v) = post_json(
        app,
        "/v1/oauth2/token",
        None,
        json!({"AppKey": c["appKey"], "AppSecret": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["accessToken"].as_str().unwrap().to_string()
}

/// Card that the sandbox rescues; card that it always declines.
pub const RESCUABLE: &str = "4000002760003184";
pub const DECLINED: &str = "4000300011112220";
pub const OTHER: &str = "4111111111111111";

/// A complete, valid `/v1/evaluate` body (CIT purchase of 1500 cents with a raw card number).
pub fn evaluate_body(order_id: &str, card: &str) -> Value {
    json!({
        "isDeclined": true,
        "orderId": order_id,
        "idempotencyKey": crate::helpers::unique_id("idem"),
        "isMIT": false,
        "transactionType": "PURCHASE",
        "transaction": {
            "id": format!("psp-{order_id}"), "timestampUtc": "2026-11-24T10:00:00Z", "amount": 1500, "currency": "USD",
            "responseCode": "05", "responseCodeSource": "NMI", "avsResultCode": "M", "cvvResultCode": "M", "cavvResultCode": "2"
        },
        "payer": {"email": "ada@example.com"},
        "billingInformation": {"firstName": "Ada", "lastName": "Lovelace", "country": "US", "countryCode": "US",
            "addressLine1": "1 Main St", "city": "New York", "state": "NY", "zipCode": "10001"},
        "paymentMethod": {"cardNumber": card, "token": false, "holderName": "Ada Lovelace", "expirationMonth": 12, "expirationYear": 2030}
    })
}

pub async fn evaluate(app: &TestApp, bearer: &str, body: Value) -> (StatusCode, Value) {
    post_json(app, "/v1/evaluate", Some(bearer), body).await
}
