//! The engine's own view of transactions, payment methods and gateways. Dialects render these
//! into their wire shapes; the JSON columns of the store hold the serde form of the nested
//! parts here (an engine format, not a dialect's).

use crate::{EngineError, Result, from_micros};
use openflex_domain::codes::{ResponseCode, TxnStatus};
use openflex_domain::lifecycle::TxnType;
use openflex_store::{GatewayRow, PaymentMethodRow, TxnRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub customer_id: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
}

impl Holder {
    /// Applies the fields present in `patch`; absent fields keep their value.
    pub fn merge(&mut self, patch: Holder) {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            first_name,
            last_name,
            full_name,
            customer_id,
            address1,
            address2,
            postal_code,
            city,
            state,
            country,
            email,
            phone_number
        );
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Address {
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PaymentPlan {
    pub sku: Option<String>,
    pub category: Option<String>,
    pub billing_plan: Option<String>,
    pub billing_cycle: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PreviousTransaction {
    pub merchant_account_reference_id: Option<String>,
    pub gateway_code: Option<String>,
    pub gateway_message: Option<String>,
    pub transaction_date: Option<String>,
}

/// Request fields a transaction carries along for the merchant's reconciliation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Details {
    pub description: Option<String>,
    pub customer_ip: Option<String>,
    pub shipping_address: Option<Address>,
    pub custom_variables: [Option<String>; 5],
    pub payment_plan: Option<PaymentPlan>,
    pub payment_model: Option<String>,
    pub previous_transaction: Option<PreviousTransaction>,
    pub disable_customer_recovery: bool,
    /// The FlexFactor order this attempt tries to rescue: the order, not the retry policy,
    /// decides what follows a decline, and settling the attempt moves the order on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescue_order: Option<String>,
    /// A follow-up's reason, as the merchant gave it in the portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the processor said, besides the code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResultDetails {
    pub avs_code: Option<String>,
    pub avs_message: Option<String>,
    pub cvv_code: Option<String>,
    pub cvv_message: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    /// Why the retry policy chose `retryDate`, or why there is none.
    #[serde(default)]
    pub retry_explanation: Option<String>,
    /// The gateway's own code and message (live connectors), as it sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_message: Option<String>,
    /// How a live payment was labelled for the card networks (for an inquiry's replay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_as: Option<crate::connector::SentAs>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageState {
    Cached,
    Stored,
    Redacted,
}

impl StorageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cached => "Cached",
            Self::Stored => "Stored",
            Self::Redacted => "Redacted",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "Stored" => Self::Stored,
            "Redacted" => Self::Redacted,
            _ => Self::Cached,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodType {
    CreditCard,
    GatewayPaymentMethodId,
}

impl MethodType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreditCard => "CreditCard",
            Self::GatewayPaymentMethodId => "GatewayPaymentMethodId",
        }
    }
}

/// A vaulted payment method as clients may see it: masked, never clear.
#[derive(Debug, Clone)]
pub struct PaymentMethod {
    pub id: String,
    pub method_type: MethodType,
    pub storage_state: StorageState,
    pub masked_number: Option<String>,
    pub first_six: Option<String>,
    pub last_four: Option<String>,
    pub card_type: Option<String>,
    pub expiry_month: Option<String>,
    pub expiry_year: Option<String>,
    /// Whether a CVV is currently held (shown as `***`).
    pub has_cvv: bool,
    pub fingerprint: Option<String>,
    pub holder: Holder,
    pub gateway_payment_method_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl PaymentMethod {
    /// Whether the card data is gone: the method is kept for history but can no longer be used.
    pub fn is_redacted(&self) -> bool {
        self.storage_state == StorageState::Redacted
    }

    pub(crate) fn from_row(r: &PaymentMethodRow, now_us: i64) -> Result<Self> {
        let masked_number = match (&r.first_six, &r.last_four, r.method_type.as_str()) {
            (Some(f), Some(l), "CreditCard") => {
                let len = r.pan_length.unwrap_or(16) as usize;
                Some(format!("{f}{}{l}", "*".repeat(len.saturating_sub(10))))
            }
            _ => None,
        };
        Ok(Self {
            id: r.id.clone(),
            method_type: if r.method_type == "GatewayPaymentMethodId" {
                MethodType::GatewayPaymentMethodId
            } else {
                MethodType::CreditCard
            },
            storage_state: StorageState::parse(&r.storage_state),
            masked_number,
            first_six: r.first_six.clone(),
            last_four: r.last_four.clone(),
            card_type: r.card_type.clone(),
            expiry_month: r.expiry_month.clone(),
            expiry_year: r.expiry_year.clone(),
            has_cvv: r.cvv_ct.is_some() && r.cvv_expires_at.is_none_or(|t| t > now_us),
            fingerprint: r.fingerprint.clone(),
            holder: serde_json::from_str(&r.holder)
                .map_err(|e| EngineError::Internal(format!("holder json: {e}")))?,
            gateway_payment_method_id: r.gateway_payment_method_id.clone(),
            merchant_account_reference_id: r.merchant_account_reference_id.clone(),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: String,
    pub txn_type: TxnType,
    pub status: TxnStatus,
    pub code: ResponseCode,
    pub created_at: OffsetDateTime,
    pub pending: bool,
    pub merchant_transaction_id: Option<String>,
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
    pub currency: Option<String>,
    pub amount: i64,
    pub payment_method_id: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub gateway_token: Option<String>,
    pub gateway_type: Option<String>,
    /// The name the merchant gave the gateway (not stored with the transaction: looked up, or
    /// known to the use case that chose the gateway).
    pub gateway_name: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub assigned_gateway_token: Option<String>,
    pub original_id: Option<String>,
    /// The recovery chain (its first attempt's id) of a charge or authorization.
    pub chain_id: Option<String>,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub voided: bool,
    pub retry_date: Option<OffsetDateTime>,
    pub retry_count: i64,
    pub date_first_attempt: Option<OffsetDateTime>,
    pub reference_data: Option<String>,
    pub completion_status: Option<String>,
    pub result: ResultDetails,
    pub details: Details,
}

/// An attempt whose gateway answer was lost stays `pending` (the state a crash mid-call leaves
/// too) with the code "Response timeout" written on it, until an inquiry settles it; a call in
/// flight has code 0.
pub fn outcome_unknown(r: &openflex_store::TxnRow) -> bool {
    r.state == "pending" && r.response_code == i64::from(crate::connector::UNKNOWN_OUTCOME_CODE.0)
}

impl Transaction {
    pub(crate) fn from_row(r: &TxnRow, pm: Option<PaymentMethod>) -> Result<Self> {
        let result = serde_json::from_str(&r.result)
            .map_err(|_| EngineError::Internal(format!("transaction {}: bad result", r.id)))?;
        Self::from_parts(r, result, pm)
    }

    /// A transaction from its row and the result details the engine holds for it: an attempt
    /// just answered is not read back from the JSON it was written as.
    pub(crate) fn from_parts(
        r: &TxnRow,
        result: ResultDetails,
        pm: Option<PaymentMethod>,
    ) -> Result<Self> {
        let bad = |what: &str| EngineError::Internal(format!("transaction {}: bad {what}", r.id));
        Ok(Self {
            id: r.id.clone(),
            txn_type: TxnType::parse(&r.txn_type).ok_or_else(|| bad("type"))?,
            status: TxnStatus::from_i64(r.status),
            code: ResponseCode(u32::try_from(r.response_code).map_err(|_| bad("code"))?),
            created_at: from_micros(r.created_at),
            pending: r.state == "pending",
            merchant_transaction_id: r.merchant_transaction_id.clone(),
            order_id: r.order_id.clone(),
            customer_id: r.customer_id.clone(),
            currency: r.currency.clone(),
            amount: r.amount,
            payment_method_id: r.payment_method_id.clone(),
            payment_method: pm,
            gateway_token: r.gateway_token.clone(),
            gateway_type: r.gateway_type.clone(),
            gateway_name: None,
            gateway_transaction_id: r.gateway_transaction_id.clone(),
            merchant_account_reference_id: r.merchant_account_reference_id.clone(),
            assigned_gateway_token: r.assigned_gateway_token.clone(),
            original_id: r.original_id.clone(),
            chain_id: r.chain_id.clone(),
            captured_amount: r.captured_amount,
            refunded_amount: r.refunded_amount,
            voided: r.voided,
            retry_date: r.retry_date.map(from_micros),
            retry_count: r.retry_count,
            date_first_attempt: r.date_first_attempt.map(from_micros),
            reference_data: r.reference_data.clone(),
            completion_status: r.completion_status.clone(),
            result,
            details: serde_json::from_str(&r.details).map_err(|_| bad("details"))?,
        })
    }
}

/// A request refused before anything was recorded (validation, card checks, routing). The
/// dialect renders it with its own envelope; nothing was written.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub id: String,
    pub at: OffsetDateTime,
    pub code: ResponseCode,
    /// The request field at fault, when there is one; the dialect spells its name.
    pub field: Option<Field>,
    /// Why, in words that name no wire field.
    pub detail: String,
}

/// A request field an engine rule refers to, named by meaning: the engine speaks no wire, so
/// each dialect maps these to its own names and paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    PaymentMethodId,
    GatewayToken,
    ReferenceData,
    RetryCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayStatus {
    Available,
    Disabled,
    RefundOnly,
}

impl GatewayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Disabled => "Disabled",
            Self::RefundOnly => "RefundOnly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ["Available", "Disabled", "RefundOnly"]
            .iter()
            .zip([Self::Available, Self::Disabled, Self::RefundOnly])
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub token: String,
    pub name: String,
    pub gateway_type: String,
    pub merchant_account_reference_id: Option<String>,
    pub status: GatewayStatus,
    pub accepted_currencies: Vec<String>,
    pub accepted_cards: Vec<String>,
    pub weight: i64,
    pub accept_retries: bool,
    pub cvv_required: bool,
    pub has_settings: bool,
    pub created_at: OffsetDateTime,
    /// The connector settings as read with the gateway, still sealed: the processor call
    /// unseals them without reading the gateway again.
    pub(crate) sealed_settings: Option<SealedSettings>,
}

/// A gateway's settings as the vault sealed them (key version and ciphertext).
#[derive(Clone)]
pub(crate) struct SealedSettings {
    pub kek_version: u32,
    pub blob: Vec<u8>,
}

impl std::fmt::Debug for SealedSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedSettings(v{})", self.kek_version)
    }
}

impl Gateway {
    pub(crate) fn from_row(r: &GatewayRow) -> Self {
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        Self {
            token: r.token.clone(),
            name: r.name.clone(),
            gateway_type: r.gateway_type.clone(),
            merchant_account_reference_id: r.merchant_account_reference_id.clone(),
            status: GatewayStatus::parse(&r.status).unwrap_or(GatewayStatus::Disabled),
            accepted_currencies: split(&r.accepted_currencies),
            accepted_cards: split(&r.accepted_cards),
            weight: r.weight,
            accept_retries: r.accept_retries,
            cvv_required: r.cvv_required,
            has_settings: r.settings_sealed.is_some(),
            created_at: from_micros(r.created_at),
            sealed_settings: match (r.settings_kek_version, &r.settings_sealed) {
                (Some(v), Some(blob)) => Some(SealedSettings {
                    kek_version: v as u32,
                    blob: blob.clone(),
                }),
                _ => None,
            },
        }
    }

    pub fn accepts(&self, currency: &str, card_type: Option<&str>) -> bool {
        let currency_ok = self.accepted_currencies.is_empty()
            || self
                .accepted_currencies
                .iter()
                .any(|c| c.eq_ignore_ascii_case(currency));
        let card_ok = match card_type {
            None => true,
            Some(t) => {
                self.accepted_cards.is_empty()
                    || self
                        .accepted_cards
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(t))
            }
        };
        currency_ok && card_ok
    }
}
