//! The rescue requests: `/v1/evaluate` (a declined payment to rescue), `/v1/transmit` (a
//! transaction shared for the risk model) and the deprecated `/v1/outcome`. Reading the bodies
//! lives in `request.rs`; these handlers only authorize, call the engine and answer.

use super::auth::FfAuth;
use super::body::Errors;
use super::fields;
use super::keyed::{Key, json_text, request_hash, with_key};
use super::request;
use super::wire::{Envelope, EvaluateResponse, OutcomeResponse, TransmitResponse};
use super::{BadRequest, ProblemDetails, failure, problem, validation};
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openflex_engine::flexfactor::auth::FfCaller;
use openflex_engine::flexfactor::{EvaluateRefusal, Evaluated};
use serde_json::Value;

/// Submit a declined payment for rescue.
#[utoipa::path(post, path = "/v1/evaluate", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "The declined transaction: orderId, idempotencyKey, isMIT, expiryDateUtc (managed MIT), transactionType, transaction{…}, payer{email,…}, billingInformation, paymentMethod{cardNumber, token, …}"),
    responses((status = 200, body = EvaluateResponse), (status = 400, description = "Flat validation map with TraceId", body = BadRequest),
        (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
pub async fn evaluate(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if !same_merchant(&v, &caller) {
        return problem(
            StatusCode::FORBIDDEN,
            "403001",
            "The mid is not the merchant of this access token.",
        );
    }
    let (key, request) = match request::evaluate(&v, caller.tenant.mode) {
        Ok(read) => read,
        Err(r) => return *r,
    };
    let hash = request_hash(&v);
    let t = caller.tenant.clone();
    let engine = s.engine.clone();
    let k = Key {
        scope: "evaluate",
        key: &key,
        hash: &hash,
    };
    with_key(&s, &caller.tenant, k, evaluated, |seal| async move {
        match engine.ff_evaluate(&t, request, Some(seal)).await {
            Ok(Ok(ev)) => Ok(ev),
            Ok(Err(field)) => Err(refused(field)),
            Err(e) => Err(failure(e)),
        }
    })
    .await
}

/// A `mid` in the body, if any, must be the token's merchant.
fn same_merchant(v: &Value, caller: &FfCaller) -> bool {
    super::body::Node::of(v)
        .text(&["mid"])
        .is_none_or(|mid| mid.eq_ignore_ascii_case(&caller.mid))
}

fn evaluated(ev: &Evaluated) -> String {
    json_text(&EvaluateResponse {
        order_session_key: ev.order_id.clone(),
        sense_key: ev.sense_key.clone(),
        order_id: ev.order_id.clone(),
        envelope: Envelope::ok(Some(fields::evaluate_status(ev))),
    })
}

/// An evaluate the engine refused on one field: the validation map with that field.
fn refused(why: EvaluateRefusal) -> Response {
    let (path, message) = fields::evaluate_refusal(why);
    let mut errors = Errors::default();
    errors.add(path, message);
    validation(errors)
}

/// Share a transaction (normally approved) for the merchant's risk model. No card numbers.
#[utoipa::path(post, path = "/v1/transmit", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "orderId, isDeclined, isMIT, transaction{amount,currency,…}, payer, paymentMethod (no card number)"),
    responses((status = 200, body = TransmitResponse), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn transmit(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let tr = match request::transmit(&v) {
        Ok(tr) => tr,
        Err(r) => return *r,
    };
    match s
        .engine
        .ff_transmit(
            &caller.tenant,
            &tr.order_id,
            tr.is_declined,
            tr.amount,
            &tr.currency,
            &tr.summary,
        )
        .await
    {
        Ok(id) => Json(TransmitResponse {
            transmit_id: id,
            envelope: Envelope::ok(Some("SUCCESS")),
        })
        .into_response(),
        Err(e) => failure(e),
    }
}

/// Deprecated: the status of an order (`APPROVED`, `DECLINED`, `EXPIRED`, `CANCELLED`,
/// `PROCESSING`, `SUBMITTED` for a challenge the shopper has not answered, or `NOTFOUND`).
#[utoipa::path(post, path = "/v1/outcome", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "`{\"orderSessionKey\"}`"),
    responses((status = 200, body = OutcomeResponse), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn outcome(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let key = match request::outcome(&v) {
        Ok(key) => key,
        Err(r) => return *r,
    };
    match s.engine.ff_outcome(&caller.tenant, &key).await {
        Ok(Some((status, confirmation))) => Json(OutcomeResponse {
            order_session_key: key,
            confirmation_id: confirmation,
            envelope: Envelope::ok(Some(status)),
        })
        .into_response(),
        Ok(None) => Json(OutcomeResponse {
            order_session_key: key,
            confirmation_id: None,
            envelope: Envelope::ok(Some("NOTFOUND")),
        })
        .into_response(),
        Err(e) => failure(e),
    }
}
