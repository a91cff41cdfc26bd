//! FlexPay's vault endpoints: payment methods are created, updated, redacted and recached
//! as transactions (the vendor records vault operations as transactions too), and listed or
//! shown bare (docs/flexpay.md §2).

use super::wire::*;
use super::{
    FlexPayAuth, ListParams, echo, invalid, list_params, outcome, page, parse_body, request,
    schema, with_root,
};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openflex_domain::lifecycle::TxnType;

/// Vault a credit card (or a third-party gateway token).
#[utoipa::path(post, path = "/v1/paymentmethods", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    request_body(content = schema::PaymentMethodRequest, description = "Card fields under paymentMethod.creditCard or flat on paymentMethod, or the gatewayPaymentMethodId variant"),
    responses((status = 200, description = "Transaction of type CreatePaymentMethod (check transactionStatus)", body = TransactionEnvelope),
        (status = 400, description = "Not JSON (50002) or no paymentMethod object (50003)", body = TransactionEnvelope),
        (status = 401, body = MessageBody)))]
pub async fn create_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = TxnType::CreatePaymentMethod;
    let body = try_resp!(parse_body(&stamp, body, tt));
    let pm = try_resp!(with_root(&stamp, &body, "paymentMethod", tt));
    let input = match request::vault_input(pm) {
        Ok(i) => i,
        Err(f) => return Ok(invalid(&stamp, StatusCode::OK, f, echo(tt, None))),
    };
    let o = match input {
        request::VaultInput::Card(card) => s.engine.create_payment_method(&t, card).await?,
        request::VaultInput::Gateway(card) => {
            s.engine.create_gateway_payment_method(&t, card).await?
        }
    };
    Ok(outcome(o, echo(tt, None)))
}

/// List vaulted payment methods (keyset pagination by `sinceToken`).
#[utoipa::path(get, path = "/v1/paymentmethods", tag = "FlexPay payment methods", security(("flexpay_basic" = [])), params(ListParams),
    responses((status = 200, body = PaymentMethodList), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn list_payment_methods(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let p = try_resp!(list_params(&stamp, query, TxnType::CreatePaymentMethod));
    let pg = try_resp!(page(&stamp, &p, TxnType::CreatePaymentMethod));
    let items = s
        .engine
        .payment_methods(&t, pg.after.as_deref(), pg.descending, pg.limit)
        .await?;
    Ok(Json(PaymentMethodList {
        payment_methods: items
            .iter()
            .map(|p| PaymentMethodEnvelope {
                payment_method: p.into(),
            })
            .collect(),
    })
    .into_response())
}

/// Show one payment method.
#[utoipa::path(get, path = "/v1/paymentmethods/{id}", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PaymentMethodEnvelope), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn show_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Json<PaymentMethodEnvelope>, ApiError> {
    let pm = s.engine.payment_method(&t, &id).await?;
    Ok(Json(PaymentMethodEnvelope {
        payment_method: (&pm).into(),
    }))
}

/// Update the non-sensitive fields of a payment method (PUT, as the SDK sends it; POST too).
#[utoipa::path(method(put, post), path = "/v1/paymentmethods/{id}", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), request_body(content = schema::PaymentMethodRequest, description = "Card fields under paymentMethod.creditCard or flat on paymentMethod, or the gatewayPaymentMethodId variant"),
    responses((status = 200, description = "Transaction of type UpdatePaymentMethod", body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn update_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = TxnType::UpdatePaymentMethod;
    let body = try_resp!(parse_body(&stamp, body, tt));
    let pm = try_resp!(with_root(&stamp, &body, "paymentMethod", tt));
    let (patch, month, year) = match request::holder_patch(pm) {
        Ok(v) => v,
        Err(f) => return Ok(invalid(&stamp, StatusCode::OK, f, echo(tt, None))),
    };
    let o = s
        .engine
        .update_payment_method(&t, &id, patch, month, year)
        .await?;
    Ok(outcome(o, echo(tt, None)))
}

/// Redact a payment method: sensitive data wiped, metadata kept; it can no longer transact
/// (PUT or POST).
#[utoipa::path(method(put, post), path = "/v1/paymentmethods/{id}/redact", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "Transaction of type RedactPaymentMethod", body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn redact_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let o = s.engine.redact_payment_method(&t, &id).await?;
    Ok(outcome(o, echo(TxnType::RedactPaymentMethod, None)))
}

/// Put a CVV back on a vaulted card so it can be transacted against (PUT or POST).
#[utoipa::path(method(put, post), path = "/v1/paymentmethods/{id}/recache", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), request_body(content = schema::RecacheRequest, description = "The new CVV, as paymentMethod.cvv or paymentMethod.creditCard.cvv"),
    responses((status = 200, description = "Transaction of type RecachePaymentMethod", body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn recache_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = TxnType::RecachePaymentMethod;
    let body = try_resp!(parse_body(&stamp, body, tt));
    let pm = try_resp!(with_root(&stamp, &body, "paymentMethod", tt));
    let cvv = match request::recache_cvv(pm) {
        Ok(c) => c,
        Err(f) => return Ok(invalid(&stamp, StatusCode::OK, f, echo(tt, None))),
    };
    let o = s.engine.recache_payment_method(&t, &id, cvv).await?;
    Ok(outcome(o, echo(tt, None)))
}
