//! FlexPay's gateways (merchant accounts, docs/flexpay.md §8). Invalid input is a 400
//! `{"message"}` naming the field, not a transaction envelope: no payment is involved.

use super::binding::{self, Fail};
use super::wire::*;
use super::{FlexPayAuth, request, schema};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use openflex_engine::connector::ConnectorSettings;
use serde_json::Value;

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
        settings: match o.get("settings") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                ConnectorSettings::from_json(v.to_string())
                    .map_err(|e| ApiError::BadRequest(format!("gateway.settings: {e}")))?,
            ),
        },
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
