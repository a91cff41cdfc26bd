//! FlexFactor response shapes: camelCase, with the common envelope.

use openflex_domain::money::Currency;
use openflex_domain::time::rfc3339;
use openflex_engine::flexfactor::{Order, OrderAddress, OrderEvent};
use serde::Serialize;
use utoipa::ToSchema;

/// The envelope most FlexFactor responses share.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub success: bool,
    pub result: Option<String>,
    pub status: Option<String>,
    pub status_code: Option<String>,
    pub errors: Vec<ErrorTuple>,
    pub custom_properties: serde_json::Map<String, serde_json::Value>,
}

/// `{item1: message, item2: code, item3: code, item4: bool}` as the vendor sends.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorTuple {
    pub item1: String,
    pub item2: String,
    pub item3: String,
    pub item4: bool,
}

impl Envelope {
    pub fn ok(status: Option<&str>) -> Self {
        Self {
            success: true,
            result: Some("Success".into()),
            status: status.map(str::to_string),
            status_code: None,
            errors: Vec::new(),
            custom_properties: Default::default(),
        }
    }

    pub fn failed(code: &str, message: &str) -> Self {
        Self {
            success: false,
            result: Some("Failed".into()),
            status: Some("FAILED".into()),
            status_code: Some(code.into()),
            errors: vec![ErrorTuple {
                item1: message.into(),
                item2: code.into(),
                item3: code.into(),
                item4: false,
            }],
            custom_properties: Default::default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Access-token expiry, Unix epoch milliseconds.
    pub expires: i64,
    pub id: String,
    pub token_type: String,
    pub expires_in: i64,
    pub session: Option<String>,
    /// Spelled as in the vendor's model (`MFA` in capitals), not as camelCase would have it.
    #[serde(rename = "daysToEnforceMFA")]
    pub days_to_enforce_mfa: Option<i64>,
    pub skip_available: Option<bool>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateResponse {
    /// The FlexFactor order id (GUID).
    pub order_session_key: String,
    pub sense_key: Option<String>,
    /// Same as orderSessionKey.
    pub order_id: String,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenizedCard {
    pub token: String,
    pub created_at: String,
    pub updated_at: String,
    pub email: Option<String>,
    pub storage_state: String,
    pub test: bool,
    pub last_four_digits: Option<String>,
    pub first_six_digits: Option<String>,
    pub card_type: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub month: Option<i64>,
    pub year: Option<i64>,
    pub full_name: Option<String>,
    pub payment_method_type: String,
    pub fingerprint: Option<String>,
    pub verification_value: Option<String>,
    pub number: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenizeTransaction {
    pub on_test_gateway: bool,
    pub created_at: String,
    pub updated_at: String,
    pub succeeded: bool,
    pub transaction_type: String,
    pub amount: i64,
    pub payment_method_added: bool,
    pub message: String,
    pub payment_method: TokenizedCard,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenizeResponse {
    pub transaction: TokenizeTransaction,
    pub card_bin_info: Option<serde_json::Value>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderEventWire {
    pub id: String,
    pub kind: String,
    pub amount: Option<i64>,
    pub outcome: String,
    pub detail: Option<String>,
    pub gateway_token: Option<String>,
    pub created_at: String,
}

impl From<&OrderEvent> for OrderEventWire {
    fn from(e: &OrderEvent) -> Self {
        Self {
            id: e.id.clone(),
            kind: e.kind.clone(),
            amount: e.amount,
            outcome: e.outcome.clone(),
            detail: e.detail.clone(),
            gateway_token: e.gateway_token.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderWire {
    pub id: String,
    pub order_session_key: String,
    pub external_order_id: String,
    pub reference_number: Option<String>,
    /// The evaluate request's `correlationId`, as sent.
    pub correlation_id: Option<String>,
    /// Numeric status: 0 Draft, 1 Onhold, 2 Cancelled, 3 Problem, 4 Processing,
    /// 5 Capturerequired, 6 Returned, 7 Completed.
    pub status: i64,
    /// Upper case: APPROVED, DECLINED, CHALLENGE, PROCESSING, CAPTUREREQUIRED, COMPLETED,
    /// CANCELLED, EXPIRED, RETURNED.
    pub status_name: String,
    pub is_mit: bool,
    pub managed: bool,
    pub transaction_type: String,
    pub amount: i64,
    pub currency_code: String,
    /// The currency's sign (`$` for USD); `null` for a code openflex does not know.
    pub currency_symbol: Option<String>,
    pub authorized_amount: i64,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub order_placed_date: String,
    pub expiry_date: Option<String>,
    pub capture_deadline: Option<String>,
    pub confirmation_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Always `null`: no FlexFactor request carries a second payer email to keep.
    pub secondary_email: Option<String>,
    pub phone: Option<String>,
    pub billing_address: Option<serde_json::Value>,
    pub shipping_address: Option<serde_json::Value>,
    pub payment_method_token: Option<String>,
    pub updated_date: String,
    /// Rescue attempts (managed MIT).
    pub attempts: Vec<OrderEventWire>,
    /// Every transition, attempt, capture and refund, oldest first.
    pub events: Vec<OrderEventWire>,
}

impl From<&Order> for OrderWire {
    fn from(o: &Order) -> Self {
        let billing = o.payer.billing.as_ref();
        let payer = o.payer.payer.as_ref();
        let json = |a: Option<&OrderAddress>| a.and_then(|a| serde_json::to_value(a).ok());
        Self {
            id: o.id.clone(),
            order_session_key: o.id.clone(),
            external_order_id: o.external_order_id.clone(),
            reference_number: o.confirmation_id.clone(),
            correlation_id: o.details.correlation_id.clone(),
            status: o.state.code(),
            status_name: o.state.name().to_string(),
            is_mit: o.flow != openflex_domain::rescue::Flow::Cit,
            managed: o.flow == openflex_domain::rescue::Flow::ManagedMit,
            transaction_type: o.transaction_type.clone(),
            amount: o.amount,
            currency_code: o.currency.clone(),
            currency_symbol: Currency::parse(&o.currency).ok().map(Currency::symbol),
            authorized_amount: o.authorized_amount,
            captured_amount: o.captured_amount,
            refunded_amount: o.refunded_amount,
            order_placed_date: rfc3339(o.created_at),
            expiry_date: o.expiry_date.map(rfc3339),
            capture_deadline: o.capture_deadline.map(rfc3339),
            confirmation_id: o.confirmation_id.clone(),
            first_name: billing.and_then(|b| b.first_name.clone()),
            last_name: billing.and_then(|b| b.last_name.clone()),
            email: payer.and_then(|p| p.email.clone()),
            secondary_email: None,
            phone: payer.and_then(|p| p.phone.clone()),
            billing_address: json(billing),
            shipping_address: json(o.payer.shipping.as_ref()),
            payment_method_token: o.payment_method_id.clone(),
            updated_date: rfc3339(o.updated_at),
            attempts: o
                .events
                .iter()
                .filter(|e| e.kind == "attempt")
                .map(Into::into)
                .collect(),
            events: o.events.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    pub page_number: i64,
    pub page_size: i64,
    pub page_count: i64,
    pub total_item_count: i64,
    pub first_item_on_page: i64,
    pub last_item_on_page: i64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub is_first_page: bool,
    pub is_last_page: bool,
    pub orders: Vec<OrderWire>,
    /// Numeric status → name.
    pub statuses: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderActionResponse {
    pub transaction_id: Option<String>,
    pub response_code: Option<String>,
    pub response_message: Option<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeResponse {
    pub order_session_key: String,
    pub confirmation_id: Option<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransmitResponse {
    pub transmit_id: String,
    #[serde(flatten)]
    pub envelope: Envelope,
}
