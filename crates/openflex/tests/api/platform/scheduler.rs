//! The job scheduler: exclusive claims under concurrent workers, lease expiry with fencing, and
//! the sandbox test clock running what became due.

use crate::dual;
use crate::helpers::*;
use openflex_store::{JobRow, Store};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

dual!(
    concurrent_workers_never_claim_a_job_twice,
    a_lapsed_lease_is_taken_over_and_the_stale_worker_is_fenced_off,
    test_clock_redacts_a_cached_card_when_its_ttl_passes,
    test_clock_purges_an_unused_cvv_after_its_ttl,
);

fn job(id: String, merchant_id: &str, run_at: i64) -> JobRow {
    JobRow {
        id,
        kind: "expire_cvv".into(),
        merchant_id: Some(merchant_id.to_string()),
        mode: Some("sandbox".into()),
        payload: json!({"paymentMethodId": "none"}).to_string(),
        run_at,
        state: "pending".into(),
        attempts: 0,
        locked_until: None,
        locked_by: None,
        last_error: None,
        created_at: run_at,
        updated_at: run_at,
    }
}

/// "Now" for the workers of these tests: an hour ahead of real time, with the jobs due in
/// between, so the server's own background worker (which uses real time) leaves them alone.
fn now_us() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64 + 3_600_000_000
}

async fn concurrent_workers_never_claim_a_job_twice(app: TestApp) {
    let store = app.engine.store().clone();
    let now = now_us();
    let mut tx = store.begin().await.unwrap();
    for i in 0..60 {
        Store::insert_job(
            &mut tx,
            &job(format!("job-{i:03}"), &app.merchant_id, now - 1_800_000_000),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let now = now_us();
                let batch = store
                    .claim_jobs(now, now + 60_000_000, &format!("worker-{w}"), None, 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60, "every job claimed");
    assert_eq!(unique.len(), 60, "no job claimed twice");
}

async fn a_lapsed_lease_is_taken_over_and_the_stale_worker_is_fenced_off(app: TestApp) {
    let store = app.engine.store().clone();
    let now = now_us();
    let mut tx = store.begin().await.unwrap();
    Store::insert_job(
        &mut tx,
        &job("job-lease".into(), &app.merchant_id, now - 1_800_000_000),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Worker A claims with a lease that has already lapsed (it "crashed").
    let a = store.claim_jobs(now, now - 1, "a", None, 10).await.unwrap();
    assert_eq!(a.len(), 1);
    // Worker B takes it over.
    let b = store
        .claim_jobs(now, now + 60_000_000, "b", None, 10)
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].attempts, a[0].attempts + 1);
    // While B holds the lease, nobody else gets it.
    assert!(
        store
            .claim_jobs(now, now + 60_000_000, "c", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A wakes up and tries to finish: fenced off by the attempt count.
    assert!(
        !store
            .finish_job("job-lease", a[0].attempts, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_job("job-lease", b[0].attempts, now)
            .await
            .unwrap()
    );
    assert_eq!(store.job("job-lease").await.unwrap().unwrap().state, "done");
}

async fn test_clock_redacts_a_cached_card_when_its_ttl_passes(app: TestApp) {
    let mut body = card_payment("cached-1", 1000);
    body["transaction"]["retainOnSuccess"] = json!(false);
    let (status, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(status, StatusCode::OK);
    let pm = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(v["transaction"]["paymentMethod"]["storageState"], "Cached");

    let clock = app.advance_clock(&app.merchant_id, 23 * 3600).await;
    assert_eq!(
        clock["ran"].as_array().unwrap().len(),
        0,
        "nothing due yet: {clock}"
    );
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Cached");

    let clock = app.advance_clock(&app.merchant_id, 2 * 3600).await;
    let ran = clock["ran"].as_array().unwrap();
    assert!(
        ran.iter().any(|r| r["kind"] == "expire_cached_card"
            && r["outcome"] == "done"
            && r["detail"].as_str().unwrap().contains("redacted")),
        "{clock}"
    );
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Redacted");
    assert_eq!(
        v["paymentMethod"]["creditCardNumber"], "492020******9560",
        "metadata survives redaction"
    );

    let (_, v) = app
        .post("/v1/gateways/charge", token_payment("cached-2", 500, &pm))
        .await;
    assert_eq!(v["transaction"]["responseCode"], "50134");

    // A retained card is not touched by the same expiry.
    let t = app.charge("retained-1", 1000).await;
    let kept = t["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    app.advance_clock(&app.merchant_id, 25 * 3600).await;
    let (_, v) = app.get(&format!("/v1/paymentmethods/{kept}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Stored");
}

async fn test_clock_purges_an_unused_cvv_after_its_ttl(app: TestApp) {
    let pm = app.vault_visa().await;
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["cvv"], "***");
    let clock = app.advance_clock(&app.merchant_id, 3601).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "expire_cvv" && r["detail"].as_str().unwrap().contains("purged")),
        "{clock}"
    );
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["cvv"], serde_json::Value::Null);

    // Recache puts one back, with a fresh TTL that the old job does not cut short.
    let (_, v) = app
        .put(
            &format!("/v1/paymentmethods/{pm}/recache"),
            json!({"paymentMethod": {"cvv": "879"}}),
        )
        .await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    app.advance_clock(&app.merchant_id, 1800).await;
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["cvv"], "***");
    app.advance_clock(&app.merchant_id, 1801).await;
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["cvv"], serde_json::Value::Null);
    let row = app
        .engine
        .store()
        .payment_method(&app.merchant_id, "sandbox", &pm)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.cvv_ct.is_none(),
        "the recached CVV is purged from the database, not only hidden"
    );
}
