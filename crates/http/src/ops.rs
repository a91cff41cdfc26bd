//! Liveness, readiness (checks the database) and Prometheus metrics.
//!
//! Every label value comes from a closed set: a series is kept in memory (and in every scrape)
//! for the life of the process, so a value a client chooses — its method, its path — would let
//! it grow both without bound.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::time::Instant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.engine.store().ping().await {
        Ok(()) => Json(json!({"status": "ready", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": "down"})),
            )
                .into_response()
        }
    }
}

async fn metrics_text(State(s): State<AppState>) -> String {
    s.metrics.render()
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
