//! A first walk through the Flexiti dialect: token, lookup, quote, purchase, capture, return.

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

dual!(purchase_capture_and_return);

async fn purchase_capture_and_return(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (s, v) = fx
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["available_credit"], "10000.00");
    let (s, v) = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": 60.00}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p4 = v["promotional_purchase"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan_id"] == 4)
        .unwrap()
        .clone();
    assert_eq!(p4["terms"][0]["term_amount"], json!(20.33), "{p4}");
    let (s, a) = fx
        .post("/authorization", json!({"account_number": JANE, "amount": "600.00", "auto_capture": false,
            "financing_option": {"transaction_type": "promotional_purchase", "plan_id": 3, "term": 12}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["financing_cost"], "49.99");
    assert_eq!(a["available_credit"], "9350.01");
    let id = a["authorization_id"].as_i64().unwrap();
    let (s, c) = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "600.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["authorization_status"], "closed");
    let cap = c["capture_id"].as_i64().unwrap();
    let (s, r) = fx
        .post(
            &format!("/authorization/{id}/capture/{cap}/return"),
            json!({"full_return": false, "amount": "100.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["remaining_capture_amount"], "500.00");
    let (s, v) = fx
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    // 10000 - 649.99 + 100 + floor(49.99 * 100 / 600) = 9450.01 + 8.33
    assert_eq!(v["available_credit"], "9458.34");
}
