//! Consumer financing (the Flexiti POS dialect's use cases): customer accounts with a credit
//! limit, purchase PINs, plans and quotes, credit applications, and the authorization →
//! capture → return ledger.
//!
//! Why business refusals are values ([`Refusal`]) and not [`EngineError`]s: the dialect must
//! answer each one with its own documented code, while engine errors are faults. The ledger's
//! money rules are in `openflex_domain::financing` (pure) and its invariants are enforced
//! twice: here, after locking the rows, and by CHECK constraints in the database.

pub mod auth;
pub mod clients;
pub mod ledger;
pub mod onboarding;
pub mod widget;

use crate::{Engine, EngineError, Tenant, micros};
pub use openflex_domain::financing::trust::{Distrust, Origin};
use openflex_domain::financing::{self as fin, AccountStatus, Plan, Province, Quote, RiskRating};
use openflex_store::{FlexitiAccountKey, FlexitiAccountRow, FlexitiVerificationRow};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

/// How long a purchase PIN stays valid.
pub const PIN_TTL: Duration = Duration::from_secs(15 * 60);
/// Wrong codes after which an account's live PINs are burnt (a new verify is needed).
pub const PIN_MAX_FAILURES: i64 = 5;
/// The PIN every sandbox verification issues (docs/sandbox.md).
pub const SANDBOX_PIN: &str = "2222";

/// A merchant's Flexiti configuration (JSON in the merchant's settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FlexitiSettings {
    /// Off: every call answers `invalid_role` (the portal account is not provisioned).
    pub enabled: bool,
    pub plans: Vec<Plan>,
    /// Store ids accepted as `external_location_id`; empty accepts any.
    pub locations: Vec<String>,
    /// Pre-authorizations (`auto_capture: false`); off → `auth_not_allowed`.
    pub pre_auth_enabled: bool,
    pub merchant_override_allowed: bool,
    pub regular_purchase_bypass_allowed: bool,
    /// `consumer` and/or `business`.
    pub account_types: Vec<String>,
    /// Employees (`external_employee_id`) without return rights → `not_permitted`.
    pub return_denied_employees: Vec<String>,
}

impl Default for FlexitiSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            plans: fin::default_plans(),
            locations: vec!["00-12345".into(), "00-00001".into()],
            pre_auth_enabled: true,
            merchant_override_allowed: false,
            regular_purchase_bypass_allowed: true,
            account_types: vec!["consumer".into(), "business".into()],
            return_denied_employees: vec!["00000-TRAINEE".into()],
        }
    }
}

impl FlexitiSettings {
    pub fn validate(&self) -> std::result::Result<(), String> {
        fin::validate_plans(&self.plans)?;
        if self.locations.len() > 1000
            || self
                .locations
                .iter()
                .any(|l| l.is_empty() || l.len() > 50 || l.contains('\0'))
        {
            return Err("locations: at most 1000 ids of 1 to 50 characters".into());
        }
        if self.account_types.is_empty()
            || self
                .account_types
                .iter()
                .any(|t| t != "consumer" && t != "business")
        {
            return Err("accountTypes: one or both of \"consumer\", \"business\"".into());
        }
        if self.return_denied_employees.len() > 1000
            || self
                .return_denied_employees
                .iter()
                .any(|e| e.is_empty() || e.len() > 50 || e.contains('\0'))
        {
            return Err("returnDeniedEmployees: at most 1000 ids of 1 to 50 characters".into());
        }
        Ok(())
    }

    pub fn plan(&self, id: i64) -> Option<&Plan> {
        self.plans.iter().find(|p| p.plan_id == id)
    }

    fn location_known(&self, location: Option<&str>) -> bool {
        match location {
            None => true,
            Some(l) => self.locations.is_empty() || self.locations.iter().any(|k| k == l),
        }
    }
}

/// A business refusal, answered with its documented code (the dialect maps it to HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    /// The request field at fault, when there is one.
    pub field: Option<&'static str>,
    /// Why a call was refused for where it came from (the code is then `invalid_role`).
    pub distrust: Option<Distrust>,
}

impl Refusal {
    pub fn new(code: &'static str) -> Self {
        Self {
            code,
            field: None,
            distrust: None,
        }
    }

    pub fn on(code: &'static str, field: &'static str) -> Self {
        Self {
            field: Some(field),
            ..Self::new(code)
        }
    }

    /// A call refused by the client's trust rule (docs/flexiti.md §2.1): `invalid_role`, the
    /// vendor's code for a portal account not provisioned for what it asks — the trust URL is
    /// part of that provisioning.
    pub fn distrusted(why: Distrust) -> Self {
        Self {
            distrust: Some(why),
            ..Self::new("invalid_role")
        }
    }
}

#[derive(Debug)]
pub enum FlexitiFail {
    Refused(Refusal),
    Engine(EngineError),
}

impl From<EngineError> for FlexitiFail {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

impl From<openflex_store::StoreError> for FlexitiFail {
    fn from(e: openflex_store::StoreError) -> Self {
        Self::Engine(e.into())
    }
}

impl From<Refusal> for FlexitiFail {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

pub type FlexitiResult<T> = std::result::Result<T, FlexitiFail>;

pub(crate) fn refuse<T>(code: &'static str) -> FlexitiResult<T> {
    Err(FlexitiFail::Refused(Refusal::new(code)))
}

/// Token scopes (docs/flexiti.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Merchant,
    Customer,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "merchant" => Some(Self::Merchant),
            "customer" => Some(Self::Customer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merchant => "merchant",
            Self::Customer => "customer",
        }
    }
}

/// An authenticated Flexiti caller.
#[derive(Debug, Clone)]
pub struct FlexitiCaller {
    pub tenant: Tenant,
    pub client_id: String,
    pub scope: Scope,
    pub merchant_name: String,
}

/// How a request names an account.
#[derive(Debug, Clone)]
pub enum AccountKey {
    Number(String),
    Customer(String),
    /// A virtual card number (never stored in clear; found by fingerprint).
    Vcc(openflex_domain::Secret<String>),
}

/// A customer account as the API shows it.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_number: String,
    pub customer_id: String,
    pub account_type: String,
    pub status: AccountStatus,
    pub risk_rating: RiskRating,
    pub province: Province,
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub preferred_language: String,
    pub tos_agreement: bool,
    pub payment_protection: bool,
    pub security_qid: Option<i64>,
    pub card_ending_in: Option<String>,
    pub credit_limit: i64,
    pub available_credit: i64,
    pub held: i64,
    pub balance: i64,
    pub originating_merchant_id: String,
    pub originating_merchant_name: String,
    pub created_at: OffsetDateTime,
}

impl Account {
    fn of(row: FlexitiAccountRow, merchant_name: &str) -> Self {
        Self {
            status: AccountStatus::parse(&row.status).unwrap_or(AccountStatus::Frozen),
            risk_rating: RiskRating::parse(&row.risk_rating).unwrap_or(RiskRating::N),
            province: Province::parse(&row.province).unwrap_or(Province::ON),
            account_number: row.account_number,
            customer_id: row.customer_id,
            account_type: row.account_type,
            first_name: row.first_name,
            last_name: row.last_name,
            dob: row.dob,
            postal_code: row.postal_code,
            email: row.email,
            phone: row.phone,
            address_1: row.address_1,
            address_2: row.address_2,
            city: row.city,
            preferred_language: row.preferred_language,
            tos_agreement: row.tos_agreement,
            payment_protection: row.payment_protection,
            security_qid: row.security_qid,
            card_ending_in: row.card_ending_in,
            credit_limit: row.credit_limit,
            available_credit: row.available_credit,
            held: row.held,
            balance: row.balance,
            originating_merchant_id: row.merchant_id,
            originating_merchant_name: merchant_name.to_string(),
            created_at: crate::from_micros(row.created_at),
        }
    }
}

/// The plans and terms offered to one customer for one amount.
#[derive(Debug, Clone)]
pub struct Offer {
    pub plan: Plan,
    pub quotes: Vec<Quote>,
}

/// `calculate-interest`.
#[derive(Debug, Clone)]
pub struct Calculation {
    pub account: Account,
    pub amount: i64,
    pub regular: Quote,
    /// `regular_purchase.verify`: the PIN may be bypassed for this regular purchase.
    pub regular_bypass: bool,
    pub offers: Vec<Offer>,
}

/// `verify` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFormat {
    Sms,
    Email,
    SecurityQuestion,
    RegularPurchaseBypass,
    MerchantOverride,
}

impl VerifyFormat {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sms" => Self::Sms,
            "email" => Self::Email,
            "security_question" => Self::SecurityQuestion,
            "regular_purchase_bypass" => Self::RegularPurchaseBypass,
            "merchant_override" => Self::MerchantOverride,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::SecurityQuestion => "security_question",
            Self::RegularPurchaseBypass => "regular_purchase_bypass",
            Self::MerchantOverride => "merchant_override",
        }
    }
}

pub struct VerifyRequest {
    pub format: VerifyFormat,
    pub vcc: Option<openflex_domain::Secret<String>>,
    pub security_qid: Option<i64>,
    pub security_answer: Option<openflex_domain::Secret<String>>,
    pub request_id: Option<String>,
}

/// What `verify` answers: a PIN to show, or where it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Code(String),
    Sent(&'static str),
}

/// A random numeric id of `digits` digits (Flexiti ids are numbers; random so they cannot be
/// enumerated).
pub(crate) fn numeric_id(digits: u32) -> crate::Result<i64> {
    let bytes = openflex_vault::random_bytes::<8>()?;
    let low = 10i64.pow(digits - 1);
    let span = (9 * low) as u64;
    Ok(low + (u64::from_le_bytes(bytes) % span) as i64)
}

fn is_valid_phone(phone: Option<&str>) -> bool {
    phone.is_some_and(|p| {
        p.len() == 10 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with(['0', '1'])
    })
}

impl Engine {
    /// The merchant's Flexiti settings.
    pub async fn flexiti_settings(&self, merchant_id: &str) -> crate::Result<FlexitiSettings> {
        Ok(self.settings_of(merchant_id).await?.flexiti)
    }

    /// Replaces the merchant's Flexiti settings (plans, locations, permissions).
    pub async fn set_flexiti_settings(
        &self,
        merchant_id: &str,
        settings: FlexitiSettings,
    ) -> crate::Result<FlexitiSettings> {
        settings.validate().map_err(EngineError::Invalid)?;
        let stored = settings.clone();
        self.change_settings(merchant_id, |s| s.flexiti = stored)
            .await?;
        Ok(settings)
    }

    pub(crate) fn vcc_fingerprint(&self, merchant_id: &str, vcc: &str) -> String {
        self.vault
            .fingerprint(merchant_id, &format!("flexiti-vcc|{vcc}"))
    }

    /// Finds an account by number, customer id or card number.
    pub(crate) async fn flexiti_find(
        &self,
        t: &Tenant,
        key: &AccountKey,
    ) -> crate::Result<Option<FlexitiAccountRow>> {
        let (col, value) = match key {
            AccountKey::Number(n) => (FlexitiAccountKey::AccountNumber, n.clone()),
            AccountKey::Customer(c) => (FlexitiAccountKey::CustomerId, c.clone()),
            AccountKey::Vcc(v) => (
                FlexitiAccountKey::VccFingerprint,
                self.vcc_fingerprint(&t.merchant_id, v.expose()),
            ),
        };
        Ok(self
            .store
            .flexiti_account_by(&t.merchant_id, t.mode.as_str(), col, &value)
            .await?)
    }

    /// The account a request names, with its card number (when given) checked against it.
    pub(crate) async fn flexiti_account_for(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
        vcc: Option<&openflex_domain::Secret<String>>,
        missing: &'static str,
    ) -> FlexitiResult<FlexitiAccountRow> {
        let Some(row) = self
            .flexiti_find(&c.tenant, &AccountKey::Number(account_number.to_string()))
            .await?
        else {
            return Err(Refusal::on(missing, "account_number").into());
        };
        if let Some(vcc) = vcc {
            let fp = self.vcc_fingerprint(&c.tenant.merchant_id, vcc.expose());
            if row.vcc_fingerprint.as_deref() != Some(fp.as_str()) {
                let other = self
                    .flexiti_find(&c.tenant, &AccountKey::Vcc(vcc.clone()))
                    .await?;
                return Err(match other {
                    None => Refusal::on("not_found", "vcc_number"),
                    Some(_) => Refusal::on("vcc_account_mismatch", "vcc_number"),
                }
                .into());
            }
        }
        Ok(row)
    }

    /// `customers/search`: the accounts of a person (404 when none).
    pub async fn flexiti_search(
        &self,
        c: &FlexitiCaller,
        first_name: &str,
        last_name: &str,
        dob: &str,
        postal_code: Option<&str>,
    ) -> FlexitiResult<Vec<Account>> {
        let rows = self
            .store
            .flexiti_search(
                &c.tenant.merchant_id,
                c.tenant.mode.as_str(),
                first_name.trim(),
                last_name.trim(),
                dob,
                postal_code,
            )
            .await?;
        if rows.is_empty() {
            return refuse("not_found");
        }
        Ok(rows
            .into_iter()
            .map(|r| Account::of(r, &c.merchant_name))
            .collect())
    }

    /// `customers/lookup`: one account and the plans it may use.
    pub async fn flexiti_lookup(
        &self,
        c: &FlexitiCaller,
        key: &AccountKey,
    ) -> FlexitiResult<(Account, Vec<Plan>)> {
        let Some(row) = self.flexiti_find(&c.tenant, key).await? else {
            return refuse("not_found");
        };
        let account = Account::of(row, &c.merchant_name);
        purchasable(&account)?;
        let plans = c
            .tenant
            .flexiti
            .plans
            .iter()
            .filter(|p| p.offered_to(account.risk_rating, account.province, p.min_amount.max(1)))
            .cloned()
            .collect();
        Ok((account, plans))
    }

    /// `calculate-interest`: every plan and term the customer may choose for `amount`.
    pub async fn flexiti_calculate(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
        amount: i64,
    ) -> FlexitiResult<Calculation> {
        let row = self
            .flexiti_account_for(c, account_number, None, "not_found")
            .await?;
        let account = Account::of(row, &c.merchant_name);
        let offers = c
            .tenant
            .flexiti
            .plans
            .iter()
            .filter(|p| p.offered_to(account.risk_rating, account.province, amount))
            .map(|p| Offer {
                plan: p.clone(),
                quotes: p
                    .terms
                    .iter()
                    .map(|&t| fin::quote(p, t, amount, account.province))
                    .collect(),
            })
            .collect();
        let since = micros(self.now_for(&c.tenant)) - 24 * 3600 * 1_000_000;
        let recent = self
            .store
            .flexiti_regular_purchases_since(
                &c.tenant.merchant_id,
                c.tenant.mode.as_str(),
                &account.account_number,
                since,
            )
            .await?;
        Ok(Calculation {
            regular: fin::regular_quote(account.risk_rating, amount),
            regular_bypass: c.tenant.flexiti.regular_purchase_bypass_allowed
                && fin::regular_bypass_allowed(u32::try_from(recent).unwrap_or(u32::MAX), amount),
            account,
            amount,
            offers,
        })
    }

    /// `account/{n}/verify`: issues a purchase PIN tied to the in-store `request_id`.
    pub async fn flexiti_verify(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
        req: VerifyRequest,
    ) -> FlexitiResult<Verification> {
        let row = self
            .flexiti_account_for(c, account_number, req.vcc.as_ref(), "not_found")
            .await?;
        let stored_answer = row.security_answer_hash.clone();
        let account = Account::of(row, &c.merchant_name);
        // A PIN also authorizes in-store payments, which accounts in arrears, frozen or charged
        // off must still be able to make; only a closed account gets none. Purchases check the
        // status themselves.
        if account.status == AccountStatus::Closed {
            return refuse("user_not_active");
        }
        let settings = &c.tenant.flexiti;
        match req.format {
            VerifyFormat::Sms if !is_valid_phone(account.phone.as_deref()) => {
                return refuse("sms_not_valid_phone");
            }
            VerifyFormat::MerchantOverride if !settings.merchant_override_allowed => {
                return refuse("merchant_override_is_not_allowed");
            }
            VerifyFormat::RegularPurchaseBypass => {
                let since = micros(self.now_for(&c.tenant)) - 24 * 3600 * 1_000_000;
                let recent = self
                    .store
                    .flexiti_regular_purchases_since(
                        &c.tenant.merchant_id,
                        c.tenant.mode.as_str(),
                        account_number,
                        since,
                    )
                    .await?;
                if !settings.regular_purchase_bypass_allowed
                    || !fin::regular_bypass_allowed(u32::try_from(recent).unwrap_or(u32::MAX), 1)
                {
                    return refuse("regular_purchase_bypass_is_not_allowed");
                }
            }
            VerifyFormat::SecurityQuestion => {
                if req.security_qid.is_none() || req.security_qid != account.security_qid {
                    return Err(Refusal::on("piw_mismatch", "security_qid").into());
                }
                let given = req
                    .security_answer
                    .as_ref()
                    .map(|a| self.answer_hash(&account.account_number, a.expose()))
                    .unwrap_or_default();
                let ok = stored_answer.is_some_and(|s| {
                    openflex_vault::constant_time_eq(s.as_bytes(), given.as_bytes())
                });
                if !ok {
                    return Err(Refusal::on("secret_answer_mismatch", "security_answer").into());
                }
            }
            _ => {}
        }
        let code = if c.tenant.mode == crate::Mode::Sandbox {
            SANDBOX_PIN.to_string()
        } else {
            // 1000–9999: a PIN travels as a JSON number, so it must not start with 0.
            let n =
                u16::from_le_bytes(openflex_vault::random_bytes::<2>().map_err(EngineError::from)?);
            (1000 + n % 9000).to_string()
        };
        let now = self.now_for(&c.tenant);
        self.store
            .insert_flexiti_verification(&FlexitiVerificationRow {
                id: self.ids.next(),
                merchant_id: c.tenant.merchant_id.clone(),
                mode: c.tenant.mode.as_str().to_string(),
                account_number: account.account_number.clone(),
                request_id: req.request_id.clone(),
                format: req.format.as_str().to_string(),
                code_hash: self.pin_hash(&account.account_number, &code),
                created_at: micros(now),
                expires_at: micros(now + PIN_TTL),
                used_at: None,
            })
            .await?;
        Ok(match req.format {
            VerifyFormat::Sms => Verification::Sent("verification_sent_to_sms"),
            VerifyFormat::Email => Verification::Sent("verification_sent_to_email"),
            _ => Verification::Code(code),
        })
    }

    pub(crate) fn pin_hash(&self, account_number: &str, code: &str) -> String {
        self.vault
            .hash_secret(&format!("flexiti-pin|{account_number}|{}", code.trim()))
    }

    pub(crate) fn answer_hash(&self, account_number: &str, answer: &str) -> String {
        self.vault.hash_secret(&format!(
            "flexiti-answer|{account_number}|{}",
            answer.trim().to_lowercase()
        ))
    }
}

/// How a movement names its account: by number (a card number sent with it is then checked
/// against that account), else by card number alone, else by customer id.
#[derive(Debug, Clone, Default)]
pub struct AccountNaming {
    pub account_number: Option<String>,
    pub vcc: Option<openflex_domain::Secret<String>>,
    pub customer_id: Option<String>,
}

/// The account a request named, and the card number still to check against it.
#[derive(Debug, Clone)]
pub struct NamedAccount {
    pub account_number: String,
    pub vcc: Option<openflex_domain::Secret<String>>,
}

impl Engine {
    /// The account a request names by number, card number or customer id (`not_found` when a
    /// card number or customer id names none). The card number stays to be checked only when
    /// the account was named by number: a card that named the account is its own proof.
    pub async fn flexiti_named_account(
        &self,
        c: &FlexitiCaller,
        naming: AccountNaming,
    ) -> FlexitiResult<NamedAccount> {
        let AccountNaming {
            account_number,
            vcc,
            customer_id,
        } = naming;
        if let Some(account_number) = account_number {
            return Ok(NamedAccount {
                account_number,
                vcc,
            });
        }
        let key = match (vcc, customer_id) {
            (Some(v), _) => AccountKey::Vcc(v),
            (None, Some(cu)) => AccountKey::Customer(cu),
            (None, None) => return refuse("wrong_inputs"),
        };
        match self.flexiti_find(&c.tenant, &key).await? {
            Some(r) => Ok(NamedAccount {
                account_number: r.account_number,
                vcc: None,
            }),
            None => refuse("not_found"),
        }
    }
}

/// Refuses accounts that may not buy: closed → `user_not_active`, any other status but Normal
/// → `user_not_able_to_purchase`.
pub(crate) fn purchasable(a: &Account) -> FlexitiResult<()> {
    match a.status {
        AccountStatus::Normal => Ok(()),
        AccountStatus::Closed => refuse("user_not_active"),
        _ => refuse("user_not_able_to_purchase"),
    }
}
