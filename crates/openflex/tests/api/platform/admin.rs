//! The operator API (docs/platform.md §3, docs/sandbox.md "Test clock") and the ops endpoints
//! (docs/platform.md §9): merchants, credentials, the sandbox clock, health, metrics, OpenAPI,
//! docs, and the generic 404/405 answers.

use crate::dual;
use crate::flexpay::lifecycle::assert_code;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

dual!(
    admin_requires_the_bearer_admin_token,
    create_merchant_returns_every_credential_once,
    create_merchant_rejects_bad_input,
    list_and_show_merchants,
    credentials_are_issued_listed_and_revoked,
    clock_advances_and_refuses_negative_values,
    health_readiness_and_metrics,
    openapi_lists_every_flexpay_path_and_docs_are_served,
    openapi_lists_every_flexiti_path_under_both_versions,
    unknown_paths_and_wrong_methods,
);

/// A request with an explicit `Authorization` header (or none); returns status, content type
/// and the body text.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, String) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, resp.text().await.expect("body"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn admin_requires_the_bearer_admin_token(app: TestApp) {
    let merchant = format!("/admin/merchants/{}", app.merchant_id);
    let credentials = format!("{merchant}/credentials");
    let clock = format!("{merchant}/clock");
    let endpoints: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/admin/merchants", None),
        (
            Method::POST,
            "/admin/merchants",
            Some(json!({"name": "Intruder", "mode": "sandbox"})),
        ),
        (Method::GET, &merchant, None),
        (Method::GET, &credentials, None),
        (Method::POST, &credentials, Some(json!({"mode": "live"}))),
        (Method::POST, &clock, Some(json!({"advanceSeconds": 60}))),
    ];
    // Every endpoint refuses a missing or wrong token (kept to a few attempts: repeated bad
    // credentials may be rate limited, docs/platform.md §3).
    for (method, path, body) in &endpoints {
        for auth in [None, Some("Bearer not-the-admin-token")] {
            let (status, _, text) = raw(&app, method.clone(), path, auth, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} {auth:?}");
            assert_eq!(parse(&text)["message"], "Unauthorized", "{text}");
        }
    }
    // The token must be the admin token, as a Bearer token.
    for auth in [
        format!("Basic {}", app.admin_token),
        format!("Bearer {}", app.api_key),
        format!("Bearer {}x", app.admin_token),
        "Bearer".to_string(),
    ] {
        let (status, _, _) = raw(&app, Method::GET, "/admin/merchants", Some(&auth), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth}");
    }
    // None of the refused calls had an effect.
    let (_, v) = app.admin(Method::GET, &merchant, None).await;
    assert_eq!(v["clockOffsetSeconds"], 0, "{v}");
    let (_, v) = app.admin(Method::GET, "/admin/merchants", None).await;
    assert_eq!(v["merchants"].as_array().unwrap().len(), 1, "{v}");

    // The admin token is not a FlexPay key.
    let (status, _) = app.get_as(&app.admin_token, "/api/test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn create_merchant_returns_every_credential_once(app: TestApp) {
    let (status, v) = app
        .admin(
            Method::POST,
            "/admin/merchants",
            Some(json!({"name": "Acme", "mode": "sandbox"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["mode"], "sandbox");
    let merchant_id = v["merchantId"].as_str().unwrap();
    assert!(!merchant_id.is_empty());
    assert_ne!(merchant_id, app.merchant_id);
    let nonempty = |p: &str| {
        let s = v.pointer(p).and_then(Value::as_str).unwrap_or("");
        assert!(!s.is_empty(), "{p} missing in {v}");
        s.to_string()
    };
    let api_key = nonempty("/flexpay/apiKey");
    for p in [
        "/flexfactor/mid",
        "/flexfactor/siteId",
        "/flexfactor/appKey",
        "/flexfactor/appSecret",
        "/flexfactor/tokenizationKey",
        "/flexfactor/webhookKey",
        "/flexiti/clientId",
        "/flexiti/clientSecret",
    ] {
        nonempty(p);
    }
    assert_ne!(api_key, app.api_key);
    assert_ne!(nonempty("/flexfactor/appSecret"), api_key);

    // The key works at once, for that merchant, in sandbox mode (it has its gateway).
    let (status, _) = app.get_as(&api_key, "/api/test").await;
    assert_eq!(status, StatusCode::OK);
    let (_, g) = app.get_as(&api_key, "/v1/gateways").await;
    assert_eq!(g["gateways"].as_array().unwrap().len(), 1, "{g}");
    let (_, t) = app
        .post_as(&api_key, "/v1/gateways/charge", card_payment("acme-1", 500))
        .await;
    assert_code(&t["transaction"], "10000");

    // Live mode, and the mode defaults to sandbox when omitted (server's choice).
    let (status, live) = app
        .admin(
            Method::POST,
            "/admin/merchants",
            Some(json!({"name": "Acme Live", "mode": "live"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{live}");
    assert_eq!(live["mode"], "live");
    let (status, dflt) = app
        .admin(
            Method::POST,
            "/admin/merchants",
            Some(json!({"name": "No mode"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dflt}");
    assert_eq!(dflt["mode"], "sandbox");

    // Secrets are shown once: reading the merchant back never returns them.
    let (_, shown) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{merchant_id}"),
            None,
        )
        .await;
    let (_, creds) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{merchant_id}/credentials"),
            None,
        )
        .await;
    for secret in [
        api_key,
        nonempty("/flexfactor/appSecret"),
        nonempty("/flexfactor/tokenizationKey"),
        nonempty("/flexfactor/webhookKey"),
        nonempty("/flexiti/clientSecret"),
    ] {
        assert!(!shown.to_string().contains(&secret), "{shown}");
        assert!(!creds.to_string().contains(&secret), "{creds}");
    }
}

async fn create_merchant_rejects_bad_input(app: TestApp) {
    for body in [
        json!({"name": "Bad mode", "mode": "production"}),
        json!({"mode": "sandbox"}),
        json!({"name": "", "mode": "sandbox"}),
        json!({"name": "   ", "mode": "sandbox"}),
        json!({"name": 42, "mode": "sandbox"}),
    ] {
        let (status, v) = app
            .admin(Method::POST, "/admin/merchants", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v["message"].is_string(), "{body}: {v}");
    }
    let (status, _, text) = raw(
        &app,
        Method::POST,
        "/admin/merchants",
        Some(&format!("Bearer {}", app.admin_token)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (_, v) = app.admin(Method::GET, "/admin/merchants", None).await;
    assert_eq!(
        v["merchants"].as_array().unwrap().len(),
        1,
        "nothing created: {v}"
    );
}

async fn list_and_show_merchants(app: TestApp) {
    let (status, a) = app
        .admin(
            Method::POST,
            "/admin/merchants",
            Some(json!({"name": "Shown Name", "mode": "sandbox"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let a_id = a["merchantId"].as_str().unwrap().to_string();
    let b = app.new_merchant("live").await;
    let (status, v) = app.admin(Method::GET, "/admin/merchants", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let merchants = v["merchants"].as_array().unwrap();
    let ids: Vec<&str> = merchants
        .iter()
        .map(|m| m["merchantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{v}");
    for id in [app.merchant_id.as_str(), &a_id, &b.merchant_id] {
        assert!(ids.contains(&id), "{id} not in {v}");
    }
    let listed = merchants.iter().find(|m| m["merchantId"] == a_id.as_str());
    assert_eq!(listed.unwrap()["name"], "Shown Name");

    let (status, v) = app
        .admin(Method::GET, &format!("/admin/merchants/{a_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["merchantId"], a_id.as_str());
    assert_eq!(v["name"], "Shown Name");
    assert_eq!(v["clockOffsetSeconds"], 0);
    assert!(v["createdAt"].is_string(), "{v}");

    let (status, v) = app
        .admin(Method::GET, "/admin/merchants/no-such-merchant", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    assert!(v["message"].is_string(), "{v}");
}

async fn credentials_are_issued_listed_and_revoked(app: TestApp) {
    let m = app.new_merchant("sandbox").await;
    let path = format!("/admin/merchants/{}/credentials", m.merchant_id);

    let (status, live) = app
        .admin(Method::POST, &path, Some(json!({"mode": "live"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{live}");
    assert_eq!(live["mode"], "live");
    assert_eq!(live["merchantId"], m.merchant_id.as_str());
    let live_key = live["flexpay"]["apiKey"].as_str().unwrap().to_string();
    let (status, _) = app.get_as(&live_key, "/api/test").await;
    assert_eq!(status, StatusCode::OK);

    let (status, v) = app.admin(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let creds = v["credentials"].as_array().unwrap().clone();
    let api_keys: Vec<&Value> = creds
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key")
        .collect();
    assert_eq!(api_keys.len(), 2, "{v}");
    let modes: Vec<&str> = api_keys
        .iter()
        .map(|c| c["mode"].as_str().unwrap())
        .collect();
    assert!(modes.contains(&"sandbox") && modes.contains(&"live"), "{v}");
    assert!(api_keys.iter().all(|c| c["revoked"] == false), "{v}");
    let text = v.to_string();
    assert!(
        !text.contains(&m.api_key) && !text.contains(&live_key),
        "secrets listed: {text}"
    );

    // Revoke the live key: 204, the key stops working, the listing says so; twice → 404.
    let live_id = api_keys.iter().find(|c| c["mode"] == "live").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .admin(Method::DELETE, &format!("{path}/{live_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get_as(&live_key, "/api/test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get_as(&m.api_key, "/api/test").await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = app.admin(Method::GET, &path, None).await;
    let revoked = v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == live_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(revoked["revoked"], true, "{v}");
    let (status, v) = app
        .admin(Method::DELETE, &format!("{path}/{live_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, _) = app
        .admin(Method::DELETE, &format!("{path}/no-such-credential"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Unknown merchant.
    let (status, _) = app
        .admin(Method::GET, "/admin/merchants/no-such/credentials", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .admin(
            Method::POST,
            "/admin/merchants/no-such/credentials",
            Some(json!({"mode": "sandbox"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = app
        .admin(Method::POST, &path, Some(json!({"mode": "staging"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}

async fn clock_advances_and_refuses_negative_values(app: TestApp) {
    let path = format!("/admin/merchants/{}/clock", app.merchant_id);
    let (status, v) = app
        .admin(Method::POST, &path, Some(json!({"advanceSeconds": 100})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["clockOffsetSeconds"], 100);
    assert_eq!(v["merchantId"], app.merchant_id.as_str());
    assert!(v["ran"].is_array(), "a summary of what ran: {v}");
    let v = app.advance_clock(&app.merchant_id, 50).await;
    assert_eq!(v["clockOffsetSeconds"], 150);
    let (_, shown) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}", app.merchant_id),
            None,
        )
        .await;
    assert_eq!(shown["clockOffsetSeconds"], 150, "{shown}");

    // Negative values are refused and change nothing.
    let (status, v) = app
        .admin(Method::POST, &path, Some(json!({"advanceSeconds": -10})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].is_string(), "{v}");
    let (status, _) = app
        .admin(Method::POST, &path, Some(json!({"advanceSeconds": "soon"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v = app.advance_clock(&app.merchant_id, 0).await;
    assert_eq!(v["clockOffsetSeconds"], 150);

    // Unknown merchant.
    let (status, _) = app
        .admin(
            Method::POST,
            "/admin/merchants/no-such/clock",
            Some(json!({"advanceSeconds": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The merchant's transactions are dated on its clock: ten days ahead.
    let v = app.advance_clock(&app.merchant_id, 10 * 86_400).await;
    let clock_now = OffsetDateTime::parse(v["now"].as_str().unwrap(), &Rfc3339).unwrap();
    let t = app.charge("in-the-future", 1000).await;
    let dated = OffsetDateTime::parse(t["transactionDate"].as_str().unwrap(), &Rfc3339).unwrap();
    let real_now = OffsetDateTime::now_utc();
    assert!(
        dated - real_now > time::Duration::days(10) - time::Duration::minutes(5),
        "{dated} vs {real_now}"
    );
    assert!((dated - clock_now).abs() < time::Duration::minutes(5));
    // "Live merchants have no test clock": the same merchant's live mode keeps real time.
    let live = app.issue(&app.merchant_id, "live").await;
    let (_, v) = app
        .post_as(
            live["flexpay"]["apiKey"].as_str().unwrap(),
            "/v1/paymentmethods",
            json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;
    assert_code(&v["transaction"], "10000");
    let dated = OffsetDateTime::parse(
        v["transaction"]["transactionDate"].as_str().unwrap(),
        &Rfc3339,
    )
    .unwrap();
    assert!((dated - real_now).abs() < time::Duration::minutes(5), "{v}");
    // Other merchants keep real time.
    let other = app.new_merchant("sandbox").await;
    let (_, v) = app
        .post_as(
            &other.api_key,
            "/v1/gateways/charge",
            card_payment("now", 1000),
        )
        .await;
    let dated = OffsetDateTime::parse(
        v["transaction"]["transactionDate"].as_str().unwrap(),
        &Rfc3339,
    )
    .unwrap();
    assert!((dated - real_now).abs() < time::Duration::minutes(5));
}

async fn health_readiness_and_metrics(app: TestApp) {
    let (status, _, text) = raw(&app, Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, _, text) = raw(&app, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");

    // After a FlexPay request, the request counter is exported.
    let (status, _) = app.get("/api/test").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, text) = raw(&app, Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("openflex_http_requests_total"), "{text}");
    assert!(text.contains("/api/test"), "route label missing: {text}");
    // Latency by route and status, and processor outcomes (docs/platform.md §9).
    assert!(
        text.contains("openflex_http_request_duration_seconds"),
        "{text}"
    );
    assert_code(&app.charge("metrics", 1000).await, "10000");
    let (_, _, text) = raw(&app, Method::GET, "/metrics", None, None).await;
    assert!(text.contains("openflex_processor_outcomes_total"), "{text}");
    // Nothing secret is exported.
    assert!(!text.contains(&app.api_key));
}

/// `/v1/transactions/{id}` and `/v1/transactions/{transactionId}` are the same path.
fn normalize(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

async fn openapi_lists_every_flexpay_path_and_docs_are_served(app: TestApp) {
    let (status, _, text) = raw(&app, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parse(&text);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let documented: std::collections::HashMap<String, &Value> =
        paths.iter().map(|(p, v)| (normalize(p), v)).collect();
    let expected: [(&str, &[&str]); 15] = [
        ("/api/test", &["get"]),
        ("/v1/paymentmethods", &["get", "post"]),
        ("/v1/paymentmethods/{}", &["get", "put"]),
        ("/v1/paymentmethods/{}/redact", &["put"]),
        ("/v1/paymentmethods/{}/recache", &["put"]),
        ("/v1/gateways/charge", &["post"]),
        ("/v1/gateways/authorize", &["post"]),
        ("/v1/transactions", &["get"]),
        ("/v1/transactions/{}", &["get"]),
        ("/v1/transactions/byMerchantTransactionId/{}", &["get"]),
        ("/v1/transactions/{}/capture", &["post"]),
        ("/v1/transactions/{}/void", &["post"]),
        ("/v1/transactions/{}/refund", &["post"]),
        ("/v1/gateways", &["get", "post"]),
        ("/v1/gateways/{}", &["get", "put", "delete"]),
    ];
    for (path, methods) in expected {
        let item = documented
            .get(path)
            .unwrap_or_else(|| panic!("{path} not in /openapi.json: {:?}", paths.keys()));
        for m in methods {
            assert!(item.get(*m).is_some(), "{m} {path} not documented");
        }
    }

    let (status, content_type, html) = raw(&app, Method::GET, "/docs", None, None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.to_ascii_lowercase().contains("<html"), "{html}");
}

async fn openapi_lists_every_flexiti_path_under_both_versions(app: TestApp) {
    let (status, _, text) = raw(&app, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parse(&text);
    let paths = doc["paths"].as_object().expect("paths");
    let documented: std::collections::HashMap<String, &Value> =
        paths.iter().map(|(p, v)| (normalize(p), v)).collect();
    let expected: [(&str, &[&str]); 21] = [
        ("/oauth/token", &["post"]),
        ("/client-id/{}/merchants/login", &["post"]),
        ("/client-id/{}/i18n", &["get"]),
        ("/client-id/{}/terms-and-conditions", &["get"]),
        ("/client-id/{}/customers/search", &["get"]),
        ("/client-id/{}/customers/lookup", &["get"]),
        ("/client-id/{}/customers/driverslicense", &["post"]),
        ("/client-id/{}/account/{}/verify", &["post"]),
        ("/client-id/{}/accounts/{}/calculate-interest", &["post"]),
        ("/client-id/{}/accounts/{}/close", &["post"]),
        ("/client-id/{}/accounts/{}/refund", &["post"]),
        ("/client-id/{}/widget/init", &["post"]),
        ("/client-id/{}/apply", &["post"]),
        ("/client-id/{}/transactions", &["post"]),
        ("/client-id/{}/authorization", &["post"]),
        ("/client-id/{}/authorization/{}", &["get"]),
        ("/client-id/{}/authorization/{}/release", &["post"]),
        ("/client-id/{}/authorization/{}/capture", &["post"]),
        (
            "/client-id/{}/authorization/{}/capture/{}/return",
            &["post"],
        ),
        ("/client-id/{}/authorizations", &["get"]),
        ("/client-id/{}/captures", &["get"]),
    ];
    for version in ["/flexiti/pos-api/v2.5", "/flexiti/pos-api/v2.5.1"] {
        for (path, methods) in expected {
            let full = format!("{version}{path}");
            let item = documented
                .get(&full)
                .unwrap_or_else(|| panic!("{full} not in /openapi.json"));
            for m in methods {
                let op = item
                    .get(*m)
                    .unwrap_or_else(|| panic!("{m} {full} not documented"));
                assert!(
                    op["responses"]["200"].is_object(),
                    "{m} {full}: no 200 response"
                );
            }
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["flexiti_bearer"].is_object());
}

async fn unknown_paths_and_wrong_methods(app: TestApp) {
    let (status, content_type, text) = raw(&app, Method::GET, "/no/such/path", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert!(parse(&text)["message"].is_string(), "{text}");
    let (status, v) = app.get("/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    assert!(v["message"].is_string(), "{v}");

    let auth = TestApp::basic(&app.api_key);
    for (method, path) in [
        (Method::GET, "/v1/gateways/charge"),
        (Method::GET, "/v1/gateways/authorize"),
        (Method::DELETE, "/v1/transactions"),
        (
            Method::GET,
            "/v1/transactions/01ARZ3NDEKTSV4RRFFQ69G5FAV/refund",
        ),
        (Method::PATCH, "/v1/paymentmethods"),
    ] {
        let (status, _, text) = raw(&app, method.clone(), path, Some(&auth), None).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {text}"
        );
    }
}
