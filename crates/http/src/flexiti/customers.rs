//! Finding a customer and their account, and what a merchant does with it short of moving
//! money: prefill from a licence, a purchase PIN, a quote, closing (docs/flexiti.md §2.4).

use super::body::FlexitiBody;
use super::request::{self, account_path};
use super::routes::ok;
use super::wire::{
    AccountSummary, CalculateResponse, LicenceResponse, LookupResponse, VerifyResponse,
};
use super::{Access, ErrorBody, FlexitiCall};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::json;

/// Find a person's accounts by name and date of birth.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/search", tag = "Flexiti",
    params(("client_id" = String, Path), ("first_name" = String, Query), ("last_name" = String, Query),
        ("dob" = String, Query, description = "YYYY-MM-DD"), ("postal_code" = Option<String>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = [AccountSummary]), (status = 404, description = "not_found", body = ErrorBody),
        (status = 403, description = "insufficient_scope", body = ErrorBody), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn search(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let s = request::search(q)?;
        let accounts = st
            .engine
            .flexiti_search(
                &c,
                &s.first_name,
                &s.last_name,
                &s.dob,
                s.postal_code.as_deref(),
            )
            .await?;
        ok(&accounts
            .iter()
            .map(AccountSummary::from)
            .collect::<Vec<_>>())
    }
    .await;
    call.finish(r)
}

/// One account by card number, account number or customer id, with the plans it may use.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/lookup", tag = "Flexiti",
    params(("client_id" = String, Path), ("vcc_number" = Option<String>, Query), ("account_number" = Option<String>, Query),
        ("customer_id" = Option<String>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = LookupResponse), (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "user_not_able_to_purchase, user_not_active, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn lookup(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let key = request::lookup(q)?;
        let (a, plans) = st.engine.flexiti_lookup(&c, &key).await?;
        ok(&LookupResponse::of(&a, &plans))
    }
    .await;
    call.finish(r)
}

/// Prefill an application from the decoded PDF417 barcode of a driver's licence (AAMVA).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/customers/driverslicense", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`barcode_data`: the text a PDF417 scanner decodes from the licence"),
    responses((status = 200, body = LicenceResponse), (status = 409, description = "wrong_inputs (barcode_data invalid)", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn drivers_licence(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        call.auth(&st, &client_id, Access::Customer).await?;
        let licence = request::licence(&body.object()?)?;
        ok(&LicenceResponse::from(licence))
    }
    .await;
    call.finish(r)
}

/// Issue a purchase PIN (sms, email, security question, regular-purchase bypass, override).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/account/{account_number}/verify", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`format` (sms default | email | security_question | regular_purchase_bypass | merchant_override), `request_id` (in-store, ties the PIN to the purchase), `security_qid`, `security_answer`, `vcc_number`"),
    responses((status = 200, body = VerifyResponse),
        (status = 400, description = "sms_not_valid_phone", body = ErrorBody), (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "merchant_override_is_not_allowed, regular_purchase_bypass_is_not_allowed, piw_mismatch, secret_answer_mismatch, user_not_able_to_purchase, user_not_active, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn verify(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, account)): Path<(String, String)>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        let req = request::verify(&body.object()?)?;
        let out = st.engine.flexiti_verify(&c, &account, req).await?;
        ok(&VerifyResponse::from(out))
    }
    .await;
    call.finish(r)
}

/// Plans, terms and payments for an amount (the customer's rating and province decide); POST,
/// or GET as some clients send it.
#[utoipa::path(method(post, get), path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/accounts/{account_number}/calculate-interest", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query),
        ("amount" = Option<String>, Query, description = "The amount, when the body has none")),
    request_body(content = Object, description = "`{\"amount\": 234.45}` (GET with a body or `?amount=` also accepted)"),
    responses((status = 200, body = CalculateResponse), (status = 404, body = ErrorBody), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn calculate(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, account)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        let amount = request::calculate(body.object()?, q)?;
        let calc = st.engine.flexiti_calculate(&c, &account, amount).await?;
        ok(&CalculateResponse::of(amount, &calc))
    }
    .await;
    call.finish(r)
}

/// Close an account for good (open authorizations are released); answers `{}`.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/accounts/{account_number}/close", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "`{}`"), (status = 404, body = ErrorBody), (status = 409, description = "user_not_active (already closed)", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn close(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, account)): Path<(String, String)>,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let account = account_path(&account)?;
        st.engine.flexiti_close(&c, &account).await?;
        ok(&json!({}))
    }
    .await;
    call.finish(r)
}
