//! The FlexFactor order search (`GET /v1/orders?query=`) matches its text literally: `%` and `_`
//! are characters to find, not LIKE wildcards that match every order.

use crate::dual;
use crate::flexfactor::ff::{self, evaluate, evaluate_body, get_json};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

dual!(wildcards_in_the_order_query_match_literally);

fn order_ids(page: &Value) -> Vec<String> {
    let mut ids: Vec<String> = page["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("no orders in {page}"))
        .iter()
        .map(|o| o["externalOrderId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn wildcards_in_the_order_query_match_literally(app: TestApp) {
    let b = ff::token(&app).await;
    for order in ["plain-1", "ten%off", "a_b", "back\\slash"] {
        let (status, v) = evaluate(&app, &b, evaluate_body(order, ff::RESCUABLE)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let search = |q: &'static str| {
        let b = b.clone();
        let app = &app;
        async move {
            let (status, page) = get_json(app, &format!("/v1/orders?query={q}"), &b).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(
                page["totalItemCount"].as_i64().unwrap() as usize,
                order_ids(&page).len(),
                "{page}"
            );
            order_ids(&page)
        }
    };
    assert_eq!(search("%25").await, ["ten%off"]);
    assert_eq!(search("_").await, ["a_b"]);
    assert_eq!(search("%5C").await, ["back\\slash"]);
    assert_eq!(search("n%25o").await, ["ten%off"]);
    assert_eq!(search("a_").await, ["a_b"]);
    assert_eq!(search("PLAIN").await, ["plain-1"], "still case-blind");
    assert_eq!(search("nothing-like-it").await, Vec::<String>::new());
}
