//! The FlexPay v1 dialect: Basic-key auth, `transaction`/`paymentMethod` envelopes, business
//! outcomes as HTTP 200 with `transactionStatus`/`responseCode` (docs/flexpay.md §1).

pub mod binding;
pub mod request;
pub mod schema;
pub mod wire;

use crate::AppState;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use binding::{Fail, parse_date, parse_datetime};
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::TxnType;
use openflex_engine::Tenant;
use openflex_engine::payments::{FollowUpKind, PaymentKind};
use openflex_engine::tenancy::kind;
use openflex_store::ListQuery;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use wire::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/test", get(api_test))
        .route(
            "/v1/paymentmethods",
            post(create_payment_method).get(list_payment_methods),
        )
        .route(
            "/v1/paymentmethods/{id}",
            get(show_payment_method)
                .put(update_payment_method)
                .post(update_payment_method),
        )
        .route(
            "/v1/paymentmethods/{id}/redact",
            axum::routing::put(redact_payment_method).post(redact_payment_method),
        )
        .route(
            "/v1/paymentmethods/{id}/recache",
            axum::routing::put(recache_payment_method).post(recache_payment_method),
        )
        .route("/v1/gateways/charge", post(charge))
        .route("/v1/gateways/authorize", post(authorize))
        .route("/v1/transactions", get(list_transactions))
        .route("/v1/transactions/{id}", get(show_transaction))
        .route("/v1/transactions/{id}/chain", get(show_chain))
        .route(
            "/v1/transactions/byMerchantTransactionId/{mtid}",
            get(show_by_mtid),
        )
        .route("/v1/transactions/{id}/capture", post(capture))
        .route("/v1/transactions/{id}/void", post(void))
        .route("/v1/transactions/{id}/refund", post(refund))
        .route("/v1/gateways", get(list_gateways).post(create_gateway))
        .route(
            "/v1/gateways/{token}",
            get(show_gateway).put(update_gateway).delete(delete_gateway),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// A method the path does not take: 405 with the dialect's `{"message"}` body (the framework
/// adds the `Allow` header listing the methods the path does take).
pub async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(MessageBody {
            message: "Method Not Allowed".into(),
        }),
    )
        .into_response()
}

/// The merchant and mode behind `Authorization: Basic <apiKey>` (the key as issued, not
/// `user:pass`).
pub struct FlexPayAuth(pub Tenant);

impl FromRequestParts<AppState> for FlexPayAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("basic")
                    .then(|| rest.trim().to_string())
            });
        let unauthorized =
            |parts: &Parts| match state.failed_auth.api.failed(state.client_ip(parts)) {
                Some(retry_after) => crate::too_many_failures(retry_after),
                None => (
                    StatusCode::UNAUTHORIZED,
                    Json(MessageBody {
                        message: "Unauthorized".into(),
                    }),
                )
                    .into_response(),
            };
        let Some(key) = key else {
            return Err(unauthorized(parts));
        };
        match state.engine.authenticate(kind::FLEXPAY_API_KEY, &key).await {
            Ok(Some(t)) => Ok(Self(t)),
            Ok(None) => Err(unauthorized(parts)),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// The id and merchant-clock time a refused request is answered with.
type Stamp = (String, time::OffsetDateTime);

fn envelope(t: TransactionWire) -> Response {
    (StatusCode::OK, Json(TransactionEnvelope { transaction: t })).into_response()
}

fn outcome(o: openflex_engine::payment_methods::Outcome, echo: Echo) -> Response {
    match o {
        Ok(t) => envelope(TransactionWire::from(&t)),
        Err(r) => envelope(TransactionWire::from_rejection(&r, echo)),
    }
}

fn invalid(stamp: &Stamp, status: StatusCode, f: Fail, echo: Echo) -> Response {
    let (id, now) = stamp.clone();
    let t = TransactionWire::rejected(ResponseCode(f.code), id, now, f.detail, echo);
    (status, Json(TransactionEnvelope { transaction: t })).into_response()
}

/// A request refused before authentication for its query string (50000, the dialect's envelope).
pub fn refuse_query(engine: &openflex_engine::Engine, why: &str) -> Response {
    let stamp = engine.untenanted_stamp();
    invalid(
        &stamp,
        StatusCode::BAD_REQUEST,
        binding::fail(50000, why),
        echo(TxnType::Charge, None),
    )
}

/// The ids of a refused request, as a successful one would echo them (in NFC).
fn echo(txn_type: TxnType, body: Option<&serde_json::Map<String, Value>>) -> Echo {
    let text = |k: &str| {
        body.and_then(|b| b.get(k)).and_then(|v| match v {
            Value::String(s) => Some(crate::nfc(s).chars().take(256).collect()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Echo {
        txn_type: txn_type.as_str(),
        merchant_transaction_id: text("merchantTransactionId"),
        order_id: text("orderId"),
        in_transaction: body.is_some(),
    }
}

/// Parses the body and finds its root object: not JSON → 400/50002; no root → 400/50003.
fn parse_body(
    stamp: &Stamp,
    body: Result<Bytes, BytesRejection>,
    txn_type: TxnType,
) -> Result<Value, Box<Response>> {
    let bytes = body.map_err(|e| {
        let status = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Box::new(invalid(
            stamp,
            status,
            binding::fail(
                50002,
                "the request body could not be read (at most 64 KiB of JSON)",
            ),
            echo(txn_type, None),
        ))
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Box::new(invalid(
            stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(50003, "the request body is empty"),
            echo(txn_type, None),
        )));
    }
    serde_json::from_slice::<Value>(&bytes).map_err(|e| {
        Box::new(invalid(
            stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(50002, format!("the body is not valid JSON: {e}")),
            echo(txn_type, None),
        ))
    })
}

fn with_root<'a>(
    stamp: &Stamp,
    body: &'a Value,
    key: &str,
    txn_type: TxnType,
) -> Result<&'a serde_json::Map<String, Value>, Box<Response>> {
    request::root(body, key).ok_or_else(|| {
        Box::new(invalid(
            stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(
                50003,
                format!("the body must be an object with a {key:?} object"),
            ),
            echo(txn_type, None),
        ))
    })
}

macro_rules! try_resp {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return Ok(*r),
        }
    };
}

/// Connectivity check (no `/v1`).
#[utoipa::path(get, path = "/api/test", tag = "FlexPay", security(("flexpay_basic" = [])),
    responses((status = 200, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn api_test(_auth: FlexPayAuth) -> Json<MessageBody> {
    Json(MessageBody {
        message: "Your client successfully connects with FlexPay!".into(),
    })
}

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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `asc` (default, oldest first) or `desc`.
    pub order: Option<String>,
    /// Page size, default 20, at most 100 (larger values are clamped).
    pub count: Option<String>,
    /// Id of the last item of the previous page.
    pub since_token: Option<String>,
    /// Alias of `sinceToken` for transactions.
    pub since_transaction_id: Option<String>,
    /// Alias of `sinceToken` for payment methods.
    pub since_payment_method_id: Option<String>,
    /// Only items created at or after this date (`2023-11-8` or RFC 3339).
    pub start_date: Option<String>,
    /// Only items created before the end of this date (or before this instant).
    pub end_date: Option<String>,
    /// `simplified` for the slim list item.
    pub response_type: Option<String>,
}

/// A query string that does not parse gets the dialect's envelope, not a framework message.
fn list_params(
    stamp: &Stamp,
    query: Result<Query<ListParams>, QueryRejection>,
    txn_type: TxnType,
) -> Result<ListParams, Box<Response>> {
    query.map(|Query(p)| p).map_err(|e| {
        Box::new(invalid(
            stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(50000, format!("invalid query string: {}", e.body_text())),
            echo(txn_type, None),
        ))
    })
}

struct Page {
    after: Option<String>,
    descending: bool,
    limit: i64,
}

fn page(stamp: &Stamp, p: &ListParams, txn_type: TxnType) -> Result<Page, Box<Response>> {
    let bad = |detail: String| {
        Box::new(invalid(
            stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(50000, detail),
            echo(txn_type, None),
        ))
    };
    let descending = match p.order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(bad(format!("order must be asc or desc, not {other:?}"))),
    };
    let limit = match p.count.as_deref().map(str::trim) {
        None | Some("") => 20,
        Some(c) => match c.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(100),
            _ => return Err(bad(format!("count must be a positive integer, not {c:?}"))),
        },
    };
    let after = p
        .since_token
        .clone()
        .or_else(|| p.since_transaction_id.clone())
        .or_else(|| p.since_payment_method_id.clone())
        .filter(|s| !s.trim().is_empty());
    if after.as_ref().is_some_and(|a| a.len() > 100) {
        return Err(bad("sinceToken must be at most 100 characters".into()));
    }
    Ok(Page {
        after,
        descending,
        limit,
    })
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

/// Update the non-sensitive fields of a payment method (PUT; POST accepted).
#[utoipa::path(put, path = "/v1/paymentmethods/{id}", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
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

/// Redact a payment method: sensitive data wiped, metadata kept; it can no longer transact.
#[utoipa::path(put, path = "/v1/paymentmethods/{id}/redact", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "Transaction of type RedactPaymentMethod", body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn redact_payment_method(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let o = s.engine.redact_payment_method(&t, &id).await?;
    Ok(outcome(o, echo(TxnType::RedactPaymentMethod, None)))
}

/// Put a CVV back on a vaulted card so it can be transacted against.
#[utoipa::path(put, path = "/v1/paymentmethods/{id}/recache", tag = "FlexPay payment methods", security(("flexpay_basic" = [])),
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

async fn pay(
    s: AppState,
    t: Tenant,
    body: Result<Bytes, BytesRejection>,
    kind: PaymentKind,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = match kind {
        PaymentKind::Charge => TxnType::Charge,
        PaymentKind::Authorize => TxnType::Authorize,
    };
    let body = try_resp!(parse_body(&stamp, body, tt));
    let txn = try_resp!(with_root(&stamp, &body, "transaction", tt));
    let req = match request::payment(txn, kind) {
        Ok(r) => r,
        Err(f) => return Ok(invalid(&stamp, StatusCode::OK, f, echo(tt, Some(txn)))),
    };
    let o = s.engine.pay(&t, req).await?;
    Ok(outcome(o, echo(tt, Some(txn))))
}

/// Charge: vault token (`paymentMethodId`), pass-in card, or third-party gateway token.
#[utoipa::path(post, path = "/v1/gateways/charge", tag = "FlexPay payments", security(("flexpay_basic" = [])),
    request_body(content = schema::PaymentRequest, description = "One payment source: paymentMethodId, a pass-in card, or a third-party gateway token"),
    responses((status = 200, description = "Approved, declined or refused: see transactionStatus and responseCode", body = TransactionEnvelope),
        (status = 400, description = "Not JSON (50002) or no transaction object (50003)", body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn charge(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    pay(s, t, body, PaymentKind::Charge).await
}

/// Authorize (reserve funds for a later capture); same payment sources as charge.
#[utoipa::path(post, path = "/v1/gateways/authorize", tag = "FlexPay payments", security(("flexpay_basic" = [])),
    request_body(content = schema::PaymentRequest, description = "Same body as charge"),
    responses((status = 200, body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn authorize(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    pay(s, t, body, PaymentKind::Authorize).await
}

async fn follow(
    s: AppState,
    t: Tenant,
    id: String,
    body: Result<Bytes, BytesRejection>,
    kind: FollowUpKind,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = match kind {
        FollowUpKind::Capture => TxnType::Capture,
        FollowUpKind::Void => TxnType::Void,
        FollowUpKind::Refund => TxnType::Refund,
    };
    let body = try_resp!(parse_body(&stamp, body, tt));
    let txn = try_resp!(with_root(&stamp, &body, "transaction", tt));
    let req = match request::follow_up(txn, kind, &id) {
        Ok(r) => r,
        Err(f) => return Ok(invalid(&stamp, StatusCode::OK, f, echo(tt, Some(txn)))),
    };
    let o = s.engine.follow_up(&t, req).await?;
    Ok(outcome(o, echo(tt, Some(txn))))
}

/// Capture an approved authorization (amount absent or 0 = full; one capture per authorization).
#[utoipa::path(post, path = "/v1/transactions/{id}/capture", tag = "FlexPay payments", security(("flexpay_basic" = [])),
    params(("id" = String, Path, description = "The Authorize transaction")),
    request_body(content = schema::FollowUpRequest, description = "merchantTransactionId, and the amount in cents (absent or 0 = full)"),
    responses((status = 200, body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn capture(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    follow(s, t, id, body, FollowUpKind::Capture).await
}

/// Void an authorization, or a charge/capture not yet settled (sandbox settles at 00:00 UTC).
#[utoipa::path(post, path = "/v1/transactions/{id}/void", tag = "FlexPay payments", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), request_body(content = schema::FollowUpRequest, description = "merchantTransactionId, and the amount in cents (absent or 0 = full)"),
    responses((status = 200, body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn void(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    follow(s, t, id, body, FollowUpKind::Void).await
}

/// Refund a charge or capture, fully (amount absent or 0) or partially.
#[utoipa::path(post, path = "/v1/transactions/{id}/refund", tag = "FlexPay payments", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), request_body(content = schema::FollowUpRequest, description = "merchantTransactionId, and the amount in cents (absent or 0 = full)"),
    responses((status = 200, body = TransactionEnvelope), (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn refund(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    follow(s, t, id, body, FollowUpKind::Refund).await
}

fn date_bound(text: &Option<String>, end: bool) -> Result<Option<i64>, String> {
    let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let at = if let Some(d) = parse_date(text) {
        let d = if end {
            d.next_day().ok_or("date out of range")?
        } else {
            d
        };
        d.midnight().assume_utc()
    } else {
        parse_datetime(text)
            .ok_or_else(|| format!("{text:?} is not a date (YYYY-M-D) or an RFC 3339 date-time"))?
    };
    Ok(Some(openflex_engine::micros(at)))
}

/// List transactions (keyset pagination; page until an empty list).
#[utoipa::path(get, path = "/v1/transactions", tag = "FlexPay transactions", security(("flexpay_basic" = [])), params(ListParams),
    responses((status = 200, description = "`{\"transactions\":[…]}` (simplified items with responseType=simplified)", body = TransactionList),
        (status = 400, body = TransactionEnvelope), (status = 401, body = MessageBody)))]
pub async fn list_transactions(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let stamp = s.engine.stamp(&t);
    let tt = TxnType::Charge;
    let p = try_resp!(list_params(&stamp, query, tt));
    let pg = try_resp!(page(&stamp, &p, tt));
    let bad = |d: String| {
        Box::new(invalid(
            &stamp,
            StatusCode::BAD_REQUEST,
            binding::fail(50000, d),
            echo(tt, None),
        ))
    };
    let start =
        try_resp!(date_bound(&p.start_date, false).map_err(|e| bad(format!("startDate: {e}"))));
    let end = try_resp!(date_bound(&p.end_date, true).map_err(|e| bad(format!("endDate: {e}"))));
    let q = ListQuery {
        after: pg.after,
        descending: pg.descending,
        limit: pg.limit,
        start,
        end,
    };
    let items = s.engine.transactions(&t, &q).await?;
    let simplified = p
        .response_type
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("simplified"));
    Ok(if simplified {
        Json(SimplifiedTransactionList {
            transactions: items.iter().map(Into::into).collect(),
        })
        .into_response()
    } else {
        Json(TransactionList {
            transactions: items.iter().map(Into::into).collect(),
        })
        .into_response()
    })
}

/// Show one transaction.
#[utoipa::path(get, path = "/v1/transactions/{id}", tag = "FlexPay transactions", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, body = TransactionEnvelope), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn show_transaction(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(envelope((&s.engine.transaction(&t, &id).await?).into()))
}

/// openflex extension: every attempt of the recovery chain this charge or authorization
/// belongs to (linked by referenceData), oldest first.
#[utoipa::path(get, path = "/v1/transactions/{id}/chain", tag = "FlexPay transactions", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, body = TransactionList), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn show_chain(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Json<TransactionList>, ApiError> {
    let attempts = s.engine.recovery_attempts(&t, &id).await?;
    Ok(Json(TransactionList {
        transactions: attempts.iter().map(Into::into).collect(),
    }))
}

/// Find a transaction by the merchant's own id.
#[utoipa::path(get, path = "/v1/transactions/byMerchantTransactionId/{mtid}", tag = "FlexPay transactions", security(("flexpay_basic" = [])),
    params(("mtid" = String, Path)), responses((status = 200, body = TransactionEnvelope), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn show_by_mtid(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(mtid): Path<String>,
) -> Result<Response, ApiError> {
    Ok(envelope(
        (&s.engine.transaction_by_mtid(&t, &crate::nfc(&mtid)).await?).into(),
    ))
}

fn gateway_input(body: &Value) -> Result<openflex_engine::gateways::GatewayInput, ApiError> {
    let g = request::root(body, "gateway").ok_or_else(|| {
        ApiError::BadRequest("the body must be an object with a \"gateway\" object".into())
    })?;
    let o = binding::Obj::new(g, "gateway");
    let to_api = |f: Fail| ApiError::BadRequest(f.detail);
    let list = |key: &str| -> Result<Option<Vec<String>>, ApiError> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::BadRequest(format!("gateway.{key} must be a list of strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::Object(m)) => Ok(Some(m.keys().cloned().collect())),
            Some(_) => Err(ApiError::BadRequest(format!(
                "gateway.{key} must be a list"
            ))),
        }
    };
    Ok(openflex_engine::gateways::GatewayInput {
        name: o.text("name", 50000).map_err(to_api)?,
        gateway_type: o.text("gatewayType", 50000).map_err(to_api)?,
        merchant_account_reference_id: o
            .text("merchantAccountReferenceId", 50000)
            .map_err(to_api)?,
        status: o.text("status", 50000).map_err(to_api)?,
        accepted_currencies: list("acceptedCurrencyCodes")?,
        accepted_cards: list("acceptedCards")?,
        weight: o.int("weight").map_err(to_api)?,
        accept_retries: o.bool("acceptRetries").map_err(to_api)?,
        cvv_required: o.bool("cvvRequired").map_err(to_api)?,
        settings: o
            .get("settings")
            .filter(|v| !v.is_null())
            .map(Value::to_string),
    })
}

fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|_| {
        ApiError::BadRequest("the request body could not be read (at most 64 KiB of JSON)".into())
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

/// List the merchant's gateways.
#[utoipa::path(get, path = "/v1/gateways", tag = "FlexPay gateways", security(("flexpay_basic" = [])),
    responses((status = 200, body = GatewayList), (status = 401, body = MessageBody)))]
pub async fn list_gateways(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
) -> Result<Json<GatewayList>, ApiError> {
    Ok(Json(GatewayList {
        gateways: s
            .engine
            .gateways(&t)
            .await?
            .iter()
            .map(Into::into)
            .collect(),
    }))
}

/// Create a gateway (merchant account): a deterministic `sandbox` one (sandbox keys only) or a
/// live connector (`stripe`, `adyen`, `nmi`, `authorizenet`) in either mode.
#[utoipa::path(post, path = "/v1/gateways", tag = "FlexPay gateways", security(("flexpay_basic" = [])),
    request_body(content = schema::GatewayRequest, description = "On update, name and gatewayType are fixed at creation"),
    responses((status = 200, body = GatewayEnvelope), (status = 400, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn create_gateway(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GatewayEnvelope>, ApiError> {
    let input = gateway_input(&json_body(body)?)?;
    let g = s.engine.create_gateway(&t, input).await?;
    Ok(Json(GatewayEnvelope {
        gateway: (&g).into(),
    }))
}

/// Show a gateway.
#[utoipa::path(get, path = "/v1/gateways/{token}", tag = "FlexPay gateways", security(("flexpay_basic" = [])),
    params(("token" = String, Path)), responses((status = 200, body = GatewayEnvelope), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn show_gateway(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(token): Path<String>,
) -> Result<Json<GatewayEnvelope>, ApiError> {
    Ok(Json(GatewayEnvelope {
        gateway: (&s.engine.gateway(&t, &token).await?).into(),
    }))
}

/// Update a gateway's status, weight, accepted currencies/cards, flags or settings.
#[utoipa::path(put, path = "/v1/gateways/{token}", tag = "FlexPay gateways", security(("flexpay_basic" = [])),
    params(("token" = String, Path)), request_body(content = schema::GatewayRequest, description = "On update, name and gatewayType are fixed at creation"),
    responses((status = 200, body = GatewayEnvelope), (status = 400, body = MessageBody), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn update_gateway(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(token): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GatewayEnvelope>, ApiError> {
    let input = gateway_input(&json_body(body)?)?;
    Ok(Json(GatewayEnvelope {
        gateway: (&s.engine.update_gateway(&t, &token, input).await?).into(),
    }))
}

/// Delete a gateway (past transactions keep naming it).
#[utoipa::path(delete, path = "/v1/gateways/{token}", tag = "FlexPay gateways", security(("flexpay_basic" = [])),
    params(("token" = String, Path)), responses((status = 200, body = MessageBody), (status = 404, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn delete_gateway(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(token): Path<String>,
) -> Result<Json<MessageBody>, ApiError> {
    s.engine.delete_gateway(&t, &token).await?;
    Ok(Json(MessageBody {
        message: "Gateway deleted.".into(),
    }))
}
