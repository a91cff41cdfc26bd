//! Money-moving Flexiti POSTs run under `x-idempotency-key` (docs/flexiti.md Decision 10): one
//! wrapper so every such handler replays, refuses and frees keys the same way.

use super::{FieldError, FlexitiCall, FlexitiError};
use crate::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openflex_engine::financing::FlexitiCaller;
use openflex_engine::idempotency::{KeyRequest, Keyed, Seal, payload_hash};
use serde_json::Value;
use std::sync::Arc;

/// Runs a money-moving request under its idempotency key, when it has one: a repeat gets the
/// first success again (with a `Warning` when its context hash differs), a request still in
/// flight is 409 `idempotency_in_progress`, and a failure frees the key for a retry. The
/// engine's one idempotency use case ([`openflex_engine::Engine::run_keyed`]) hands the
/// [`Seal`] to `work`'s use case, which commits `render`'s answer with the movement; a claim
/// left unanswered by a dead process is therefore one whose movement never committed, and is
/// taken over after the lease.
pub async fn idempotent<T, R, F, Fut>(
    st: &AppState,
    call: &FlexitiCall,
    c: &FlexitiCaller,
    scope: &str,
    body: &Value,
    render: R,
    work: F,
) -> Result<Response, FlexitiError>
where
    T: 'static,
    R: Fn(&T) -> String + Send + Sync + 'static,
    F: FnOnce(Option<Seal<T>>) -> Fut,
    Fut: std::future::Future<Output = Result<T, FlexitiError>>,
{
    let answer = |text: String| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response()
    };
    let Some(key) = &call.idempotency_key else {
        return work(None).await.map(|out| answer(render(&out)));
    };
    if key.chars().count() > 255 || call.context_hash.as_ref().is_some_and(|h| h.len() > 255) {
        return Err(FlexitiError::inputs(vec![FieldError {
            param: "x-idempotency-key".into(),
            msg: "too_long".into(),
            value: None,
        }]));
    }
    let hash = call
        .context_hash
        .clone()
        .unwrap_or_else(|| payload_hash(&body.to_string()));
    let scope = format!("flexiti:{scope}");
    let render: Arc<dyn Fn(&T) -> String + Send + Sync> = Arc::new(render);
    let k = KeyRequest {
        scope: &scope,
        key,
        payload_hash: &hash,
    };
    let sealed = |seal| work(Some(seal));
    match st
        .engine
        .run_keyed(&c.tenant, k, render.clone(), sealed)
        .await?
    {
        Keyed::Ran(out) => out.map(|out| answer(render(&out))),
        Keyed::Replay {
            body, same_hash, ..
        } => {
            let mut resp = answer(body);
            resp.headers_mut()
                .insert("x-idempotency-replayed", HeaderValue::from_static("true"));
            if !same_hash {
                resp.headers_mut().insert(
                    header::WARNING,
                    HeaderValue::from_static(
                        "199 - \"x-context-hash differs from the first request with this key; the first response is returned\"",
                    ),
                );
            }
            Ok(resp)
        }
        Keyed::InFlight => Err(FlexitiError::code("idempotency_in_progress")),
    }
}

/// The wire text of an answer (our views always serialize).
pub fn json_of<V: serde::Serialize>(v: &V) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}
