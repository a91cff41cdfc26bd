//! Flexiti response bodies. Where the vendor published a body (token, search, lookup,
//! calculate-interest, verify, widget, return, refund, close) it is reproduced; the others
//! (authorization, capture, release, transactions, lists, apply) are designed from their
//! request fields and errors, with one vocabulary across all of them: `*_id` numbers, money as
//! `"10.00"` strings (as the vendor's own `credit_limit`), `remaining_*_amount`, `*_status`,
//! `creation_date`/`date` in UTC ISO-8601. The ledger's bodies are in `ledger`.

mod ledger;

pub use ledger::{
    AuthorizationList, AuthorizationView, CaptureList, CaptureResponse, CaptureView,
    ReleaseResponse, ReturnResponse, TransactionResponse,
};

use super::body::{dollars, dollars_number, rate};
use super::request::GOVID_TYPES;
use openflex_domain::aamva::Licence;
use openflex_domain::financing::{self as fin, AccountStatus, Plan, Quote};
use openflex_domain::time::rfc3339;
use openflex_engine::financing::auth::FlexitiTokens;
use openflex_engine::financing::onboarding::ApplicationOutcome;
use openflex_engine::financing::{Account, Calculation, Verification};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token_type: &'static str,
    /// 40 hexadecimal characters.
    pub access_token: String,
    /// Seconds (1200).
    pub expires_in: u64,
    pub refresh_token: String,
    /// `merchant` or `customer`.
    pub scope: &'static str,
}

/// One account of `customers/search`.
#[derive(Serialize, ToSchema)]
pub struct AccountSummary {
    pub customer_id: String,
    /// N, A, F, Z or C.
    pub account_status: String,
    pub account_status_reason_code: String,
    pub tos_agreement: bool,
    pub risk_rating: String,
    pub account_number: String,
    pub account_type: String,
    pub credit_limit: String,
    pub available_credit: String,
    pub originating_merchant_id: String,
    pub originating_merchant_name: String,
    pub creation_date: String,
    pub first_name: String,
    pub last_name: String,
    pub card_ending_in: Option<String>,
    pub preferred_language: String,
}

/// Flexiti's reason code for an account status.
fn status_reason(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Normal => "NNOR",
        AccountStatus::AuthProhibited => "AAUT",
        AccountStatus::Frozen => "FLCK",
        AccountStatus::ChargedOff => "ZCCO",
        AccountStatus::Closed => "CCLS",
    }
}

impl From<&Account> for AccountSummary {
    fn from(a: &Account) -> Self {
        Self {
            customer_id: a.customer_id.clone(),
            account_status: a.status.code().into(),
            account_status_reason_code: status_reason(a.status).into(),
            tos_agreement: a.tos_agreement,
            risk_rating: a.risk_rating.as_str().into(),
            account_number: a.account_number.clone(),
            account_type: a.account_type.clone(),
            credit_limit: dollars(a.credit_limit),
            available_credit: dollars(a.available_credit),
            originating_merchant_id: a.originating_merchant_id.clone(),
            originating_merchant_name: a.originating_merchant_name.clone(),
            creation_date: rfc3339(a.created_at),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            card_ending_in: a.card_ending_in.clone(),
            preferred_language: a.preferred_language.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SecurityQuestion {
    pub id: i64,
    pub text: &'static str,
}

/// A plan as `offer_types` lists it.
#[derive(Serialize, ToSchema)]
pub struct OfferType {
    pub plan_id: i64,
    pub plan_name: String,
    /// `equal_billing` or `deferred`.
    pub offer_category: &'static str,
    pub terms: Vec<u32>,
    #[schema(value_type = f64)]
    pub apr: Value,
    pub admin_fee: String,
    pub min_amount: String,
    pub max_amount: Option<String>,
}

impl From<&Plan> for OfferType {
    fn from(p: &Plan) -> Self {
        Self {
            plan_id: p.plan_id,
            plan_name: p.name.clone(),
            offer_category: p.category.as_str(),
            terms: p.terms.clone(),
            apr: rate(p.apr_bp),
            admin_fee: dollars(p.admin_fee),
            min_amount: dollars(p.min_amount),
            max_amount: p.max_amount.map(dollars),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LookupResponse {
    pub available_credit: String,
    pub credit_limit: String,
    pub account_number: String,
    pub customer_id: String,
    pub account_status: String,
    pub account_type: String,
    pub first_name: String,
    pub last_name: String,
    pub security_qid: Option<SecurityQuestion>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub postal_code: String,
    pub province: String,
    pub payment_protection: bool,
    pub risk_rating: String,
    pub card_ending_in: Option<String>,
    pub offer_types: Vec<OfferType>,
}

#[derive(Serialize, ToSchema)]
pub struct Fee {
    pub description: &'static str,
    pub amount: String,
    /// `admin_total` (charged once) .
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct AnnualRate {
    pub description: &'static str,
    #[schema(value_type = f64)]
    pub rate: Value,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct TermQuote {
    /// Months.
    pub term: u32,
    /// Monthly payment.
    #[schema(value_type = f64)]
    pub term_amount: Value,
    /// The last payment (the rounding remainder lands here).
    #[schema(value_type = f64)]
    pub final_payment: Value,
    #[schema(value_type = f64)]
    pub apr: Value,
    #[schema(value_type = f64)]
    pub total_interest: Value,
    /// Interest plus fees.
    #[schema(value_type = f64)]
    pub cost_of_borrowing: Value,
    #[schema(value_type = f64)]
    pub total_amount: Value,
    pub fees: Vec<Fee>,
    pub annual_rates: Vec<AnnualRate>,
}

pub fn term_quote(q: &Quote) -> TermQuote {
    let fees = if q.admin_fee > 0 {
        vec![Fee {
            description: "Administration fee",
            amount: dollars(q.admin_fee),
            kind: "admin_total",
            message: format!(
                "A one-time administration fee of ${} applies.",
                dollars(q.admin_fee)
            ),
        }]
    } else {
        Vec::new()
    };
    TermQuote {
        term: q.term,
        term_amount: dollars_number(q.payment),
        final_payment: dollars_number(q.final_payment),
        apr: rate(q.apr_bp),
        total_interest: dollars_number(q.total_interest),
        cost_of_borrowing: dollars_number(q.financing_cost),
        total_amount: dollars_number(q.total_repayable),
        fees,
        annual_rates: vec![AnnualRate {
            description: "Annual percentage rate",
            rate: rate(q.apr_bp),
            kind: "apr",
            message: format!("{}.{:02}% APR", q.apr_bp / 100, q.apr_bp % 100),
        }],
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalcCustomer {
    pub available_credit: String,
    /// Annual interest rate of regular purchases (4 decimals).
    #[schema(value_type = f64)]
    pub air: Value,
    pub first_name: String,
    pub last_name: String,
    /// preferred, premium or standard.
    pub category_type: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct RegularPurchase {
    /// Illustrative monthly payment over 12 months at the account rate.
    #[schema(value_type = f64)]
    pub term_amount: Value,
    #[schema(value_type = f64)]
    pub air: Value,
    /// True when the PIN may be bypassed (≤ 3 regular purchases in 24 h and ≤ 200.00).
    pub verify: bool,
    pub fees: Vec<Fee>,
}

#[derive(Serialize, ToSchema)]
pub struct PromotionalPurchase {
    pub plan_id: i64,
    pub plan_name: String,
    pub offer_category: &'static str,
    pub terms: Vec<TermQuote>,
}

#[derive(Serialize, ToSchema)]
pub struct CalculateResponse {
    pub account_number: String,
    pub account_type: String,
    #[schema(value_type = f64)]
    pub amount: Value,
    pub customer: CalcCustomer,
    pub regular_purchase: RegularPurchase,
    pub promotional_purchase: Vec<PromotionalPurchase>,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    /// A numeric PIN, or `verification_sent_to_sms` / `verification_sent_to_email`.
    #[schema(value_type = Object)]
    pub verification_code: Value,
}

#[derive(Serialize, ToSchema)]
pub struct WidgetResponse {
    pub redirection_url: String,
    pub widget_session_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApplyResponse {
    pub application_id: String,
    /// `approved` or `pending` (a decline is the 409 `application_declined`).
    pub application_status: &'static str,
    pub customer_id: Option<String>,
    pub account_number: Option<String>,
    /// The virtual card number; shown in this answer only.
    pub vcc_number: Option<String>,
    pub card_ending_in: Option<String>,
    pub credit_limit: Option<String>,
    pub available_credit: Option<String>,
    pub risk_rating: Option<String>,
    pub account_status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LicenceResponse {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub dob: Option<String>,
    pub expiry_date: Option<String>,
    pub address_1: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    /// `CADL` (Canadian driver's licence).
    pub govid_type: &'static str,
    /// The licence number with all but the last four characters masked.
    pub govid_number_masked: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct I18nResponse {
    pub lang: &'static str,
    #[schema(value_type = Object)]
    pub strings: Value,
}

#[derive(Serialize, ToSchema)]
pub struct TermsResponse {
    pub lang: &'static str,
    pub version: &'static str,
    pub terms_and_conditions: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct FormValues {
    pub salutation: Vec<&'static str>,
    pub province: Vec<&'static str>,
    pub security_qid: Vec<SecurityQuestion>,
    pub govid_type: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub merchant_name: String,
    pub merchant_id: String,
    pub form_values: FormValues,
    pub offer_types: Vec<OfferType>,
}

impl From<FlexitiTokens> for TokenResponse {
    fn from(t: FlexitiTokens) -> Self {
        Self {
            token_type: "bearer",
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scope: t.scope.as_str(),
        }
    }
}

/// The choices the apply form offers (the deprecated merchant login hands them out).
pub fn form_values() -> FormValues {
    FormValues {
        salutation: vec!["Mr", "Mrs", "Ms", "Miss", "Dr"],
        province: vec![
            "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
        ],
        security_qid: vec![SecurityQuestion {
            id: fin::SANDBOX_SECURITY_QID,
            text: fin::SANDBOX_SECURITY_QUESTION,
        }],
        govid_type: GOVID_TYPES.to_vec(),
    }
}

impl LookupResponse {
    pub fn of(a: &Account, plans: &[Plan]) -> Self {
        Self {
            available_credit: dollars(a.available_credit),
            credit_limit: dollars(a.credit_limit),
            account_number: a.account_number.clone(),
            customer_id: a.customer_id.clone(),
            account_status: a.status.code().into(),
            account_type: a.account_type.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            security_qid: a.security_qid.map(|id| SecurityQuestion {
                id,
                text: fin::SANDBOX_SECURITY_QUESTION,
            }),
            email: a.email.clone(),
            phone_number: a.phone.clone(),
            address_1: a.address_1.clone(),
            address_2: a.address_2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            province: a.province.as_str().into(),
            payment_protection: a.payment_protection,
            risk_rating: a.risk_rating.as_str().into(),
            card_ending_in: a.card_ending_in.clone(),
            offer_types: plans.iter().map(OfferType::from).collect(),
        }
    }
}

impl From<Licence> for LicenceResponse {
    fn from(l: Licence) -> Self {
        Self {
            first_name: l.first_name,
            middle_name: l.middle_name,
            last_name: l.last_name,
            dob: l.dob,
            expiry_date: l.expiry,
            address_1: l.address_1,
            city: l.city,
            province: l.province,
            postal_code: l.postal_code,
            govid_type: "CADL",
            govid_number_masked: l.licence_number.map(|n| {
                let keep = n.chars().count().saturating_sub(4);
                n.chars()
                    .enumerate()
                    .map(|(i, ch)| if i < keep { '*' } else { ch })
                    .collect()
            }),
        }
    }
}

impl From<Verification> for VerifyResponse {
    fn from(v: Verification) -> Self {
        let code = match v {
            Verification::Code(pin) => pin.parse::<u64>().map(|n| json!(n)).unwrap_or(json!(pin)),
            Verification::Sent(where_) => json!(where_),
        };
        Self {
            verification_code: code,
        }
    }
}

impl CalculateResponse {
    /// The quote for `amount` as asked.
    pub fn of(amount: i64, calc: &Calculation) -> Self {
        let a = &calc.account;
        Self {
            account_number: a.account_number.clone(),
            account_type: a.account_type.clone(),
            amount: dollars_number(amount),
            customer: CalcCustomer {
                available_credit: dollars(a.available_credit),
                air: rate(a.risk_rating.regular_air_bp()),
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
                category_type: a.risk_rating.category().as_str(),
            },
            regular_purchase: RegularPurchase {
                term_amount: dollars_number(calc.regular.payment),
                air: rate(calc.regular.apr_bp),
                verify: calc.regular_bypass,
                fees: Vec::new(),
            },
            promotional_purchase: calc
                .offers
                .iter()
                .map(|o| PromotionalPurchase {
                    plan_id: o.plan.plan_id,
                    plan_name: o.plan.name.clone(),
                    offer_category: o.plan.category.as_str(),
                    terms: o.quotes.iter().map(term_quote).collect(),
                })
                .collect(),
        }
    }
}

impl From<ApplicationOutcome> for ApplyResponse {
    fn from(out: ApplicationOutcome) -> Self {
        match out {
            ApplicationOutcome::Approved {
                application_id,
                account,
                vcc_number,
            } => Self {
                application_id,
                application_status: "approved",
                customer_id: Some(account.customer_id.clone()),
                account_number: Some(account.account_number.clone()),
                vcc_number: Some(vcc_number.expose().clone()),
                card_ending_in: account.card_ending_in.clone(),
                credit_limit: Some(dollars(account.credit_limit)),
                available_credit: Some(dollars(account.available_credit)),
                risk_rating: Some(account.risk_rating.as_str().into()),
                account_status: Some(account.status.code().into()),
            },
            ApplicationOutcome::Pending { application_id } => Self {
                application_id,
                application_status: "pending",
                customer_id: None,
                account_number: None,
                vcc_number: None,
                card_ending_in: None,
                credit_limit: None,
                available_credit: None,
                risk_rating: None,
                account_status: None,
            },
        }
    }
}

/// The hosted widget's page for a session: the vendor's segments and query, at a path instead
/// of the vendor's `#` fragment, which a browser never sends to a server (docs/flexiti.md
/// "Widget (W1)"). The host is the request's own, reduced to the characters a host may have.
pub fn widget_url(
    scheme: &str,
    host: &str,
    client_id: &str,
    token: &str,
    lang: &str,
    reference_id: &str,
    session_id: &str,
) -> String {
    let host: String = host
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || ".:-[]".contains(*ch))
        .collect();
    format!(
        "{scheme}://{host}/flexiti/widget/{client_id}/{token}?lang={lang}&x-reference-id={}&widget_session_id={session_id}",
        form_urlencoded::byte_serialize(reference_id.as_bytes()).collect::<String>(),
    )
}
