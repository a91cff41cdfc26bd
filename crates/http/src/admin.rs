//! Operator API under `/admin/`, behind the admin bearer token: merchants, credentials, and
//! the sandbox test clock, merchant settings, Flexiti clients and customers, and webhooks.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use openflex_domain::financing::Plan;
use openflex_engine::financing::FlexitiSettings;
use openflex_engine::financing::clients::FlexitiClientInfo;
use openflex_engine::tenancy::{CredentialInfo, IssuedCredentials, MerchantInfo};
use openflex_engine::webhooks::{Delivery, EndpointInput, WebhookEndpoint};
use openflex_engine::{Mode, settings};
use serde::{Deserialize, Serialize};

pub mod accounts;

use accounts::{AccountChangeBody, AccountView, NewCustomerBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/merchants",
            post(create_merchant).get(list_merchants),
        )
        .route("/admin/merchants/{id}", get(show_merchant))
        .route(
            "/admin/merchants/{id}/credentials",
            get(list_credentials).post(issue_credentials),
        )
        .route(
            "/admin/merchants/{id}/credentials/{credential_id}",
            delete(revoke_credential),
        )
        .route("/admin/merchants/{id}/clock", post(advance_clock))
        .route(
            "/admin/merchants/{id}/retry-policy",
            get(show_retry_policy).put(set_retry_policy),
        )
        .route(
            "/admin/merchants/{id}/risk-rules",
            get(show_risk_rules).put(set_risk_rules),
        )
        .route(
            "/admin/merchants/{id}/flexiti/settings",
            get(show_flexiti_settings).put(set_flexiti_settings),
        )
        .route(
            "/admin/merchants/{id}/flexiti/plans",
            get(show_flexiti_plans).put(set_flexiti_plans),
        )
        .route(
            "/admin/merchants/{id}/flexiti/clients",
            get(list_flexiti_clients),
        )
        .route(
            "/admin/merchants/{id}/flexiti/clients/{client_id}",
            axum::routing::put(set_flexiti_client),
        )
        .route(
            "/admin/merchants/{id}/flexiti/customers",
            get(list_flexiti_customers).post(create_flexiti_customer),
        )
        .route(
            "/admin/merchants/{id}/flexiti/customers/{account_number}",
            axum::routing::patch(update_flexiti_customer),
        )
        .route(
            "/admin/merchants/{id}/webhooks",
            get(list_webhooks).post(create_webhook),
        )
        .route(
            "/admin/merchants/{id}/webhooks/deliveries",
            get(list_deliveries),
        )
        .route(
            "/admin/merchants/{id}/webhooks/deliveries/{delivery_id}/redeliver",
            post(redeliver),
        )
        .route(
            "/admin/merchants/{id}/webhooks/{endpoint_id}",
            axum::routing::put(update_webhook),
        )
        .route(
            "/admin/merchants/{id}/webhooks/{endpoint_id}/test",
            post(test_webhook),
        )
}

pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = crate::bearer_token(parts).unwrap_or_default();
        let given = state.engine.vault().hash_secret(&token);
        if !token.is_empty()
            && openflex_vault::constant_time_eq(given.as_bytes(), state.admin_token_hash.as_bytes())
        {
            return Ok(Admin);
        }
        Err(
            match state.failed_auth.operator.failed(state.client_ip(parts)) {
                Some(retry_after) => crate::too_many_failures(retry_after),
                None => axum::response::IntoResponse::into_response(ApiError::Unauthorized),
            },
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateMerchant {
    name: String,
    mode: Option<String>,
}

fn mode_of(m: Option<&str>) -> Result<Mode, ApiError> {
    match m {
        None => Ok(Mode::Sandbox),
        Some(s) => Mode::parse(&s.to_ascii_lowercase())
            .ok_or_else(|| ApiError::BadRequest("mode must be sandbox or live".into())),
    }
}

fn body<T: serde::de::DeserializeOwned>(bytes: axum::body::Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("invalid body: {e}")))
}

async fn create_merchant(
    _: Admin,
    State(s): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<IssuedCredentials>), ApiError> {
    let req: CreateMerchant = body(bytes)?;
    let mode = mode_of(req.mode.as_deref())?;
    Ok((
        StatusCode::CREATED,
        Json(s.engine.create_merchant(&req.name, mode).await?),
    ))
}

#[derive(Serialize)]
struct MerchantList {
    merchants: Vec<MerchantInfo>,
}

async fn list_merchants(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<MerchantList>, ApiError> {
    Ok(Json(MerchantList {
        merchants: s.engine.merchants().await?,
    }))
}

async fn show_merchant(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MerchantInfo>, ApiError> {
    Ok(Json(s.engine.merchant(&id).await?))
}

#[derive(Serialize)]
struct CredentialList {
    credentials: Vec<CredentialInfo>,
}

async fn list_credentials(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CredentialList>, ApiError> {
    Ok(Json(CredentialList {
        credentials: s.engine.credentials(&id).await?,
    }))
}

#[derive(Deserialize)]
struct IssueRequest {
    mode: Option<String>,
    /// A name for the set, shown beside each key (optional).
    name: Option<String>,
}

async fn issue_credentials(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<IssuedCredentials>), ApiError> {
    let req: IssueRequest = if bytes.is_empty() {
        IssueRequest {
            mode: None,
            name: None,
        }
    } else {
        body(bytes)?
    };
    let mode = mode_of(req.mode.as_deref())?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.engine
                .issue_credentials(&id, mode, req.name.as_deref())
                .await?,
        ),
    ))
}

async fn revoke_credential(
    _: Admin,
    State(s): State<AppState>,
    Path((id, credential_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.engine.revoke_credential(&id, &credential_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockRequest {
    advance_seconds: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClockResponse {
    merchant_id: String,
    clock_offset_seconds: i64,
    now: String,
    /// The merchant's scheduled work that became due and ran, in due order.
    ran: Vec<openflex_engine::scheduler::RanJob>,
}

async fn advance_clock(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<ClockResponse>, ApiError> {
    let req: ClockRequest = body(bytes)?;
    let offset = s.engine.advance_clock(&id, req.advance_seconds).await?;
    let ran = s.engine.run_merchant_jobs(&id).await?;
    let now = s.engine.now() + time::Duration::seconds(offset);
    Ok(Json(ClockResponse {
        merchant_id: id,
        clock_offset_seconds: offset,
        now: openflex_domain::time::rfc3339(now),
        ran,
    }))
}

#[derive(Serialize)]
struct EndpointList {
    endpoints: Vec<WebhookEndpoint>,
}

async fn list_webhooks(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EndpointList>, ApiError> {
    Ok(Json(EndpointList {
        endpoints: s.engine.webhook_endpoints(&id).await?,
    }))
}

async fn create_webhook(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<WebhookEndpoint>), ApiError> {
    let input: EndpointInput = body(bytes)?;
    Ok((
        StatusCode::CREATED,
        Json(s.engine.create_webhook_endpoint(&id, input).await?),
    ))
}

async fn update_webhook(
    _: Admin,
    State(s): State<AppState>,
    Path((id, endpoint_id)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let input: EndpointInput = body(bytes)?;
    Ok(Json(
        s.engine
            .update_webhook_endpoint(&id, &endpoint_id, input)
            .await?,
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Queued {
    delivery_id: String,
}

async fn test_webhook(
    _: Admin,
    State(s): State<AppState>,
    Path((id, endpoint_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let delivery_id = s.engine.send_test_webhook(&id, &endpoint_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery_id })))
}

#[derive(Deserialize)]
struct DeliveryQuery {
    before: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
struct DeliveryList {
    deliveries: Vec<Delivery>,
}

async fn list_deliveries(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeliveryList>, ApiError> {
    let axum::extract::Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let deliveries = s
        .engine
        .webhook_deliveries(&id, q.before.as_deref(), q.limit.unwrap_or(20))
        .await?;
    Ok(Json(DeliveryList { deliveries }))
}

async fn redeliver(
    _: Admin,
    State(s): State<AppState>,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    s.engine.redeliver_webhook(&id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery_id })))
}

async fn show_retry_policy(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<openflex_domain::retry_policy::Policy>, ApiError> {
    Ok(Json(s.engine.retry_policy(&id).await?))
}

/// Fields absent from the body keep their current value.
async fn set_retry_policy(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<openflex_domain::retry_policy::Policy>, ApiError> {
    let current = s.engine.retry_policy(&id).await?;
    let patch: serde_json::Value = body(bytes)?;
    let empty = serde_json::Map::new();
    let policy = settings::merge(&current, patch.as_object().unwrap_or(&empty))
        .map_err(|e| ApiError::BadRequest(format!("invalid retry policy: {e}")))?;
    Ok(Json(s.engine.set_retry_policy(&id, policy).await?))
}

async fn show_risk_rules(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<openflex_domain::risk::RiskRules>, ApiError> {
    Ok(Json(s.engine.risk_rules(&id).await?))
}

/// Fields absent from the body keep their current value.
async fn set_risk_rules(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<openflex_domain::risk::RiskRules>, ApiError> {
    let current = s.engine.risk_rules(&id).await?;
    let patch: serde_json::Value = body(bytes)?;
    let empty = serde_json::Map::new();
    let rules = settings::merge(&current, patch.as_object().unwrap_or(&empty))
        .map_err(|e| ApiError::BadRequest(format!("invalid risk rules: {e}")))?;
    Ok(Json(s.engine.set_risk_rules(&id, rules).await?))
}

async fn show_flexiti_settings(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FlexitiSettings>, ApiError> {
    Ok(Json(s.engine.flexiti_settings(&id).await?))
}

/// Fields absent from the body keep their current value.
async fn set_flexiti_settings(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<FlexitiSettings>, ApiError> {
    let current = s.engine.flexiti_settings(&id).await?;
    let patch: serde_json::Value = body(bytes)?;
    let Some(p) = patch.as_object() else {
        return Err(ApiError::BadRequest("the body must be an object".into()));
    };
    let settings = settings::merge(&current, p)
        .map_err(|e| ApiError::BadRequest(format!("invalid Flexiti settings: {e}")))?;
    Ok(Json(s.engine.set_flexiti_settings(&id, settings).await?))
}

async fn show_flexiti_plans(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Plan>>, ApiError> {
    Ok(Json(s.engine.flexiti_settings(&id).await?.plans))
}

/// Replaces the merchant's plan list.
async fn set_flexiti_plans(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Vec<Plan>>, ApiError> {
    let plans: Vec<Plan> = body(bytes)?;
    let mut settings = s.engine.flexiti_settings(&id).await?;
    settings.plans = plans;
    Ok(Json(
        s.engine.set_flexiti_settings(&id, settings).await?.plans,
    ))
}

#[derive(Serialize)]
struct ClientList {
    clients: Vec<FlexitiClientInfo>,
}

/// The merchant's Flexiti clients (both modes, revoked ones too) and their trusted networks.
async fn list_flexiti_clients(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ClientList>, ApiError> {
    Ok(Json(ClientList {
        clients: s.engine.flexiti_clients(&id).await?,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientChange {
    trusted_networks: Vec<String>,
}

/// Replaces a client's trusted networks (`[]`: any address).
async fn set_flexiti_client(
    _: Admin,
    State(s): State<AppState>,
    Path((id, client_id)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<FlexitiClientInfo>, ApiError> {
    let change: ClientChange = body(bytes)?;
    Ok(Json(
        s.engine
            .set_flexiti_trusted_networks(&id, &client_id, &change.trusted_networks)
            .await?,
    ))
}

#[derive(Deserialize)]
struct ModeQuery {
    mode: Option<String>,
}

async fn list_flexiti_customers(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ModeQuery>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let mode = mode_of(q.mode.as_deref())?;
    let accounts = s.engine.flexiti_admin_accounts(&id, mode).await?;
    Ok(Json(accounts.into_iter().map(AccountView::from).collect()))
}

/// Creates a customer account; the answer shows its card number once.
async fn create_flexiti_customer(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ModeQuery>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let mode = mode_of(q.mode.as_deref())?;
    let new = body::<NewCustomerBody>(bytes)?
        .into_request()
        .map_err(ApiError::BadRequest)?;
    let account = s
        .engine
        .flexiti_admin_create_account(&id, mode, new)
        .await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// Changes an account's status, credit limit or risk rating.
async fn update_flexiti_customer(
    _: Admin,
    State(s): State<AppState>,
    Path((id, account)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<ModeQuery>,
    bytes: axum::body::Bytes,
) -> Result<Json<AccountView>, ApiError> {
    let mode = mode_of(q.mode.as_deref())?;
    let change = body::<AccountChangeBody>(bytes)?
        .into_request()
        .map_err(ApiError::BadRequest)?;
    let account = s
        .engine
        .flexiti_admin_update_account(&id, mode, &account, change)
        .await?;
    Ok(Json(account.into()))
}
