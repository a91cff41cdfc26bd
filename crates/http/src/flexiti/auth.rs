//! The token endpoint and the deprecated merchant login: where a Flexiti client gets its
//! bearer token (docs/flexiti.md §2.2), kept apart because only here do credential failures
//! count against the client's budget.

use super::body::FlexitiBody;
use super::routes::ok;
use super::wire::{LoginResponse, OfferType, TokenResponse, form_values};
use super::{Access, ErrorBody, FlexitiCall, request};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use openflex_engine::financing::FlexitiFail;

/// Obtain a 20-minute bearer token: client credentials (body or HTTP Basic), alone or with a
/// refresh token of that client.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/oauth/token", tag = "Flexiti",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "`client_id`, `client_secret` (or HTTP Basic), `grant_type` (`client_credentials` default | `refresh_token`, which needs the client credentials too), `refresh_token`, `scope` (`merchant` default | `customer`). JSON accepted too. Also served under /v2.5.1."),
    responses((status = 200, body = TokenResponse),
        (status = 400, description = "invalid_client, invalid_request, unsupported_grant_type, invalid_grant", body = ErrorBody),
        (status = 409, description = "invalid_role (Flexiti disabled for the merchant; a live call not over HTTPS; a call from outside the client's trusted networks), wrong_inputs", body = ErrorBody)))]
pub async fn token(State(st): State<AppState>, call: FlexitiCall, body: FlexitiBody) -> Response {
    let r = async {
        let req = request::token(&body.object()?, &call.headers)?;
        let tokens = match req.refresh_token {
            Some(refresh) => {
                st.engine
                    .flexiti_refresh(&refresh, &req.client_id, &req.client_secret, call.origin())
                    .await
            }
            None => {
                st.engine
                    .flexiti_token(&req.client_id, &req.client_secret, req.scope, call.origin())
                    .await
            }
        };
        match tokens {
            Ok(t) => {
                let mut resp = Json(TokenResponse::from(t)).into_response();
                resp.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                Ok(resp)
            }
            Err(FlexitiFail::Refused(r))
                if r.code == "invalid_client" || r.code == "invalid_grant" =>
            {
                Err(call.auth_failure(&st, r.code))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    call.finish(r)
}

/// Deprecated merchant login: the client's own credentials → merchant, form values and plans.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/merchants/login", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`merchant_username` (the client id), `merchant_password` (the client secret)"),
    responses((status = 200, body = LoginResponse), (status = 409, description = "authentication_failure, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn merchant_login(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let (user, pass) = request::login(&body.object()?)?;
        let plans = st
            .engine
            .flexiti_merchant_login(&c, &user, pass.expose())
            .await?;
        ok(&LoginResponse {
            merchant_name: c.merchant_name.clone(),
            merchant_id: c.tenant.merchant_id.clone(),
            form_values: form_values(),
            offer_types: plans.iter().map(OfferType::from).collect(),
        })
    }
    .await;
    call.finish(r)
}
