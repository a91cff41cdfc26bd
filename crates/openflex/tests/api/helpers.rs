#![allow(dead_code)] // shared by every test file; each uses a subset
//! `spawn_app()`: the real server on port 0 against a fresh database — a new SQLite file in a
//! temporary data directory, or a new PostgreSQL database on 127.0.0.1:5432 — so every test
//! starts from nothing and the same test body runs on both backends (see `dual!`).

use openflex::Application;
use openflex::config::Config;
use openflex_engine::{Clock, SystemClock};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The sandbox merchant created at first start.
    pub merchant_id: String,
    pub api_key: String,
    pub admin_token: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub backend: Backend,
    pub engine: openflex_engine::Engine,
}

/// Credentials of a merchant created through the admin API.
pub struct Merchant {
    pub merchant_id: String,
    pub api_key: String,
    pub raw: Value,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn pg_admin_url() -> String {
    std::env::var("OPENFLEX_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates an empty PostgreSQL database and returns its URL. Fails the test when PostgreSQL
/// is not reachable: the suite must run on both backends, never silently on one.
pub async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let name = unique("openflex_test");
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for the test suite: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with a configuration changed by `tweak` before the server starts (timeouts,
/// pool size, a database URL routed through a test proxy).
///
/// Webhooks may target private addresses here, as on a developer's machine: the test receivers
/// listen on 127.0.0.1. Tests of the SSRF guard turn it back off in `tweak`.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(backend, tweak, Arc::new(SystemClock)).await
}

/// `spawn_app` on `clock` instead of the system's, for tests that move real time.
pub async fn spawn_app_with_clock(backend: Backend, clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_on(backend, |_| {}, clock).await
}

/// `spawn_app_with` on `clock`: a changed configuration and a clock the test moves.
pub async fn spawn_app_on(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let data_dir = std::env::temp_dir().join(unique("openflex-test"));
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.join("openflex.db").display()),
        Backend::Postgres => fresh_pg_database().await,
    };
    let mut config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.clone(),
        database_url: Some(database_url),
        admin_token: Some(unique("admin")),
        max_connections: 8,
        allow_private_webhook_targets: true,
        ..Config::default()
    };
    tweak(&mut config);
    let database_url = config.database_url.clone().unwrap_or_default();
    let app = Application::build_with_clock(&config, clock)
        .await
        .expect("application builds");
    let base = format!("http://{}", app.addr());
    let merchant_id = app.sandbox.merchant_id.clone();
    let api_key = app.sandbox.flexpay.api_key.clone();
    let admin_token = app.admin_token().to_string();
    let engine = app.engine().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::new(),
        merchant_id,
        api_key,
        admin_token,
        data_dir,
        database_url,
        backend,
        engine,
    }
}

async fn decode(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("response body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn basic(key: &str) -> String {
        format!("Basic {key}")
    }

    /// A request with the sandbox merchant's FlexPay key.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_as(&self.api_key, path, body).await
    }

    pub async fn post_as(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .header("Authorization", Self::basic(key))
            .json(&body)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.put_as(&self.api_key, path, body).await
    }

    pub async fn put_as(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .put(self.url(path))
            .header("Authorization", Self::basic(key))
            .json(&body)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.api_key, path).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .header("Authorization", Self::basic(key))
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .delete(self.url(path))
            .header("Authorization", Self::basic(&self.api_key))
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    /// A raw body (for malformed JSON tests).
    pub async fn post_raw(&self, path: &str, body: &'static str) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .header("Authorization", Self::basic(&self.api_key))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("Authorization", format!("Bearer {}", self.admin_token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.expect("request")).await
    }

    /// A new merchant with credentials for `mode` ("sandbox" or "live").
    pub async fn new_merchant(&self, mode: &str) -> Merchant {
        let (status, v) = self
            .admin(
                reqwest::Method::POST,
                "/admin/merchants",
                Some(json!({"name": unique("merchant"), "mode": mode})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        Merchant {
            merchant_id: v["merchantId"].as_str().unwrap().to_string(),
            api_key: v["flexpay"]["apiKey"].as_str().unwrap().to_string(),
            raw: v,
        }
    }

    /// Issues credentials of the other mode for an existing merchant.
    pub async fn issue(&self, merchant_id: &str, mode: &str) -> Value {
        let (status, v) = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/merchants/{merchant_id}/credentials"),
                Some(json!({"mode": mode})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v
    }

    pub async fn advance_clock(&self, merchant_id: &str, seconds: i64) -> Value {
        let (status, v) = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/merchants/{merchant_id}/clock"),
                Some(json!({"advanceSeconds": seconds})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    /// Adds a sandbox webhook endpoint for every event; returns its id.
    pub async fn add_webhook(&self, url: &str) -> String {
        let (status, v) = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/merchants/{}/webhooks", self.merchant_id),
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        assert_eq!(v["enabled"], true);
        v["id"].as_str().unwrap().to_string()
    }

    /// Queues a `webhook.test` event to `endpoint`; returns the delivery id.
    pub async fn send_test_webhook(&self, endpoint: &str) -> String {
        let (status, v) = self
            .admin(
                reqwest::Method::POST,
                &format!(
                    "/admin/merchants/{}/webhooks/{endpoint}/test",
                    self.merchant_id
                ),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        v["deliveryId"].as_str().unwrap().to_string()
    }

    /// Charges the sandbox Visa for `amount` cents; returns the transaction object.
    pub async fn charge(&self, mtid: &str, amount: i64) -> Value {
        let (status, v) = self
            .post("/v1/gateways/charge", card_payment(mtid, amount))
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["transaction"].clone()
    }

    pub async fn authorize(&self, mtid: &str, amount: i64) -> Value {
        let (status, v) = self
            .post("/v1/gateways/authorize", card_payment(mtid, amount))
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["transaction"].clone()
    }

    /// Vaults the sandbox Visa; returns the payment method id.
    pub async fn vault_visa(&self) -> String {
        let (status, v) = self
            .post(
                "/v1/paymentmethods",
                json!({"paymentMethod": vault_card(VISA, "879")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
        v["transaction"]["paymentMethod"]["paymentMethodId"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub const VISA: &str = "4920201996449560";
pub const MASTERCARD: &str = "5244209084665514";
pub const AMEX: &str = "341674949684898";
pub const DINERS: &str = "30349475125576";
pub const JCB: &str = "3530111333300000";
pub const DISCOVER: &str = "6011885753412897";

/// A full card for `POST /v1/paymentmethods` (every field the seed requires there).
pub fn vault_card(pan: &str, cvv: &str) -> Value {
    json!({
        "customerId": "cust-1",
        "creditCard": {
            "creditCardNumber": pan, "expiryMonth": "12", "expiryYear": "2030", "cvv": cvv,
            "firstName": "Ada", "lastName": "Lovelace", "address1": "1 Main St",
            "postalCode": "10001", "city": "New York", "state": "NY", "country": "USA",
            "email": "ada@example.com", "phoneNumber": "5551234567"
        }
    })
}

/// A pass-in card charge/authorize body with the sandbox Visa.
pub fn card_payment(mtid: &str, amount: i64) -> Value {
    json!({"transaction": {
        "merchantTransactionId": mtid, "orderId": format!("order-{mtid}"), "amount": amount,
        "currencyCode": "USD", "retryCount": 0, "retainOnSuccess": true,
        "paymentMethod": {
            "creditCardNumber": VISA, "expiryMonth": "12", "expiryYear": "2030", "cvv": "879",
            "firstName": "Ada", "lastName": "Lovelace", "address1": "1 Main St",
            "postalCode": "10001", "city": "New York", "state": "NY", "country": "USA"
        }
    }})
}

/// A vault-token charge/authorize body.
pub fn token_payment(mtid: &str, amount: i64, payment_method_id: &str) -> Value {
    json!({"transaction": {
        "merchantTransactionId": mtid, "orderId": format!("order-{mtid}"), "amount": amount,
        "currencyCode": "USD", "retryCount": 0, "paymentMethodId": payment_method_id
    }})
}

pub fn unique_id(prefix: &str) -> String {
    unique(prefix)
}

/// Declares each named `async fn(TestApp)` as two tests, one per backend:
/// `name::sqlite` and `name::postgres`. With `config = f;` first, each app is spawned with
/// `spawn_app_with(backend, f)`.
#[macro_export]
macro_rules! dual {
    ($($name:ident),* $(,)?) => { $crate::dual!(config = |_| {}; $($name),*); };
    (config = $tweak:expr; $($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $tweak);
                super::$name(app.await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $tweak);
                super::$name(app.await).await
            }
        }
    )* };
}
