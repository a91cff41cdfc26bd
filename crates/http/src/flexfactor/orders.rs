//! Orders after `/v1/evaluate`: listing and reading them, and the actions that move them
//! (capture, refund, cancel). Each action answers in the vendor's envelope, and the keyed ones
//! answer a retry from the first answer.

use super::auth::FfAuth;
use super::body::Node;
use super::fields;
use super::keyed::{Key, json_text, request_hash, with_key};
use super::orders_query::{self, OrdersPage};
use super::request;
use super::wire::{Envelope, OrderActionResponse, OrderPage, OrderWire};
use super::{BadRequest, ProblemDetails, failure, problem};
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openflex_domain::money::Currency;
use openflex_engine::Tenant;
use openflex_engine::flexfactor::auth::FfCaller;
use openflex_engine::flexfactor::{Order, OrderOutcome, OrderRef, REFUND_SCOPE, identical_refund};
use serde_json::Value;

fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "404001", "Order not found.")
}

/// Capture an order in CAPTUREREQUIRED (up to the authorized amount, within the window).
#[utoipa::path(post, path = "/v1/capture", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    request_body(content = Object, description = "`{\"idempotencyKey\",\"orderId\" (the FlexFactor order id),\"amount\" (cents),\"currency\"}`"),
    responses((status = 200, description = "status SUCCESS, or FAILED with responseCode", body = OrderActionResponse), (status = 400, description = "Flat validation map", body = BadRequest),
        (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
pub async fn capture(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let c = match request::capture(&v) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let t = caller.tenant.clone();
    let engine = s.engine.clone();
    let hash = request_hash(&v);
    let k = Key {
        scope: "capture",
        key: &c.key,
        hash: &hash,
    };
    with_key(&s, &caller.tenant, k, action_text, |seal| async move {
        match engine
            .ff_capture(&t, &c.order_id, c.amount, &c.currency, Some(seal))
            .await
        {
            Ok(Some(o)) => Ok(o),
            Ok(None) => Err(not_found()),
            Err(e) => Err(failure(e)),
        }
    })
    .await
}

fn action_body(o: &OrderOutcome) -> OrderActionResponse {
    match o {
        OrderOutcome::Done { transaction_id } => OrderActionResponse {
            transaction_id: transaction_id.clone(),
            response_code: Some("0".into()),
            response_message: Some("APPROVED".into()),
            envelope: Envelope::ok(Some("SUCCESS")),
        },
        OrderOutcome::Failed { reason } => {
            let (code, message) = fields::order_refusal(reason);
            OrderActionResponse {
                transaction_id: None,
                response_code: Some(code.into()),
                response_message: Some(message.clone()),
                envelope: Envelope::failed(code, &message),
            }
        }
    }
}

fn action_text(o: &OrderOutcome) -> String {
    json_text(&action_body(o))
}

/// List orders (page-number paging, filters, sorting).
#[utoipa::path(get, path = "/v1/orders", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("query" = Option<String>, Query, description = "Text in the merchant order id or payer details"),
        ("status" = Option<String>, Query, description = "Numeric statuses, repeated or comma-separated"),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("orderBy" = Option<String>, Query, description = "createdOn (default) or amount"),
        ("sort" = Option<String>, Query, description = "asc or desc (default)"),
        ("pageSize" = Option<i64>, Query, description = "Default 10, at most 100"), ("pageNumber" = Option<i64>, Query, description = "1-based")),
    responses((status = 200, body = OrderPage), (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn list_orders(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    uri: axum::http::Uri,
) -> Response {
    let page = match orders_query::orders(uri.query()) {
        Ok(page) => page,
        Err(r) => return *r,
    };
    match s.engine.ff_orders(&caller.tenant, &page.query).await {
        Ok((orders, total)) => Json(order_page(&page, &orders, total)).into_response(),
        Err(e) => failure(e),
    }
}

/// One page of orders with the vendor's paging fields and status names.
fn order_page(page: &OrdersPage, orders: &[Order], total: i64) -> OrderPage {
    let (page_number, page_size, offset) = (page.page_number, page.page_size, page.query.offset);
    let page_count = (total + page_size - 1) / page_size;
    let first = if orders.is_empty() { 0 } else { offset + 1 };
    let statuses = [
        (0, "DRAFT"),
        (1, "ONHOLD"),
        (2, "CANCELLED"),
        (3, "PROBLEM"),
        (4, "PROCESSING"),
        (5, "CAPTUREREQUIRED"),
        (6, "RETURNED"),
        (7, "COMPLETED"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v.into())))
    .collect();
    OrderPage {
        page_number,
        page_size,
        page_count,
        total_item_count: total,
        first_item_on_page: first,
        last_item_on_page: if orders.is_empty() {
            0
        } else {
            offset + orders.len() as i64
        },
        has_next_page: page_number < page_count,
        has_previous_page: page_number > 1,
        is_first_page: page_number == 1,
        is_last_page: page_number >= page_count,
        orders: orders.iter().map(Into::into).collect(),
        statuses,
    }
}

/// One order with its amounts, payer and every event (attempts, captures, refunds).
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")),
    responses((status = 200, body = OrderWire), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn show_order(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
) -> Response {
    match s.engine.ff_order(&caller.tenant, &id).await {
        Ok(o) => Json(OrderWire::from(&o)).into_response(),
        Err(openflex_engine::EngineError::NotFound) => {
            problem(StatusCode::NOT_FOUND, "404001", "Order not found.")
        }
        Err(e) => failure(e),
    }
}

/// Refund an order, fully or partially; `amountToRefund` is in dollars (a decimal).
#[utoipa::path(post, path = "/v1/orders/{id}/refund", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")),
    request_body(content = Object, description = "`{\"amountToRefund\": 12.00, \"refundMessage\": \"…\"}`"),
    responses((status = 200, description = "status SUCCESS, or FAILED with responseCode 2001 (over the refundable amount)", body = OrderActionResponse),
        (status = 400, description = "Flat validation map", body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn refund(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let order = match s.engine.ff_order(&caller.tenant, &id).await {
        Ok(o) => o,
        Err(openflex_engine::EngineError::NotFound) => return not_found(),
        Err(e) => return failure(e),
    };
    let exponent = Currency::parse(&order.currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let (amount, message) = match request::refund(&v, exponent) {
        Ok(read) => read,
        Err(r) => return *r,
    };
    let (key, hash) = identical_refund(&id, amount, message.as_deref());
    let t = caller.tenant.clone();
    let engine = s.engine.clone();
    let k = Key {
        scope: REFUND_SCOPE,
        key: &key,
        hash: &hash,
    };
    with_key(&s, &caller.tenant, k, action_text, |seal| async move {
        match engine
            .ff_refund(&t, &id, amount, message.as_deref(), Some(seal))
            .await
        {
            Ok(Some(o @ OrderOutcome::Done { .. })) => Ok(o),
            // A failed refund is not remembered: the merchant may retry after a change.
            Ok(Some(o)) => Err(Json(action_body(&o)).into_response()),
            Ok(None) => Err(not_found()),
            Err(e) => Err(failure(e)),
        }
    })
    .await
}

async fn cancel_by(
    s: AppState,
    caller: FfCaller,
    r: OrderRef<'_>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match body {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Value::Object(Default::default()),
        other => match request::json_body(other) {
            Ok(v) => v,
            Err(r) => return *r,
        },
    };
    let key = Node::of(&v).text(&["idempotencykey"]);
    let t = caller.tenant.clone();
    let run = |engine: openflex_engine::Engine, t: Tenant, seal| async move {
        match engine.ff_cancel(&t, r, seal).await {
            Ok(Some(o @ OrderOutcome::Done { .. })) => Ok(o),
            Ok(Some(OrderOutcome::Failed { reason })) => {
                let (code, message) = fields::order_refusal(&reason);
                Err(problem(StatusCode::BAD_REQUEST, code, message))
            }
            Ok(None) => Err(not_found()),
            Err(e) => Err(failure(e)),
        }
    };
    match key {
        Some(key) => {
            let hash = request_hash(&v);
            let engine = s.engine.clone();
            let t2 = t.clone();
            let k = Key {
                scope: "cancel",
                key: &key,
                hash: &hash,
            };
            // A cancel answers 200 with an empty body.
            let empty = |_: &OrderOutcome| String::new();
            with_key(&s, &t, k, empty, move |seal| run(engine, t2, Some(seal))).await
        }
        None => match run(s.engine.clone(), t, None).await {
            Ok(_) => StatusCode::OK.into_response(),
            Err(resp) => resp,
        },
    }
}

/// Cancel (void) an order that has not been captured: 200 with an empty body; idempotent.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "orderSessionKey")), request_body(content = Object, description = "`{}` or `{\"idempotencyKey\"}`"),
    responses((status = 200, description = "Cancelled (empty body)"), (status = 400, body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn cancel(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    cancel_by(s, caller, OrderRef::Id(&id), body).await
}

/// Cancel by the merchant's own order id (when /evaluate timed out before answering).
#[utoipa::path(post, path = "/v1/orders/{id}/external-cancel", tag = "FlexFactor", security(("flexfactor_bearer" = [])),
    params(("id" = String, Path, description = "The merchant's orderId")), request_body(content = Object, description = "`{}` or `{\"idempotencyKey\"}`"),
    responses((status = 200, description = "Cancelled (empty body)"), (status = 400, body = BadRequest), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn external_cancel(
    State(s): State<AppState>,
    FfAuth(caller): FfAuth,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    cancel_by(s, caller, OrderRef::External(&crate::nfc(&id)), body).await
}
