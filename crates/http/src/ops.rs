//! Liveness, readiness (checks the database) and Prometheus metrics.
//!
//! Every label value comes from a closed set: a series is kept in memory (and in every scrape)
//! for the life of the process, so a value a client chooses — its method, its path — would let
//! it grow both without bound. `/metrics` can require a bearer token (`metrics_token`), since
//! routes and volumes tell an outsider more than liveness does.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use openflex_store::StoreError;
use serde_json::json;
use std::time::{Duration, Instant};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// How long the readiness check waits for the database: a probe must answer promptly, and a
/// database that takes longer is as good as away for the requests that would follow.
const READY_WITHIN: Duration = Duration::from_secs(2);

async fn readyz(State(s): State<AppState>) -> Response {
    let ping = tokio::time::timeout(READY_WITHIN, s.engine.store().ping()).await;
    match ping.unwrap_or_else(|_| Err(StoreError::Unavailable("no answer in time".into()))) {
        Ok(()) => Json(json!({"status": "ready", "database": "ok"})).into_response(),
        // No primary answers (down, or a failover under way): the node is alive and will
        // serve again by itself once one does, so it reports itself degraded, not dead.
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let resp = (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "degraded", "database": "unavailable"})),
            )
                .into_response();
            crate::retry_after(resp, crate::UNAVAILABLE_RETRY_AFTER)
        }
    }
}

/// With `metrics_token` set, only `Authorization: Bearer <token>` gets the metrics; a wrong
/// token counts against the operator's failed-auth budget, like a wrong admin token.
async fn metrics_text(State(s): State<AppState>, parts: Parts) -> Response {
    if let Some(expected) = &s.metrics_token_hash {
        let given = crate::bearer_token(&parts).unwrap_or_default();
        let given = s.engine.vault().hash_secret(&given);
        if !openflex_vault::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            if let Some(retry_after) = s.failed_auth.operator.failed(s.client_ip(&parts)) {
                return crate::too_many_failures(retry_after);
            }
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "Unauthorized"})),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
    }
    s.metrics.render().into_response()
}

/// The method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Request count and latency by method, route template (`unmatched` when no route matched,
/// never the raw path) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("openflex_http_requests_total", "method" => method, "route" => route.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("openflex_http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(start.elapsed().as_secs_f64());
    resp
}
