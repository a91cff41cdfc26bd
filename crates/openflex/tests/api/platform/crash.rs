//! Crash durability: the real binary under load, killed with SIGKILL at random points and
//! restarted on the same data. Clients behave as the APIs tell them to: an operation without an
//! answer is retried with the same merchantTransactionId / orderId / x-idempotency-key until it
//! gets one. At the end every acknowledged operation must be there with its amount, none twice,
//! and the money sums (FlexPay captures, the Flexiti account's available credit) must match
//! what the clients were told.
//!
//! Kills per backend: `OPENFLEX_CRASH_KILLS` (default 3, which fits CI); the long variant is
//! `OPENFLEX_CRASH_KILLS=50 cargo test -p openflex --test api crash -- --nocapture`.

use crate::flexiti::fx::{BEA, V25, cents};
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
    flexiti_client: String,
    flexiti_bearer: String,
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
    /// Authorization mtid → (capture mtid, amount, refunded amount).
    captures: HashMap<String, (String, i64, i64)>,
    /// FlexFactor orderId → orderSessionKey.
    orders: HashMap<String, String>,
    /// Flexiti authorization id → (capture id, amount in cents).
    financed: HashMap<i64, (i64, i64)>,
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
        self.call_with(method, path, auth, body, &[]).await
    }

    async fn call_with(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        loop {
            let mut req = self
                .client
                .request(method.clone(), format!("{}{path}", self.base()))
                .header("Authorization", auth);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Ok(resp) = req.send().await {
                let status = resp.status();
                // 409002 / idempotency_in_progress: the key's first request is still recorded
                // as in flight — it died with the killed process; the claim lapses after its
                // lease.
                if let Ok(text) = resp.text().await
                    && !status.is_server_error()
                    && !(status == StatusCode::CONFLICT
                        && (text.contains("409002") || text.contains("idempotency_in_progress")))
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

    /// An approved capture or refund of `id` under `mtid`: the first answer, or — when an
    /// earlier try was recorded but its answer lost — the recorded transaction.
    async fn follow_up(&self, id: &str, op: &str, mtid: &str, amount: i64) -> Value {
        let body = json!({"transaction": {"merchantTransactionId": mtid, "amount": amount}});
        let (_, v) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/transactions/{id}/{op}"),
                &self.basic(),
                Some(&body),
            )
            .await;
        let t = if v["transaction"]["responseCode"] == "50129" {
            self.by_mtid(mtid).await
        } else {
            v["transaction"].clone()
        };
        assert_eq!(t["responseCode"], "10000", "{op} {mtid}: {v}");
        t
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

    /// A Flexiti POST of `body` under idempotency key `key`, or a GET when `post` is `None`
    /// (with the `x-reference-id` every call needs).
    async fn flexiti(&self, path: &str, post: Option<(&Value, &str)>) -> (StatusCode, Value) {
        let path = format!("{V25}/client-id/{}{path}", self.flexiti_client);
        let bearer = format!("Bearer {}", self.flexiti_bearer);
        match post {
            Some((body, key)) => {
                let headers = [("x-reference-id", "crash"), ("x-idempotency-key", key)];
                let method = reqwest::Method::POST;
                self.call_with(method, &path, &bearer, Some(body), &headers)
                    .await
            }
            None => {
                let headers = [("x-reference-id", "crash")];
                self.call_with(reqwest::Method::GET, &path, &bearer, None, &headers)
                    .await
            }
        }
    }

    async fn op(&self, n: u64) {
        let amount = 100 + (n as i64 * 37) % 5000;
        if n % 4 == 3 {
            return self.finance(n, amount).await;
        }
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
                let t = self.follow_up(&id, "capture", &cap, amount).await;
                // A third of it back, against the capture.
                let refund = amount / 3;
                let capture_id = t["transactionId"].as_str().unwrap().to_string();
                self.follow_up(&capture_id, "refund", &format!("crash-r-{n}"), refund)
                    .await;
                self.acked
                    .lock()
                    .unwrap()
                    .captures
                    .insert(mtid, (cap, amount, refund));
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

impl Shared {
    /// A Flexiti regular purchase of `amount` cents on Bea's account, captured in full; both
    /// calls carry an idempotency key and are retried with it until they get an answer.
    async fn finance(&self, n: u64, amount: i64) {
        let dollars = format!("{}.{:02}", amount / 100, amount % 100);
        let body = json!({"account_number": BEA, "amount": dollars, "auto_capture": false,
            "financing_option": {"transaction_type": "regular_purchase"}});
        let (status, a) = self
            .flexiti("/authorization", Some((&body, &format!("crash-fa-{n}"))))
            .await;
        assert_eq!(status, StatusCode::OK, "flexiti authorize {n}: {a}");
        let id = a["authorization_id"].as_i64().unwrap();
        let (status, c) = self
            .flexiti(
                &format!("/authorization/{id}/capture"),
                Some((&json!({"amount": dollars}), &format!("crash-fc-{n}"))),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "flexiti capture {n}: {c}");
        assert_eq!(c["amount"], dollars.as_str(), "{c}");
        assert_eq!(c["authorization_status"], "closed", "{c}");
        let capture = c["capture_id"].as_i64().unwrap();
        self.acked
            .lock()
            .unwrap()
            .financed
            .insert(id, (capture, amount));
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
        pms.push(server.vault(&client, &api_key, &vault(pan)).await);
    }
    let flexiti_client = creds["flexiti"]["clientId"].as_str().unwrap().to_string();
    let token: Value = client
        .post(format!("{}{V25}/oauth/token", server.base))
        .header("x-reference-id", "crash")
        .json(
            &json!({"client_id": flexiti_client, "client_secret": creds["flexiti"]["clientSecret"],
            "grant_type": "client_credentials"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flexiti_bearer = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("flexiti token: {token}"))
        .to_string();
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
        flexiti_client,
        flexiti_bearer,
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
        acked.charges.len() + acked.captures.len() + acked.orders.len() + acked.financed.len() > 30,
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
    let captured = acked.captures.values().map(|(_, a, _)| a).sum::<i64>();
    assert_eq!(sum, captured);
    let (n, refunded) = approved("crash-r-", "Refund");
    assert_eq!(n, acked.captures.len(), "approved refunds vs acknowledged");
    assert_eq!(
        captured - refunded,
        acked.captures.values().map(|(_, a, r)| a - r).sum::<i64>(),
        "captured − refunded"
    );
    let (n, _) = approved("crash-a-", "Authorize");
    assert!(n >= acked.captures.len());
    for (mtid, (cap, amount, _)) in &acked.captures {
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
    // Flexiti: exactly the acknowledged authorizations exist on Bea's account, each captured
    // once in full, and her available credit is her limit less what they captured.
    let (status, list) = s
        .flexiti(
            &format!("/authorizations?account_number={BEA}&page_size=1"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["total_count"].as_u64(),
        Some(acked.financed.len() as u64),
        "Flexiti authorizations vs acknowledged"
    );
    for (id, (capture, amount)) in &acked.financed {
        let (status, a) = s.flexiti(&format!("/authorization/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(cents(&a["amount"]), *amount, "{a}");
        let caps = a["captures"].as_array().cloned().unwrap_or_default();
        assert_eq!(caps.len(), 1, "authorization {id} captured once: {a}");
        assert_eq!(caps[0]["capture_id"].as_i64(), Some(*capture), "{a}");
        assert_eq!(cents(&caps[0]["amount"]), *amount, "{a}");
    }
    let (status, who) = s
        .flexiti(&format!("/customers/lookup?account_number={BEA}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{who}");
    let financed: i64 = acked.financed.values().map(|(_, a)| a).sum();
    assert_eq!(
        cents(&who["available_credit"]),
        2_500_000 - financed,
        "{who}"
    );
    eprintln!(
        "crash test: {} charges, {} authorize+capture+refund, {} evaluates, {} Flexiti authorize+capture acknowledged and verified; {} transactions in all; {} sends repeated after a kill",
        acked.charges.len(),
        acked.captures.len(),
        acked.orders.len(),
        acked.financed.len(),
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
