//! Where a Flexiti call may come from (docs/flexiti.md §2.1, seed 004: "All API requests must
//! be made over HTTPS from your trust URL … Calls made over plain HTTP will fail"): live calls
//! only over HTTPS, and a client's credentials and merchant tokens only from its trusted
//! networks. Refusals are 409 `invalid_role` with a field error saying what to change.
//!
//! The suite talks plain HTTP to 127.0.0.1; where 127.0.0.1 is a trusted proxy, its
//! `X-Forwarded-Proto` and `X-Forwarded-For` stand for the client's scheme and address.

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(config = |c| c.trusted_proxies = vec!["127.0.0.1/32".into()];
    live_calls_must_come_over_https,
    trusted_networks_bind_the_credentials_and_merchant_tokens,
    trusted_networks_are_checked_when_set);
dual!(a_client_cannot_claim_https_for_itself);

const HTTPS_REQUIRED: &str = "Live calls must be made over HTTPS.";
const UNTRUSTED: &str = "This client does not accept calls from this address.";
const PLAIN: (&str, &str) = ("x-forwarded-proto", "http");

/// `POST /oauth/token{query}` for the client of `credentials`, with only `headers` besides the
/// reference id (no forwarded scheme unless given).
async fn token_at(
    app: &TestApp,
    credentials: &Value,
    query: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "client_id",
            credentials["flexiti"]["clientId"].as_str().unwrap(),
        )
        .append_pair(
            "client_secret",
            credentials["flexiti"]["clientSecret"].as_str().unwrap(),
        )
        .finish();
    let mut req = app
        .client
        .post(app.url(&format!("{V25}/oauth/token{query}")))
        .header("x-reference-id", "trust-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn token(
    app: &TestApp,
    credentials: &Value,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    token_at(app, credentials, "", headers).await
}

/// A refusal for where the call came from: `invalid_role` naming `param` with `msg`.
fn assert_distrusted(got: &(StatusCode, Value), param: &str, msg: &str) {
    assert_error(got, StatusCode::CONFLICT, "invalid_role");
    let errors = got.1["field_errors"].as_array().expect("field_errors");
    assert_eq!(errors.len(), 1, "{}", got.1);
    assert_eq!(errors[0]["param"], param, "{}", got.1);
    assert_eq!(errors[0]["msg"], msg, "{}", got.1);
}

fn sandbox_client(app: &TestApp) -> Value {
    let (id, secret) = creds(app);
    json!({"flexiti": {"clientId": id, "clientSecret": secret}})
}

async fn live_calls_must_come_over_https(app: TestApp) {
    let live = app.new_merchant("live").await;
    // Plain HTTP: no word from the proxy, or the proxy saying the client came over HTTP.
    for headers in [&[][..], &[PLAIN][..]] {
        let r = token(&app, &live.raw, headers).await;
        assert_distrusted(&r, "scheme", HTTPS_REQUIRED);
        assert_eq!(r.1["field_errors"][0]["value"], "http");
    }
    let r = token_at(&app, &live.raw, "?lang=fr", &[]).await;
    assert_eq!(
        r.1["field_errors"][0]["msg"],
        "En mode production, les appels doivent passer par HTTPS."
    );
    // Over HTTPS the same credentials get a token and its calls are served…
    let fx = Fx::client(&app, &live.raw).await;
    let (s, v) = fx.get("/authorizations").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // …but the token is refused over plain HTTP all the same.
    let r = fx
        .send(Method::GET, "/authorizations", None, &[PLAIN])
        .await;
    assert_distrusted(&r, "scheme", HTTPS_REQUIRED);
    // So is a customer token: the rule has no exception in live mode.
    let (s, t) = token_form(
        &app,
        &[
            ("client_id", &fx.client_id),
            (
                "client_secret",
                live.raw["flexiti"]["clientSecret"].as_str().unwrap(),
            ),
            ("scope", "customer"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let customer = Fx {
        token: t["access_token"].as_str().unwrap().into(),
        client_id: fx.client_id.clone(),
        ..fx
    };
    let r = customer.send(Method::GET, "/i18n", None, &[PLAIN]).await;
    assert_distrusted(&r, "scheme", HTTPS_REQUIRED);
    let (s, v) = customer.get("/i18n").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A live widget sends the shopper back with the purchase's ids only over TLS.
    let r = fx
        .post(
            "/widget/init",
            json!({"flow": "apply", "tos_agreement": true, "amount": "100.00", "return_url": "http://shop.example/done",
                "customer_identification": {"personal_information": {"first_name": "Liv",
                    "last_name": "Live", "dob": "1990-01-01", "postal_code": "M5V2T6"}}}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    let (s, v) = fx
        .post(
            "/widget/init",
            json!({"flow": "apply", "tos_agreement": true, "amount": "100.00", "return_url": "https://shop.example/done",
                "customer_identification": {"personal_information": {"first_name": "Liv",
                    "last_name": "Live", "dob": "1990-01-01", "postal_code": "M5V2T6"}}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The hosted widget's page too: a live session's page only over HTTPS.
    let (s, w) = fx
        .post(
            "/widget/init",
            json!({"flow": "apply", "tos_agreement": true, "customer_identification":
                {"personal_information": {"first_name": "Liv", "last_name": "Live",
                    "dob": "1990-01-01", "postal_code": "M5V2T6"}}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let url = w["redirection_url"].as_str().unwrap();
    assert!(url.starts_with("https://"), "{url}");
    let page = app.url(&url[url.find("/flexiti/widget/").unwrap()..]);
    let plain = app
        .client
        .get(&page)
        .header(PLAIN.0, PLAIN.1)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::FORBIDDEN);
    let secure = app
        .client
        .get(&page)
        .header(PROXIED_HTTPS.0, PROXIED_HTTPS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(secure.status(), StatusCode::OK);
    // The sandbox stays plain-HTTP friendly.
    let (s, v) = token(&app, &sandbox_client(&app), &[PLAIN]).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// No proxy is trusted: a client's own `X-Forwarded-Proto: https` proves nothing.
async fn a_client_cannot_claim_https_for_itself(app: TestApp) {
    let live = app.new_merchant("live").await;
    let r = token(&app, &live.raw, &[PROXIED_HTTPS]).await;
    assert_distrusted(&r, "scheme", HTTPS_REQUIRED);
}

async fn trusted_networks_bind_the_credentials_and_merchant_tokens(app: TestApp) {
    let client = sandbox_client(&app);
    let id = client["flexiti"]["clientId"].as_str().unwrap().to_string();
    let secret = client["flexiti"]["clientSecret"].as_str().unwrap();
    let (_, first) = token(&app, &client, &[]).await;
    let merchant = Fx::merchant(&app).await;
    let customer = Fx::customer(&app).await;
    let clients = format!("/admin/merchants/{}/flexiti/clients", app.merchant_id);
    let (s, list) = app.admin(Method::GET, &clients, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(
        list["clients"],
        json!([{"clientId": id, "mode": "sandbox", "trustedNetworks": [],
            "createdAt": list["clients"][0]["createdAt"], "revoked": false}])
    );

    let (s, v) = app
        .admin(
            Method::PUT,
            &format!("{clients}/{id}"),
            Some(json!({"trustedNetworks": [" 203.0.113.77/24", "2001:db8::1", "203.0.113.0/24"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["trustedNetworks"],
        json!(["203.0.113.0/24", "2001:db8::1/128"]),
        "canonical blocks, each once"
    );
    // From 127.0.0.1 itself the client gets no token, and its merchant token stops at once.
    let r = token(&app, &client, &[]).await;
    assert_distrusted(&r, "source_address", UNTRUSTED);
    assert_eq!(r.1["field_errors"][0].get("value"), None);
    let r = merchant.get("/authorizations").await;
    assert_distrusted(&r, "source_address", UNTRUSTED);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ("client_id", id.as_str()),
        ("client_secret", secret),
    ];
    assert_distrusted(
        &token_form(&app, &refresh).await,
        "source_address",
        UNTRUSTED,
    );
    // A customer token is made for the shopper's device, which can be anywhere.
    let (s, v) = customer
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Through the trusted proxy at 127.0.0.1, from inside the networks: served.
    for inside in ["203.0.113.9", "2001:db8::1"] {
        let from = [("x-forwarded-for", inside)];
        let (s, v) = token(&app, &client, &from).await;
        assert_eq!(s, StatusCode::OK, "{inside}: {v}");
        let (s, v) = merchant
            .send(Method::GET, "/authorizations", None, &from)
            .await;
        assert_eq!(s, StatusCode::OK, "{inside}: {v}");
    }
    let outside = [("x-forwarded-for", "198.51.100.9")];
    let r = merchant
        .send(Method::GET, "/authorizations", None, &outside)
        .await;
    assert_distrusted(&r, "source_address", UNTRUSTED);

    // An empty list lets the client call from anywhere again.
    let (s, v) = app
        .admin(
            Method::PUT,
            &format!("{clients}/{id}"),
            Some(json!({"trustedNetworks": []})),
        )
        .await;
    assert_eq!(
        (s, v["trustedNetworks"].clone()),
        (StatusCode::OK, json!([]))
    );
    let (s, v) = token(&app, &client, &[]).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = merchant.get("/authorizations").await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn trusted_networks_are_checked_when_set(app: TestApp) {
    let (id, _) = creds(&app);
    let clients = format!("/admin/merchants/{}/flexiti/clients", app.merchant_id);
    let put = |body: Value| {
        let path = format!("{clients}/{id}");
        let app = &app;
        async move { app.admin(Method::PUT, &path, Some(body)).await }
    };
    let (s, v) = put(json!({"trustedNetworks": ["10.0.0.0/8", "10.0.0.0/33"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("\"10.0.0.0/33\""),
        "names the entry: {v}"
    );
    let (s, v) = put(json!({"trustedNetworks": ["office.example.com"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let many: Vec<String> = (0..101).map(|i| format!("10.0.{i}.0/24")).collect();
    let (s, v) = put(json!({ "trustedNetworks": many })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("at most 100"),
        "{v}"
    );
    for body in [
        json!({"networks": ["10.0.0.0/8"]}),
        json!({}),
        json!({"trustedNetworks": "10.0.0.0/8"}),
    ] {
        let (s, v) = put(body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    // Nothing was stored.
    let (_, list) = app.admin(Method::GET, &clients, None).await;
    assert_eq!(list["clients"][0]["trustedNetworks"], json!([]), "{list}");
    // Only the merchant's own active clients.
    let other = app.new_merchant("sandbox").await;
    let other_id = other.raw["flexiti"]["clientId"].as_str().unwrap();
    let body = Some(json!({"trustedNetworks": ["10.0.0.0/8"]}));
    for path in [
        format!("{clients}/{other_id}"),
        format!("{clients}/no-such-client"),
        format!("/admin/merchants/no-such-merchant/flexiti/clients/{id}"),
    ] {
        let (s, v) = app.admin(Method::PUT, &path, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (s, _) = app
        .admin(
            Method::GET,
            "/admin/merchants/no-such-merchant/flexiti/clients",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
