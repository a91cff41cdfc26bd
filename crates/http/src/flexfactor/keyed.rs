//! Idempotency keys for FlexFactor's order-moving calls (evaluate, capture, refund, cancel): a
//! retried request is answered with the first answer, byte for byte, instead of moving the
//! order twice. The engine's one idempotency use case ([`Engine::run_keyed`]) does the work and
//! commits the answer with the order's move; this module says it in FlexFactor's words (409s
//! for another payload or a request in flight).
//!
//! [`Engine::run_keyed`]: openflex_engine::Engine::run_keyed

use super::{failure, problem};
use crate::AppState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use openflex_engine::Tenant;
use openflex_engine::idempotency::{KeyRequest, Keyed, Seal, payload_hash};
use serde_json::Value;
use std::sync::Arc;

/// A canonical hash of a (lower-cased) request, for idempotency comparisons.
pub(super) fn request_hash(v: &Value) -> String {
    payload_hash(&v.to_string())
}

/// The wire text of an answer (our wire structs always serialize).
pub(super) fn json_text<T: serde::Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_else(|_| "{}".into())
}

/// An answer as stored for its key: JSON, or an empty 200 (cancel).
fn answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if body.is_empty() {
        return status.into_response();
    }
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A key and the hash of the payload it came with.
pub(super) struct Key<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub hash: &'a str,
}

/// Runs `work` under an idempotency key: replays, 409s, or answers with `render` of its
/// result (which the use case commits with its change). A `work` that fails answers its own
/// response and frees the key.
pub(super) async fn with_key<T, F, Fut>(
    state: &AppState,
    t: &Tenant,
    k: Key<'_>,
    render: impl Fn(&T) -> String + Send + Sync + 'static,
    work: F,
) -> Response
where
    F: FnOnce(Seal<T>) -> Fut,
    Fut: std::future::Future<Output = Result<T, Response>>,
{
    let render: Arc<dyn Fn(&T) -> String + Send + Sync> = Arc::new(render);
    let key = KeyRequest {
        scope: k.scope,
        key: k.key,
        payload_hash: k.hash,
    };
    match state.engine.run_keyed(t, key, render.clone(), work).await {
        Ok(Keyed::Ran(Ok(out))) => answer(200, render(&out)),
        Ok(Keyed::Ran(Err(resp))) => resp,
        Ok(Keyed::Replay {
            status,
            body,
            same_hash: true,
        }) => answer(status, body),
        Ok(Keyed::Replay { .. }) => problem(
            StatusCode::CONFLICT,
            "409001",
            "This idempotency key was used with another payload.",
        ),
        Ok(Keyed::InFlight) => problem(
            StatusCode::CONFLICT,
            "409002",
            "A request with this idempotency key is in progress.",
        ),
        Err(e) => failure(e),
    }
}
