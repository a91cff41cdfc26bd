//! The Flexiti ledger's guarantees, end to end: no overdraft under concurrency, expiry by the
//! scheduler, idempotent money movements, the 100-day return rule, and the scope rules.

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    parallel_authorizations_never_overdraw_an_account,
    parallel_captures_and_returns_never_exceed_their_amounts,
    uncaptured_authorizations_expire_after_30_days,
    idempotency_keys_replay_without_moving_money_twice,
    returns_end_100_days_after_the_capture,
    customer_tokens_reach_only_customer_endpoints,
    ledger_identity_holds_after_mixed_operations,
);

fn regular(account: &str, amount: &str) -> Value {
    json!({"account_number": account, "amount": amount, "auto_capture": false,
        "financing_option": {"transaction_type": "regular_purchase"}})
}

fn promotional(account: &str, amount: &str, plan: i64, term: i64, auto_capture: bool) -> Value {
    json!({"account_number": account, "amount": amount, "auto_capture": auto_capture,
        "financing_option": {"transaction_type": "promotional_purchase", "plan_id": plan, "term": term}})
}

async fn available(fx: &Fx<'_>, account: &str) -> i64 {
    let (s, v) = fx
        .get(&format!("/customers/lookup?account_number={account}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    cents(&v["available_credit"])
}

async fn parallel_authorizations_never_overdraw_an_account(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    // Sam's limit is 1000.00: 20 holds of 100.00 race for it.
    let results =
        join_all((0..20).map(|_| fx.post("/authorization", regular(SAM, "100.00")))).await;
    let approved = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s != StatusCode::OK)
        .collect();
    assert_eq!(approved, 10, "{results:?}");
    for r in &refused {
        assert_error(r, StatusCode::CONFLICT, "credit_exceeded");
    }
    assert_eq!(available(&fx, SAM).await, 0);
    let (s, list) = fx
        .get(&format!(
            "/authorizations?account_number={SAM}&page_size=100"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total_count"], 10);
    let held: i64 = list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| cents(&a["amount"]))
        .sum();
    assert!(held <= 100_000);
}

async fn parallel_captures_and_returns_never_exceed_their_amounts(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (s, a) = fx
        .post("/authorization", promotional(JANE, "500.00", 3, 12, false))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let id = a["authorization_id"].as_i64().unwrap();
    let cap_path = format!("/authorization/{id}/capture");
    let caps = join_all((0..10).map(|_| fx.post(&cap_path, json!({"amount": "100.00"})))).await;
    let ok: Vec<_> = caps.iter().filter(|(s, _)| *s == StatusCode::OK).collect();
    assert_eq!(ok.len(), 5, "{caps:?}");
    for r in caps.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert!(
            r.1["error"] == "authorization_amount_exceeded"
                || r.1["error"] == "authorization_not_open",
            "{}",
            r.1
        );
    }
    let (_, auth) = fx.get(&format!("/authorization/{id}")).await;
    assert_eq!(auth["captured_amount"], "500.00");
    assert_eq!(auth["authorization_status"], "closed");
    let cost: i64 = auth["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| cents(&c["financing_cost"]))
        .sum();
    assert_eq!(cost, 4_999, "capture cost shares add up to the admin fee");

    let cap = ok[0].1["capture_id"].as_i64().unwrap();
    let ret_path = format!("/authorization/{id}/capture/{cap}/return");
    let rets = join_all(
        (0..5).map(|_| fx.post(&ret_path, json!({"full_return": false, "amount": "40.00"}))),
    )
    .await;
    let returned = rets.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(returned, 2, "{rets:?}");
    for r in rets.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_error(r, StatusCode::CONFLICT, "capture_amount_exceeded");
    }
}

async fn uncaptured_authorizations_expire_after_30_days(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let before = available(&fx, JANE).await;
    let (s, a) = fx
        .post("/authorization", promotional(JANE, "600.00", 3, 12, false))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let id = a["authorization_id"].as_i64().unwrap();
    assert_eq!(available(&fx, JANE).await, before - 64_999);
    app.advance_clock(&app.merchant_id, 30 * 86_400 - 60).await;
    let (_, v) = fx.get(&format!("/authorization/{id}")).await;
    assert_eq!(v["authorization_status"], "opened");
    app.advance_clock(&app.merchant_id, 61).await;
    let (_, v) = fx.get(&format!("/authorization/{id}")).await;
    assert_eq!(v["authorization_status"], "expired", "{v}");
    assert_eq!(v["remaining_authorization_amount"], "0.00");
    assert_eq!(available(&fx, JANE).await, before);
    let r = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "1.00"}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "authorization_not_open");
}

async fn idempotency_keys_replay_without_moving_money_twice(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let key = [("x-idempotency-key", "order-77-auth")];
    let first = fx
        .send(
            Method::POST,
            "/authorization",
            Some(regular(JANE, "250.00")),
            &key,
        )
        .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    let after_first = available(&fx, JANE).await;
    let again = fx
        .send(
            Method::POST,
            "/authorization",
            Some(regular(JANE, "250.00")),
            &key,
        )
        .await;
    assert_eq!(again, first);
    assert_eq!(available(&fx, JANE).await, after_first, "no second hold");

    // A different context hash gets the first answer and a warning.
    let resp = app
        .client
        .post(app.url(&fx.path("/authorization")))
        .header("Authorization", format!("Bearer {}", fx.token))
        .header("x-reference-id", "r")
        .header("x-idempotency-key", "order-77-auth")
        .header("x-context-hash", "another")
        .json(&regular(JANE, "999.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-idempotency-replayed"], "true");
    assert!(resp.headers().contains_key("warning"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, first.1);

    // A refused request does not burn its key.
    let id = first.1["authorization_id"].as_i64().unwrap();
    let cap_key = [("x-idempotency-key", "order-77-capture")];
    let path = format!("/authorization/{id}/capture");
    let r = fx
        .send(
            Method::POST,
            &path,
            Some(json!({"amount": "250.01"})),
            &cap_key,
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "authorization_amount_exceeded");
    let ok = fx
        .send(
            Method::POST,
            &path,
            Some(json!({"amount": "250.00"})),
            &cap_key,
        )
        .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let replay = fx
        .send(
            Method::POST,
            &path,
            Some(json!({"amount": "250.00"})),
            &cap_key,
        )
        .await;
    assert_eq!(replay, ok);
    let (_, auth) = fx.get(&format!("/authorization/{id}")).await;
    assert_eq!(auth["captures"].as_array().unwrap().len(), 1);
}

async fn returns_end_100_days_after_the_capture(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (s, a) = fx
        .post("/authorization", promotional(JANE, "300.00", 2, 6, true))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (id, cap) = (
        a["authorization_id"].as_i64().unwrap(),
        a["capture_id"].as_i64().unwrap(),
    );
    let path = format!("/authorization/{id}/capture/{cap}/return");
    app.advance_clock(&app.merchant_id, 99 * 86_400).await;
    let (s, r) = fx
        .post(&path, json!({"full_return": false, "amount": "100.00"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["remaining_capture_amount"], "200.00");
    app.advance_clock(&app.merchant_id, 2 * 86_400).await;
    let r = fx.post(&path, json!({"full_return": true})).await;
    assert_error(&r, StatusCode::CONFLICT, "return_date_exceeded");

    // Regular purchases are refunded to the account instead.
    let (s, a) = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "80.00", "auto_capture": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (id, cap) = (
        a["authorization_id"].as_i64().unwrap(),
        a["capture_id"].as_i64().unwrap(),
    );
    let r = fx
        .post(
            &format!("/authorization/{id}/capture/{cap}/return"),
            json!({"full_return": true}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_transaction_type");
    let (s, v) = fx
        .post(
            &format!("/accounts/{JANE}/refund"),
            json!({"amount": "80.00", "capture_id": cap}),
        )
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!({})));
    let r = fx
        .post(
            &format!("/accounts/{JANE}/refund"),
            json!({"amount": "0.01", "capture_id": cap}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "refunds_limit_exceeded_amount");
}

async fn customer_tokens_reach_only_customer_endpoints(app: TestApp) {
    let fx = Fx::customer(&app).await;
    let merchant_only: [(Method, String); 11] = [
        (
            Method::GET,
            "/customers/search?first_name=Jane&last_name=Doe&dob=1985-04-12".into(),
        ),
        (
            Method::GET,
            format!("/customers/lookup?account_number={JANE}"),
        ),
        (Method::POST, "/transactions".into()),
        (Method::POST, "/authorization/123/release".into()),
        (Method::POST, "/authorization/123/capture".into()),
        (Method::POST, "/authorization/123/capture/456/return".into()),
        (Method::POST, format!("/accounts/{JANE}/refund")),
        (Method::GET, "/authorizations".into()),
        (Method::GET, "/captures".into()),
        (Method::GET, "/authorization/123".into()),
        (Method::POST, "/merchants/login".into()),
    ];
    for (m, path) in merchant_only {
        let body = (m == Method::POST).then(|| json!({}));
        let r = fx.send(m.clone(), &path, body, &[]).await;
        assert_error(&r, StatusCode::FORBIDDEN, "insufficient_scope");
    }
    let (s, v) = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = fx.post("/authorization", regular(JANE, "10.00")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"format": "email"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = fx.get("/i18n?lang=fr").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Another client's id in the path is refused whatever the scope.
    let other = app.new_merchant("sandbox").await;
    let mut wrong = Fx::merchant(&app).await;
    wrong.client_id = other.raw["flexiti"]["clientId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = wrong
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "client_id_mismatch");
}

async fn ledger_identity_holds_after_mixed_operations(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (_, a) = fx
        .post("/authorization", promotional(BEA, "1234.56", 4, 12, false))
        .await;
    let id = a["authorization_id"].as_i64().unwrap();
    let (_, c) = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "234.56"}),
        )
        .await;
    let cap = c["capture_id"].as_i64().unwrap();
    fx.post(
        &format!("/authorization/{id}/release"),
        json!({"amount": "100.00"}),
    )
    .await;
    fx.post(
        &format!("/authorization/{id}/capture/{cap}/return"),
        json!({"full_return": false, "amount": "34.56"}),
    )
    .await;
    pin(&fx, BEA, "req-1").await;
    let (s, v) = fx
        .post("/transactions", json!({"transaction_type": "instore_payment", "amount": "50.00", "account_number": BEA,
            "verification_code": 2222, "request_id": "req-1", "external_location_id": "00-12345", "external_employee_id": "E1"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, list) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}/flexiti/customers", app.merchant_id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    for acct in list.as_array().unwrap() {
        let (limit, avail, held, bal) = (
            cents(&acct["creditLimit"]),
            cents(&acct["availableCredit"]),
            cents(&acct["held"]),
            acct["balance"]
                .as_str()
                .map(|b| {
                    let neg = b.starts_with('-');
                    let v = cents(&json!(b.trim_start_matches('-')));
                    if neg { -v } else { v }
                })
                .unwrap(),
        );
        assert_eq!(avail, limit - held - bal, "{acct}");
        assert!(avail >= 0 && held >= 0, "{acct}");
    }
}
