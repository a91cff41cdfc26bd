//! Request body schemas for the OpenAPI document. Requests are read leniently by
//! [`super::request`] (numbers as strings, case-insensitive roots); these types describe the
//! canonical form clients should send, with the seed's lengths.

#![allow(dead_code)] // read by utoipa's derive, never constructed

use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardInput {
    /// 12–19 digits (spaces and dashes are ignored). Required for cards.
    #[schema(max_length = 22)]
    pub credit_card_number: Option<String>,
    /// `MM`.
    #[schema(max_length = 2)]
    pub expiry_month: Option<String>,
    /// `YYYY`.
    #[schema(max_length = 4)]
    pub expiry_year: Option<String>,
    #[schema(max_length = 4)]
    pub cvv: Option<String>,
    #[schema(max_length = 50)]
    pub first_name: Option<String>,
    #[schema(max_length = 50)]
    pub last_name: Option<String>,
    /// Either fullName or both firstName and lastName.
    #[schema(max_length = 100)]
    pub full_name: Option<String>,
    #[schema(max_length = 255)]
    pub address1: Option<String>,
    #[schema(max_length = 255)]
    pub address2: Option<String>,
    #[schema(max_length = 100)]
    pub postal_code: Option<String>,
    #[schema(max_length = 100)]
    pub city: Option<String>,
    #[schema(max_length = 100)]
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 or alpha-3.
    #[schema(max_length = 3)]
    pub country: Option<String>,
    #[schema(max_length = 100)]
    pub email: Option<String>,
    #[schema(max_length = 100)]
    pub phone_number: Option<String>,
    /// Third-party vault token (instead of creditCardNumber).
    #[schema(max_length = 256)]
    pub gateway_payment_method_id: Option<String>,
    #[schema(max_length = 512)]
    pub merchant_account_reference_id: Option<String>,
    #[schema(max_length = 6)]
    pub first_six_digits: Option<String>,
    #[schema(max_length = 4)]
    pub last_four_digits: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodInput {
    #[schema(max_length = 50)]
    pub customer_id: Option<String>,
    /// Card fields may also be sent flat on `paymentMethod`.
    pub credit_card: Option<CardInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodRequest {
    pub payment_method: PaymentMethodInput,
}

#[derive(Deserialize, ToSchema)]
pub struct RecacheInput {
    #[schema(max_length = 4)]
    pub cvv: Option<String>,
    #[serde(rename = "creditCard")]
    pub credit_card: Option<RecacheCvv>,
}

#[derive(Deserialize, ToSchema)]
pub struct RecacheCvv {
    #[schema(max_length = 4)]
    pub cvv: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecacheRequest {
    pub payment_method: RecacheInput,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressInput {
    #[schema(max_length = 255)]
    pub address1: Option<String>,
    #[schema(max_length = 255)]
    pub address2: Option<String>,
    #[schema(max_length = 100)]
    pub postal_code: Option<String>,
    #[schema(max_length = 100)]
    pub city: Option<String>,
    #[schema(max_length = 100)]
    pub state: Option<String>,
    #[schema(max_length = 50)]
    pub country: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPlanInput {
    #[schema(max_length = 150)]
    pub sku: Option<String>,
    #[schema(max_length = 150)]
    pub category: Option<String>,
    #[schema(max_length = 50)]
    pub billing_plan: Option<String>,
    pub billing_cycle: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviousTransactionInput {
    #[schema(max_length = 512)]
    pub merchant_account_reference_id: Option<String>,
    #[schema(max_length = 50)]
    pub gateway_code: Option<String>,
    #[schema(max_length = 256)]
    pub gateway_message: Option<String>,
    /// ISO 8601.
    pub transaction_date: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ReferencesInput {
    #[serde(rename = "PreviousTransaction")]
    pub previous_transaction: Option<PreviousTransactionInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInput {
    #[schema(max_length = 256)]
    pub merchant_transaction_id: String,
    #[schema(max_length = 50)]
    pub order_id: String,
    /// Cents (integer; a numeric string is accepted).
    #[schema(minimum = 1)]
    pub amount: i64,
    /// ISO 4217.
    #[schema(max_length = 3)]
    pub currency_code: String,
    /// 0 on the first attempt.
    #[schema(minimum = 0)]
    pub retry_count: Option<i64>,
    #[schema(max_length = 255)]
    pub description: Option<String>,
    #[schema(max_length = 50)]
    pub customer_id: Option<String>,
    /// A vaulted payment method (one payment source only).
    #[schema(max_length = 50)]
    pub payment_method_id: Option<String>,
    /// A pass-in card or third-party token (one payment source only).
    pub payment_method: Option<CardInput>,
    /// Store a pass-in card when the payment is approved.
    pub retain_on_success: Option<bool>,
    /// IPv4.
    #[schema(max_length = 15)]
    pub customer_ip: Option<String>,
    pub shipping_address: Option<AddressInput>,
    /// Pins the gateway (`assignedGatewayToken` is accepted as an alias).
    #[schema(max_length = 50)]
    pub gateway_token: Option<String>,
    pub payment_plan: Option<PaymentPlanInput>,
    /// ISO 8601; required when retryCount > 1.
    pub date_first_attempt: Option<String>,
    /// The referenceData of the previous declined attempt.
    #[schema(max_length = 512)]
    pub reference_data: Option<String>,
    pub disable_customer_recovery: Option<bool>,
    #[schema(max_length = 50)]
    pub custom_variable1: Option<String>,
    #[schema(max_length = 50)]
    pub custom_variable2: Option<String>,
    #[schema(max_length = 50)]
    pub custom_variable3: Option<String>,
    #[schema(max_length = 50)]
    pub custom_variable4: Option<String>,
    #[schema(max_length = 50)]
    pub custom_variable5: Option<String>,
    #[schema(max_length = 50)]
    pub payment_model: Option<String>,
    #[serde(rename = "References")]
    pub references: Option<ReferencesInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentRequest {
    pub transaction: PaymentInput,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpInput {
    #[schema(max_length = 256)]
    pub merchant_transaction_id: String,
    /// Cents; absent or 0 = the full (remaining) amount. Ignored by void.
    #[schema(minimum = 0)]
    pub amount: Option<i64>,
    pub disable_customer_recovery: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct FollowUpRequest {
    pub transaction: FollowUpInput,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayInput {
    /// Required on create; fixed afterwards.
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// `sandbox` (sandbox mode only), `stripe`, `adyen`, `nmi` or `authorizenet`; fixed after
    /// create.
    pub gateway_type: Option<String>,
    #[schema(max_length = 50)]
    pub merchant_account_reference_id: Option<String>,
    /// `Available`, `Disabled` or `RefundOnly`.
    pub status: Option<String>,
    /// ISO 4217 codes; empty accepts all.
    pub accepted_currency_codes: Option<Vec<String>>,
    /// Card types (`VISA`, `MASTERCARD`, …); empty accepts all.
    pub accepted_cards: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 1000)]
    pub weight: Option<i64>,
    pub accept_retries: Option<bool>,
    pub cvv_required: Option<bool>,
    /// Connector credentials, sealed by the vault and never returned: stripe `{"secretKey"}`;
    /// adyen `{"apiKey", "merchantAccount", "liveUrlPrefix"?, "hmacKey"?}`; nmi
    /// `{"securityKey"}`; authorizenet `{"apiLoginId", "transactionKey", "signatureKey"?}`.
    pub settings: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct GatewayRequest {
    pub gateway: GatewayInput,
}
