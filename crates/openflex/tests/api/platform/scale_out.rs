//! Scale-out: three `openflex serve` processes on one PostgreSQL database (same key ring), fed
//! round-robin. Managed-MIT rescue attempts, capture and the webhook deliveries they cause are
//! scheduled jobs that every node's worker competes for; each must run exactly once per due
//! time, and the results must equal a single node's on the same inputs.

use crate::helpers::{fresh_pg_database, unique_id};
use crate::process::{self, Server};
use crate::receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Managed-MIT orders, settled by scheduled attempts when the merchant's clock moves.
const MANAGED: usize = 12;
/// Sync-MIT orders, approved at once; their webhooks are due in real time, so the nodes'
/// workers (not the test clock) compete for them.
const SYNC: usize = 18;
const ORDERS: usize = MANAGED + SYNC;
const ADMIN: &str = "leak-test-admin-token";

struct Cluster {
    nodes: Vec<Server>,
    merchant_id: String,
    creds: Value,
    client: reqwest::Client,
}

/// Starts `n` nodes on a fresh database; the first creates the key ring and the sandbox
/// merchant, the others get a copy of its key ring (every node needs the same `master.key`).
fn start(n: usize, url: &str) -> Cluster {
    let first: PathBuf = std::env::temp_dir().join(unique_id("openflex-node"));
    let mut nodes = vec![process::start(&first, url, "warn")];
    for _ in 1..n {
        let dir = std::env::temp_dir().join(unique_id("openflex-node"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(first.join("master.key"), dir.join("master.key")).unwrap();
        nodes.push(process::start(&dir, url, "warn"));
    }
    let creds = process::sandbox_credentials(&first);
    Cluster {
        merchant_id: creds["merchantId"].as_str().unwrap().to_string(),
        creds,
        nodes,
        client: reqwest::Client::new(),
    }
}

impl Cluster {
    fn node(&self, i: usize) -> &str {
        &self.nodes[i % self.nodes.len()].base
    }

    async fn call(
        &self,
        i: usize,
        method: Method,
        path: &str,
        auth: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.node(i)))
            .header("Authorization", auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn bearer(&self) -> String {
        let ff = &self.creds["flexfactor"];
        let (status, v) = self
            .call(
                0,
                Method::POST,
                "/v1/oauth2/token",
                "",
                Some(json!({"AppKey": ff["appKey"], "AppSecret": ff["appSecret"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        format!("Bearer {}", v["accessToken"].as_str().unwrap())
    }

    /// Managed-MIT orders (rescued over the following day), spread over the nodes; then the
    /// merchant's clock moves 25 hours (on the last node) while every worker polls.
    async fn run(&self, receiver: &Receiver) -> BTreeMap<String, Value> {
        let (status, v) = self
            .call(
                0,
                Method::POST,
                &format!("/admin/merchants/{}/webhooks", self.merchant_id),
                &format!("Bearer {ADMIN}"),
                Some(json!({"url": receiver.url, "events": ["order.completed"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let bearer = self.bearer().await;
        let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mut keys = BTreeMap::new();
        for i in 0..SYNC {
            let mut body = crate::flexfactor::ff::evaluate_body(
                &format!("sync-{i}"),
                crate::flexfactor::ff::RESCUABLE,
            );
            body["isMIT"] = json!(true);
            body["transaction"]["amount"] = json!(2000 + i as i64);
            let (status, v) = self
                .call(i, Method::POST, "/v1/evaluate", &bearer, Some(body))
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["status"], "APPROVED", "{v}");
            keys.insert(
                format!("sync-{i}"),
                v["orderSessionKey"].as_str().unwrap().to_string(),
            );
            if i % 6 == 5 {
                // In waves, so that more than one worker's poll finds work.
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
        }
        for i in 0..MANAGED {
            let mut body = crate::flexfactor::ff::evaluate_body(
                &format!("scale-{i}"),
                crate::flexfactor::ff::RESCUABLE,
            );
            body["isMIT"] = json!(true);
            body["expiryDateUtc"] = json!(expiry);
            body["transaction"]["amount"] = json!(1000 + i as i64);
            let (status, v) = self
                .call(i, Method::POST, "/v1/evaluate", &bearer, Some(body))
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["status"], "SUBMITTED", "{v}");
            keys.insert(
                format!("scale-{i}"),
                v["orderSessionKey"].as_str().unwrap().to_string(),
            );
        }
        let last = self.nodes.len() - 1;
        let (status, v) = self
            .call(
                last,
                Method::POST,
                &format!("/admin/merchants/{}/clock", self.merchant_id),
                &format!("Bearer {ADMIN}"),
                Some(json!({"advanceSeconds": 25 * 3600})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");

        // Every order settles and its webhook arrives, whichever node ran the jobs.
        let deadline = Instant::now() + Duration::from_secs(60);
        while receiver.received().len() < ORDERS {
            assert!(
                Instant::now() < deadline,
                "webhooks: {} of {ORDERS}",
                receiver.received().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Time for any duplicate to show up.
        tokio::time::sleep(Duration::from_secs(3)).await;

        let mut orders = BTreeMap::new();
        for (i, (external, key)) in keys.iter().enumerate() {
            let (status, o) = self
                .call(i, Method::GET, &format!("/v1/orders/{key}"), &bearer, None)
                .await;
            assert_eq!(status, StatusCode::OK, "{o}");
            // What must not depend on the node count: outcome, amounts and the attempt history.
            let attempts: Vec<Value> = o["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| json!({"outcome": a["outcome"], "amount": a["amount"]}))
                .collect();
            orders.insert(
                external.clone(),
                json!({"statusName": o["statusName"], "capturedAmount": o["capturedAmount"], "attempts": attempts}),
            );
        }
        orders
    }
}

fn assert_delivered_once(receiver: &Receiver) {
    let got = receiver.received();
    assert_eq!(got.len(), ORDERS, "one order.completed per order, no more");
    let confirmations: HashSet<String> = got
        .iter()
        .map(|r| r.json()["ConfirmationId"].as_str().unwrap().to_string())
        .collect();
    let orders: HashSet<String> = got
        .iter()
        .map(|r| r.json()["ExternalOrderId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(confirmations.len(), ORDERS, "a delivery was sent twice");
    assert_eq!(orders.len(), ORDERS, "an order was reported twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_run_each_job_once_and_match_a_single_node() {
    let url = fresh_pg_database().await;
    let cluster = start(3, &url);
    let receiver = Receiver::start(&[]).await;
    let three = cluster.run(&receiver).await;
    assert_delivered_once(&receiver);
    drop(cluster);

    // No job was claimed twice, and the work was spread over the nodes' workers.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let runs: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT locked_by, COUNT(*), MAX(attempts) FROM jobs WHERE state = 'done' GROUP BY locked_by",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    eprintln!("jobs done per runner (runner, jobs, max claims): {runs:?}");
    assert!(runs.iter().map(|r| r.1).sum::<i64>() >= ORDERS as i64);
    assert!(
        runs.iter().all(|r| r.2 == 1),
        "a job was claimed more than once: {runs:?}"
    );
    assert!(
        runs.iter().any(|r| r.0.as_deref() != Some("test-clock")),
        "no node's worker ran a job: {runs:?}"
    );

    let single = start(1, &fresh_pg_database().await);
    let receiver = Receiver::start(&[]).await;
    let one = single.run(&receiver).await;
    assert_delivered_once(&receiver);

    assert_eq!(three, one, "three nodes and one node disagree");
    assert!(
        three.values().all(|o| o["statusName"] == "APPROVED"),
        "{three:?}"
    );
}
