//! HTTP surface: the dialects (wire formats and auth schemes), the admin API and the ops
//! endpoints, on one axum router. Handlers translate; the engine decides.

pub mod admin;
pub mod auth_limit;
pub mod client;
pub mod error;
pub mod flexfactor;
pub mod flexiti;
pub mod flexpay;
pub mod gateway_webhooks;
pub mod lenient;
pub mod openapi;
pub mod ops;
mod page_headers;
pub mod portal;
pub mod slashes;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use openflex_engine::Engine;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// A merchant-chosen id (merchantTransactionId, orderId, idempotency key) in Unicode NFC. Ids
/// are unique per merchant; without one form, "café" with a precomposed é and with e + a
/// combining accent would be two ids for one text, and two charges.
pub(crate) fn nfc(id: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // ASCII text is always in NFC: most ids skip the normalisation pass.
    if id.is_ascii() {
        return id.to_string();
    }
    id.nfc().collect()
}

/// Request bodies larger than this are refused before parsing.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares. Cloned by axum for each request and each middleware that reads
/// it, so it is one `Arc`: the engine's connector table and the failed-auth budgets were deep
/// copies per request before (a few per cent of a charge's CPU under load).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub engine: Engine,
    /// HMAC of the admin token (the token itself is not kept in memory).
    pub admin_token_hash: String,
    /// HMAC of the token `/metrics` requires; `None` leaves it open.
    pub metrics_token_hash: Option<String>,
    pub metrics: PrometheusHandle,
    pub failed_auth: auth_limit::AuthBudgets,
    pub trusted_proxies: client::TrustedProxies,
}

impl AppState {
    /// A blank `metrics_token` counts as none.
    pub fn new(
        engine: Engine,
        admin_token: &str,
        metrics_token: Option<&str>,
        trusted_proxies: client::TrustedProxies,
    ) -> Self {
        let admin_token_hash = engine.vault().hash_secret(admin_token);
        let metrics_token_hash = metrics_token
            .filter(|t| !t.trim().is_empty())
            .map(|t| engine.vault().hash_secret(t));
        Self(Arc::new(AppStateInner {
            engine,
            admin_token_hash,
            metrics_token_hash,
            metrics: metrics_handle(),
            failed_auth: auth_limit::AuthBudgets::default(),
            trusted_proxies,
        }))
    }

    /// The client's address (see [`client::client_ip`]).
    pub fn client_ip(&self, parts: &Parts) -> Option<IpAddr> {
        client::client_ip(parts, &self.trusted_proxies)
    }
}

/// The token of `Authorization: Bearer <token>`, if the request has one.
pub(crate) fn bearer_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
}

/// The process-wide Prometheus recorder (installed once, shared by every app in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A 500 carries the request id so a merchant can quote it; details stay in the logs.
async fn request_id_on_errors(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let resp = next.run(req).await;
    if resp.status() == StatusCode::INTERNAL_SERVER_ERROR {
        let body = serde_json::json!({"message": "Internal Server Error", "requestId": id});
        let mut out = (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
        if let Some(id) = id.and_then(|i| i.parse().ok()) {
            out.headers_mut().insert(REQUEST_ID, id);
        }
        return out;
    }
    resp
}

/// The `Retry-After` (seconds) of a 503 while the database is away: about the time a node
/// takes to find a promoted primary (docs/platform.md §10).
pub const UNAVAILABLE_RETRY_AFTER: u64 = 2;

/// Whether an engine failure is the database being away (503 with `Retry-After` in every
/// dialect's format), not a fault of the request or of the server.
pub fn database_away(e: &openflex_engine::EngineError) -> bool {
    e.unavailable().is_some()
}

/// Sets `Retry-After: seconds` on `resp`.
pub fn retry_after(mut resp: Response, seconds: u64) -> Response {
    if let Ok(v) = seconds.to_string().parse() {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// 429 for a client over its failed-authentication budget.
pub fn too_many_failures(retry_after: u64) -> Response {
    let resp = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(
            serde_json::json!({"message": "Too many failed authentication attempts; retry later."}),
        ),
    )
        .into_response();
    self::retry_after(resp, retry_after)
}

/// Whether a JSON document holds a NUL anywhere (no database text column can store one).
pub(crate) fn json_has_nul(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(json_has_nul),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

/// A NUL in the path or query string cannot name anything (and no database text column holds
/// one): such requests stop here instead of reaching a query, answered in the format of the
/// dialect that owns the path.
async fn refuse_nul(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00") || s.contains('\0');
    if has_nul(uri.path()) {
        return not_found().await;
    }
    if uri.query().is_some_and(has_nul) {
        const WHY: &str = "the query string must not contain NUL characters";
        let path = uri.path();
        return if path.starts_with("/flexiti/") {
            flexiti::refuse(path, WHY)
        } else if flexfactor::owns(path) {
            flexfactor::refuse_query(WHY)
        } else if path.starts_with("/v1/") || path.starts_with("/api/") {
            flexpay::refuse_query(&state.engine, WHY)
        } else {
            (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"message": WHY})),
            )
                .into_response()
        };
    }
    next.run(req).await
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({"message": "Not Found"})),
    )
        .into_response()
}

/// The request path as logged: the two paths whose segments are secrets have them masked —
/// a hosted widget's session token (`/flexiti/widget/{client_id}/{token}`, the page's only
/// credential) and a gateway's webhook token (`/gateways/{token}/webhook`). The span is made
/// before routing, so the raw path (repeated slashes included) is what is read.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let secret = match segments.as_slice() {
        ["flexiti", "widget", _, _, ..] => Some(3),
        ["gateways", _, "webhook"] => Some(1),
        _ => None,
    };
    match secret {
        None => std::borrow::Cow::Borrowed(path),
        Some(i) => {
            let shown: Vec<&str> = segments
                .iter()
                .enumerate()
                .map(|(n, s)| if n == i { "[hidden]" } else { s })
                .collect();
            std::borrow::Cow::Owned(format!("/{}", shown.join("/")))
        }
    }
}

pub fn app(state: AppState) -> Router {
    let span = |req: &Request| {
        let id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), path = %logged_path(req.uri().path()), request_id = %id)
    };
    let routed = Router::new()
        .merge(flexpay::router())
        .merge(gateway_webhooks::router())
        .merge(flexfactor::router())
        .merge(flexiti::router())
        .merge(admin::router())
        .merge(ops::router())
        .merge(portal::router(&state))
        .merge(flexiti::widget::router(&state))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::ApiDoc::openapi()))
        .fallback(not_found)
        .with_state(state.clone())
        .layer(middleware::from_fn(ops::track))
        .layer(middleware::from_fn_with_state(state, refuse_nul))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(request_id_on_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    // A `Router::layer` runs after routing; merging slashes must come before it, so the routed
    // app sits behind a router whose only route is its fallback.
    Router::new()
        .fallback_service(routed)
        .layer(middleware::map_request(slashes::merge))
}

#[cfg(test)]
mod logged_path_tests {
    use super::logged_path;

    #[test]
    fn secret_segments_are_masked_and_other_paths_kept() {
        assert_eq!(
            logged_path("/flexiti/widget/cid/s3cr3t-token?lang=en"),
            "/flexiti/widget/cid/[hidden]"
        );
        assert_eq!(
            logged_path("//flexiti//widget/cid/s3cr3t-token"),
            "/flexiti/widget/cid/[hidden]"
        );
        assert_eq!(
            logged_path("/gateways/gw-secret/webhook"),
            "/gateways/[hidden]/webhook"
        );
        assert_eq!(logged_path("/v1/gateways/charge"), "/v1/gateways/charge");
        assert_eq!(logged_path("/v1/gateways/gw-1"), "/v1/gateways/gw-1");
        assert_eq!(
            logged_path("/flexiti/widget-assets/widget.css"),
            "/flexiti/widget-assets/widget.css"
        );
    }
}
