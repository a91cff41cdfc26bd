//! PostgreSQL failover for real (issue 19 §1): two `openflex serve` nodes on a primary with a
//! synchronous standby, reached through one multi-host URL with
//! `target_session_attrs=read-write`, under charge load. The primary's server is killed with
//! SIGKILL mid-load and, a moment later, the standby promoted (what a failover manager does).
//! Clients do what FlexPay tells them: a charge without an answer, or with a 503, is sent again
//! with the same merchantTransactionId. Every charge acknowledged before, during and after the
//! failover must be on the new primary exactly once, with its amount and settled; scheduled
//! jobs (rescue attempts, webhooks) created on either side of the failover must run; and the
//! time from the kill to the first approved charge is reported.
//!
//! Skipped, saying so, only where PostgreSQL's server binaries are not installed (`.ci/run`
//! installs them).

use super::pg_pair::{self, Pair};
use crate::helpers::{VISA, token_payment, unique_id, vault_card};
use crate::process::{self, Server};
use crate::receiver::Receiver;
use openflex_store::{Store, StoreError};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WORKERS: usize = 6;
/// From the kill to the promotion: the failover manager's detection time, not openflex's.
const PROMOTE_AFTER: Duration = Duration::from_secs(2);
const ADMIN: &str = "leak-test-admin-token";

struct Load {
    client: reqwest::Client,
    nodes: Vec<String>,
    api_key: String,
    payment_method: String,
    next: AtomicU64,
    stop: AtomicBool,
    /// mtid → amount, for every approved charge.
    acked: Mutex<HashMap<String, i64>>,
    /// (first send, answer) of every approved charge.
    answered: Mutex<Vec<(Instant, Instant)>>,
    /// The last send of each approved charge, to time the first charge sent after the kill.
    last_send: Mutex<Vec<(Instant, Instant)>>,
    unavailable: AtomicU64,
    unanswered: AtomicU64,
    /// Retries answered 50129, settled by reading the recorded transaction.
    looked_up: AtomicU64,
    /// Anything but an approval, a 503 with Retry-After, or no answer at all.
    wrong: Mutex<Vec<String>>,
}

impl Load {
    /// Charges one new merchantTransactionId until it is approved, alternating nodes. A retry
    /// answered 50129 (the merchantTransactionId is taken: an earlier send was recorded but
    /// its answer lost) is settled by reading the recorded transaction, as docs/flexpay.md
    /// tells a client to.
    async fn charge(&self) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mtid = format!("fo-{n}");
        // Below the sandbox's trigger amounts (docs/sandbox.md): every charge is approved.
        let amount = 1000 + (n % 900) as i64;
        let first = Instant::now();
        let deadline = first + Duration::from_secs(40);
        for attempt in 0.. {
            let node = &self.nodes[(n as usize + attempt) % self.nodes.len()];
            let sent = Instant::now();
            let resp = self
                .client
                .post(format!("{node}/v1/gateways/charge"))
                .header("Authorization", format!("Basic {}", self.api_key))
                .json(&token_payment(&mtid, amount, &self.payment_method))
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            match resp {
                Ok(r) if r.status() == StatusCode::OK => {
                    let mut v: Value = r.json().await.unwrap_or(Value::Null);
                    if attempt > 0 && v["transaction"]["responseCode"] == "50129" {
                        self.looked_up.fetch_add(1, Ordering::SeqCst);
                        v = self.recorded(&mtid, deadline).await;
                    }
                    if v["transaction"]["responseCode"] != "10000"
                        || v["transaction"]["amount"] != amount
                    {
                        self.wrong.lock().unwrap().push(format!("{mtid}: {v}"));
                        return;
                    }
                    let now = Instant::now();
                    self.acked.lock().unwrap().insert(mtid, amount);
                    self.answered.lock().unwrap().push((first, now));
                    self.last_send.lock().unwrap().push((sent, now));
                    return;
                }
                Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    self.unavailable.fetch_add(1, Ordering::SeqCst);
                    if r.headers().get("retry-after").is_none() {
                        self.wrong
                            .lock()
                            .unwrap()
                            .push(format!("{mtid}: 503 without Retry-After"));
                    }
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    self.wrong
                        .lock()
                        .unwrap()
                        .push(format!("{mtid}: {status} {body}"));
                    return;
                }
                Err(_) => {
                    self.unanswered.fetch_add(1, Ordering::SeqCst);
                }
            }
            if Instant::now() > deadline {
                self.wrong
                    .lock()
                    .unwrap()
                    .push(format!("{mtid}: not approved within 40 s"));
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Load {
    /// `GET /v1/transactions/byMerchantTransactionId/{mtid}`, sent until answered.
    async fn recorded(&self, mtid: &str, deadline: Instant) -> Value {
        for attempt in 0.. {
            let node = &self.nodes[attempt % self.nodes.len()];
            let resp = self
                .client
                .get(format!(
                    "{node}/v1/transactions/byMerchantTransactionId/{mtid}"
                ))
                .header("Authorization", format!("Basic {}", self.api_key))
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            match resp {
                Ok(r) if r.status() == StatusCode::OK => {
                    return r.json().await.unwrap_or(Value::Null);
                }
                Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {}
                Ok(r) => {
                    return json!({"lookup": r.status().as_u16()});
                }
                Err(_) => {}
            }
            if Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Value::Null
    }
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    auth: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp = client
        .post(format!("{base}{path}"))
        .header("Authorization", auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A FlexFactor MIT order for `order_id`: managed (rescued by scheduled attempts over the next
/// day) or sync (approved at once, its webhook due now).
async fn evaluate(
    client: &reqwest::Client,
    base: &str,
    bearer: &str,
    order_id: &str,
    managed: bool,
) {
    let mut body = crate::flexfactor::ff::evaluate_body(order_id, crate::flexfactor::ff::RESCUABLE);
    body["isMIT"] = json!(true);
    if managed {
        let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        body["expiryDateUtc"] = json!(expiry);
    }
    let (status, v) = call(client, base, "/v1/evaluate", bearer, body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let expected = if managed { "SUBMITTED" } else { "APPROVED" };
    assert_eq!(v["status"], expected, "{v}");
}

/// The nodes' data directories, removed when the test ends (after the nodes are stopped).
struct Dirs(Vec<PathBuf>);

impl Drop for Dirs {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Two nodes on `url`, their data directories in `dirs`; the second gets the first's key ring.
fn start_nodes(url: &str, dirs: &mut Dirs) -> (Vec<Server>, Value) {
    let first = std::env::temp_dir().join(unique_id("openflex-failover"));
    let second = std::env::temp_dir().join(unique_id("openflex-failover"));
    dirs.0.extend([first.clone(), second.clone()]);
    let mut nodes = vec![process::start(&first, url, "warn")];
    std::fs::create_dir_all(&second).unwrap();
    std::fs::copy(first.join("master.key"), second.join("master.key")).unwrap();
    nodes.push(process::start(&second, url, "warn"));
    (nodes, process::sandbox_credentials(&first))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_primary_killed_mid_load_loses_no_acknowledged_charge() {
    let Some(bin) = pg_pair::server_binaries() else {
        eprintln!(
            "SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin \
             (install the postgresql package; .ci/run does)"
        );
        return;
    };
    let began = Instant::now();
    let mut pair = Pair::start(bin).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        pair.primary.port, pair.standby.port
    );
    // A standby listed first is passed over (the migrations write); a standby alone is refused.
    let standby_first = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        pair.standby.port, pair.primary.port
    );
    let store = Store::connect(&standby_first, 2).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let standby_alone = format!("{}?target_session_attrs=read-write", pair.standby.url());
    match Store::connect(&standby_alone, 2).await {
        Err(StoreError::Unavailable(m)) => assert!(m.contains("accepts writes"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a standby alone was taken for a primary"),
    }

    let mut dirs = Dirs(Vec::new());
    let (nodes, creds) = start_nodes(&url, &mut dirs);
    let client = reqwest::Client::new();
    let api_key = creds["flexpay"]["apiKey"].as_str().unwrap().to_string();
    let payment_method = nodes[0]
        .vault(
            &client,
            &api_key,
            &json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;

    // Jobs on the old primary: managed orders whose rescue attempts are scheduled there.
    let receiver = Receiver::start(&[]).await;
    let merchant = creds["merchantId"].as_str().unwrap();
    let (status, v) = call(
        &client,
        &nodes[0].base,
        &format!("/admin/merchants/{merchant}/webhooks"),
        &format!("Bearer {ADMIN}"),
        json!({"url": receiver.url, "events": ["order.completed"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let ff = &creds["flexfactor"];
    let (status, v) = call(
        &client,
        &nodes[0].base,
        "/v1/oauth2/token",
        "",
        json!({"AppKey": ff["appKey"], "AppSecret": ff["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let bearer = format!("Bearer {}", v["accessToken"].as_str().unwrap());
    for (i, node) in nodes.iter().enumerate() {
        evaluate(&client, &node.base, &bearer, &format!("managed-{i}"), true).await;
    }

    let load = Arc::new(Load {
        client: client.clone(),
        nodes: nodes.iter().map(|n| n.base.clone()).collect(),
        api_key,
        payment_method,
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        acked: Mutex::default(),
        answered: Mutex::default(),
        last_send: Mutex::default(),
        unavailable: AtomicU64::new(0),
        unanswered: AtomicU64::new(0),
        looked_up: AtomicU64::new(0),
        wrong: Mutex::default(),
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let load = load.clone();
            tokio::spawn(async move {
                while !load.stop.load(Ordering::SeqCst) {
                    load.charge().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = load.acked.lock().unwrap().len();
    assert!(before > 0, "no charge approved before the kill");

    pair.primary.kill();
    let killed = Instant::now();
    // While no primary answers, readiness says so.
    let poller = {
        let client = client.clone();
        let ready_url = format!("{}/readyz", nodes[0].base);
        tokio::spawn(async move {
            while killed.elapsed() < PROMOTE_AFTER {
                if let Ok(r) = client.get(&ready_url).send().await
                    && let Ok(v) = r.json::<Value>().await
                    && v["status"] == "degraded"
                {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        })
    };
    tokio::time::sleep(PROMOTE_AFTER).await;
    pair.promote().await;
    let promoted = Instant::now();

    // Load goes on until 20 charges sent after the promotion are approved (or 30 s pass).
    let deadline = promoted + Duration::from_secs(30);
    while Instant::now() < deadline
        && load
            .last_send
            .lock()
            .unwrap()
            .iter()
            .filter(|(sent, _)| *sent > promoted)
            .count()
            < 20
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    load.stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let wrong = load.wrong.lock().unwrap().clone();
    assert!(wrong.is_empty(), "{wrong:#?}\n{}", pair.logs());
    assert!(
        poller.await.unwrap(),
        "/readyz never said degraded while no primary answered"
    );
    for node in &nodes {
        let ready: Value = client
            .get(format!("{}/readyz", node.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["status"], "ready", "{ready}");
    }

    // Kill → first approval of a charge sent after the kill.
    let first_success = load
        .last_send
        .lock()
        .unwrap()
        .iter()
        .filter(|(sent, _)| *sent > killed)
        .map(|(_, answered)| *answered)
        .min()
        .expect("no charge sent after the kill was approved");
    let acked = load.acked.lock().unwrap().clone();
    let spanning = load
        .answered
        .lock()
        .unwrap()
        .iter()
        .filter(|(first, answered)| *first < killed && *answered > killed)
        .count();
    eprintln!(
        "failover: kill → promotion {:?}, promotion → first approved charge {:?}, kill → first \
         approved charge {:?}; {} charges approved ({before} before the kill, {spanning} sent \
         before and approved after), {} answers 503 with Retry-After, {} sends unanswered, {} \
         retries found already recorded (50129)",
        promoted - killed,
        first_success.saturating_duration_since(promoted),
        first_success - killed,
        acked.len(),
        load.unavailable.load(Ordering::SeqCst),
        load.unanswered.load(Ordering::SeqCst),
        load.looked_up.load(Ordering::SeqCst),
    );

    // Jobs on the new primary: sync orders whose webhooks are due now; then the merchant's clock
    // moves a day, so the managed orders' rescue attempts (scheduled before the kill) run.
    for (i, node) in nodes.iter().enumerate() {
        evaluate(&client, &node.base, &bearer, &format!("sync-{i}"), false).await;
    }
    let (status, v) = call(
        &client,
        &nodes[1].base,
        &format!("/admin/merchants/{merchant}/clock"),
        &format!("Bearer {ADMIN}"),
        json!({"advanceSeconds": 25 * 3600}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let orders = || -> HashSet<String> {
        receiver
            .received()
            .iter()
            .map(|r| r.json()["ExternalOrderId"].as_str().unwrap().to_string())
            .collect()
    };
    let jobs_deadline = Instant::now() + Duration::from_secs(40);
    while orders().len() < 4 {
        assert!(
            Instant::now() < jobs_deadline,
            "webhooks after the failover: {:?}",
            orders()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.received().len(), 4, "an order was reported twice");

    // Every approved charge is on the new primary exactly once, settled, with its amount; and
    // nothing else is (every charge sent was retried until approved).
    let mut db = sqlx::PgConnection::connect(&pair.standby.url())
        .await
        .unwrap();
    let rows: Vec<(String, i64, i64, String, i64)> = sqlx::query_as(
        "SELECT merchant_transaction_id, COUNT(*), MAX(amount), MAX(state), MAX(response_code) \
         FROM transactions WHERE merchant_transaction_id LIKE 'fo-%' GROUP BY 1",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let stored: HashMap<String, (i64, i64, String, i64)> = rows
        .into_iter()
        .map(|(m, n, a, s, c)| (m, (n, a, s, c)))
        .collect();
    for (mtid, amount) in &acked {
        assert_eq!(
            stored.get(mtid),
            Some(&(1, *amount, "done".to_string(), 10000)),
            "{mtid}"
        );
    }
    assert_eq!(stored.len(), acked.len(), "a charge nobody was told of");
    drop(nodes);
    eprintln!("failover test took {:?}", began.elapsed());
}
