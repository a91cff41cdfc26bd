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
use axum::routing::{get, post, put};
use axum::{Json, Router};
use binding::{Fail, parse_date, parse_datetime};
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::TxnType;
use openflex_engine::Tenant;
use openflex_engine::payments::search::TxnPage;
use openflex_engine::payments::{FollowUpKind, PaymentKind};
use openflex_engine::tenancy::kind;
use payment_methods as pm;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use wire::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/test", get(api_test))
        .route(
            "/v1/paymentmethods",
            post(pm::create_payment_method).get(pm::list_payment_methods),
        )
        .route(
            "/v1/paymentmethods/{id}",
            get(pm::show_payment_method)
                .put(pm::update_payment_method)
                .post(pm::update_payment_method),
        )
        .route(
            "/v1/paymentmethods/{id}/redact",
            put(pm::redact_payment_method).post(pm::redact_payment_method),
        )
        .route(
            "/v1/paymentmethods/{id}/recache",
            put(pm::recache_payment_method).post(pm::recache_payment_method),
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
        .route(
            "/v1/gateways",
            get(gateways::list_gateways).post(gateways::create_gateway),
        )
        .route(
            "/v1/gateways/{token}",
            get(gateways::show_gateway)
                .put(gateways::update_gateway)
                .delete(gateways::delete_gateway),
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
        basic_auth(parts, state, false).await.map(Self)
    }
}

/// [`FlexPayAuth`] for charge and authorize: the key is resolved through the node's
/// configuration cache, which the payment's own first write re-checks (see
/// `Engine::authenticate_for_payment`), saving the credential read on the hot path.
pub struct FlexPayPayer(pub Tenant);

impl FromRequestParts<AppState> for FlexPayPayer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        basic_auth(parts, state, true).await.map(Self)
    }
}

/// The merchant behind `Authorization: Basic <apiKey>`, read through the node's cache when
/// `cached`.
async fn basic_auth(parts: &mut Parts, state: &AppState, cached: bool) -> Result<Tenant, Response> {
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
    let unauthorized = |parts: &Parts| match state.failed_auth.api.failed(state.client_ip(parts)) {
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
    let found = if cached {
        state
            .engine
            .authenticate_for_payment(kind::FLEXPAY_API_KEY, &key)
            .await
    } else {
        state.engine.authenticate(kind::FLEXPAY_API_KEY, &key).await
    };
    match found {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(unauthorized(parts)),
        Err(e) => Err(ApiError::from(e).into_response()),
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

pub mod gateways;
pub mod payment_methods;

/// Connectivity check (no `/v1`).
#[utoipa::path(get, path = "/api/test", tag = "FlexPay", security(("flexpay_basic" = [])),
    responses((status = 200, body = MessageBody), (status = 401, body = MessageBody)))]
pub async fn api_test(_auth: FlexPayAuth) -> Json<MessageBody> {
    Json(MessageBody {
        message: "Your client successfully connects with FlexPay!".into(),
    })
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
    /// `simplified` for the slim list item (any case; another value gives the full item).
    #[param(inline, value_type = Option<ResponseType>)]
    pub response_type: Option<String>,
}

/// The one documented `responseType` (the server reads it case-insensitively).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ResponseType {
    Simplified,
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
    FlexPayPayer(t): FlexPayPayer,
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
    FlexPayPayer(t): FlexPayPayer,
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

fn date_bound(text: &Option<String>, end: bool) -> Result<Option<time::OffsetDateTime>, String> {
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
    Ok(Some(at))
}

/// List transactions (keyset pagination; page until an empty list).
#[utoipa::path(get, path = "/v1/transactions", tag = "FlexPay transactions", security(("flexpay_basic" = [])), params(ListParams),
    responses((status = 200, description = "`{\"transactions\":[…]}` (simplified items with responseType=simplified)", body = TransactionListAnswer),
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
    let q = TxnPage {
        after: pg.after,
        newest_first: pg.descending,
        limit: pg.limit,
        created_from: start,
        created_before: end,
    };
    let items = s.engine.transactions(&t, &q).await?;
    let simplified = p
        .response_type
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("simplified"));
    let answer = if simplified {
        TransactionListAnswer::Simplified(SimplifiedTransactionList {
            transactions: items.iter().map(Into::into).collect(),
        })
    } else {
        TransactionListAnswer::Full(TransactionList {
            transactions: items.iter().map(Into::into).collect(),
        })
    };
    Ok(Json(answer).into_response())
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
