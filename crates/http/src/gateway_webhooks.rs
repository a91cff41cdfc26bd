//! Gateway webhooks in and out of HTTP: `POST /gateways/{gatewayToken}/webhook` receives a
//! gateway's events (no API key: the gateway's signature, checked by its connector against the
//! secret in the gateway's settings, authenticates the delivery), and
//! `GET /v1/transactions/{id}/gateway-events` shows what was recorded against a transaction
//! (chargebacks, late failures, confirmations). Bodies are never logged: they describe
//! customers' payments.

use crate::AppState;
use crate::error::ApiError;
use crate::flexpay::FlexPayAuth;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use openflex_engine::connector::{WebhookHeaders, WebhookRefusal};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gateways/{token}/webhook", post(receive))
        .route("/v1/transactions/{id}/gateway-events", get(list))
        .method_not_allowed_fallback(crate::flexpay::method_not_allowed)
}

/// A refused delivery as HTTP: gateways retry anything but 2xx, so only a delivery that could
/// never be applied gets a 4xx — a bad signature 401 (as Stripe's own libraries answer), a
/// gateway without a webhook secret 401, an unreadable body 400. A delivery holding an event
/// that must wait for its attempt to be settled gets 503, to be sent again.
fn refusal(r: WebhookRefusal) -> ApiError {
    match r {
        WebhookRefusal::BadSignature(m) | WebhookRefusal::NotConfigured(m) => {
            ApiError::Unauthenticated(m)
        }
        WebhookRefusal::Malformed(m) | WebhookRefusal::Unsupported(m) => ApiError::BadRequest(m),
    }
}

/// Receive a gateway's webhook delivery (Stripe events, Adyen standard notifications).
#[utoipa::path(post, path = "/gateways/{gatewayToken}/webhook", tag = "Gateway webhooks",
    params(("gatewayToken" = String, Path)),
    request_body(content = String, content_type = "application/json", description = "The gateway's event, as it signed it"),
    responses((status = 200, description = "Accepted (Adyen: `[accepted]`)"),
        (status = 400, body = crate::flexpay::wire::MessageBody),
        (status = 401, body = crate::flexpay::wire::MessageBody),
        (status = 404, body = crate::flexpay::wire::MessageBody),
        (status = 503, description = "An event must wait until the attempt it reports on is settled; the gateway sends it again", body = crate::flexpay::wire::MessageBody)))]
pub async fn receive(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let headers = WebhookHeaders::new(
        headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    );
    let receipt = s
        .engine
        .gateway_webhook(&token, &headers, &body)
        .await?
        .map_err(refusal)?;
    tracing::info!(
        applied = receipt.applied,
        duplicates = receipt.duplicates,
        refused = receipt.refused,
        postponed = receipt.postponed,
        "gateway webhook received"
    );
    if receipt.postponed > 0 {
        // An event about an attempt not settled yet: the gateway sends again what it has no
        // acknowledgement for.
        return Err(ApiError::Unavailable);
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        receipt.ack,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayEventWire {
    /// The gateway's id of the event.
    pub event_id: String,
    /// `chargeback`, `chargeback_reversed`, `refund_failed`, `captured`, …
    pub kind: String,
    /// The gateway's own name (`charge.dispute.created`, `CHARGEBACK`).
    pub gateway_event_type: String,
    pub amount: Option<i64>,
    pub currency_code: Option<String>,
    pub reason: Option<String>,
    /// What openflex did: `settled`, `follow_up_failed`, `recorded`, `still_unknown`.
    pub outcome: String,
    pub received_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayEventList {
    pub gateway_events: Vec<GatewayEventWire>,
}

/// The gateway events recorded against a transaction (chargebacks, late failures).
#[utoipa::path(get, path = "/v1/transactions/{id}/gateway-events", tag = "FlexPay transactions", security(("flexpay_basic" = [])),
    params(("id" = String, Path)), responses((status = 200, body = GatewayEventList), (status = 404, body = crate::flexpay::wire::MessageBody), (status = 401, body = crate::flexpay::wire::MessageBody)))]
pub async fn list(
    State(s): State<AppState>,
    FlexPayAuth(t): FlexPayAuth,
    Path(id): Path<String>,
) -> Result<Json<GatewayEventList>, ApiError> {
    let events = s.engine.gateway_events(&t, &id).await?;
    Ok(Json(GatewayEventList {
        gateway_events: events
            .into_iter()
            .map(|e| GatewayEventWire {
                event_id: e.event_id,
                kind: e.kind,
                gateway_event_type: e.gateway_kind,
                amount: e.amount,
                currency_code: e.currency,
                reason: e.reason,
                outcome: e.outcome,
                received_at: e
                    .received_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            })
            .collect(),
    }))
}
