//! Authorize.net maps its JSON onto the XML schema (AnetApiSchema.xsd), so a key out of the
//! schema's sequence is an E00003 parse error: every request here is a struct whose fields are
//! declared in schema order and serialised as declared (a `serde_json::Value` would sort them).

use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantAuthentication<'a> {
    pub name: &'a str,
    pub transaction_key: &'a str,
}

/// `{"authenticateTestRequest": {...}}`: checks the API login id and transaction key, and
/// nothing else.
#[derive(Serialize)]
pub struct AuthenticateTest<'a> {
    #[serde(rename = "authenticateTestRequest")]
    pub request: AuthenticateTestRequest<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateTestRequest<'a> {
    pub merchant_authentication: MerchantAuthentication<'a>,
}

/// `{"createTransactionRequest": {...}}`.
#[derive(Serialize)]
pub struct CreateTransaction<'a> {
    #[serde(rename = "createTransactionRequest")]
    pub request: CreateTransactionRequest<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTransactionRequest<'a> {
    pub merchant_authentication: MerchantAuthentication<'a>,
    pub ref_id: &'a str,
    pub transaction_request: TransactionRequest<'a>,
}

/// `transactionRequest`, in schema order; only the elements openflex sends.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest<'a> {
    pub transaction_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ref_trans_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_to: Option<BillTo<'a>>,
    #[serde(rename = "customerIP", skip_serializing_if = "Option::is_none")]
    pub customer_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_options: Option<ProcessingOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsequent_auth_information: Option<SubsequentAuthInformation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment<'a> {
    pub credit_card: CreditCard<'a>,
}

/// A clear card (`cardNumber`, `expirationDate` `YYYY-MM`, `cardCode`), or on a refund the
/// last four digits with `expirationDate` `XXXX`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditCard<'a> {
    pub card_number: &'a str,
    pub expiration_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_code: Option<&'a str>,
}

/// A customer payment profile (CIM): the gateway's token of a card.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile<'a> {
    pub customer_profile_id: &'a str,
    pub payment_profile: PaymentProfile<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProfile<'a> {
    pub payment_profile_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order<'a> {
    pub invoice_number: &'a str,
}

#[derive(Serialize)]
pub struct Customer<'a> {
    pub email: &'a str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BillTo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'a str>,
}

/// Stored-credential flags; exactly one is sent.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_first_subsequent_auth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_subsequent_auth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_stored_credentials: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubsequentAuthInformation<'a> {
    pub original_network_trans_id: &'a str,
}

/// `{"getTransactionDetailsRequest": {...}}`.
#[derive(Serialize)]
pub struct GetTransactionDetails<'a> {
    #[serde(rename = "getTransactionDetailsRequest")]
    pub request: GetTransactionDetailsRequest<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTransactionDetailsRequest<'a> {
    pub merchant_authentication: MerchantAuthentication<'a>,
    pub trans_id: &'a str,
}

/// `{"getUnsettledTransactionListRequest": {...}}`.
#[derive(Serialize)]
pub struct GetUnsettledTransactionList<'a> {
    #[serde(rename = "getUnsettledTransactionListRequest")]
    pub request: GetUnsettledTransactionListRequest<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUnsettledTransactionListRequest<'a> {
    pub merchant_authentication: MerchantAuthentication<'a>,
    pub sorting: Sorting,
    pub paging: Paging,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sorting {
    pub order_by: &'static str,
    pub order_descending: bool,
}

#[derive(Serialize)]
pub struct Paging {
    pub limit: u32,
    /// The page number, from 1.
    pub offset: u32,
}

/// Keys whose values the debug log never shows.
pub const SENSITIVE: &[&str] = &["cardNumber", "cardCode", "transactionKey", "expirationDate"];
