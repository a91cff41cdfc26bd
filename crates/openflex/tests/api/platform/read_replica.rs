//! The read replica (issue 19 §1, `database_read_url`): lists read a real streaming standby,
//! money never does, and a replica that goes away is read around.
//!
//! Proof that a list came from the standby: its WAL replay is paused, so a charge committed on
//! the primary afterwards is on the primary (and flushed to the standby, which is synchronous)
//! but not yet visible there. The list must not show it, while the charge's own page and a
//! refund of it — reads that decide — must find it. Replay resumed, the list catches up; the
//! standby killed, the list answers from the primary.
//!
//! Skipped, saying so, only where PostgreSQL's server binaries are not installed (`.ci/run`
//! installs them).

use super::pg_pair::{self, Pair};
use crate::helpers::{VISA, token_payment, unique_id, vault_card};
use crate::process;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use std::time::{Duration, Instant};

struct Node {
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl Node {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v
    }

    async fn charge(&self, mtid: &str, pm: &str) -> String {
        let v = self
            .send(
                reqwest::Method::POST,
                "/v1/gateways/charge",
                Some(token_payment(mtid, 1500, pm)),
            )
            .await;
        assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
        v["transaction"]["transactionId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The merchantTransactionIds FlexPay's transaction list shows.
    async fn listed(&self) -> Vec<String> {
        let v = self
            .send(reqwest::Method::GET, "/v1/transactions?count=100", None)
            .await;
        v["transactions"]
            .as_array()
            .unwrap_or_else(|| panic!("no list: {v}"))
            .iter()
            .filter_map(|t| t["merchantTransactionId"].as_str().map(String::from))
            .collect()
    }

    /// Waits until the list shows `mtid` (the replica replays within moments).
    async fn until_listed(&self, mtid: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.listed().await.iter().any(|m| m == mtid) {
            assert!(Instant::now() < deadline, "{mtid} never listed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn standby_sql(pair: &Pair, sql: &'static str) {
    let mut db = sqlx::PgConnection::connect(&pair.standby.url())
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut db).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_read_the_replica_and_money_reads_the_primary() {
    let Some(bin) = pg_pair::server_binaries() else {
        eprintln!(
            "SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin \
             (install the postgresql package; .ci/run does)"
        );
        return;
    };
    let mut pair = Pair::start(bin).await;
    let dir = std::env::temp_dir().join(unique_id("openflex-replica"));
    let standby = pair.standby.url();
    let server = process::start_with_env(
        &dir,
        &pair.primary.url(),
        "warn",
        &[("OPENFLEX_DATABASE_READ_URL", standby.as_str())],
    );
    let creds = process::sandbox_credentials(&dir);
    let node = Node {
        client: reqwest::Client::new(),
        base: server.base.clone(),
        auth: format!("Basic {}", creds["flexpay"]["apiKey"].as_str().unwrap()),
    };
    let pm = server
        .vault(
            &node.client,
            creds["flexpay"]["apiKey"].as_str().unwrap(),
            &json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;
    node.charge("replica-a", &pm).await;
    node.until_listed("replica-a").await;

    // The standby stops applying what it receives: the primary moves on without it showing.
    standby_sql(&pair, "SELECT pg_wal_replay_pause()").await;
    let b = node.charge("replica-b", &pm).await;
    let listed = node.listed().await;
    assert!(listed.iter().any(|m| m == "replica-a"), "{listed:?}");
    assert!(
        !listed.iter().any(|m| m == "replica-b"),
        "the list was read from the primary: {listed:?}"
    );
    // What decides money reads the primary: the charge is there and can be refunded.
    let v = node
        .send(reqwest::Method::GET, &format!("/v1/transactions/{b}"), None)
        .await;
    assert_eq!(
        v["transaction"]["merchantTransactionId"], "replica-b",
        "{v}"
    );
    let v = node
        .send(
            reqwest::Method::POST,
            &format!("/v1/transactions/{b}/refund"),
            Some(json!({"transaction": {"merchantTransactionId": "replica-b-refund", "amount": 500}})),
        )
        .await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");

    standby_sql(&pair, "SELECT pg_wal_replay_resume()").await;
    node.until_listed("replica-b").await;

    // The replica lost: lists answer from the primary. (No charge now: the standby is also
    // the primary's synchronous standby, without which commits wait — README, Production on
    // PostgreSQL.)
    pair.standby.kill();
    let listed = node.listed().await;
    for m in ["replica-a", "replica-b"] {
        assert!(listed.iter().any(|l| l == m), "{m} missing: {listed:?}");
    }
    let log = std::fs::read_to_string(&server.stderr).unwrap_or_default();
    assert!(
        log.contains("read replica unavailable"),
        "the fallback was not reported: {log}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
