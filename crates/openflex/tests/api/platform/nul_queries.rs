//! A NUL in a query string is refused before any handler sees it, and each dialect refuses it in
//! its own error format: the check is shared, the words are the dialect's.

use crate::dual;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

dual!(nul_in_a_query_string_is_refused_in_each_dialects_format);

async fn nul_in_a_query_string_is_refused_in_each_dialects_format(app: TestApp) {
    // FlexPay: its transaction envelope with 50000.
    let (status, v) = app.get("/v1/transactions?sinceToken=a%00b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50000", "{v}");
    // FlexFactor: the flat validation map with a TraceId.
    let resp = app
        .client
        .get(app.url("/v1/orders?query=a%00b"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert!(v["query"][0].as_str().unwrap().contains("NUL"), "{v}");
    assert!(v["TraceId"].is_array(), "{v}");
    // Flexiti: its error body, general_error, with the url.
    let path = "/flexiti/pos-api/v2.5/client-id/x/authorizations";
    let resp = app
        .client
        .get(app.url(&format!("{path}?account_number=a%00b")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "general_error", "{v}");
    assert_eq!(v["url"], path, "{v}");
}
