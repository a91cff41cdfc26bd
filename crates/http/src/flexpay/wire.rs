//! FlexPay response shapes, field order as observed on the wire (docs/flexpay.md appendix 1.5).

use openflex_domain::codes::ResponseCode;
use openflex_domain::time::rfc3339;
use openflex_engine::{Field, Gateway, PaymentMethod, Rejection, Transaction};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, Ref, Schema};
use utoipa::{PartialSchema, ToSchema};

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResponseDetail {
    pub avs_code: Option<String>,
    pub avs_message: Option<String>,
    pub cvv_code: Option<String>,
    pub cvv_message: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    /// openflex: the live gateway's own code and message (e.g. Stripe `insufficient_funds`),
    /// absent for the sandbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_message: Option<String>,
}

/// Payment Method core object. `creditCardNumber` is masked; `cvv` is `***` while one is held.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodWire {
    pub payment_method_id: String,
    pub credit_card_number: Option<String>,
    pub expiry_month: Option<String>,
    pub expiry_year: Option<String>,
    pub cvv: Option<String>,
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
    pub payment_method_type: String,
    pub fingerprint: Option<String>,
    pub last_four_digits: Option<String>,
    pub first_six_digits: Option<String>,
    pub card_type: Option<String>,
    pub date_created: String,
    pub storage_state: String,
    pub gateway_payment_method_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
}

impl From<&PaymentMethod> for PaymentMethodWire {
    fn from(p: &PaymentMethod) -> Self {
        Self {
            payment_method_id: p.id.clone(),
            credit_card_number: p.masked_number.clone(),
            expiry_month: p.expiry_month.clone(),
            expiry_year: p.expiry_year.clone(),
            cvv: p.has_cvv.then(|| "***".to_string()),
            first_name: p.holder.first_name.clone(),
            last_name: p.holder.last_name.clone(),
            full_name: p.holder.full_name.clone(),
            customer_id: p.holder.customer_id.clone(),
            address1: p.holder.address1.clone(),
            address2: p.holder.address2.clone(),
            postal_code: p.holder.postal_code.clone(),
            city: p.holder.city.clone(),
            state: p.holder.state.clone(),
            country: p.holder.country.clone(),
            email: p.holder.email.clone(),
            phone_number: p.holder.phone_number.clone(),
            payment_method_type: p.method_type.as_str().to_string(),
            fingerprint: p.fingerprint.clone(),
            last_four_digits: p.last_four.clone(),
            first_six_digits: p.first_six.clone(),
            card_type: p.card_type.clone(),
            date_created: rfc3339(p.created_at),
            storage_state: p.storage_state.as_str().to_string(),
            gateway_payment_method_id: p.gateway_payment_method_id.clone(),
            merchant_account_reference_id: p.merchant_account_reference_id.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct AddressWire {
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPlanWire {
    pub sku: Option<String>,
    pub category: Option<String>,
    pub billing_plan: Option<String>,
    pub billing_cycle: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct PreviousTransactionWire {
    pub merchant_account_reference_id: Option<String>,
    pub gateway_code: Option<String>,
    pub gateway_message: Option<String>,
    pub transaction_date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, Default)]
pub struct ReferencesWire {
    #[serde(rename = "PreviousTransaction")]
    pub previous_transaction: Option<PreviousTransactionWire>,
}

/// The seed's `Gateway` element (list and show answers): the gateway of this attempt with the
/// name the merchant gave it. The flat `gatewayToken`, `gatewayType` and
/// `merchantAccountReferenceId` stay beside it for clients that read those.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayElement {
    pub token: String,
    pub gateway_type: Option<String>,
    pub name: Option<String>,
    /// The merchant account used (`merchantAccountReferenceId`).
    pub reference_id: Option<String>,
}

impl GatewayElement {
    /// None for transactions no gateway saw (vault operations).
    fn of(t: &Transaction) -> Option<Self> {
        Some(Self {
            token: t.gateway_token.clone()?,
            gateway_type: t.gateway_type.clone(),
            name: t.gateway_name.clone(),
            reference_id: t.merchant_account_reference_id.clone(),
        })
    }

    /// The sentinel of a request refused before any gateway was chosen.
    fn sentinel() -> Self {
        Self {
            token: SENTINEL_GATEWAY.to_string(),
            gateway_type: Some(SENTINEL_GATEWAY_TYPE.to_string()),
            name: None,
            reference_id: None,
        }
    }
}

/// Transaction core object.
#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct TransactionWire {
    pub response: ResponseDetail,
    pub payment_method: Option<PaymentMethodWire>,
    pub transaction_id: String,
    pub transaction_date: String,
    /// 1 approved, 2 declined, 3 error.
    pub transaction_status: i64,
    pub message: String,
    pub response_code: String,
    pub transaction_type: String,
    pub merchant_transaction_id: Option<String>,
    pub customer_id: Option<String>,
    pub currency_code: Option<String>,
    pub amount: i64,
    pub gateway_token: Option<String>,
    pub gateway_type: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub assigned_gateway_token: Option<String>,
    pub order_id: Option<String>,
    pub retry_date: Option<String>,
    /// openflex: why retryDate was chosen, or why there is none (declines only).
    pub retry_explanation: Option<String>,
    pub retry_count: i64,
    pub date_first_attempt: Option<String>,
    pub description: Option<String>,
    pub customer_ip: Option<String>,
    pub shipping_address: Option<AddressWire>,
    pub reference_data: Option<String>,
    pub disable_customer_recovery: bool,
    pub custom_variable1: Option<String>,
    pub custom_variable2: Option<String>,
    pub custom_variable3: Option<String>,
    pub custom_variable4: Option<String>,
    pub custom_variable5: Option<String>,
    pub payment_model: Option<String>,
    pub payment_plan: Option<PaymentPlanWire>,
    #[serde(rename = "References")]
    pub references: Option<ReferencesWire>,
    #[serde(rename = "Gateway")]
    pub gateway: Option<GatewayElement>,
    pub original_transaction_id: Option<String>,
    pub completion_status: Option<String>,
}

impl From<&Transaction> for TransactionWire {
    fn from(t: &Transaction) -> Self {
        let d = &t.details;
        let [c1, c2, c3, c4, c5] = d.custom_variables.clone();
        Self {
            response: ResponseDetail {
                avs_code: t.result.avs_code.clone(),
                avs_message: t.result.avs_message.clone(),
                cvv_code: t.result.cvv_code.clone(),
                cvv_message: t.result.cvv_message.clone(),
                error_code: t.result.error_code.clone(),
                error_detail: t.result.error_detail.clone(),
                gateway_code: t.result.gateway_code.clone(),
                gateway_message: t.result.gateway_message.clone(),
            },
            payment_method: t.payment_method.as_ref().map(PaymentMethodWire::from),
            transaction_id: t.id.clone(),
            transaction_date: rfc3339(t.created_at),
            transaction_status: t.status as i64,
            message: t.code.message().to_string(),
            response_code: t.code.as_string(),
            transaction_type: t.txn_type.as_str().to_string(),
            merchant_transaction_id: t.merchant_transaction_id.clone(),
            customer_id: t.customer_id.clone(),
            currency_code: t.currency.clone(),
            amount: t.amount,
            gateway_token: t.gateway_token.clone(),
            gateway_type: t.gateway_type.clone(),
            gateway_transaction_id: t.gateway_transaction_id.clone(),
            merchant_account_reference_id: t.merchant_account_reference_id.clone(),
            assigned_gateway_token: t.assigned_gateway_token.clone(),
            order_id: t.order_id.clone(),
            retry_date: t.retry_date.map(rfc3339),
            retry_explanation: t.result.retry_explanation.clone(),
            retry_count: t.retry_count,
            date_first_attempt: t.date_first_attempt.map(rfc3339),
            description: d.description.clone(),
            customer_ip: d.customer_ip.clone(),
            shipping_address: d.shipping_address.as_ref().map(|a| AddressWire {
                address1: a.address1.clone(),
                address2: a.address2.clone(),
                postal_code: a.postal_code.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                country: a.country.clone(),
            }),
            reference_data: t.reference_data.clone(),
            disable_customer_recovery: d.disable_customer_recovery,
            custom_variable1: c1,
            custom_variable2: c2,
            custom_variable3: c3,
            custom_variable4: c4,
            custom_variable5: c5,
            payment_model: d.payment_model.clone(),
            payment_plan: d.payment_plan.as_ref().map(|p| PaymentPlanWire {
                sku: p.sku.clone(),
                category: p.category.clone(),
                billing_plan: p.billing_plan.clone(),
                billing_cycle: p.billing_cycle,
            }),
            references: d.previous_transaction.as_ref().map(|p| ReferencesWire {
                previous_transaction: Some(PreviousTransactionWire {
                    merchant_account_reference_id: p.merchant_account_reference_id.clone(),
                    gateway_code: p.gateway_code.clone(),
                    gateway_message: p.gateway_message.clone(),
                    transaction_date: p.transaction_date.clone(),
                }),
            }),
            gateway: GatewayElement::of(t),
            original_transaction_id: t.original_id.clone(),
            completion_status: t.completion_status.clone(),
        }
    }
}

/// What the client sent that the rejection envelope echoes.
/// Gateway and type FlexPay shows when a request is refused before any gateway is chosen.
pub const SENTINEL_GATEWAY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAA";
pub const SENTINEL_GATEWAY_TYPE: &str = "flexpay_declined";

#[derive(Default)]
pub struct Echo {
    pub txn_type: &'static str,
    pub merchant_transaction_id: Option<String>,
    pub order_id: Option<String>,
    /// The request carried a `transaction` object: its fields' paths start with
    /// `transaction.`; a payment-method request names them bare.
    pub in_transaction: bool,
}

impl TransactionWire {
    /// A request refused before any gateway: the sentinel gateway, amount 0, no currency.
    pub fn rejected(
        code: ResponseCode,
        id: String,
        at: OffsetDateTime,
        detail: String,
        echo: Echo,
    ) -> Self {
        Self {
            response: ResponseDetail {
                error_code: Some(code.as_string()),
                error_detail: Some(detail),
                ..ResponseDetail::default()
            },
            transaction_id: id,
            transaction_date: rfc3339(at),
            transaction_status: code.status() as i64,
            message: code.message().to_string(),
            response_code: code.as_string(),
            transaction_type: echo.txn_type.to_string(),
            merchant_transaction_id: echo.merchant_transaction_id,
            order_id: echo.order_id,
            gateway_token: Some(SENTINEL_GATEWAY.to_string()),
            assigned_gateway_token: Some(SENTINEL_GATEWAY.to_string()),
            gateway_type: Some(SENTINEL_GATEWAY_TYPE.to_string()),
            gateway: Some(GatewayElement::sentinel()),
            ..Self::default()
        }
    }

    pub fn from_rejection(r: &Rejection, echo: Echo) -> Self {
        let detail = match r.field {
            Some(f) if echo.in_transaction => {
                format!("transaction.{}: {}", field_name(f), r.detail)
            }
            Some(f) => format!("{}: {}", field_name(f), r.detail),
            None => r.detail.clone(),
        };
        Self::rejected(r.code, r.id.clone(), r.at, detail, echo)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionEnvelope {
    pub transaction: TransactionWire,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionList {
    pub transactions: Vec<TransactionWire>,
}

/// `responseType=simplified` list item.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimplifiedTransaction {
    pub transaction_id: String,
    pub transaction_date: String,
    pub transaction_status: i64,
    pub message: String,
    pub transaction_type: String,
    #[serde(rename = "Gateway")]
    pub gateway: Option<GatewayElement>,
    pub retry_date: Option<String>,
    pub amount: i64,
    pub initial_merchant_transaction_id: Option<String>,
    pub payment_method_storage_state: Option<String>,
    pub completion_status: Option<String>,
}

impl From<&Transaction> for SimplifiedTransaction {
    fn from(t: &Transaction) -> Self {
        Self {
            transaction_id: t.id.clone(),
            transaction_date: rfc3339(t.created_at),
            transaction_status: t.status as i64,
            message: t.code.message().to_string(),
            transaction_type: t.txn_type.as_str().to_string(),
            gateway: GatewayElement::of(t),
            retry_date: t.retry_date.map(rfc3339),
            amount: t.amount,
            initial_merchant_transaction_id: t.merchant_transaction_id.clone(),
            payment_method_storage_state: t
                .payment_method
                .as_ref()
                .map(|p| p.storage_state.as_str().to_string()),
            completion_status: t.completion_status.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimplifiedTransactionList {
    pub transactions: Vec<SimplifiedTransaction>,
}

/// What `GET /v1/transactions` answers: full items, or slim ones with
/// `responseType=simplified`. Documented as `anyOf` the two lists, not `oneOf`: an empty list
/// (and a full item, which has every field a slim one requires) matches both.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum TransactionListAnswer {
    Full(TransactionList),
    Simplified(SimplifiedTransactionList),
}

impl utoipa::PartialSchema for TransactionListAnswer {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(TransactionList::name()))
            .item(Ref::from_schema_name(SimplifiedTransactionList::name()))
            .into()
    }
}

impl ToSchema for TransactionListAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((TransactionList::name().into(), TransactionList::schema()));
        <TransactionList as ToSchema>::schemas(schemas);
        schemas.push((
            SimplifiedTransactionList::name().into(),
            SimplifiedTransactionList::schema(),
        ));
        <SimplifiedTransactionList as ToSchema>::schemas(schemas);
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodEnvelope {
    pub payment_method: PaymentMethodWire,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodList {
    pub payment_methods: Vec<PaymentMethodEnvelope>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayWire {
    pub gateway_token: String,
    pub name: String,
    pub gateway_type: String,
    pub merchant_account_reference_id: Option<String>,
    pub status: String,
    pub accepted_currency_codes: Vec<String>,
    pub accepted_cards: Vec<String>,
    pub weight: i64,
    pub accept_retries: bool,
    pub cvv_required: bool,
    /// Whether connector settings are stored; the settings themselves are write-only.
    pub has_settings: bool,
    pub date_created: String,
}

impl From<&Gateway> for GatewayWire {
    fn from(g: &Gateway) -> Self {
        Self {
            gateway_token: g.token.clone(),
            name: g.name.clone(),
            gateway_type: g.gateway_type.clone(),
            merchant_account_reference_id: g.merchant_account_reference_id.clone(),
            status: g.status.as_str().to_string(),
            accepted_currency_codes: g.accepted_currencies.clone(),
            accepted_cards: g.accepted_cards.clone(),
            weight: g.weight,
            accept_retries: g.accept_retries,
            cvv_required: g.cvv_required,
            has_settings: g.has_settings,
            date_created: rfc3339(g.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayEnvelope {
    pub gateway: GatewayWire,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayList {
    pub gateways: Vec<GatewayWire>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBody {
    pub message: String,
}

/// FlexPay's name for a field an engine rule refers to.
fn field_name(f: Field) -> &'static str {
    match f {
        Field::PaymentMethodId => "paymentMethodId",
        Field::GatewayToken => "gatewayToken",
        Field::ReferenceData => "referenceData",
        Field::RetryCount => "retryCount",
    }
}
