//! FlexFactor end to end: the sandbox decision table, managed MIT driven by the test clock with
//! signed webhooks, capture and its window, refunds, cancels and idempotency keys.

use crate::dual;
use crate::flexfactor::ff::*;
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
    tokens_bearer_errors_and_revocation,
    tokenize_with_bearer_or_tokenization_key,
    validation_reports_every_failure_at_once,
    concurrent_identical_evaluates_create_one_order,
    orders_are_isolated_between_merchants_and_modes,
);

/// Card, edits to the base body, expected status.
type Row<'a> = (&'a str, Vec<(&'a str, Value)>, &'a str);

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
    let rows: Vec<Row> = vec![
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

async fn tokens_bearer_errors_and_revocation(app: TestApp) {
    let c = creds(&app);
    let (status, v) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"appkey": c["appKey"], "APPSECRET": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let expires = v["expires"].as_i64().unwrap();
    let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    assert!(
        (now_ms + 590_000..now_ms + 610_000).contains(&expires),
        "10 minutes, in epoch ms"
    );
    assert_eq!(v["success"], true);
    let access = v["accessToken"].as_str().unwrap().to_string();
    let refresh = v["refreshToken"].as_str().unwrap().to_string();

    let (status, v) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"AppKey": c["appKey"], "AppSecret": "wrong"}),
    )
    .await;
    assert_eq!(
        (status, v["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("400001"))
    );
    let (status, v) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"client_id": c["appKey"], "client_secret": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"refreshToken": refresh}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"refreshToken": "garbage"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, v) = get_json(&app, "/v1/orders", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        matches!(v["errorCode"].as_str(), Some("401001") | Some("401003")),
        "{v}"
    );
    let resp = app.client.get(app.url("/v1/orders")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, v) = get_json(&app, "/v1/orders", "not.a.jwt").await;
    assert_eq!(
        (status, v["errorCode"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("401003"))
    );
    let mut forged = access.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (status, _) = get_json(&app, "/v1/orders", &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get_json(&app, "/v1/orders", &access).await;
    assert_eq!(status, StatusCode::OK);

    // Revoking the API client locks its live tokens out at once.
    let (_, list) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}/credentials", app.merchant_id),
            None,
        )
        .await;
    let app_cred = list["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "flexfactor_app" && c["mode"] == "sandbox")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!(
                "/admin/merchants/{}/credentials/{app_cred}",
                app.merchant_id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&app, "/v1/orders", &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"AppKey": c["appKey"], "AppSecret": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn tokenize_with_bearer_or_tokenization_key(app: TestApp) {
    let c = creds(&app);
    let card = json!({"payment_method": {"email": "ada@example.com", "credit_card": {"first_name": "Ada", "last_name": "Lovelace",
        "number": RESCUABLE, "verification_value": "123", "month": "12", "year": "2030"}}});
    let path = format!(
        "/v1/tokenize?mid={}&environment={}",
        c["mid"].as_str().unwrap(),
        c["tokenizationKey"].as_str().unwrap()
    );
    let (status, v) = post_json(&app, &path, None, card.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let vaulted = v["transaction"]["payment_method"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        v["transaction"]["payment_method"]["last_four_digits"],
        "3184"
    );
    let wrong = format!(
        "/v1/tokenize?mid={}&environment=nope",
        c["mid"].as_str().unwrap()
    );
    let (status, _) = post_json(&app, &wrong, None, card.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let b = token(&app).await;
    let camel = json!({"paymentMethod": {"creditCard": {"firstName": "Ada", "lastName": "Lovelace", "number": RESCUABLE, "month": "12", "year": "2030"}}});
    let (status, v) = post_json(&app, "/v1/tokenize", Some(&b), camel).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = post_json(
        &app,
        "/v1/tokenize",
        Some(&b),
        json!({"payment_method": {"credit_card": {"first_name": "Ada"}}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["PaymentMethod.CreditCard.Number"].is_array() && v["TraceId"].is_array(),
        "{v}"
    );

    // The token is decided on its vaulted card, and is a vault payment method of the merchant.
    let body = with(
        evaluate_body("tok-1", &vaulted),
        &[
            ("/isMIT", json!(true)),
            ("/paymentMethod/token", json!(true)),
        ],
    );
    assert_eq!(status_of(&app, &b, body).await, "APPROVED");
    let (status, v) = app.get(&format!("/v1/paymentmethods/{vaulted}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["paymentMethod"]["creditCardNumber"], "400000******3184");
}

async fn validation_reports_every_failure_at_once(app: TestApp) {
    let b = token(&app).await;
    let (status, v) = evaluate(
        &app,
        &b,
        json!({"transaction": {"id": "", "amount": "15.5"}, "expiryDateUtc": "soon"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["OrderId"], json!(["Merchant's orderId is required"]));
    assert_eq!(v["Transaction.Id"], json!(["The Id field is required."]));
    assert_eq!(
        v["ExpiryDateUtc"],
        json!(["The field ExpiryDateUtc is invalid."])
    );
    for key in [
        "IdempotencyKey",
        "Transaction.Amount",
        "Transaction.Currency",
        "Transaction.ResponseCode",
        "Transaction.ResponseCodeSource",
        "Transaction.AvsResultCode",
        "Transaction.CvvResultCode",
        "Transaction.CavvResultCode",
        "Payer.Email",
        "PaymentMethod",
    ] {
        assert!(v[key].is_array(), "{key} missing in {v}");
    }
    let trace = v["TraceId"][0].as_str().unwrap();
    assert!(
        trace.starts_with("00-") && trace.ends_with("-01") && trace.len() == 55,
        "{trace}"
    );
    // Property names are case-insensitive and numbers may be strings.
    let shouty = json!({"ORDERID": "caps-1", "IdempotencyKey": "k-caps", "TransactionType": "purchase",
        "Transaction": {"ID": "t", "AMOUNT": "1500", "Currency": "usd", "ResponseCode": "05", "RESPONSECODESOURCE": "x",
            "AvsResultCode": "M", "CvvResultCode": "M", "CavvResultCode": "2", "TimezoneUtcOffset": "-5"},
        "Payer": {"Email": "NA"}, "PaymentMethod": {"CardNumber": RESCUABLE, "Token": "false"}});
    assert_eq!(status_of(&app, &b, shouty).await, "APPROVED");
    for (amount, ok) in [(10, false), (11, true), (19999, true), (20000, false)] {
        let body = with(
            evaluate_body(&format!("amt-{amount}"), RESCUABLE),
            &[("/transaction/amount", json!(amount))],
        );
        let (status, v) = evaluate(&app, &b, body).await;
        assert_eq!(status == StatusCode::OK, ok, "{amount}: {v}");
    }
}

async fn concurrent_identical_evaluates_create_one_order(app: TestApp) {
    let b = token(&app).await;
    let body = with(
        evaluate_body("race-1", RESCUABLE),
        &[("/idempotencyKey", json!("race-key"))],
    );
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, b, body) = (app.clone(), b.clone(), body.clone());
        tasks.push(tokio::spawn(async move { evaluate(&app, &b, body).await }));
    }
    let mut keys = std::collections::HashSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            StatusCode::OK => {
                keys.insert(v["orderSessionKey"].as_str().unwrap().to_string());
            }
            StatusCode::CONFLICT => assert_eq!(v["errorCode"], "409002", "{v}"),
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!(keys.len(), 1, "every answer names one order");
    let (_, page) = get_json(&app, "/v1/orders?query=race-1", &b).await;
    assert_eq!(page["totalItemCount"], 1);
}

async fn orders_are_isolated_between_merchants_and_modes(app: TestApp) {
    let b = token(&app).await;
    let (_, v) = evaluate(&app, &b, evaluate_body("mine-1", RESCUABLE)).await;
    let id = v["orderId"].as_str().unwrap().to_string();
    let other = app.new_merchant("sandbox").await;
    let live = app.issue(&app.merchant_id, "live").await;
    for creds in [&other.raw["flexfactor"], &live["flexfactor"]] {
        let (status, v) = post_json(
            &app,
            "/v1/oauth2/token",
            None,
            json!({"AppKey": creds["appKey"], "AppSecret": creds["appSecret"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let theirs = v["accessToken"].as_str().unwrap().to_string();
        let (status, v) = get_json(&app, &format!("/v1/orders/{id}"), &theirs).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
        let (_, page) = get_json(&app, "/v1/orders", &theirs).await;
        assert_eq!(page["totalItemCount"], 0);
        let (status, _) = post_json(
            &app,
            &format!("/v1/orders/{id}/cancel"),
            Some(&theirs),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, v) = post_json(
            &app,
            &format!("/v1/orders/{id}/refund"),
            Some(&theirs),
            json!({"amountToRefund": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    }
}
