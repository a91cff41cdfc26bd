//! The money-moving routes: purchases (`/authorization`, legacy `/transactions`), their
//! release, capture and return, side movements and refunds (docs/flexiti.md §2.6). Each runs
//! under its idempotency key; one authorization is read here too, as the ledger's own view.

use super::body::FlexitiBody;
use super::idempotent::{idempotent, json_of};
use super::request::{self, Transaction, account_path, path_id};
use super::routes::ok;
use super::wire::{
    AuthorizationView, CaptureResponse, ReleaseResponse, ReturnResponse, TransactionResponse,
};
use super::{Access, ErrorBody, FlexitiCall};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use openflex_engine::financing::ledger::{
    Authorized, Captured, Posted, Released, Returned, SideRequest,
};

/// A purchase: promotional (plan and term) or regular; `auto_capture` captures it at once.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorization", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`account_number`, `vcc_number`, `reference` (≤40), `financing_option{transaction_type, plan_id, term}`, `amount`, `auto_capture` (required), in-store `verification_code`, `request_id`, `external_location_id`, `external_employee_id`, `sku_data`"),
    responses((status = 200, body = AuthorizationView),
        (status = 404, description = "customer_identity_not_found, not_found (card)", body = ErrorBody),
        (status = 409, description = "credit_exceeded, auth_not_allowed, plan_term_not_set, plan_term_not_available, user_not_able_to_purchase, user_not_active, not_verified, wrong_verification_code, verification_code_required, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs, idempotency_in_progress", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn authorize(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let v = body.object()?;
        let req = request::authorization(&v)?;
        idempotent(
            &st,
            &call,
            &c,
            "authorization",
            &v,
            |a: &Authorized| json_of(&AuthorizationView::from(a)),
            |seal| async { Ok(st.engine.flexiti_authorize(&c, req, seal).await?) },
        )
        .await
    }
    .await;
    call.finish(r)
}

/// An in-store deposit, payment or trade-in (legacy purchase types map to `/authorization`
/// with `auto_capture`).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/transactions", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`transaction_type` (deposit | instore_payment | tradein; legacy promotional_purchase | regular_purchase with plan_id, term), `amount`, one of `account_number`/`vcc_number`/`customer_id`, `verification_code`, `request_id`, `external_location_id`, `external_employee_id`"),
    responses((status = 200, body = TransactionResponse),
        (status = 404, body = ErrorBody),
        (status = 409, description = "invalid_transaction_type, wrong_verification_code, verification_code_required, user_not_active, user_not_able_to_purchase, limit_payment_amount_24, not_enough_credit, not_verified, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn transactions(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let v = body.object()?;
        let side = match request::transaction(&v)? {
            Transaction::Purchase(req) => {
                return idempotent(
                    &st,
                    &call,
                    &c,
                    "transactions",
                    &v,
                    |a: &Authorized| json_of(&AuthorizationView::from(a)),
                    |seal| async { Ok(st.engine.flexiti_authorize(&c, req, seal).await?) },
                )
                .await;
            }
            Transaction::Side(side) => side,
        };
        let named = st.engine.flexiti_named_account(&c, side.account).await?;
        let req = SideRequest {
            kind: side.kind,
            account_number: named.account_number,
            vcc: named.vcc,
            amount: side.amount,
            verification_code: side.verification_code,
            reference: side.reference,
            store: side.store,
        };
        idempotent(
            &st,
            &call,
            &c,
            "transactions",
            &v,
            |p: &Posted| json_of(&TransactionResponse::from(p)),
            |seal| async { Ok(st.engine.flexiti_post(&c, req, seal).await?) },
        )
        .await
    }
    .await;
    call.finish(r)
}

/// One authorization with its captures.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorization/{authorization_id}", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, body = AuthorizationView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn show_authorization(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, id)): Path<(String, String)>,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let a = st.engine.flexiti_authorization_get(&c, id).await?;
        ok(&AuthorizationView::from(&a))
    }
    .await;
    call.finish(r)
}

/// Release (cancel) what remains of an open authorization, or part of it.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/release", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`reference`, optional `amount` (partial release; the whole remainder when absent)"),
    responses((status = 200, body = ReleaseResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "authorization_not_open, authorization_amount_exceeded, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn release(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, id)): Path<(String, String)>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let v = body.object()?;
        let (reference, amount) = request::release(&v)?;
        idempotent(
            &st,
            &call,
            &c,
            &format!("release:{id}"),
            &v,
            move |out: &Released| json_of(&ReleaseResponse::of(id, reference.clone(), out)),
            |seal| async { Ok(st.engine.flexiti_release(&c, id, amount, seal).await?) },
        )
        .await
    }
    .await;
    call.finish(r)
}

/// Capture all or part of an authorization (several partial captures allowed).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/capture", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`amount` (required), `reference`, `sku_data`"),
    responses((status = 200, body = CaptureResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "authorization_not_open, authorization_amount_exceeded, wrong_inputs, idempotency_in_progress", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn capture(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, id)): Path<(String, String)>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let id = path_id(&id)?;
        let v = body.object()?;
        let req = request::capture(&v)?;
        idempotent(
            &st,
            &call,
            &c,
            &format!("capture:{id}"),
            &v,
            move |out: &Captured| json_of(&CaptureResponse::of(id, out)),
            |seal| async {
                Ok(st
                    .engine
                    .flexiti_capture(&c, id, req.amount, req.reference, req.sku_data, seal)
                    .await?)
            },
        )
        .await
    }
    .await;
    call.finish(r)
}

/// Full or partial return against a promotional capture, within 100 days.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return", tag = "Flexiti",
    params(("client_id" = String, Path), ("authorization_id" = i64, Path), ("capture_id" = i64, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`full_return` (bool, required), `amount` (partial), `reference`, `vcc_number`, `sku_data`, in-store `external_location_id`, `external_employee_id`"),
    responses((status = 200, body = ReturnResponse), (status = 404, body = ErrorBody),
        (status = 409, description = "capture_amount_exceeded, return_date_exceeded, wrong_transaction_type, not_permitted, external_location_id_not_found, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn return_capture(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, auth_id, capture_id)): Path<(String, String, String)>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let auth_id = path_id(&auth_id)?;
        let capture_id = path_id(&capture_id)?;
        let v = body.object()?;
        let req = request::return_request(&v)?;
        idempotent(
            &st,
            &call,
            &c,
            &format!("return:{capture_id}"),
            &v,
            move |out: &Returned| json_of(&ReturnResponse::of(auth_id, capture_id, out)),
            |seal| async {
                Ok(st
                    .engine
                    .flexiti_return(&c, auth_id, capture_id, req, seal)
                    .await?)
            },
        )
        .await
    }
    .await;
    call.finish(r)
}

/// Refund to the account (against a capture, or what the account bought here); answers `{}`.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/accounts/{account_number}/refund", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = String, Path), ("lang" = Option<String>, Query),
        ("x-idempotency-key" = Option<String>, Header), ("x-context-hash" = Option<String>, Header)),
    request_body(content = Object, description = "`amount` (required), `reference`, `capture_id`, `vcc_number`, `external_location_id`, `external_employee_id`, `sku_data`"),
    responses((status = 200, description = "`{}`"), (status = 404, body = ErrorBody),
        (status = 409, description = "refunds_limit_exceeded_amount, external_location_id_not_found, account_type_not_permitted, vcc_account_mismatch, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn refund(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path((client_id, account)): Path<(String, String)>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let account = account_path(&account)?;
        let v = body.object()?;
        let req = request::refund(&v)?;
        idempotent(
            &st,
            &call,
            &c,
            &format!("refund:{account}"),
            &v,
            |_: &Posted| "{}".to_string(),
            |seal| async { Ok(st.engine.flexiti_refund(&c, &account, req, seal).await?) },
        )
        .await
    }
    .await;
    call.finish(r)
}
