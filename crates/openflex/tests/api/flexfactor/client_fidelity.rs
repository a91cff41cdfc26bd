//! What real FlexFactor clients send and read, where openflex once differed from the vendor
//! (issue 16): the sample client's doubled slashes, the repeated or comma-listed `status`
//! filter, 405 answers, the order fields and token field names of the vendor's model, and the
//! `/v1/outcome` of an order waiting on a challenge.

use crate::dual;
use crate::flexfactor::ff::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    the_sample_clients_doubled_slashes_reach_their_endpoints,
    status_filters_repeat_or_come_as_a_comma_list,
    wrong_methods_are_problem_details_405001_with_allow,
    order_detail_and_token_use_the_vendors_names,
    outcome_of_a_challenge_is_submitted_not_declined,
);

async fn new_order(app: &TestApp, bearer: &str, order_id: &str, card: &str) -> String {
    let (status, v) = evaluate(app, bearer, evaluate_body(order_id, card)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["orderSessionKey"].as_str().unwrap().to_string()
}

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

async fn the_sample_clients_doubled_slashes_reach_their_endpoints(app: TestApp) {
    let b = token(&app).await;
    let id = new_order(&app, &b, "slashes-1", RESCUABLE).await;
    // The vendor's Node sample: a base URL ending in `/` joined with a path starting with `/`.
    let (status, v) = post_json(
        &app,
        "/v1//outcome",
        Some(&b),
        json!({"orderSessionKey": id}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("APPROVED")),
        "{v}"
    );
    let (status, v) = post_json(
        &app,
        &format!("/v1//orders/{id}/refund"),
        Some(&b),
        json!({"amountToRefund": 1.00, "refundMessage": "Customer request"}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("SUCCESS")),
        "{v}"
    );
    let (status, o) = get_json(&app, &format!("//v1///orders//{id}"), &b).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["refundedAmount"], 100, "{o}");
    // The query string is left as sent: its encoded comma is decoded by the filter itself.
    let (status, page) = get_json(&app, "/v1//orders?status=7%2C6", &b).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(order_ids(&page), ["slashes-1"]);
}

async fn status_filters_repeat_or_come_as_a_comma_list(app: TestApp) {
    let b = token(&app).await;
    new_order(&app, &b, "approved-1", RESCUABLE).await;
    new_order(&app, &b, "declined-1", DECLINED).await;
    let mut auth = evaluate_body("capture-1", RESCUABLE);
    auth["transactionType"] = json!("AUTHORIZATION");
    let (status, v) = evaluate(&app, &b, auth).await;
    assert_eq!(v["status"], "CAPTUREREQUIRED", "{status} {v}");

    let list = |query: &'static str| {
        let (app, b) = (&app, b.clone());
        async move {
            let (status, page) = get_json(app, &format!("/v1/orders?{query}"), &b).await;
            (status, page)
        }
    };
    for query in [
        "status=5&status=2",
        "status=5,2",
        "status=5%2C2",
        "Status=5&STATUS=2,5",
    ] {
        let (status, page) = list(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(
            order_ids(&page),
            ["capture-1", "declined-1"],
            "{query}: {page}"
        );
    }
    let (status, page) = list("status=7").await;
    assert_eq!(
        (status, order_ids(&page)),
        (StatusCode::OK, vec!["approved-1".to_string()])
    );

    // A bad value is quoted as the client meant it, decoded.
    let (status, v) = list("status=5%3B2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        v["Status"],
        json!(["The value '5;2' is not a valid status (0–7)."])
    );
    assert!(v["TraceId"].is_array(), "{v}");
    let (status, v) = list("status=5%2C9").await;
    assert_eq!(
        (status, &v["Status"]),
        (
            StatusCode::BAD_REQUEST,
            &json!(["The value '9' is not a valid status (0–7)."])
        )
    );
    // Single-valued parameters still name a repeat instead of guessing which one counts.
    let (status, v) = list("pageSize=5&pageSize=6").await;
    assert_eq!(
        (status, &v["PageSize"]),
        (
            StatusCode::BAD_REQUEST,
            &json!(["The field PageSize must be given at most once."])
        )
    );
}

async fn wrong_methods_are_problem_details_405001_with_allow(app: TestApp) {
    let b = token(&app).await;
    for (method, path, allow) in [
        (Method::GET, "/v1/evaluate", "POST"),
        (Method::PUT, "/v1/orders", "GET,HEAD"),
        (Method::DELETE, "/v1/orders/some-id", "GET,HEAD"),
        (Method::GET, "/v1/oauth2/token", "POST"),
        (Method::GET, "/v1//capture", "POST"),
    ] {
        let resp = app
            .client
            .request(method.clone(), app.url(path))
            .header("Authorization", format!("Bearer {b}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            resp.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["status"], 405, "{v}");
        assert_eq!(v["errorCode"], "405001", "{v}");
        assert_eq!(v["title"], "Method Not Allowed", "{v}");
        assert_eq!(
            v["detail"],
            format!(
                "The method {method} is not allowed for that resource; the Allow header lists the methods it takes."
            )
        );
        assert!(
            v["traceId"].as_str().is_some_and(|t| t.starts_with("00-")),
            "{v}"
        );
    }
}

async fn order_detail_and_token_use_the_vendors_names(app: TestApp) {
    let c = creds(&app);
    let (status, t) = post_json(
        &app,
        "/v1/oauth2/token",
        None,
        json!({"AppKey": c["appKey"], "AppSecret": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let fields = t.as_object().unwrap();
    assert!(fields.contains_key("daysToEnforceMFA"), "{t}");
    assert!(!fields.contains_key("daysToEnforceMfa"), "{t}");
    let b = t["accessToken"].as_str().unwrap().to_string();

    let mut body = evaluate_body("correlated-1", RESCUABLE);
    body["correlationId"] = json!("crm-7781");
    let (status, v) = evaluate(&app, &b, body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let id = v["orderId"].as_str().unwrap();
    let (_, o) = get_json(&app, &format!("/v1/orders/{id}"), &b).await;
    assert_eq!(o["correlationId"], "crm-7781", "{o}");
    assert_eq!(o["currencyCode"], "USD");
    assert_eq!(o["currencySymbol"], "$", "{o}");
    assert!(o.as_object().unwrap().contains_key("secondaryEmail"), "{o}");
    assert_eq!(o["secondaryEmail"], Value::Null, "no request carries one");

    // Without a correlationId, in another currency; the list carries the same fields.
    let mut body = evaluate_body("uncorrelated-1", RESCUABLE);
    body["transaction"]["currency"] = json!("eur");
    let (status, v) = evaluate(&app, &b, body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, page) = get_json(&app, "/v1/orders?orderBy=createdOn&sort=asc", &b).await;
    let orders = page["orders"].as_array().unwrap();
    let by_id = |ext: &str| {
        orders
            .iter()
            .find(|o| o["externalOrderId"] == ext)
            .unwrap_or_else(|| panic!("{ext} in {page}"))
    };
    assert_eq!(by_id("correlated-1")["correlationId"], "crm-7781");
    let other = by_id("uncorrelated-1");
    assert_eq!(other["correlationId"], Value::Null, "{other}");
    assert_eq!(other["currencySymbol"], "€", "{other}");
}

async fn outcome_of_a_challenge_is_submitted_not_declined(app: TestApp) {
    let b = token(&app).await;
    let mut body = evaluate_body("challenge-1", OTHER);
    body["payer"]["phone"] = json!("5551234567");
    let (_, v) = evaluate(&app, &b, body).await;
    assert_eq!(v["status"], "CHALLENGE", "{v}");
    let challenge = v["orderSessionKey"].as_str().unwrap().to_string();
    let declined = new_order(&app, &b, "declined-2", DECLINED).await;

    let outcome = |id: String| {
        let (app, b) = (&app, b.clone());
        async move {
            let (status, v) =
                post_json(app, "/v1/outcome", Some(&b), json!({"orderSessionKey": id})).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["success"], true, "{v}");
            v["status"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(outcome(challenge.clone()).await, "SUBMITTED");
    assert_eq!(outcome(declined).await, "DECLINED");
    // The order itself still says where it is: waiting on the shopper (the vendor's Onhold).
    let (_, o) = get_json(&app, &format!("/v1/orders/{challenge}"), &b).await;
    assert_eq!(
        (o["statusName"].as_str(), o["status"].as_i64()),
        (Some("CHALLENGE"), Some(1))
    );
}
