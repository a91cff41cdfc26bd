//! Paths and methods, the same in every dialect: repeated slashes are merged before routing
//! (clients join a base URL ending in `/` with a path starting with `/`, and the vendors' web
//! servers accept that), and a method a path does not take is answered 405 with an `Allow`
//! header, in the error format of the dialect that owns the path rather than an empty body.

use crate::dual;
use crate::flexfactor::ff;
use crate::flexiti::fx::{self, Fx};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    repeated_slashes_are_merged_in_every_dialect,
    wrong_methods_answer_405_in_each_dialects_format,
);

async fn repeated_slashes_are_merged_in_every_dialect(app: TestApp) {
    // FlexPay.
    let (status, v) = app.get("/api//test").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["message"],
        "Your client successfully connects with FlexPay!"
    );
    let (status, v) = app
        .post("//v1//gateways///charge", card_payment("slash-1", 1000))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    let id = v["transaction"]["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, v) = app.get(&format!("/v1//transactions//{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["merchantTransactionId"], "slash-1", "{v}");

    // FlexFactor.
    let b = ff::token(&app).await;
    let (status, v) = ff::post_json(
        &app,
        "/v1//outcome",
        Some(&b),
        json!({"orderSessionKey": "no-such-order"}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("NOTFOUND")),
        "{v}"
    );

    // Flexiti: served, and the `url` it echoes is the merged path.
    let mut fx = Fx::merchant(&app).await;
    fx.version = "/flexiti/pos-api/v2.5/";
    let (status, v) = fx.get("//terms-and-conditions").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let missing = fx.get("//authorization//123456789012345").await;
    fx::assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        missing.1["url"],
        format!(
            "/flexiti/pos-api/v2.5/client-id/{}/authorization/123456789012345",
            fx.client_id
        )
    );

    // The portal.
    let resp = app
        .client
        .get(app.url("/portal//login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("<form"));
}

/// Sends `method path` with `auth` and an empty JSON object; answers the status, the `Allow`
/// header and the body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: &str,
) -> (StatusCode, Option<String>, Value) {
    let resp = app
        .client
        .request(method, app.url(path))
        .header("Authorization", auth)
        .header("x-reference-id", "0f8fad5bd9cb469fa16570867728950e")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let allow = resp
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, allow, resp.json().await.unwrap_or(Value::Null))
}

async fn wrong_methods_answer_405_in_each_dialects_format(app: TestApp) {
    // FlexPay: `{"message"}`, as its 401 and 404.
    let key = TestApp::basic(&app.api_key);
    for (method, path, allow) in [
        (Method::GET, "/v1/gateways/charge", "POST"),
        (Method::DELETE, "/v1/paymentmethods", "POST,GET,HEAD"),
        (Method::POST, "/api/test", "GET,HEAD"),
        (
            Method::POST,
            "/v1/transactions/abc/gateway-events",
            "GET,HEAD",
        ),
    ] {
        let (status, got_allow, v) = send(&app, method.clone(), path, &key).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(got_allow.as_deref(), Some(allow), "{method} {path}");
        assert_eq!(
            v,
            json!({"message": "Method Not Allowed"}),
            "{method} {path}"
        );
    }

    // FlexFactor: ProblemDetails 405001.
    let bearer = format!("Bearer {}", ff::token(&app).await);
    let (status, allow, v) = send(&app, Method::PUT, "/v1/orders", &bearer).await;
    assert_eq!(
        (status, allow.as_deref(), v["errorCode"].as_str()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            Some("GET,HEAD"),
            Some("405001")
        ),
        "{v}"
    );

    // Flexiti: its error body, in the request's language, under both versions.
    let fx = Fx::merchant(&app).await;
    let bearer = format!("Bearer {}", fx.token);
    for version in [fx::V25, fx::V251] {
        let path = format!("{version}/client-id/{}/apply", fx.client_id);
        let (status, allow, v) = send(&app, Method::GET, &path, &bearer).await;
        assert_eq!(
            (status, allow.as_deref()),
            (StatusCode::METHOD_NOT_ALLOWED, Some("POST")),
            "{v}"
        );
        assert_eq!(
            v,
            json!({"url": path, "error": "method_not_allowed",
                "message": "This HTTP method is not allowed on this endpoint."})
        );
        let (_, _, fr) = send(&app, Method::DELETE, &format!("{path}?lang=fr"), &bearer).await;
        assert_eq!(fr["error"], "method_not_allowed", "{fr}");
        assert_eq!(
            fr["message"],
            "Cette méthode HTTP n'est pas permise pour ce point de terminaison."
        );
    }
}
