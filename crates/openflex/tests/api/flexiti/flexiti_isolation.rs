//! Flexiti tenancy: another merchant's token, or the same merchant's live credentials, reach
//! none of a sandbox merchant's authorizations, captures or accounts — every attempt is the
//! same 404 an unknown id gets, and nothing moves. 127.0.0.1 is a trusted proxy here, so the
//! live client's calls count as HTTPS (see `fx.rs`).

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(config = |c| c.trusted_proxies = vec!["127.0.0.1/32".into()];
    other_merchants_and_modes_see_nothing);

async fn other_merchants_and_modes_see_nothing(app: TestApp) {
    let owner = Fx::merchant(&app).await;
    let base = format!("/admin/merchants/{}/flexiti", app.merchant_id);
    let (_, created) = app
        .admin(
            Method::POST,
            &format!("{base}/customers"),
            Some(
                json!({"firstName": "Iso", "lastName": "Late", "dob": "1980-08-08",
            "postalCode": "M5V2T6", "province": "ON", "riskRating": "L", "creditLimit": 500000}),
            ),
        )
        .await;
    let account = created["accountNumber"].as_str().unwrap().to_string();
    let (s, a) = owner
        .post("/authorization", json!({"account_number": account, "amount": "300.00", "auto_capture": false,
            "financing_option": {"transaction_type": "promotional_purchase", "plan_id": 2, "term": 6}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let id = a["authorization_id"].as_i64().unwrap();
    let (_, c) = owner
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "100.00"}),
        )
        .await;
    let cap = c["capture_id"].as_i64().unwrap();
    let before = owner.get(&format!("/authorization/{id}")).await;

    let other = app.new_merchant("sandbox").await;
    let live = app.issue(&app.merchant_id, "live").await;
    for outsider in [
        Fx::client(&app, &other.raw).await,
        Fx::client(&app, &live).await,
    ] {
        let calls: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/authorization/{id}"), None),
            (
                Method::POST,
                format!("/authorization/{id}/capture"),
                Some(json!({"amount": "1.00"})),
            ),
            (
                Method::POST,
                format!("/authorization/{id}/release"),
                Some(json!({})),
            ),
            (
                Method::POST,
                format!("/authorization/{id}/capture/{cap}/return"),
                Some(json!({"full_return": true})),
            ),
            (
                Method::POST,
                format!("/accounts/{account}/refund"),
                Some(json!({"amount": "1.00", "capture_id": cap})),
            ),
            (
                Method::GET,
                format!("/customers/lookup?account_number={account}"),
                None,
            ),
            (
                Method::POST,
                format!("/accounts/{account}/calculate-interest"),
                Some(json!({"amount": "10.00"})),
            ),
            (
                Method::POST,
                format!("/account/{account}/verify"),
                Some(json!({"format": "email"})),
            ),
            (
                Method::POST,
                format!("/accounts/{account}/close"),
                Some(json!({})),
            ),
            (
                Method::POST,
                "/authorization".into(),
                Some(json!({"account_number": account, "amount": "1.00", "auto_capture": true})),
            ),
        ];
        for (m, path, body) in calls {
            let r = outsider.send(m.clone(), &path, body, &[]).await;
            assert_eq!(r.0, StatusCode::NOT_FOUND, "{m} {path}: {}", r.1);
            assert!(!r.1.to_string().contains("Iso"), "{}", r.1);
        }
        let (_, list) = outsider.get("/authorizations").await;
        assert_eq!(list["total_count"], 0, "{list}");
        let (_, list) = outsider.get("/captures").await;
        assert_eq!(list["total_count"], 0, "{list}");
        // The owner's client id in the path with the outsider's token is refused outright.
        let mut borrowed = outsider;
        borrowed.client_id = owner.client_id.clone();
        let r = borrowed.get(&format!("/authorization/{id}")).await;
        assert_error(&r, StatusCode::FORBIDDEN, "client_id_mismatch");
    }
    assert_eq!(
        owner.get(&format!("/authorization/{id}")).await,
        before,
        "nothing moved"
    );
    let (s, v) = owner
        .get(&format!("/customers/lookup?account_number={account}"))
        .await;
    assert_eq!(
        (s, v["account_status"].clone()),
        (StatusCode::OK, json!("N"))
    );
}
