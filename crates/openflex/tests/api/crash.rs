//! Crash durability: the real binary under load, killed with SIGKILL at random points and
//! restarted on the same data. Clients behave as the APIs tell them to: an operation without an
//! answer is retried with the same merchantTransactionId / orderId until it gets one. At the
//! end every acknowledged operation must be there with its amount, none twice, and the money
//! sums must match what the clients were told.
//!
//! Kills per backend: `OPENFLEX_CRASH_KILLS` (default 3, which fits CI); the long variant is
//! `OPENFLEX_CRASH_KILLS=50 cargo test -p openflex --test api crash -- --nocapture`.

use crate::helpers::{fresh_pg_database, unique_id};
use crate::process;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

const WORKERS: usize = 6;

struct Shared {
    base: RwLock<String>,
    client: reqwest::Client,
    api_key: String,
    ff_key: String,
    ff_secret: String,
    payment_method: String,
    ff_card: String,
    next: AtomicU64,
    /// Sends that got no decision (killed server, restart, stranded claim) and were repeated.
    retries: AtomicU64,
    stop: AtomicBool,
    acked: Mutex<Acked>,
}

#[derive(Default)]
struct Acked {
    /// Charge mtid → (transaction id, amount).
    charges: HashMap<String, (String, i64)>,
    /// Authorization mtid → (capture mtid, amount).
    captures: HashMap<String, (String, i64)>,
    /// FlexFactor orderId → orderSessionKey.
    orders: HashMap<String, String>,
}

impl Shared {
    fn base(&self) -> String {
        self.base.read().unwrap().clone()
    }

    /// Sends until the server answers with anything but a transport error or a 5xx (a server
    /// that is down, restarting or without its database has not decided anything).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        loop {
            let mut req = self
                .client
                .request(method.clone(), format!("{}{path}", self.base()))
                .header("Authorization", auth);
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Ok(resp) = req.send().await {
                let status = resp.status();
                // 409002: the key's first request is still recorded as in flight — it died with
                // the killed process; the claim lapses after its lease.
                if let Ok(text) = resp.text().await
                    && !status.is_server_error()
                    && !(status == StatusCode::CONFLICT && text.contains("409002"))
                {
                    return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
                }
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn basic(&self) -> String {
        format!("Basic {}", self.api_key)
    }

    /// A FlexPay payment by merchantTransactionId: the first answer, or — when an earlier try
    /// was recorded but its answer lost — the recorded transaction.
    async fn pay(&self, path: &str, mtid: &str, amount: i64) -> Value {
        let body = json!({"transaction": {"merchantTransactionId": mtid, "orderId": format!("o-{mtid}"),
            "amount": amount, "currencyCode": "USD", "retryCount": 0, "paymentMethodId": self.payment_method}});
        let (status, v) = self
            .call(reqwest::Method::POST, path, &self.basic(), Some(&body))
            .await;
        if v["transaction"]["responseCode"] == "50129" {
            return self.by_mtid(mtid).await;
        }
        assert_eq!(status, StatusCode::OK, "{path} {mtid}: {v}");
        v["transaction"].clone()
    }

    async fn by_mtid(&self, mtid: &str) -> Value {
        let (status, v) = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/transactions/byMerchantTransactionId/{mtid}"),
                &self.basic(),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{mtid}: {v}");
        v["transaction"].clone()
    }

    async fn bearer(&self) -> String {
        let (status, v) = self
            .call(
                reqwest::Method::POST,
                "/v1/oauth2/token",
                "",
                Some(&json!({"AppKey": self.ff_key, "AppSecret": self.ff_secret})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["accessToken"].as_str().unwrap().to_string()
    }

    async fn op(&self, n: u64) {
        let amount = 100 + (n as i64 * 37) % 5000;
        match n % 3 {
            0 => {
                let mtid = format!("crash-c-{n}");
                let t = self.pay("/v1/gateways/charge", &mtid, amount).await;
                assert_eq!(t["responseCode"], "10000", "{t}");
                let id = t["transactionId"].as_str().unwrap().to_string();
                self.acked
                    .lock()
                    .unwrap()
                    .charges
                    .insert(mtid, (id, amount));
            }
            1 => {
                let mtid = format!("crash-a-{n}");
                let a = self.pay("/v1/gateways/authorize", &mtid, amount).await;
                assert_eq!(a["responseCode"], "10000", "{a}");
                let id = a["transactionId"].as_str().unwrap().to_string();
                let cap = format!("crash-p-{n}");
                let body = json!({"transaction": {"merchantTransactionId": cap, "amount": amount}});
                let (_, v) = self
                    .call(
                        reqwest::Method::POST,
                        &format!("/v1/transactions/{id}/capture"),
                        &self.basic(),
                        Some(&body),
                    )
                    .await;
                let t = if v["transaction"]["responseCode"] == "50129" {
                    self.by_mtid(&cap).await
                } else {
                    v["transaction"].clone()
                };
                assert_eq!(t["responseCode"], "10000", "capture {cap}: {v}");
                self.acked
                    .lock()
                    .unwrap()
                    .captures
                    .insert(mtid, (cap, amount));
            }
            _ => {
                let order_id = format!("crash-o-{n}");
                let body = json!({"orderId": order_id, "idempotencyKey": format!("crash-k-{n}"), "isMIT": true,
                    "transaction": {"id": format!("psp-{n}"), "amount": amount, "currency": "USD", "responseCode": "05",
                        "responseCodeSource": "crash", "avsResultCode": "M", "cvvResultCode": "M", "cavvResultCode": "2"},
                    "payer": {"email": "crash@example.com"},
                    "paymentMethod": {"cardNumber": self.ff_card, "token": true}});
                // Bearer tokens are signed, so one issued before a crash stays valid after it.
                let bearer = format!("Bearer {}", self.bearer().await);
                let (status, v) = self
                    .call(reqwest::Method::POST, "/v1/evaluate", &bearer, Some(&body))
                    .await;
                assert_eq!(status, StatusCode::OK, "evaluate {order_id}: {v}");
                assert_eq!(v["status"], "APPROVED", "{v}");
                let key = v["orderSessionKey"].as_str().unwrap().to_string();
                self.acked.lock().unwrap().orders.insert(order_id, key);
            }
        }
    }
}

/// Starts the server on `database_url` with `dir` as its data directory.
fn start(dir: &std::path::Path, database_url: &str) -> process::Server {
    process::start(dir, database_url, "warn")
}

async fn crash_loop(database_url: String, dir: PathBuf) {
    let kills: usize = std::env::var("OPENFLEX_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut server = start(&dir, &database_url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let creds = process::sandbox_credentials(&dir);
    let api_key = process::sandbox_api_key(&dir);
    let vault = |pan: &str| {
        json!({"paymentMethod": {"creditCard": {"creditCardNumber": pan, "expiryMonth": "12", "expiryYear": "2035",
            "firstName": "Crash", "lastName": "Test", "address1": "1 Main St", "postalCode": "10001", "city": "New York",
            "state": "NY", "country": "USA"}}})
    };
    let mut pms = Vec::new();
    for pan in ["4920201996449560", "4000002760003184"] {
        let v: Value = client
            .post(format!("{}/v1/paymentmethods", server.base))
            .header("Authorization", format!("Basic {api_key}"))
            .json(&vault(pan))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pms.push(
            v["transaction"]["paymentMethod"]["paymentMethodId"]
                .as_str()
                .unwrap_or_else(|| panic!("vault: {v}"))
                .to_string(),
        );
    }
    let shared = Arc::new(Shared {
        base: RwLock::new(server.base.clone()),
        client,
        api_key,
        ff_key: creds["flexfactor"]["appKey"].as_str().unwrap().to_string(),
        ff_secret: creds["flexfactor"]["appSecret"]
            .as_str()
            .unwrap()
            .to_string(),
        payment_method: pms[0].clone(),
        ff_card: pms[1].clone(),
        next: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        acked: Mutex::new(Acked::default()),
    });
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let s = shared.clone();
        workers.push(tokio::spawn(async move {
            while !s.stop.load(Ordering::Relaxed) {
                let n = s.next.fetch_add(1, Ordering::Relaxed);
                s.op(n).await;
            }
        }));
    }
    for k in 0..kills {
        // A pseudo-random point in the load: 200–1400 ms after the (re)start.
        let wait = 200 + (k as u64 * 7919 + shared.next.load(Ordering::Relaxed) * 31) % 1200;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        drop(server); // SIGKILL, then reap
        server = start(&dir, &database_url);
        *shared.base.write().unwrap() = server.base.clone();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    shared.stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("a worker's operation failed its checks");
    }
    verify(&shared).await;
    drop(server);
}

/// Every acknowledged operation is present once with its amount; the sums reconcile.
async fn verify(s: &Shared) {
    let acked = std::mem::take(&mut *s.acked.lock().unwrap());
    assert!(
        acked.charges.len() + acked.captures.len() + acked.orders.len() > 30,
        "too little load to mean anything"
    );
    assert!(
        s.retries.load(Ordering::Relaxed) > 0,
        "no kill hit a request in flight"
    );
    // All of the merchant's transactions, page by page.
    let mut all: Vec<Value> = Vec::new();
    let mut since: Option<String> = None;
    loop {
        let path = match &since {
            Some(id) => format!("/v1/transactions?count=100&sinceToken={id}"),
            None => "/v1/transactions?count=100".to_string(),
        };
        let (status, v) = s.call(reqwest::Method::GET, &path, &s.basic(), None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let page = v["transactions"].as_array().cloned().unwrap_or_default();
        if page.is_empty() {
            break;
        }
        since = page.last().unwrap()["transactionId"]
            .as_str()
            .map(String::from);
        all.extend(page);
    }
    let mut seen = HashSet::new();
    for t in &all {
        if let Some(mtid) = t["merchantTransactionId"].as_str() {
            assert!(seen.insert(mtid.to_string()), "{mtid} recorded twice");
        }
    }
    let approved = |prefix: &str, kind: &str| -> (usize, i64) {
        all.iter()
            .filter(|t| {
                t["merchantTransactionId"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(prefix))
                    && t["transactionType"] == kind
                    && t["responseCode"] == "10000"
            })
            .fold((0, 0), |(n, sum), t| {
                (n + 1, sum + t["amount"].as_i64().unwrap_or(0))
            })
    };
    // Every operation was retried to an answer, so what the database holds is exactly what the
    // clients were told — no more (a double charge), no less (a lost one).
    let (n, sum) = approved("crash-c-", "Charge");
    assert_eq!(n, acked.charges.len(), "approved charges vs acknowledged");
    assert_eq!(sum, acked.charges.values().map(|(_, a)| a).sum::<i64>());
    for (mtid, (id, amount)) in &acked.charges {
        let t = s.by_mtid(mtid).await;
        assert_eq!(t["transactionId"].as_str(), Some(id.as_str()), "{mtid}");
        assert_eq!(t["amount"].as_i64(), Some(*amount), "{mtid}");
    }
    let (n, sum) = approved("crash-p-", "Capture");
    assert_eq!(n, acked.captures.len(), "approved captures vs acknowledged");
    assert_eq!(sum, acked.captures.values().map(|(_, a)| a).sum::<i64>());
    let (n, _) = approved("crash-a-", "Authorize");
    assert!(n >= acked.captures.len());
    for (mtid, (cap, amount)) in &acked.captures {
        let a = s.by_mtid(mtid).await;
        assert_eq!(a["amount"].as_i64(), Some(*amount), "{mtid}");
        let c = s.by_mtid(cap).await;
        assert_eq!(c["amount"].as_i64(), Some(*amount), "{cap}");
    }
    let bearer = format!("Bearer {}", s.bearer().await);
    for (order_id, key) in &acked.orders {
        let (status, v) = s
            .call(
                reqwest::Method::GET,
                &format!("/v1/orders/{key}"),
                &bearer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "order {order_id}: {v}");
    }
    eprintln!(
        "crash test: {} charges, {} authorize+capture, {} evaluates acknowledged and verified; {} transactions in all; {} sends repeated after a kill",
        acked.charges.len(),
        acked.captures.len(),
        acked.orders.len(),
        all.len(),
        s.retries.load(Ordering::Relaxed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_loses_nothing_acknowledged_and_moves_nothing_twice_sqlite() {
    let dir = std::env::temp_dir().join(unique_id("openflex-crash"));
    let url = format!("sqlite://{}", dir.join("openflex.db").display());
    crash_loop(url, dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_loses_nothing_acknowledged_and_moves_nothing_twice_postgres() {
    let dir = std::env::temp_dir().join(unique_id("openflex-crash"));
    crash_loop(fresh_pg_database().await, dir).await;
}
