//! FlexFactor end to end: the sandbox decision table, managed MIT driven by the test clock with
//! signed webhooks, capture and its window, refunds, cancels and idempotency keys.

use crate::dual;
use crate::ff::*;
use crate::helpers::*;
use crate::receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    every_row_of_the_sandbox_table,
    managed_mit_is_rescued_after_a_day_and_reported_by_webhook,
    managed_mit_expires_with_its_window,
    authorization_capture_refund_and_cancel,
    idempotency_keys_replay_or_conflict,
);

fn with(mut body: Value, edits: &[(&str, Value)]) -> Value {
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = body
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("{pointer}"));
        target[key] = value.clone();
    }
    body
}

async fn status_of(app: &TestApp, bearer: &str, body: Value) -> String {
    let (status, v) = evaluate(app, bearer, body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["orderSessionKey"], v["orderId"]);
    v["status"].as_str().unwrap().to_string()
}

async fn every_row_of_the_sandbox_table(app: TestApp) {
    let b = token(&app).await;
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(14))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let rows: Vec<(&str, Vec<(&str, Value)>, &str)> = vec![
        (DECLINED, vec![], "DECLINED"),
        (RESCUABLE, vec![("/isMIT", json!(true))], "APPROVED"),
        (
            RESCUABLE,
            vec![("/isMIT", json!(true)), ("/expiryDateUtc", json!(expiry))],
            "SUBMITTED",
        ),
        (
            RESCUABLE,
            vec![("/transactionType", json!("Authorization"))],
            "CAPTUREREQUIRED",
        ),
        (RESCUABLE, vec![], "APPROVED"),
        (
            OTHER,
            vec![("/payer/phone", json!("5551234567"))],
            "CHALLENGE",
        ),
        (OTHER, vec![], "DECLINED"),
        (
            OTHER,
            vec![("/isMIT", json!(true)), ("/expiryDateUtc", json!(expiry))],
            "SUBMITTED",
        ),
        (OTHER, vec![("/isMIT", json!(true))], "DECLINED"),
        (
            RESCUABLE,
            vec![("/transaction/responseCode", json!("43"))],
            "DECLINED",
        ),
    ];
    for (i, (card, edits, expected)) in rows.into_iter().enumerate() {
        let body = with(evaluate_body(&format!("row-{i}"), card), &edits);
        assert_eq!(status_of(&app, &b, body).await, expected, "row {i}");
    }
}

async fn endpoint(app: &TestApp, events: Value) -> Receiver {
    let receiver = Receiver::start(&[]).await;
    let (status, v) = app
        .admin(
            Method::POST,
            &format!("/admin/merchants/{}/webhooks", app.merchant_id),
            Some(json!({"url": receiver.url, "events": events})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    receiver
}

async fn order(app: &TestApp, bearer: &str, id: &str) -> Value {
    let (status, v) = get_json(app, &format!("/v1/orders/{id}"), bearer).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn managed_mit_is_rescued_after_a_day_and_reported_by_webhook(app: TestApp) {
    let receiver = endpoint(&app, json!(["order.completed", "order.expired"])).await;
    let b = token(&app).await;
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = with(
        evaluate_body("mit-1", RESCUABLE),
        &[("/isMIT", json!(true)), ("/expiryDateUtc", json!(expiry))],
    );
    let (_, v) = evaluate(&app, &b, body).await;
    assert_eq!(v["status"], "SUBMITTED");
    let id = v["orderSessionKey"].as_str().unwrap().to_string();
    assert_eq!(order(&app, &b, &id).await["statusName"], "PROCESSING");

    app.advance_clock(&app.merchant_id, 12 * 3600).await;
    let o = order(&app, &b, &id).await;
    assert_eq!(o["statusName"], "PROCESSING");
    assert!(
        o["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["outcome"] == "DECLINED")
    );
    assert!(!o["attempts"].as_array().unwrap().is_empty());
    assert!(receiver.received().is_empty());

    app.advance_clock(&app.merchant_id, 13 * 3600).await;
    let o = order(&app, &b, &id).await;
    assert_eq!(
        (o["status"].as_i64(), o["statusName"].as_str()),
        (Some(7), Some("APPROVED")),
        "{o}"
    );
    assert_eq!(o["capturedAmount"], 1500);
    for _ in 0..100 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    got[0].assert_signed_with(creds(&app)["webhookKey"].as_str().unwrap());
    let w = got[0].json();
    assert_eq!(w["Event"], "order.completed");
    assert_eq!(w["OrderId"], id.as_str());
    assert_eq!(w["ExternalOrderId"], "mit-1");
    assert_eq!(w["IsTestMode"], true);
    assert!(w["ConfirmationId"].is_string());

    // Retried with the same orderId: the current state, no new order.
    let again = with(
        evaluate_body("mit-1", RESCUABLE),
        &[("/isMIT", json!(true)), ("/expiryDateUtc", json!(expiry))],
    );
    let (_, v) = evaluate(&app, &b, again).await;
    assert_eq!(v["orderSessionKey"], id.as_str());
    assert_eq!(v["status"], "APPROVED");
}

async fn managed_mit_expires_with_its_window(app: TestApp) {
    let receiver = endpoint(&app, json!(["order.expired"])).await;
    let b = token(&app).await;
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = with(
        evaluate_body("mit-2", OTHER),
        &[("/isMIT", json!(true)), ("/expiryDateUtc", json!(expiry))],
    );
    let (_, v) = evaluate(&app, &b, body).await;
    let id = v["orderSessionKey"].as_str().unwrap().to_string();
    app.advance_clock(&app.merchant_id, 4 * 86400).await;
    let o = order(&app, &b, &id).await;
    assert_eq!(o["statusName"], "EXPIRED", "{o}");
    assert!(
        o["attempts"].as_array().unwrap().len() >= 10,
        "attempts every 6 h for 3 days"
    );
    for _ in 0..100 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.received()[0].json()["Event"], "order.expired");
    let (_, v) = post_json(
        &app,
        "/v1/outcome",
        Some(&b),
        json!({"orderSessionKey": id}),
    )
    .await;
    assert_eq!(v["status"], "EXPIRED");
}

async fn authorization_capture_refund_and_cancel(app: TestApp) {
    let b = token(&app).await;
    let auth = |id: &str| {
        with(
            evaluate_body(id, RESCUABLE),
            &[("/transactionType", json!("AUTHORIZATION"))],
        )
    };
    let (_, v) = evaluate(&app, &b, auth("auth-1")).await;
    assert_eq!(v["status"], "CAPTUREREQUIRED");
    let id = v["orderId"].as_str().unwrap().to_string();
    let capture = |amount: i64, key: &str| json!({"idempotencyKey": key, "orderId": id, "amount": amount, "currency": "USD"});
    let (_, v) = post_json(&app, "/v1/capture", Some(&b), capture(1501, "cap-too-much")).await;
    assert_eq!(v["status"], "FAILED", "more than authorized: {v}");
    let (_, v) = post_json(&app, "/v1/capture", Some(&b), capture(1200, "cap-1")).await;
    assert_eq!(v["status"], "SUCCESS", "{v}");
    let o = order(&app, &b, &id).await;
    assert_eq!(
        (o["statusName"].as_str(), o["capturedAmount"].as_i64()),
        (Some("COMPLETED"), Some(1200))
    );

    // Refunds in dollars, exact cents; over the captured amount fails; a repeat is not refunded twice.
    let refund = |amount: Value, msg: &str| json!({"amountToRefund": amount, "refundMessage": msg});
    let (_, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        refund(json!(5.25), "first"),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["responseMessage"].as_str()),
        (Some("SUCCESS"), Some("APPROVED")),
        "{v}"
    );
    let (_, again) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        refund(json!("5.25"), "first"),
    )
    .await;
    assert_eq!(
        again["transactionId"], v["transactionId"],
        "the same refund, answered again"
    );
    assert_eq!(order(&app, &b, &id).await["refundedAmount"], 525);
    let (_, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        refund(json!(6.76), "too much"),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["responseCode"].as_str()),
        (Some("FAILED"), Some("2001")),
        "{v}"
    );
    let (_, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        refund(json!(6.75), "rest"),
    )
    .await;
    assert_eq!(v["status"], "SUCCESS");
    assert_eq!(order(&app, &b, &id).await["statusName"], "RETURNED");
    // A captured order is refunded, not cancelled.
    let (status, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/cancel"),
        Some(&b),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errorCode"], "400002");

    // Cancel an authorization by the merchant's own id: 200, empty body, idempotent.
    let (_, v) = evaluate(&app, &b, auth("auth-2")).await;
    let id2 = v["orderId"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, v) = post_json(
            &app,
            "/v1/orders/auth-2/external-cancel",
            Some(&b),
            json!({}),
        )
        .await;
        assert_eq!((status, v), (StatusCode::OK, Value::Null));
    }
    assert_eq!(order(&app, &b, &id2).await["statusName"], "CANCELLED");

    // Left uncaptured, an authorization is voided when the capture window (7 days) ends.
    let (_, v) = evaluate(&app, &b, auth("auth-3")).await;
    let id3 = v["orderId"].as_str().unwrap().to_string();
    app.advance_clock(&app.merchant_id, 7 * 86400 - 60).await;
    assert_eq!(order(&app, &b, &id3).await["statusName"], "CAPTUREREQUIRED");
    app.advance_clock(&app.merchant_id, 120).await;
    assert_eq!(order(&app, &b, &id3).await["statusName"], "CANCELLED");
    let (status, _) = get_json(&app, "/v1/orders/00000000-0000-0000-0000-000000000000", &b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn idempotency_keys_replay_or_conflict(app: TestApp) {
    let b = token(&app).await;
    let body = with(
        evaluate_body("idem-1", RESCUABLE),
        &[("/idempotencyKey", json!("key-1"))],
    );
    let (s1, first) = evaluate(&app, &b, body.clone()).await;
    let (s2, second) = evaluate(&app, &b, body.clone()).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first, second, "identical replay");
    let changed = with(body, &[("/transaction/amount", json!(1600))]);
    let (status, v) = evaluate(&app, &b, changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errorCode"], "409001");
    let (_, page) = get_json(&app, "/v1/orders?query=idem-1", &b).await;
    assert_eq!(page["totalItemCount"], 1);
}
