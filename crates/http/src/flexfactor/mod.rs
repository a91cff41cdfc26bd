//! The FlexFactor v1 dialect (docs/flexfactor.md, Decisions 1–14): OAuth2 tokens and bearer auth,
//! `/tokenize`, `/evaluate`, `/transmit`, `/outcome`, orders, refund, cancel, capture.
//!
//! Errors: validation failures are HTTP 400 with a flat map of PascalCase paths to messages and
//! a `TraceId` entry (the shape clients parse); everything else is RFC 7807 ProblemDetails with
//! a six-digit `errorCode` whose first three digits are the HTTP status:
//!
//! | code | meaning |
//! |---|---|
//! | 400001 | bad client credentials or refresh token (`/oauth2/token`) |
//! | 400002 | order cannot be cancelled in its state |
//! | 401001 | bearer token missing |
//! | 401002 | bearer token expired (fetch a new one) |
//! | 401003 | bearer token invalid, or its API client revoked |
//! | 403001 | `mid` in the body is not the token's merchant |
//! | 404001 | order not found |
//! | 405001 | method not allowed on the path (with an `Allow` header) |
//! | 409001 | idempotency key reused with another payload |
//! | 409002 | a request with this idempotency key is in progress |
//! | 413001 | body too large |
//! | 500001 | internal error |

mod auth;
pub mod body;
pub mod evaluate;
pub mod fields;
mod keyed;
pub mod orders;
pub mod orders_query;
pub mod request;
pub mod token;
pub mod tokenize;
pub mod wire;

pub use auth::FfAuth;

use crate::AppState;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use body::{Errors, trace_id};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/oauth2/token", post(token::token))
        .route("/v1/tokenize", post(tokenize::tokenize))
        .route("/v1/evaluate", post(evaluate::evaluate))
        .route("/v1/transmit", post(evaluate::transmit))
        .route("/v1/outcome", post(evaluate::outcome))
        .route("/v1/capture", post(orders::capture))
        .route("/v1/orders", get(orders::list_orders))
        .route("/v1/orders/{id}", get(orders::show_order))
        .route("/v1/orders/{id}/refund", post(orders::refund))
        .route("/v1/orders/{id}/cancel", post(orders::cancel))
        .route(
            "/v1/orders/{id}/external-cancel",
            post(orders::external_cancel),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// A method the path does not take: ProblemDetails `405001` in the seed's words (the framework
/// adds the `Allow` header listing the methods the path does take).
async fn method_not_allowed(method: Method) -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "405001",
        format!(
            "The method {method} is not allowed for that resource; the Allow header lists the methods it takes."
        ),
    )
}

/// RFC 7807 problem details with the six-digit error code.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub error_code: String,
    pub trace_id: String,
}

/// The flat validation map (docs/flexfactor.md Decision 3): each failing field's JSON path → its
/// messages, and `TraceId`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationMap(pub std::collections::BTreeMap<String, Vec<String>>);

/// A 400: problem details for refusals, the validation map for unreadable or invalid input.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Problem(ProblemDetails),
    Validation(ValidationMap),
}

pub fn problem(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    let body = ProblemDetails {
        kind: format!("https://httpstatuses.io/{}", status.as_u16()),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.into(),
        error_code: code.to_string(),
        trace_id: trace_id(),
    };
    (status, Json(body)).into_response()
}

/// Whether FlexFactor serves `path`.
pub fn owns(path: &str) -> bool {
    [
        "/v1/oauth2/",
        "/v1/tokenize",
        "/v1/evaluate",
        "/v1/transmit",
        "/v1/outcome",
        "/v1/capture",
        "/v1/orders",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// A query string refused before it reaches a handler: the flat validation map.
pub fn refuse_query(why: &str) -> Response {
    let mut errors = Errors::default();
    errors.add("query", why);
    validation(errors)
}

/// The flat validation body of docs/flexfactor.md Decision 3.
pub fn validation(errors: Errors) -> Response {
    let mut map = serde_json::Map::new();
    for (k, v) in errors.0 {
        map.insert(k, serde_json::json!(v));
    }
    map.insert("TraceId".into(), serde_json::json!([trace_id()]));
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::Value::Object(map)),
    )
        .into_response()
}

/// An engine failure: 503 with `Retry-After` while the database is away (errorCode `503001`,
/// docs/flexfactor.md Decision 13), 500 otherwise.
pub fn failure(e: openflex_engine::EngineError) -> Response {
    if crate::database_away(&e) {
        tracing::error!(error = %e, "database unavailable");
        let resp = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "503001",
            "The service is temporarily unavailable; retry after the Retry-After delay.",
        );
        return crate::retry_after(resp, crate::UNAVAILABLE_RETRY_AFTER);
    }
    internal(e)
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "500001",
        "Internal error; quote the traceId when contacting support.",
    )
}
