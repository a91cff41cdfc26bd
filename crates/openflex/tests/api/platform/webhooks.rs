//! Webhook endpoints, signed deliveries, retries with backoff, dead-lettering and redelivery,
//! against a real HTTP receiver; and the SSRF guard, with the operator's permission for private
//! targets turned off.

use crate::dual;
use crate::helpers::*;
use crate::receiver::{self, Receiver};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    a_test_event_is_delivered_signed_and_logged,
    failed_deliveries_are_retried_with_backoff_then_resent,
    a_delivery_that_keeps_failing_is_dead_lettered_after_about_a_day,
    manual_redelivery_is_marked_resent,
    disabled_endpoints_receive_nothing,
);

dual!(
    config = |c| c.allow_private_webhook_targets = false;
    endpoint_input_is_validated,
    private_and_special_targets_are_refused_in_sandbox_too,
    a_private_endpoint_stored_earlier_is_refused_at_delivery,
);

fn webhook_key(app: &TestApp) -> String {
    let text = std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["flexfactor"]["webhookKey"].as_str().unwrap().to_string()
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    let (status, v) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}/webhooks/deliveries", app.merchant_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["deliveries"].as_array().unwrap().clone()
}

/// Runs what is due now (the background worker may have been faster; wait for it then).
async fn settle(app: &TestApp, receiver: &Receiver, expected: usize) {
    app.advance_clock(&app.merchant_id, 0).await;
    for _ in 0..100 {
        if receiver.received().len() >= expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "expected {expected} webhook requests, got {}",
        receiver.received().len()
    );
}

async fn a_test_event_is_delivered_signed_and_logged(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    got[0].assert_signed_with(&webhook_key(&app));
    let body = got[0].json();
    assert_eq!(body["Event"], "webhook.test");
    assert_eq!(body["IsTestMode"], true);
    assert_eq!(body["IsResent"], false);
    let raw = String::from_utf8(got[0].body.to_vec()).unwrap();
    let order = [
        "Event",
        "TimeStamp",
        "EventData",
        "ExternalOrderId",
        "OrderId",
        "ConfirmationId",
        "IsTestMode",
        "IsResent",
    ]
    .map(|k| {
        raw.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} missing in {raw}"))
    });
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "PascalCase fields in the documented order: {raw}"
    );

    let log = deliveries(&app).await;
    let d = log.iter().find(|d| d["id"] == delivery.as_str()).unwrap();
    assert_eq!(d["state"], "delivered", "{d}");
    assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(d["attempts"][0]["statusCode"], 200);
    // The receiver is on a private address: its answer is never kept, even when allowed.
    assert!(d["attempts"][0]["responseSnippet"].is_null(), "{d}");
    assert!(!d.to_string().contains(receiver::ANSWER), "{d}");
}

async fn failed_deliveries_are_retried_with_backoff_then_resent(app: TestApp) {
    let receiver = Receiver::start(&[500, 503]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;
    assert_eq!(receiver.received().len(), 1);
    let d = deliveries(&app)
        .await
        .into_iter()
        .find(|d| d["id"] == delivery.as_str())
        .unwrap();
    assert_eq!(d["state"], "pending");
    assert_eq!(d["attempts"][0]["statusCode"], 500);

    // Not yet due: nothing happens before the backoff.
    app.advance_clock(&app.merchant_id, 10).await;
    assert_eq!(receiver.received().len(), 1);
    // 30 s (+ jitter) later, the second attempt; then a minute later, the third.
    app.advance_clock(&app.merchant_id, 40).await;
    assert_eq!(receiver.received().len(), 2);
    app.advance_clock(&app.merchant_id, 90).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        r.assert_signed_with(&webhook_key(&app));
    }
    assert_eq!(got[0].json()["IsResent"], false);
    assert_eq!(got[1].json()["IsResent"], true, "redeliveries say so");
    assert_eq!(got[2].json()["IsResent"], true);

    let d = deliveries(&app)
        .await
        .into_iter()
        .find(|d| d["id"] == delivery.as_str())
        .unwrap();
    assert_eq!(d["state"], "delivered");
    let codes: Vec<i64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);
}

async fn a_delivery_that_keeps_failing_is_dead_lettered_after_about_a_day(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    receiver.fail_always(500);
    let ep = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;
    app.advance_clock(&app.merchant_id, 12 * 3600).await;
    let d = deliveries(&app)
        .await
        .into_iter()
        .find(|d| d["id"] == delivery.as_str())
        .unwrap();
    assert_eq!(d["state"], "pending", "still retrying after 12 hours");
    app.advance_clock(&app.merchant_id, 24 * 3600).await;
    let d = deliveries(&app)
        .await
        .into_iter()
        .find(|d| d["id"] == delivery.as_str())
        .unwrap();
    assert_eq!(d["state"], "failed", "{d}");
    assert_eq!(d["attempts"].as_array().unwrap().len(), 13);
    // Nothing more happens afterwards.
    app.advance_clock(&app.merchant_id, 24 * 3600).await;
    assert_eq!(receiver.received().len(), 13);
}

async fn manual_redelivery_is_marked_resent(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;
    let (status, _) = app
        .admin(
            Method::POST,
            &format!(
                "/admin/merchants/{}/webhooks/deliveries/{delivery}/redeliver",
                app.merchant_id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settle(&app, &receiver, 2).await;
    let got = receiver.received();
    assert_eq!(got[1].json()["IsResent"], true);
    got[1].assert_signed_with(&webhook_key(&app));
    assert_eq!(
        got[0].json()["TimeStamp"],
        got[1].json()["TimeStamp"],
        "same event, sent again"
    );

    let (status, _) = app
        .admin(
            Method::POST,
            &format!(
                "/admin/merchants/{}/webhooks/deliveries/nope/redeliver",
                app.merchant_id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn disabled_endpoints_receive_nothing(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let (status, v) = app
        .admin(
            Method::PUT,
            &format!("/admin/merchants/{}/webhooks/{ep}", app.merchant_id),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["enabled"], false);
    app.send_test_webhook(&ep).await;
    let clock = app.advance_clock(&app.merchant_id, 0).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["detail"].as_str().unwrap().contains("disabled")),
        "{clock}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(receiver.received().is_empty());
}

async fn endpoint_input_is_validated(app: TestApp) {
    let path = format!("/admin/merchants/{}/webhooks", app.merchant_id);
    for body in [
        json!({}),
        json!({"url": "not a url"}),
        json!({"url": "ftp://example.com/hook"}),
        json!({"url": "https://example.com/hook", "events": ["order.eaten"]}),
        json!({"url": "http://example.com/hook", "mode": "live"}),
        json!({"url": "https://127.0.0.1/hook", "mode": "live"}),
        json!({"url": "https://10.0.0.8/hook", "mode": "live"}),
        json!({"url": "https://localhost/hook", "mode": "live"}),
        json!({"url": "https://example.com/hook", "mode": "staging"}),
    ] {
        let (status, v) = app.admin(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = app
        .admin(Method::POST, &path, Some(json!({"url": "https://hooks.example.com/flex", "mode": "live", "events": ["order.completed", "order.expired"]})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .admin(
            Method::POST,
            "/admin/merchants/nope/webhooks",
            Some(json!({"url": "https://example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

/// Every way of naming this machine or another special-purpose address is refused for a sandbox
/// endpoint, at creation and at update; a public host name is accepted.
async fn private_and_special_targets_are_refused_in_sandbox_too(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let path = format!("/admin/merchants/{}/webhooks", app.merchant_id);
    for url in [
        receiver.url.as_str(),
        "http://localhost/hook",
        "http://localhost./hook",
        "http://app.localhost/hook",
        "http://intranet/hook",
        "http://intranet./hook",
        "http://127.0.0.1./hook",
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://0.0.0.0/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://198.18.0.1/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[64:ff9b::a00:1]/hook",
        "http://[2002:c0a8:101::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
    ] {
        let (status, v) = app
            .admin(Method::POST, &path, Some(json!({"url": url})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url} → {v}");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(message.contains("webhook targets must"), "{url} → {v}");
    }
    let (status, v) = app
        .admin(
            Method::POST,
            &path,
            Some(json!({"url": "http://hooks.example.com/flex"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap();
    let (status, v) = app
        .admin(
            Method::PUT,
            &format!("{path}/{id}"),
            Some(json!({"url": receiver.url})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (_, list) = app.admin(Method::GET, &path, None).await;
    assert!(!list.to_string().contains("127.0.0.1"), "{list}");
}

/// An endpoint that names a private address (stored before the guard covered the sandbox, or
/// while the operator allowed it) fails at delivery with a reason, and nothing reaches it.
async fn a_private_endpoint_stored_earlier_is_refused_at_delivery(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let id = unique_id("ep");
    app.engine
        .store()
        .insert_webhook_endpoint(&openflex_store::WebhookEndpointRow {
            id: id.clone(),
            merchant_id: app.merchant_id.clone(),
            mode: "sandbox".into(),
            url: receiver.url.clone(),
            events: String::new(),
            enabled: true,
            created_at: 0,
            updated_at: 0,
        })
        .await
        .unwrap();
    let delivery = app.send_test_webhook(&id).await;
    app.advance_clock(&app.merchant_id, 0).await;
    let mut attempts = Vec::new();
    for _ in 0..100 {
        let d = deliveries(&app)
            .await
            .into_iter()
            .find(|d| d["id"] == delivery.as_str())
            .unwrap();
        attempts = d["attempts"].as_array().unwrap().clone();
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    let a = &attempts[0];
    assert!(a["statusCode"].is_null(), "{a}");
    assert!(a["responseSnippet"].is_null(), "{a}");
    assert!(
        a["error"]
            .as_str()
            .is_some_and(|e| e.contains("webhook targets must")),
        "{a}"
    );
    assert!(receiver.received().is_empty());
}
