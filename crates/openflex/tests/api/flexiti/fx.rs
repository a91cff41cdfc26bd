#![allow(dead_code)] // shared by the Flexiti test files; each uses a subset
//! Flexiti test helpers: the sandbox merchant's client credentials, tokens, and a request
//! builder that adds the bearer token and `x-reference-id` every call needs.
//!
//! Every call also says `X-Forwarded-Proto: https`, as the TLS proxy in front of a live
//! deployment would: the server believes it only where a test trusts 127.0.0.1 as a proxy,
//! which is how the live-mode tests meet the HTTPS rule (docs/flexiti.md §2.1) over the
//! suite's plain HTTP. Sandbox calls need no HTTPS.

use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const V25: &str = "/flexiti/pos-api/v2.5";
pub const V251: &str = "/flexiti/pos-api/v2.5.1";

/// The sandbox merchant's Flexiti `(client_id, client_secret)` from the first start.
pub fn creds(app: &TestApp) -> (String, String) {
    let text = std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    (
        v["flexiti"]["clientId"].as_str().unwrap().to_string(),
        v["flexiti"]["clientSecret"].as_str().unwrap().to_string(),
    )
}

async fn decode(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

/// `POST /oauth/token` with a form body.
pub async fn token_form(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(&format!("{V25}/oauth/token")))
        .header("x-reference-id", "test-ref")
        .header(PROXIED_HTTPS.0, PROXIED_HTTPS.1)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    decode(resp).await
}

/// A token of `scope` for the sandbox merchant.
pub async fn token(app: &TestApp, scope: &str) -> String {
    let (id, secret) = creds(app);
    let (status, v) = token_form(
        app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "client_credentials"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

/// What a TLS-terminating proxy says of a request that came over HTTPS.
pub const PROXIED_HTTPS: (&str, &str) = ("x-forwarded-proto", "https");

/// A Flexiti client bound to one token and client id.
pub struct Fx<'a> {
    pub app: &'a TestApp,
    pub client_id: String,
    pub token: String,
    pub version: &'static str,
}

impl<'a> Fx<'a> {
    /// The sandbox merchant with a merchant-scope token.
    pub async fn merchant(app: &'a TestApp) -> Fx<'a> {
        Fx {
            app,
            client_id: creds(app).0,
            token: token(app, "merchant").await,
            version: V25,
        }
    }

    /// The client of `credentials` (as the admin API issues them) with a merchant-scope token.
    pub async fn client(app: &'a TestApp, credentials: &Value) -> Fx<'a> {
        let id = credentials["flexiti"]["clientId"].as_str().unwrap();
        let secret = credentials["flexiti"]["clientSecret"].as_str().unwrap();
        let (s, t) = token_form(app, &[("client_id", id), ("client_secret", secret)]).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        Fx {
            app,
            client_id: id.to_string(),
            token: t["access_token"].as_str().unwrap().to_string(),
            version: V25,
        }
    }

    /// The sandbox merchant with a customer-scope token.
    pub async fn customer(app: &'a TestApp) -> Fx<'a> {
        Fx {
            app,
            client_id: creds(app).0,
            token: token(app, "customer").await,
            version: V25,
        }
    }

    /// `{version}/client-id/{client_id}{path}`.
    pub fn path(&self, path: &str) -> String {
        format!("{}/client-id/{}{path}", self.version, self.client_id)
    }

    /// A request with the bearer token, `x-reference-id` and extra headers; JSON body when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(&self.path(path)))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("x-reference-id", "0f8fad5bd9cb469fa16570867728950e")
            .header(PROXIED_HTTPS.0, PROXIED_HTTPS.1);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body), &[]).await
    }
}

/// "1234.56" → 123456.
pub fn cents(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a money string: {v}"));
    let (i, f) = s.split_once('.').unwrap();
    i.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

/// Asserts a Flexiti error: status, `error` code, and the `{url, message, error}` shape.
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], code, "{}", got.1);
    assert!(
        got.1["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/flexiti/pos-api/")),
        "{}",
        got.1
    );
    assert!(
        got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}

/// Jane Doe: Normal, rating L, ON, limit 10 000.00.
pub const JANE: &str = "20076677";
/// Jean Tremblay: Normal, M, QC, 5 000.00.
pub const JEAN: &str = "20076678";
/// Sam Smith: Normal, H, BC, 1 000.00.
pub const SAM: &str = "20076679";
/// Alex Arrears: status A.
pub const ALEX: &str = "20076680";
/// Fran Frozen: status F.
pub const FRAN: &str = "20076681";
/// Zed Chargedoff: status Z.
pub const ZED: &str = "20076682";
/// Cora Closed: status C.
pub const CORA: &str = "20076683";
/// Bea Business: business account, L, 25 000.00.
pub const BEA: &str = "20076684";
/// Noah Nophone: no phone on file.
pub const NOAH: &str = "20076685";

/// The sandbox card number of an account ("5299990" + account + Luhn digit).
pub fn vcc(account: &str) -> String {
    openflex_domain::financing::sandbox_vcc(account)
}

/// Issues a PIN for `account` tied to `request_id` (sandbox PIN is 2222).
pub async fn pin(fx: &Fx<'_>, account: &str, request_id: &str) {
    let (s, v) = fx
        .post(
            &format!("/account/{account}/verify"),
            serde_json::json!({"format": "sms", "request_id": request_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verification_code"], "verification_sent_to_sms");
}

/// The status most Flexiti state refusals carry.
pub const CONFLICT: StatusCode = StatusCode::CONFLICT;

/// The store fields (`request_id`, location, employee) a Flexiti request body carries.
pub fn store(request_id: &str) -> Value {
    serde_json::json!({"request_id": request_id, "external_location_id": "00-12345", "external_employee_id": "E-1"})
}

/// `a` with every top-level field of `b` set over it.
pub fn merge(mut a: Value, b: Value) -> Value {
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}
