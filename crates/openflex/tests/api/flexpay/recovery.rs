//! Recovery chains (docs/flexpay.md §7): referenceData links the attempts of one declined rebill;
//! a retry must present the latest one with the next retryCount, within card-network limits.

use crate::dual;
use crate::helpers::*;
use serde_json::{Value, json};

dual!(
    a_chain_of_retries_ends_in_approval_and_is_visible,
    stale_tampered_or_foreign_reference_data_is_refused,
    the_retry_count_must_follow_the_chain,
    hard_declines_and_network_limits_stop_retries,
    concurrent_retries_of_one_decline_record_one_attempt,
    a_merchant_can_retry_less_but_never_more,
    issuer_errors_cascade_to_another_gateway,
    scheduler_mode_retries_until_approval_or_limits,
    a_refund_request_stops_a_recovery,
    the_limit_holds_per_card_and_order_across_chains,
);

async fn retry(
    app: &TestApp,
    mtid: &str,
    amount: i64,
    reference: &Value,
    retry_count: i64,
    key: &str,
) -> Value {
    let mut body = token_payment(mtid, amount, key);
    body["transaction"]["orderId"] = json!("rebill-1");
    body["transaction"]["referenceData"] = reference.clone();
    body["transaction"]["retryCount"] = json!(retry_count);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    v["transaction"].clone()
}

async fn first_decline(app: &TestApp, pm: &str) -> Value {
    let mut body = token_payment("rebill-1-a0", 2008, pm);
    body["transaction"]["orderId"] = json!("rebill-1");
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    let t = v["transaction"].clone();
    assert_eq!(t["responseCode"], "20003", "{t}");
    t
}

async fn a_chain_of_retries_ends_in_approval_and_is_visible(app: TestApp) {
    let pm = app.vault_visa().await;
    let a0 = first_decline(&app, &pm).await;
    let a1 = retry(&app, "rebill-1-a1", 2008, &a0["referenceData"], 1, &pm).await;
    assert_eq!(a1["responseCode"], "20003", "{a1}");
    assert_ne!(
        a1["referenceData"], a0["referenceData"],
        "each decline issues a new token"
    );
    assert_eq!(
        a1["dateFirstAttempt"], a0["dateFirstAttempt"],
        "the chain's first attempt is carried along"
    );
    let a2 = retry(&app, "rebill-1-a2", 2008 + 1, &a1["referenceData"], 2, &pm).await;
    assert_eq!(a2["responseCode"], "10000", "{a2}");
    assert_eq!(a2["retryCount"], 2);
    assert_eq!(a2["retryDate"], Value::Null);
    assert_eq!(a2["dateFirstAttempt"], a0["dateFirstAttempt"]);

    let (status, v) = app
        .get(&format!(
            "/v1/transactions/{}/chain",
            a1["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let ids: Vec<&str> = v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["transactionId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            a0["transactionId"].as_str().unwrap(),
            a1["transactionId"].as_str().unwrap(),
            a2["transactionId"].as_str().unwrap()
        ]
    );

    // The chain is over once approved: its last token cannot start another attempt.
    let again = retry(&app, "rebill-1-a3", 1000, &a1["referenceData"], 2, &pm).await;
    assert_eq!(again["responseCode"], "50132", "{again}");
}

async fn stale_tampered_or_foreign_reference_data_is_refused(app: TestApp) {
    let pm = app.vault_visa().await;
    let a0 = first_decline(&app, &pm).await;
    let a1 = retry(&app, "rebill-1-a1", 2008, &a0["referenceData"], 1, &pm).await;
    assert_eq!(a1["responseCode"], "20003");
    let stale = retry(&app, "rebill-1-stale", 1000, &a0["referenceData"], 2, &pm).await;
    assert_eq!(stale["responseCode"], "50132", "{stale}");
    assert!(
        stale["response"]["errorDetail"]
            .as_str()
            .unwrap()
            .contains("latest")
    );

    let mut tampered = a1["referenceData"].as_str().unwrap().to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let t = retry(&app, "rebill-1-tampered", 1000, &json!(tampered), 2, &pm).await;
    assert_eq!(t["responseCode"], "50132");

    let other = app.new_merchant("sandbox").await;
    let mut body = card_payment("foreign-1", 1000);
    body["transaction"]["referenceData"] = a1["referenceData"].clone();
    body["transaction"]["retryCount"] = json!(2);
    let (_, v) = app
        .post_as(&other.api_key, "/v1/gateways/charge", body)
        .await;
    assert_eq!(
        v["transaction"]["responseCode"], "50132",
        "another merchant's token"
    );
}

async fn the_retry_count_must_follow_the_chain(app: TestApp) {
    let pm = app.vault_visa().await;
    let a0 = first_decline(&app, &pm).await;
    for wrong in [0, 2, 7] {
        let t = retry(
            &app,
            &format!("rebill-1-wrong-{wrong}"),
            1000,
            &a0["referenceData"],
            wrong,
            &pm,
        )
        .await;
        assert_eq!(t["responseCode"], "50000", "retryCount {wrong}: {t}");
        assert!(
            t["response"]["errorDetail"]
                .as_str()
                .unwrap()
                .contains("retryCount must be 1")
        );
    }
    let ok = retry(&app, "rebill-1-a1", 1000, &a0["referenceData"], 1, &pm).await;
    assert_eq!(ok["responseCode"], "10000");
}

async fn hard_declines_and_network_limits_stop_retries(app: TestApp) {
    let pm = app.vault_visa().await;
    let mut body = token_payment("hard-0", 3016, &pm);
    body["transaction"]["orderId"] = json!("rebill-1");
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    let hard = v["transaction"].clone();
    assert_eq!(hard["responseCode"], "30011");
    let t = retry(&app, "hard-1", 1000, &hard["referenceData"], 1, &pm).await;
    assert_eq!(
        t["responseCode"], "30100",
        "no retry after a hard decline: {t}"
    );

    // 30 days from the first attempt.
    let a0 = first_decline(&app, &pm).await;
    app.advance_clock(&app.merchant_id, 31 * 86400).await;
    let t = retry(&app, "late-1", 1000, &a0["referenceData"], 1, &pm).await;
    assert_eq!(t["responseCode"], "30100", "{t}");

    // At most 15 retries per chain.
    let mut body = token_payment("limit-0", 2008, &pm);
    body["transaction"]["orderId"] = json!("rebill-2");
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    let mut last = v["transaction"].clone();
    for n in 1..=15 {
        last = retry(
            &app,
            &format!("limit-{n}"),
            2008,
            &last["referenceData"],
            n,
            &pm,
        )
        .await;
        assert_eq!(last["responseCode"], "20003", "retry {n}: {last}");
    }
    assert_eq!(
        last["retryDate"],
        Value::Null,
        "no retry date once the limit is reached"
    );
    let t = retry(&app, "limit-16", 1000, &last["referenceData"], 16, &pm).await;
    assert_eq!(t["responseCode"], "30100", "{t}");
}

async fn concurrent_retries_of_one_decline_record_one_attempt(app: TestApp) {
    let pm = app.vault_visa().await;
    let a0 = first_decline(&app, &pm).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (app, pm, rd) = (app.clone(), pm.clone(), a0["referenceData"].clone());
        tasks.push(tokio::spawn(async move {
            retry(&app, &format!("race-{i}"), 1000, &rd, 1, &pm).await
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        let t = t.await.unwrap();
        let code = t["responseCode"]
            .as_str()
            .unwrap_or_else(|| panic!("no responseCode: {t}"));
        codes.push(code.to_string());
    }
    assert_eq!(
        codes.iter().filter(|c| *c == "10000").count(),
        1,
        "{codes:?}"
    );
    assert!(
        codes.iter().all(|c| c == "10000" || c == "50132"),
        "{codes:?}"
    );
    let (_, v) = app
        .get(&format!(
            "/v1/transactions/{}/chain",
            a0["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        v["transactions"].as_array().unwrap().len(),
        2,
        "the first decline and one retry"
    );
}

async fn a_merchant_can_retry_less_but_never_more(app: TestApp) {
    use reqwest::{Method, StatusCode};
    let path = format!("/admin/merchants/{}/retry-policy", app.merchant_id);
    let (status, v) = app.admin(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v,
        json!({"maxRetries": 15, "windowDays": 30, "paydayHour": 6, "schedulerMode": false})
    );
    for bad in [
        json!({"maxRetries": 16}),
        json!({"windowDays": 31}),
        json!({"windowDays": 0}),
        json!({"paydayHour": 24}),
        json!({"maxRetries": "many"}),
    ] {
        let (status, v) = app.admin(Method::PUT, &path, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (status, v) = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"maxRetries": 1, "paydayHour": 9})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"maxRetries": 1, "windowDays": 30, "paydayHour": 9, "schedulerMode": false})
    );

    let pm = app.vault_visa().await;
    let funds = app.charge("funds-1", 2012).await;
    let at = time::OffsetDateTime::parse(
        funds["retryDate"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(at.hour(), 9, "the merchant's pay-day hour");
    let a0 = first_decline(&app, &pm).await;
    let a1 = retry(&app, "rebill-1-a1", 2008, &a0["referenceData"], 1, &pm).await;
    assert_eq!(a1["responseCode"], "20003");
    assert_eq!(
        a1["retryDate"],
        Value::Null,
        "the merchant allows one retry"
    );
    let a2 = retry(&app, "rebill-1-a2", 1000, &a1["referenceData"], 2, &pm).await;
    assert_eq!(a2["responseCode"], "30100", "{a2}");
    let (status, _) = app
        .admin(Method::GET, "/admin/merchants/nope/retry-policy", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn issuer_errors_cascade_to_another_gateway(app: TestApp) {
    use reqwest::StatusCode;
    let (_, v) = app.get("/v1/gateways").await;
    let primary = v["gateways"][0]["gatewayToken"]
        .as_str()
        .unwrap()
        .to_string();
    // The primary gateway's own outcome table: 1500 cents fails with a system error (20046).
    let (status, _) = app
        .put(
            &format!("/v1/gateways/{primary}"),
            json!({"gateway": {"settings": {"outcomes": {"1500": 20046}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = app
        .post(
            "/v1/gateways",
            json!({"gateway": {"name": "Backup acquirer", "weight": 0}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let backup = v["gateway"]["gatewayToken"].as_str().unwrap().to_string();

    let pm = app.vault_visa().await;
    let mut body = token_payment("cascade-0", 1500, &pm);
    body["transaction"]["gatewayToken"] = json!(primary);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    let a0 = v["transaction"].clone();
    assert_eq!(a0["responseCode"], "20046", "{a0}");
    assert_eq!(a0["gatewayToken"], primary.as_str());
    assert_eq!(
        a0["assignedGatewayToken"],
        backup.as_str(),
        "issuer/system errors cascade: {a0}"
    );

    let a1 = retry(&app, "cascade-1", 1500, &a0["referenceData"], 1, &pm).await;
    assert_eq!(
        a1["gatewayToken"],
        backup.as_str(),
        "the retry follows assignedGatewayToken"
    );
    assert_eq!(a1["responseCode"], "10000", "{a1}");

    // A do-not-honor decline stays on its gateway.
    let mut body = token_payment("stay-0", 2008, &pm);
    body["transaction"]["gatewayToken"] = json!(primary);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(v["transaction"]["responseCode"], "20003");
    assert_eq!(v["transaction"]["assignedGatewayToken"], primary.as_str());

    // A gateway that refuses retries is not proposed.
    let (status, _) = app
        .put(
            &format!("/v1/gateways/{backup}"),
            json!({"gateway": {"acceptRetries": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut body = token_payment("cascade-2", 1500, &pm);
    body["transaction"]["gatewayToken"] = json!(primary);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(
        v["transaction"]["assignedGatewayToken"],
        primary.as_str(),
        "{v}"
    );
}

async fn set_policy(app: &TestApp, policy: Value) {
    let path = format!("/admin/merchants/{}/retry-policy", app.merchant_id);
    let (status, v) = app.admin(reqwest::Method::PUT, &path, Some(policy)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
}

async fn chain_of(app: &TestApp, id: &Value) -> Vec<Value> {
    let (_, v) = app
        .get(&format!("/v1/transactions/{}/chain", id.as_str().unwrap()))
        .await;
    v["transactions"].as_array().unwrap().clone()
}

async fn scheduler_mode_retries_until_approval_or_limits(app: TestApp) {
    set_policy(&app, json!({"schedulerMode": true, "maxRetries": 2})).await;
    let (_, v) = app.get("/v1/gateways").await;
    let primary = v["gateways"][0]["gatewayToken"]
        .as_str()
        .unwrap()
        .to_string();
    app.put(
        &format!("/v1/gateways/{primary}"),
        json!({"gateway": {"settings": {"outcomes": {"1500": 20046}}}}),
    )
    .await;
    let (_, v) = app
        .post(
            "/v1/gateways",
            json!({"gateway": {"name": "Backup", "weight": 0}}),
        )
        .await;
    let backup = v["gateway"]["gatewayToken"].as_str().unwrap().to_string();
    let pm = app.vault_visa().await;

    // A system error: the server retries an hour later, through the backup acquirer.
    let mut body = token_payment("sm-1", 1500, &pm);
    body["transaction"]["gatewayToken"] = json!(primary);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    let a0 = v["transaction"].clone();
    assert_eq!(a0["responseCode"], "20046");
    let clock = app.advance_clock(&app.merchant_id, 1800).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] != "flexpay_scheduled_retry"),
        "not yet due"
    );
    let clock = app.advance_clock(&app.merchant_id, 1801).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "flexpay_scheduled_retry"
                && r["detail"].as_str().unwrap().contains("10000")),
        "{clock}"
    );
    let chain = chain_of(&app, &a0["transactionId"]).await;
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1]["responseCode"], "10000");
    assert_eq!(chain[1]["retryCount"], 1);
    assert_eq!(chain[1]["gatewayToken"], backup.as_str());
    assert_eq!(chain[1]["merchantTransactionId"], "sm-1-retry1");

    // Do-not-honor keeps failing: retried after 1 and 2 days, then the merchant's limit (2) ends it.
    let a0 = app.charge("sm-2", 2008).await;
    app.advance_clock(&app.merchant_id, 86400).await;
    app.advance_clock(&app.merchant_id, 2 * 86400).await;
    app.advance_clock(&app.merchant_id, 10 * 86400).await;
    let chain = chain_of(&app, &a0["transactionId"]).await;
    let codes: Vec<&str> = chain
        .iter()
        .map(|t| t["responseCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["20003", "20003", "20003"], "{chain:?}");
    assert_eq!(chain[2]["retryDate"], Value::Null, "limit reached");

    // The results are what GET /v1/transactions shows a polling merchant.
    let (_, v) = app
        .get("/v1/transactions?order=desc&count=100&responseType=simplified")
        .await;
    let ids: Vec<&str> = v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["initialMerchantTransactionId"].as_str())
        .collect();
    assert!(
        ids.contains(&"sm-2-retry2") && ids.contains(&"sm-1-retry1"),
        "{ids:?}"
    );
}

async fn a_refund_request_stops_a_recovery(app: TestApp) {
    set_policy(&app, json!({"schedulerMode": true})).await;
    let a0 = app.charge("stop-1", 2008).await;
    assert!(a0["retryDate"].is_string());
    let (_, v) = app
        .post(
            &format!(
                "/v1/transactions/{}/refund",
                a0["transactionId"].as_str().unwrap()
            ),
            json!({"transaction": {"merchantTransactionId": "stop-1-refund"}}),
        )
        .await;
    let refund = v["transaction"].clone();
    assert_eq!(refund["transactionType"], "Refund");
    assert_eq!(refund["responseCode"], "10000", "{refund}");
    assert_eq!(refund["amount"], 0, "no money moves");
    assert_eq!(refund["completionStatus"], "Cancelled");
    let (_, v) = app
        .get(&format!(
            "/v1/transactions/{}",
            a0["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(v["transaction"]["completionStatus"], "Cancelled");
    assert_eq!(v["transaction"]["retryDate"], Value::Null);
    let clock = app.advance_clock(&app.merchant_id, 5 * 86400).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r["detail"].as_str().unwrap().contains("retry #")),
        "{clock}"
    );
    assert_eq!(chain_of(&app, &a0["transactionId"]).await.len(), 1);
    // A second refund request finds no open recovery: the ordinary rule answers (a decline
    // cannot be refunded).
    let (_, v) = app
        .post(
            &format!(
                "/v1/transactions/{}/refund",
                a0["transactionId"].as_str().unwrap()
            ),
            json!({"transaction": {"merchantTransactionId": "stop-1-refund-2"}}),
        )
        .await;
    assert_eq!(v["transaction"]["responseCode"], "30011");
}

async fn the_limit_holds_per_card_and_order_across_chains(app: TestApp) {
    let pm = app.vault_visa().await;
    let attempt = |n: usize| {
        let mut body = token_payment(&format!("fresh-{n}"), 2008, &pm);
        body["transaction"]["orderId"] = json!("order-7");
        body
    };
    // Sixteen declines (a first attempt and 15 retries), each sent as a fresh chain.
    for n in 0..16 {
        let (_, v) = app.post("/v1/gateways/charge", attempt(n)).await;
        assert_eq!(v["transaction"]["responseCode"], "20003", "attempt {n}");
        if n == 15 {
            assert_eq!(
                v["transaction"]["retryDate"],
                Value::Null,
                "15 retries used"
            );
        }
    }
    let (_, v) = app.post("/v1/gateways/charge", attempt(16)).await;
    assert_eq!(v["transaction"]["responseCode"], "30100", "{v}");
    // Another order of the same card is not affected.
    let mut other = attempt(17);
    other["transaction"]["orderId"] = json!("order-8");
    let (_, v) = app.post("/v1/gateways/charge", other).await;
    assert_eq!(v["transaction"]["responseCode"], "20003");
}
