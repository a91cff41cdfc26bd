//! Money moves exactly once under concurrency (docs/flexpay.md §5 last rule, §3 on 50129,
//! docs/platform.md §10 durability). Requests are fired from separate tasks released together by a
//! barrier, on the multi-thread runtime `dual!` provides, through the shared connection pool.

use crate::dual;
use crate::flexpay::lifecycle::{assert_code, follow_body, id_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;

dual!(
    parallel_full_refunds_move_money_once,
    parallel_refunds_of_the_remainder_move_money_once,
    parallel_partial_refunds_stop_at_the_charged_amount,
    parallel_charges_with_one_merchant_transaction_id_create_one_transaction,
    parallel_token_charges_each_commit_once,
    parallel_refunds_with_one_merchant_transaction_id_refund_once,
    parallel_captures_of_one_authorization_capture_once,
    parallel_voids_and_captures_of_one_authorization_one_wins,
    parallel_voids_and_full_refunds_of_one_charge_one_wins,
);

const N: usize = 20;

/// Sends every `(path, body)` at once from its own task; answers come back in input order.
async fn fire(app: &TestApp, requests: Vec<(String, Value)>) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let handles: Vec<_> = requests
        .into_iter()
        .map(|(path, body)| {
            let client = app.client.clone();
            let url = app.url(&path);
            let auth = TestApp::basic(&app.api_key);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let resp = client
                    .post(url)
                    .header("Authorization", auth)
                    .json(&body)
                    .send()
                    .await
                    .expect("request");
                let status = resp.status();
                let text = resp.text().await.expect("body");
                let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
                (status, v)
            })
        })
        .collect();
    let mut out = Vec::new();
    for r in futures::future::join_all(handles).await {
        let (status, v) = r.expect("task");
        assert_eq!(status, StatusCode::OK, "{v}");
        out.push((status, v));
    }
    out
}

fn transactions(answers: &[(StatusCode, Value)]) -> Vec<Value> {
    answers
        .iter()
        .map(|(_, v)| v["transaction"].clone())
        .collect()
}

fn codes(ts: &[Value]) -> Vec<String> {
    ts.iter()
        .map(|t| t["responseCode"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn approved(ts: &[Value]) -> Vec<&Value> {
    ts.iter().filter(|t| t["responseCode"] == "10000").collect()
}

fn follow_ups(id: &str, op: &str, prefix: &str, amount: Option<i64>) -> Vec<(String, Value)> {
    (0..N)
        .map(|i| {
            (
                format!("/v1/transactions/{id}/{op}"),
                follow_body(&format!("{prefix}-{i}"), amount),
            )
        })
        .collect()
}

/// All approved refunds of `original`, from the list (the stored truth, not the responses).
async fn stored_refunds(app: &TestApp, original: &str) -> Vec<Value> {
    let (status, v) = app.get("/v1/transactions?count=100").await;
    assert_eq!(status, StatusCode::OK);
    v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["transactionType"] == "Refund"
                && t["originalTransactionId"] == original
                && t["responseCode"] == "10000"
        })
        .cloned()
        .collect()
}

fn sum(ts: &[Value]) -> i64 {
    ts.iter().map(|t| t["amount"].as_i64().unwrap()).sum()
}

async fn parallel_full_refunds_move_money_once(app: TestApp) {
    let charge = app.charge("charge", 5000).await;
    let cid = id_of(&charge);
    let ts = transactions(&fire(&app, follow_ups(&cid, "refund", "r", Some(5000))).await);

    let ok = approved(&ts);
    assert_eq!(ok.len(), 1, "exactly one refund approved: {:?}", codes(&ts));
    assert_eq!(ok[0]["amount"], 5000);
    for t in &ts {
        if t["responseCode"] != "10000" {
            assert_code(t, "30015");
        }
    }
    let stored = stored_refunds(&app, &cid).await;
    assert_eq!(stored.len(), 1);
    assert!(sum(&stored) <= 5000);
    let after = crate::flexpay::lifecycle::follow(&app, "refund", &cid, "r-after", Some(1)).await;
    assert_code(&after, "30015");
}

async fn parallel_refunds_of_the_remainder_move_money_once(app: TestApp) {
    // Amount absent = "all that remains", decided concurrently.
    let charge = app.charge("charge", 4200).await;
    let cid = id_of(&charge);
    let ts = transactions(&fire(&app, follow_ups(&cid, "refund", "r", None)).await);

    let ok = approved(&ts);
    assert_eq!(ok.len(), 1, "exactly one refund approved: {:?}", codes(&ts));
    assert_eq!(ok[0]["amount"], 4200);
    for t in &ts {
        if t["responseCode"] != "10000" {
            assert_code(t, "30015");
        }
    }
    assert_eq!(sum(&stored_refunds(&app, &cid).await), 4200);
}

async fn parallel_partial_refunds_stop_at_the_charged_amount(app: TestApp) {
    const A: i64 = 300;
    let charge = app.charge("charge", 5 * A).await;
    let cid = id_of(&charge);
    let ts = transactions(&fire(&app, follow_ups(&cid, "refund", "r", Some(A))).await);

    let ok = approved(&ts);
    assert_eq!(
        ok.len(),
        5,
        "exactly five refunds approved: {:?}",
        codes(&ts)
    );
    for t in &ts {
        if t["responseCode"] == "10000" {
            assert_eq!(t["amount"], A);
        } else {
            assert_code(t, "30015");
        }
    }
    let stored = stored_refunds(&app, &cid).await;
    assert_eq!(stored.len(), 5);
    assert_eq!(sum(&stored), 5 * A);
}

async fn parallel_charges_with_one_merchant_transaction_id_create_one_transaction(app: TestApp) {
    let requests = (0..N)
        .map(|_| {
            (
                "/v1/gateways/charge".to_string(),
                card_payment("same-mtid", 1999),
            )
        })
        .collect();
    let ts = transactions(&fire(&app, requests).await);

    let winners: Vec<&Value> = ts.iter().filter(|t| t["responseCode"] != "50129").collect();
    assert_eq!(
        winners.len(),
        1,
        "one charge, others 50129: {:?}",
        codes(&ts)
    );
    assert_code(winners[0], "10000");
    assert_eq!(winners[0]["transactionType"], "Charge");
    for t in &ts {
        if t["responseCode"] == "50129" {
            assert_code(t, "50129");
        }
    }

    let (_, list) = app.get("/v1/transactions?count=100").await;
    let charges: Vec<&Value> = list["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["transactionType"] == "Charge" && t["merchantTransactionId"] == "same-mtid")
        .collect();
    assert_eq!(charges.len(), 1, "{list}");
    assert_eq!(charges[0]["transactionId"], winners[0]["transactionId"]);
    let (status, v) = app
        .get("/v1/transactions/byMerchantTransactionId/same-mtid")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["transaction"]["transactionId"],
        winners[0]["transactionId"]
    );
}

/// Vault-token charges are the payments SQLite writes in shared statements (group commit):
/// many at once, some reusing one merchantTransactionId, must each be answered with their own
/// outcome and stored exactly once.
async fn parallel_token_charges_each_commit_once(app: TestApp) {
    let mut card = vault_card(VISA, "879");
    card["creditCard"].as_object_mut().unwrap().remove("cvv");
    let (status, v) = app
        .post(
            "/v1/paymentmethods",
            serde_json::json!({"paymentMethod": card}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let pm = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    let requests = (0..2 * N)
        .map(|i| {
            let mtid = if i % 2 == 0 {
                format!("tok-{i}")
            } else {
                "tok-same".into()
            };
            let amount = 1000 + i as i64;
            (
                "/v1/gateways/charge".to_string(),
                token_payment(&mtid, amount, &pm),
            )
        })
        .collect();
    let ts = transactions(&fire(&app, requests).await);

    let mut ids = std::collections::HashSet::new();
    for (i, t) in ts.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        assert_code(t, "10000");
        assert_eq!(t["merchantTransactionId"], format!("tok-{i}"));
        assert_eq!(t["amount"], 1000 + i as i64);
        assert!(ids.insert(t["transactionId"].clone()), "{t}");
    }
    let same: Vec<&Value> = ts.iter().skip(1).step_by(2).collect();
    let winners: Vec<&&Value> = same
        .iter()
        .filter(|t| t["responseCode"] != "50129")
        .collect();
    assert_eq!(winners.len(), 1, "{:?}", codes(&ts));
    assert_code(winners[0], "10000");

    let (_, list) = app.get("/v1/transactions?count=100").await;
    let charges: Vec<&Value> = list["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["transactionType"] == "Charge")
        .collect();
    assert_eq!(charges.len(), N + 1, "{list}");
    for i in (0..2 * N).step_by(2) {
        let (status, v) = app
            .get(&format!("/v1/transactions/byMerchantTransactionId/tok-{i}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["transaction"]["amount"], 1000 + i as i64);
    }
    let (_, v) = app
        .get("/v1/transactions/byMerchantTransactionId/tok-same")
        .await;
    assert_eq!(
        v["transaction"]["transactionId"],
        winners[0]["transactionId"]
    );
}

async fn parallel_refunds_with_one_merchant_transaction_id_refund_once(app: TestApp) {
    // A client retrying one refund request many times at once: one refund, never two.
    let charge = app.charge("charge", 1000).await;
    let cid = id_of(&charge);
    let requests = (0..N)
        .map(|_| {
            (
                format!("/v1/transactions/{cid}/refund"),
                follow_body("one-refund", Some(100)),
            )
        })
        .collect();
    let ts = transactions(&fire(&app, requests).await);
    let winners: Vec<&Value> = ts.iter().filter(|t| t["responseCode"] != "50129").collect();
    assert_eq!(winners.len(), 1, "{:?}", codes(&ts));
    assert_code(winners[0], "10000");
    let stored = stored_refunds(&app, &cid).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(sum(&stored), 100);
}

async fn parallel_captures_of_one_authorization_capture_once(app: TestApp) {
    let auth = app.authorize("auth", 2500).await;
    let aid = id_of(&auth);
    let ts = transactions(&fire(&app, follow_ups(&aid, "capture", "c", None)).await);

    let ok = approved(&ts);
    assert_eq!(
        ok.len(),
        1,
        "exactly one capture approved: {:?}",
        codes(&ts)
    );
    assert_eq!(ok[0]["amount"], 2500);
    for t in &ts {
        if t["responseCode"] != "10000" {
            assert_code(t, "30079");
        }
    }
    let (_, list) = app.get("/v1/transactions?count=100").await;
    let captures = list["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["transactionType"] == "Capture" && t["responseCode"] == "10000")
        .count();
    assert_eq!(captures, 1);
}

async fn parallel_voids_and_captures_of_one_authorization_one_wins(app: TestApp) {
    let auth = app.authorize("auth", 800).await;
    let aid = id_of(&auth);
    let mut requests = follow_ups(&aid, "capture", "c", None);
    requests.truncate(N / 2);
    requests.extend(follow_ups(&aid, "void", "v", None).into_iter().take(N / 2));
    let ts = transactions(&fire(&app, requests).await);

    let ok = approved(&ts);
    assert_eq!(
        ok.len(),
        1,
        "a capture or a void, not both: {:?}",
        codes(&ts)
    );
    let loser_code = if ok[0]["transactionType"] == "Capture" {
        ("30065", "30079") // void of a captured auth, second capture
    } else {
        ("30066", "30064") // second void, capture of a voided auth
    };
    for t in &ts {
        if t["responseCode"] == "10000" {
            continue;
        }
        match t["transactionType"].as_str() {
            Some("Void") => assert_code(t, loser_code.0),
            Some("Capture") => assert_code(t, loser_code.1),
            other => panic!("unexpected type {other:?}: {t}"),
        }
    }
}

async fn parallel_voids_and_full_refunds_of_one_charge_one_wins(app: TestApp) {
    let charge = app.charge("charge", 1200).await;
    let cid = id_of(&charge);
    let mut requests = follow_ups(&cid, "refund", "r", None);
    requests.truncate(N / 2);
    requests.extend(follow_ups(&cid, "void", "v", None).into_iter().take(N / 2));
    let ts = transactions(&fire(&app, requests).await);

    let ok = approved(&ts);
    assert_eq!(
        ok.len(),
        1,
        "a refund or a void, not both: {:?}",
        codes(&ts)
    );
    if ok[0]["transactionType"] == "Void" {
        // Voided: every refund is refused as already reversed.
        for t in ts.iter().filter(|t| t["transactionType"] == "Refund") {
            assert_code(t, "30066");
        }
        assert!(stored_refunds(&app, &cid).await.is_empty());
    } else {
        assert_eq!(sum(&stored_refunds(&app, &cid).await), 1200);
    }
}
