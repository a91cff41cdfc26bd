//! Tenancy (docs/platform.md §3): every merchant and every mode is a separate world. Another
//! tenant's ids are simply unknown: 404 on GET, 50131 on follow-ups, 50134 for payment methods,
//! absent from lists. Revoked credentials stop working at once.

use crate::dual;
use crate::flexpay::lifecycle::{assert_code, follow, follow_as, id_of};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    another_merchant_cannot_see_or_touch_transactions,
    another_merchant_cannot_use_payment_methods_or_gateways,
    merchant_transaction_ids_are_scoped_per_merchant,
    live_credentials_do_not_see_sandbox_data,
    sandbox_credentials_do_not_see_live_data,
    live_mode_has_no_gateway,
    revoked_credentials_are_refused,
    repeated_bad_credentials_are_rate_limited_without_slowing_good_clients,
);

/// What the first merchant owns, made with its sandbox key.
struct Owned {
    charge: String,
    auth: String,
    payment_method: String,
    gateway: String,
}

async fn setup(app: &TestApp) -> Owned {
    let charge = app.charge("owned-charge", 1000).await;
    let auth = app.authorize("owned-auth", 500).await;
    let payment_method = app.vault_visa().await;
    let (status, v) = app.get("/v1/gateways").await;
    assert_eq!(status, StatusCode::OK);
    Owned {
        charge: id_of(&charge),
        auth: id_of(&auth),
        payment_method,
        gateway: v["gateways"][0]["gatewayToken"]
            .as_str()
            .unwrap()
            .to_string(),
    }
}

/// Everything another tenant (`key`) must not reach.
async fn assert_invisible(app: &TestApp, key: &str, o: &Owned) {
    for path in [
        format!("/v1/transactions/{}", o.charge),
        format!("/v1/transactions/{}", o.auth),
        "/v1/transactions/byMerchantTransactionId/owned-charge".to_string(),
        format!("/v1/paymentmethods/{}", o.payment_method),
        format!("/v1/gateways/{}", o.gateway),
    ] {
        let (status, v) = app.get_as(key, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {v}");
    }

    for (op, id) in [
        ("capture", &o.auth),
        ("void", &o.auth),
        ("void", &o.charge),
        ("refund", &o.charge),
    ] {
        let t = follow_as(app, key, op, id, &format!("x-{op}-{id}"), None).await;
        assert_code(&t, "50131");
    }

    let (status, v) = app
        .post_as(
            key,
            "/v1/gateways/charge",
            token_payment("x-token", 100, &o.payment_method),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], "50134");

    let mut pinned = card_payment("x-pinned", 100);
    pinned["transaction"]["gatewayToken"] = json!(o.gateway);
    let (_, v) = app.post_as(key, "/v1/gateways/charge", pinned).await;
    assert_code(&v["transaction"], "50130");

    // Lists never show the other tenant's items.
    let (status, v) = app.get_as(key, "/v1/transactions?count=100").await;
    assert_eq!(status, StatusCode::OK);
    let text = v.to_string();
    for id in [&o.charge, &o.auth, &o.payment_method] {
        assert!(!text.contains(id.as_str()), "{id} leaked in {text}");
    }
    let (_, v) = app.get_as(key, "/v1/paymentmethods?count=100").await;
    assert!(!v.to_string().contains(&o.payment_method), "{v}");
    let (_, v) = app.get_as(key, "/v1/gateways").await;
    assert!(!v.to_string().contains(&o.gateway), "{v}");
}

/// Nothing the other tenant tried changed the owner's data.
async fn assert_untouched(app: &TestApp, o: &Owned) {
    let cap = follow(app, "capture", &o.auth, "owner-capture", None).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 500);
    let r = follow(app, "refund", &o.charge, "owner-refund", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 1000);
    let (status, _) = app
        .get(&format!("/v1/paymentmethods/{}", o.payment_method))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&format!("/v1/gateways/{}", o.gateway)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn another_merchant_cannot_see_or_touch_transactions(app: TestApp) {
    let o = setup(&app).await;
    let other = app.new_merchant("sandbox").await;
    assert_invisible(&app, &other.api_key, &o).await;
    // The other merchant works normally on its own data meanwhile.
    let (_, v) = app
        .post_as(
            &other.api_key,
            "/v1/gateways/charge",
            card_payment("own", 100),
        )
        .await;
    assert_code(&v["transaction"], "10000");
    assert_untouched(&app, &o).await;
}

async fn another_merchant_cannot_use_payment_methods_or_gateways(app: TestApp) {
    let o = setup(&app).await;
    let other = app.new_merchant("sandbox").await;
    let key = &other.api_key;

    // Gateway management is scoped too: the owner's gateway cannot be changed or deleted.
    let (status, v) = app
        .put_as(
            key,
            &format!("/v1/gateways/{}", o.gateway),
            json!({"gateway": {"status": "Disabled"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let resp = app
        .client
        .delete(app.url(&format!("/v1/gateways/{}", o.gateway)))
        .header("Authorization", TestApp::basic(key))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (_, v) = app.get(&format!("/v1/gateways/{}", o.gateway)).await;
    assert_eq!(v["gateway"]["status"], "Available", "{v}");

    // The owner's payment method cannot be changed through another merchant.
    let (_, v) = app
        .put_as(
            key,
            &format!("/v1/paymentmethods/{}", o.payment_method),
            json!({"paymentMethod": {"firstName": "Mallory"}}),
        )
        .await;
    assert_ne!(v["transaction"]["responseCode"], "10000", "{v}");
    let (_, v) = app
        .put_as(
            key,
            &format!("/v1/paymentmethods/{}/redact", o.payment_method),
            json!({}),
        )
        .await;
    assert_ne!(v["transaction"]["responseCode"], "10000", "{v}");
    let (_, v) = app
        .get(&format!("/v1/paymentmethods/{}", o.payment_method))
        .await;
    assert_eq!(v["paymentMethod"]["firstName"], "Ada", "{v}");
    assert_eq!(v["paymentMethod"]["storageState"], "Stored", "{v}");

    // And the owner can still charge it.
    let (_, v) = app
        .post(
            "/v1/gateways/charge",
            token_payment("owner-token", 100, &o.payment_method),
        )
        .await;
    assert_code(&v["transaction"], "10000");
}

async fn merchant_transaction_ids_are_scoped_per_merchant(app: TestApp) {
    let mine = app.charge("shared-id", 1000).await;
    let other = app.new_merchant("sandbox").await;
    let (_, v) = app
        .post_as(
            &other.api_key,
            "/v1/gateways/charge",
            card_payment("shared-id", 700),
        )
        .await;
    assert_code(&v["transaction"], "10000");
    let theirs = id_of(&v["transaction"]);
    assert_ne!(theirs, id_of(&mine));

    let (_, v) = app
        .get("/v1/transactions/byMerchantTransactionId/shared-id")
        .await;
    assert_eq!(v["transaction"]["transactionId"], id_of(&mine));
    assert_eq!(v["transaction"]["amount"], 1000);
    let (_, v) = app
        .get_as(
            &other.api_key,
            "/v1/transactions/byMerchantTransactionId/shared-id",
        )
        .await;
    assert_eq!(v["transaction"]["transactionId"], theirs);
    assert_eq!(v["transaction"]["amount"], 700);
}

fn live_key(issued: &Value) -> String {
    assert_eq!(issued["mode"], "live", "{issued}");
    issued["flexpay"]["apiKey"].as_str().unwrap().to_string()
}

async fn live_credentials_do_not_see_sandbox_data(app: TestApp) {
    let o = setup(&app).await;
    let live = live_key(&app.issue(&app.merchant_id, "live").await);
    let (status, _) = app.get_as(&live, "/api/test").await;
    assert_eq!(status, StatusCode::OK);
    assert_invisible(&app, &live, &o).await;
    let (_, v) = app.get_as(&live, "/v1/transactions").await;
    assert_eq!(v, json!({"transactions": []}));
    let (_, v) = app.get_as(&live, "/v1/paymentmethods").await;
    assert_eq!(v, json!({"paymentMethods": []}));
    assert_untouched(&app, &o).await;
}

async fn sandbox_credentials_do_not_see_live_data(app: TestApp) {
    let live = live_key(&app.issue(&app.merchant_id, "live").await);
    let (status, v) = app
        .post_as(
            &live,
            "/v1/paymentmethods",
            json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], "10000");
    let live_txn = id_of(&v["transaction"]);
    let live_pm = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .get_as(&live, &format!("/v1/paymentmethods/{live_pm}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The sandbox key of the same merchant does not see it.
    let (status, _) = app.get(&format!("/v1/paymentmethods/{live_pm}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("/v1/transactions/{live_txn}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = app
        .post(
            "/v1/gateways/charge",
            token_payment("sb-live-pm", 100, &live_pm),
        )
        .await;
    assert_code(&v["transaction"], "50134");
    let (_, v) = app.get("/v1/transactions").await;
    assert_eq!(v, json!({"transactions": []}));
    let (_, v) = app.get("/v1/paymentmethods").await;
    assert_eq!(v, json!({"paymentMethods": []}));
}

async fn live_mode_has_no_gateway(app: TestApp) {
    let live = live_key(&app.issue(&app.merchant_id, "live").await);
    let (status, v) = app.get_as(&live, "/v1/gateways").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"gateways": []}));

    let (status, v) = app
        .post_as(&live, "/v1/gateways/charge", card_payment("live-1", 1000))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], "50130");
    assert_eq!(
        v["transaction"]["gatewayToken"],
        "AAAAAAAAAAAAAAAAAAAAAAAAAA"
    );
    let (_, v) = app
        .post_as(
            &live,
            "/v1/gateways/authorize",
            card_payment("live-2", 1000),
        )
        .await;
    assert_code(&v["transaction"], "50130");

    // A sandbox gateway cannot be created with live credentials.
    let (status, v) = app
        .post_as(
            &live,
            "/v1/gateways",
            json!({"gateway": {"name": "Live sandbox", "gatewayType": "sandbox"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].is_string(), "{v}");
    let (_, v) = app.get_as(&live, "/v1/gateways").await;
    assert_eq!(v, json!({"gateways": []}));

    // A merchant created in live mode has no gateway either.
    let m = app.new_merchant("live").await;
    let (_, v) = app.get_as(&m.api_key, "/v1/gateways").await;
    assert_eq!(v, json!({"gateways": []}));
    let (_, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways/charge",
            card_payment("live-3", 1000),
        )
        .await;
    assert_code(&v["transaction"], "50130");

    // The sandbox side of the merchant is unaffected.
    assert_code(&app.charge("sandbox-1", 1000).await, "10000");
}

/// Ids of the merchant's FlexPay API key credentials of `mode` that are still active.
async fn api_key_credential(app: &TestApp, merchant_id: &str, mode: &str) -> Vec<String> {
    let (status, v) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{merchant_id}/credentials"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key" && c["mode"] == mode && c["revoked"] == false)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

async fn revoked_credentials_are_refused(app: TestApp) {
    let m = app.new_merchant("sandbox").await;
    let creds = api_key_credential(&app, &m.merchant_id, "sandbox").await;
    assert_eq!(creds.len(), 1);

    // Rotation: a second key works alongside the first.
    let second = app.issue(&m.merchant_id, "sandbox").await;
    let second_key = second["flexpay"]["apiKey"].as_str().unwrap().to_string();
    for key in [&m.api_key, &second_key] {
        let (status, _) = app.get_as(key, "/api/test").await;
        assert_eq!(status, StatusCode::OK);
    }

    let (status, v) = app
        .admin(
            Method::DELETE,
            &format!(
                "/admin/merchants/{}/credentials/{}",
                m.merchant_id, creds[0]
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");

    for path in ["/api/test", "/v1/transactions", "/v1/gateways"] {
        let (status, v) = app.get_as(&m.api_key, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(v, json!({"message": "Unauthorized"}));
    }
    let (status, _) = app
        .post_as(
            &m.api_key,
            "/v1/gateways/charge",
            card_payment("after", 100),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The rotated-in key still works, on the same data.
    let (status, v) = app
        .post_as(
            &second_key,
            "/v1/gateways/charge",
            card_payment("after", 100),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_code(&v["transaction"], "10000");

    // Revoking a live key leaves the sandbox key of the same merchant working.
    let live = live_key(&app.issue(&app.merchant_id, "live").await);
    let live_creds = api_key_credential(&app, &app.merchant_id, "live").await;
    assert_eq!(live_creds.len(), 1);
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!(
                "/admin/merchants/{}/credentials/{}",
                app.merchant_id, live_creds[0]
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get_as(&live, "/api/test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/api/test").await;
    assert_eq!(status, StatusCode::OK);

    // A credential cannot be revoked through another merchant's id.
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!(
                "/admin/merchants/{}/credentials/{}",
                m.merchant_id,
                api_key_credential(&app, &app.merchant_id, "sandbox").await[0]
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/test").await;
    assert_eq!(status, StatusCode::OK);
}

/// docs/platform.md §3: "Repeated bad credentials from one client are rate limited (429) without
/// slowing good clients." Every request here comes from 127.0.0.1, so a good key from the same
/// client must still get through while the bad ones are refused.
async fn repeated_bad_credentials_are_rate_limited_without_slowing_good_clients(app: TestApp) {
    let mut limited = 0;
    for i in 0..300 {
        let (status, v) = app
            .get_as(
                &format!("bad-key-{i:03}-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                "/api/test",
            )
            .await;
        match status {
            StatusCode::UNAUTHORIZED => assert_eq!(v, json!({"message": "Unauthorized"})),
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("bad key got {other}: {v}"),
        }
    }
    assert!(
        limited > 0,
        "300 bad keys in a row from one client were never answered 429"
    );

    let start = std::time::Instant::now();
    let (status, _) = app.get("/api/test").await;
    assert_eq!(status, StatusCode::OK, "the good key is refused too");
    assert_code(&app.charge("good-client", 1000).await, "10000");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "the good client was slowed: {:?}",
        start.elapsed()
    );
}
