//! Idempotency keys for FlexFactor's order-moving calls (evaluate, capture, refund, cancel):
//! a retried request is answered with the first answer, byte for byte, instead of moving the
//! order twice.

use super::{failure, problem};
use crate::AppState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use openflex_engine::Tenant;
use openflex_engine::idempotency::KeyClaim;
use serde_json::Value;
use sha2::Digest;

/// A canonical hash of a (lower-cased) request, for idempotency comparisons.
pub(super) fn request_hash(v: &Value) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(v.to_string().as_bytes()))
}

/// A JSON answer, with its status and text kept for replaying it.
pub(super) fn envelope_json<T: serde::Serialize>(
    status: StatusCode,
    body: &T,
) -> (u16, String, Response) {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    let resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        text.clone(),
    )
        .into_response();
    (status.as_u16(), text, resp)
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if body.is_empty() {
        return status.into_response();
    }
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Runs `work` under an idempotency key: replays, 409s, or records the answer.
pub(super) async fn with_key<F, Fut>(
    state: &AppState,
    t: &Tenant,
    scope: &str,
    key: &str,
    hash: &str,
    work: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(u16, String, Response), Response>>,
{
    // Keyed FlexFactor calls (evaluate, capture, cancel) act on one order whose state machine
    // moves once (compare-and-set), so a claim stranded by a crash may lapse and be re-run.
    let lease = Some(openflex_engine::idempotency::CLAIM_LEASE);
    let claim = match state.engine.claim_key(t, scope, key, hash, lease).await {
        Ok(KeyClaim::Replay {
            status,
            body,
            same_hash: true,
        }) => return replay(status, body),
        Ok(KeyClaim::Replay { .. }) => {
            return problem(
                StatusCode::CONFLICT,
                "409001",
                "This idempotency key was used with another payload.",
            );
        }
        Ok(KeyClaim::InFlight) => {
            return problem(
                StatusCode::CONFLICT,
                "409002",
                "A request with this idempotency key is in progress.",
            );
        }
        Ok(KeyClaim::Fresh(claim)) => claim,
        Err(e) => return failure(e),
    };
    match work().await {
        Ok((status, body, resp)) => {
            // `false` (a retry took the lapsed claim over) needs nothing more: the order moved
            // once either way, and this answer describes it.
            if let Err(e) = state.engine.finish_key(t, &claim, status, &body).await {
                return failure(e);
            }
            resp
        }
        Err(resp) => {
            // Not answered (validation or internal failure): the key may be used again.
            let _ = state.engine.release_key(t, &claim).await;
            resp
        }
    }
}
