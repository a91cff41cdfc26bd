//! The ledger's requests and results as the dialect sees them: kept apart from the use cases
//! so a reader of `http` finds every shape it builds or renders in one place.

use crate::from_micros;
use openflex_domain::Secret;
use openflex_store::{FlexitiAuthorizationRow, FlexitiCaptureRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Data a merchant attaches to a movement (`sku_data`) and reads back as given: any JSON,
/// kept and returned, never read by the engine. Built by deserializing the merchant's value;
/// the JSON document inside is private because nothing here looks into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpaqueJson(serde_json::Value);

impl OpaqueJson {
    /// The stored text, when it still reads as JSON.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok().map(Self)
    }

    /// The text to store.
    pub(crate) fn text(&self) -> String {
        self.0.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseType {
    Promotional,
    Regular,
}

impl PurchaseType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "promotional_purchase" => Some(Self::Promotional),
            "regular_purchase" => Some(Self::Regular),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promotional => "promotional_purchase",
            Self::Regular => "regular_purchase",
        }
    }
}

/// Where a request comes from: the store's ids, all required together in-store.
#[derive(Debug, Clone, Default)]
pub struct InStore {
    pub request_id: Option<String>,
    pub external_location_id: Option<String>,
    pub external_employee_id: Option<String>,
}

pub struct AuthorizeRequest {
    pub account_number: String,
    pub vcc: Option<Secret<String>>,
    pub reference: Option<String>,
    pub purchase: PurchaseType,
    pub plan_id: Option<i64>,
    pub term: Option<u32>,
    pub amount: i64,
    pub auto_capture: bool,
    pub verification_code: Option<Secret<String>>,
    pub store: InStore,
    pub sku_data: Option<OpaqueJson>,
}

#[derive(Debug, Clone)]
pub struct Capture {
    pub id: i64,
    pub authorization_id: i64,
    pub account_number: String,
    pub transaction_type: String,
    pub amount: i64,
    pub financing_cost: i64,
    pub returned_amount: i64,
    pub remaining_amount: i64,
    pub reference: Option<String>,
    pub external_location_id: Option<String>,
    pub created_at: OffsetDateTime,
}

impl From<&FlexitiCaptureRow> for Capture {
    fn from(r: &FlexitiCaptureRow) -> Self {
        Self {
            id: r.id,
            authorization_id: r.authorization_id,
            account_number: r.account_number.clone(),
            transaction_type: r.transaction_type.clone(),
            amount: r.amount,
            financing_cost: r.financing_cost,
            returned_amount: r.returned_amount,
            remaining_amount: r.amount - r.returned_amount,
            reference: r.reference.clone(),
            external_location_id: r.external_location_id.clone(),
            created_at: from_micros(r.created_at),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Authorization {
    pub id: i64,
    pub account_number: String,
    pub transaction_type: String,
    pub plan_id: Option<i64>,
    pub term: Option<i64>,
    pub apr_bp: i64,
    pub monthly_payment: i64,
    pub amount: i64,
    pub financing_cost: i64,
    pub captured_amount: i64,
    pub released_amount: i64,
    pub remaining_amount: i64,
    pub held: i64,
    pub status: String,
    pub auto_capture: bool,
    pub reference: Option<String>,
    pub request_id: Option<String>,
    pub external_location_id: Option<String>,
    pub external_employee_id: Option<String>,
    pub sku_data: Option<OpaqueJson>,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub captures: Vec<Capture>,
}

impl Authorization {
    pub(super) fn of(r: &FlexitiAuthorizationRow, captures: Vec<Capture>) -> Self {
        Self {
            id: r.id,
            account_number: r.account_number.clone(),
            transaction_type: r.transaction_type.clone(),
            plan_id: r.plan_id,
            term: r.term,
            apr_bp: r.apr_bp,
            monthly_payment: r.payment,
            amount: r.amount,
            financing_cost: r.financing_cost,
            captured_amount: r.captured_amount,
            released_amount: r.released_amount,
            remaining_amount: r.amount - r.captured_amount - r.released_amount,
            held: r.held,
            status: r.status.clone(),
            auto_capture: r.auto_capture,
            reference: r.reference.clone(),
            request_id: r.request_id.clone(),
            external_location_id: r.external_location_id.clone(),
            external_employee_id: r.external_employee_id.clone(),
            sku_data: r.sku_data.as_deref().and_then(OpaqueJson::parse),
            expires_at: from_micros(r.expires_at),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
            captures,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Authorized {
    pub authorization: Authorization,
    pub capture: Option<Capture>,
    pub available_credit: i64,
}

#[derive(Debug, Clone)]
pub struct Captured {
    pub capture: Capture,
    pub authorization: Authorization,
}

#[derive(Debug, Clone)]
pub struct Released {
    pub released_amount: i64,
    pub authorization: Authorization,
}

pub struct ReturnRequest {
    pub full_return: bool,
    pub amount: Option<i64>,
    pub reference: Option<String>,
    pub vcc: Option<Secret<String>>,
    pub store: InStore,
    pub sku_data: Option<OpaqueJson>,
}

#[derive(Debug, Clone)]
pub struct Returned {
    pub return_id: i64,
    pub amount: i64,
    pub reference: Option<String>,
    pub capture: Capture,
    pub authorization: Authorization,
    pub created_at: OffsetDateTime,
}

pub struct RefundRequest {
    pub amount: i64,
    pub capture_id: Option<i64>,
    pub reference: Option<String>,
    pub vcc: Option<Secret<String>>,
    pub store: InStore,
    pub sku_data: Option<OpaqueJson>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideKind {
    Deposit,
    InstorePayment,
    Tradein,
}

impl SideKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deposit" => Some(Self::Deposit),
            "instore_payment" => Some(Self::InstorePayment),
            "tradein" => Some(Self::Tradein),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::InstorePayment => "instore_payment",
            Self::Tradein => "tradein",
        }
    }
}

pub struct SideRequest {
    pub kind: SideKind,
    pub account_number: String,
    pub vcc: Option<Secret<String>>,
    pub amount: i64,
    pub verification_code: Option<Secret<String>>,
    pub reference: Option<String>,
    pub store: InStore,
}

/// A posted movement (deposit, payment, trade-in, refund).
#[derive(Debug, Clone)]
pub struct Posted {
    pub transaction_id: i64,
    pub kind: String,
    pub account_number: String,
    pub amount: i64,
    pub capture_id: Option<i64>,
    pub available_credit: i64,
    pub created_at: OffsetDateTime,
}
