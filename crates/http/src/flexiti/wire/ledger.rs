//! Flexiti's ledger bodies: authorizations, captures, releases, returns, posted transactions and
//! the two lists. None was published by the vendor; they are designed from their request fields
//! and errors, in the vocabulary of the parent module.

use super::super::body::{dollars, rate};
use openflex_domain::time::rfc3339;
use openflex_engine::financing::ledger::{
    Authorization, Authorized, Capture, Captured, OpaqueJson, Posted, Released, Returned,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CaptureView {
    pub capture_id: i64,
    pub authorization_id: i64,
    pub account_number: String,
    pub transaction_type: String,
    pub reference: Option<String>,
    pub amount: String,
    /// The share of the plan's cost of borrowing this capture carries.
    pub financing_cost: String,
    pub returned_amount: String,
    pub remaining_capture_amount: String,
    pub external_location_id: Option<String>,
    pub date: String,
}

impl From<&Capture> for CaptureView {
    fn from(c: &Capture) -> Self {
        Self {
            capture_id: c.id,
            authorization_id: c.authorization_id,
            account_number: c.account_number.clone(),
            transaction_type: c.transaction_type.clone(),
            reference: c.reference.clone(),
            amount: dollars(c.amount),
            financing_cost: dollars(c.financing_cost),
            returned_amount: dollars(c.returned_amount),
            remaining_capture_amount: dollars(c.remaining_amount),
            external_location_id: c.external_location_id.clone(),
            date: rfc3339(c.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizationView {
    pub authorization_id: i64,
    pub account_number: String,
    pub reference: Option<String>,
    pub transaction_type: String,
    pub plan_id: Option<i64>,
    pub term: Option<i64>,
    #[schema(value_type = f64)]
    pub apr: Value,
    pub monthly_payment: String,
    pub amount: String,
    /// Interest plus fees held on top of the amount (promotional plans with a cost).
    pub financing_cost: String,
    pub captured_amount: String,
    pub released_amount: String,
    pub remaining_authorization_amount: String,
    /// `opened`, `closed` (fully captured), `released` or `expired`.
    pub authorization_status: String,
    pub auto_capture: bool,
    /// Set when `auto_capture` captured the purchase in the same call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<i64>,
    pub request_id: Option<String>,
    pub external_location_id: Option<String>,
    pub external_employee_id: Option<String>,
    #[schema(value_type = Object)]
    pub sku_data: Option<OpaqueJson>,
    pub creation_date: String,
    pub expiry_date: String,
    pub captures: Vec<CaptureView>,
    /// The account's available credit after this call (write calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_credit: Option<String>,
}

impl From<&Authorization> for AuthorizationView {
    fn from(a: &Authorization) -> Self {
        Self {
            authorization_id: a.id,
            account_number: a.account_number.clone(),
            reference: a.reference.clone(),
            transaction_type: a.transaction_type.clone(),
            plan_id: a.plan_id,
            term: a.term,
            apr: rate(u32::try_from(a.apr_bp).unwrap_or(0)),
            monthly_payment: dollars(a.monthly_payment),
            amount: dollars(a.amount),
            financing_cost: dollars(a.financing_cost),
            captured_amount: dollars(a.captured_amount),
            released_amount: dollars(a.released_amount),
            remaining_authorization_amount: dollars(a.remaining_amount),
            authorization_status: a.status.clone(),
            auto_capture: a.auto_capture,
            capture_id: None,
            request_id: a.request_id.clone(),
            external_location_id: a.external_location_id.clone(),
            external_employee_id: a.external_employee_id.clone(),
            sku_data: a.sku_data.clone(),
            creation_date: rfc3339(a.created_at),
            expiry_date: rfc3339(a.expires_at),
            captures: a.captures.iter().map(CaptureView::from).collect(),
            available_credit: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaptureResponse {
    pub capture_id: i64,
    pub authorization_id: i64,
    pub reference: Option<String>,
    pub amount: String,
    pub financing_cost: String,
    pub date: String,
    pub remaining_authorization_amount: String,
    pub authorization_status: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseResponse {
    pub authorization_id: i64,
    pub reference: Option<String>,
    pub released_amount: String,
    pub remaining_authorization_amount: String,
    pub authorization_status: String,
    pub date: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnResponse {
    pub return_id: i64,
    pub reference: Option<String>,
    pub capture_id: i64,
    pub authorization_id: i64,
    pub date: String,
    pub amount: String,
    pub remaining_capture_amount: String,
    pub remaining_authorization_amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct TransactionResponse {
    pub transaction_id: i64,
    pub transaction_type: String,
    pub account_number: String,
    pub reference: Option<String>,
    pub amount: String,
    pub available_credit: String,
    pub date: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizationList {
    pub page_number: i64,
    pub page_size: i64,
    pub total_count: i64,
    pub total_pages: i64,
    pub authorizations: Vec<AuthorizationView>,
}

#[derive(Serialize, ToSchema)]
pub struct CaptureList {
    pub page_number: i64,
    pub page_size: i64,
    pub total_count: i64,
    pub total_pages: i64,
    pub captures: Vec<CaptureView>,
}

impl From<&Authorized> for AuthorizationView {
    fn from(a: &Authorized) -> Self {
        let mut view = AuthorizationView::from(&a.authorization);
        view.capture_id = a.capture.as_ref().map(|c| c.id);
        view.available_credit = Some(dollars(a.available_credit));
        view
    }
}

impl ReleaseResponse {
    pub fn of(authorization_id: i64, reference: Option<String>, out: &Released) -> Self {
        Self {
            authorization_id,
            reference,
            released_amount: dollars(out.released_amount),
            remaining_authorization_amount: dollars(out.authorization.remaining_amount),
            authorization_status: out.authorization.status.clone(),
            date: rfc3339(out.authorization.updated_at),
        }
    }
}

impl CaptureResponse {
    pub fn of(authorization_id: i64, out: &Captured) -> Self {
        Self {
            capture_id: out.capture.id,
            authorization_id,
            reference: out.capture.reference.clone(),
            amount: dollars(out.capture.amount),
            financing_cost: dollars(out.capture.financing_cost),
            date: rfc3339(out.capture.created_at),
            remaining_authorization_amount: dollars(out.authorization.remaining_amount),
            authorization_status: out.authorization.status.clone(),
        }
    }
}

impl ReturnResponse {
    pub fn of(authorization_id: i64, capture_id: i64, out: &Returned) -> Self {
        Self {
            return_id: out.return_id,
            reference: out.reference.clone(),
            capture_id,
            authorization_id,
            date: rfc3339(out.created_at),
            amount: dollars(out.amount),
            remaining_capture_amount: dollars(out.capture.remaining_amount),
            remaining_authorization_amount: dollars(out.authorization.remaining_amount),
        }
    }
}

impl From<&Posted> for TransactionResponse {
    fn from(p: &Posted) -> Self {
        Self {
            transaction_id: p.transaction_id,
            transaction_type: p.kind.clone(),
            account_number: p.account_number.clone(),
            reference: None,
            amount: dollars(p.amount),
            available_credit: dollars(p.available_credit),
            date: rfc3339(p.created_at),
        }
    }
}

/// Pages needed for `total` rows of `size`.
fn pages(total: i64, size: i64) -> i64 {
    (total + size - 1) / size
}

impl AuthorizationList {
    pub fn of(rows: &[Authorization], total: i64, page: i64, size: i64) -> Self {
        Self {
            page_number: page,
            page_size: size,
            total_count: total,
            total_pages: pages(total, size),
            authorizations: rows.iter().map(AuthorizationView::from).collect(),
        }
    }
}

impl CaptureList {
    pub fn of(rows: &[Capture], total: i64, page: i64, size: i64) -> Self {
        Self {
            page_number: page,
            page_size: size,
            total_count: total,
            total_pages: pages(total, size),
            captures: rows.iter().map(CaptureView::from).collect(),
        }
    }
}
