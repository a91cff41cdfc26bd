//! Getting customers onto credit and off it again: sandbox seed accounts, credit applications
//! (deterministic decisions in the sandbox; the hosted widget's sessions are in `widget`),
//! account closing, and the operator's account management.
//!
//! Virtual card numbers are card data: the server keeps only a per-merchant fingerprint (to
//! find the account a card names) and the last four digits. A new account's number is shown
//! once, in the application's answer; sandbox seed accounts use the published test numbers
//! of `sandbox_vcc`, which the admin listing can show because they are public test data.

use super::ledger::InStore;
use super::{Account, FlexitiCaller, FlexitiFail, FlexitiResult, Refusal, numeric_id, refuse};
use crate::{Engine, EngineError, Mode, Tenant, micros};
use openflex_domain::Secret;
use openflex_domain::financing::{
    self as fin, AccountStatus, ApplicationDecision, Plan, Province, RiskRating,
};
use openflex_store::{FlexitiAccountRow, FlexitiApplicationRow, Store, StoreError, Tx};
use std::collections::BTreeMap;

/// A credit application as the dialect read it.
pub struct Application {
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub email: String,
    pub phone: String,
    pub address_1: String,
    pub address_2: Option<String>,
    pub city: String,
    pub province: Province,
    pub postal_code: String,
    pub annual_income: Option<i64>,
    pub account_type: String,
    pub tos_agreement: bool,
    pub security_qid: Option<i64>,
    pub security_answer: Option<Secret<String>>,
    pub preferred_language: String,
    pub widget_session_id: Option<String>,
    pub store: InStore,
    /// The applicant fields as sent (normalised), compared with the widget session's.
    pub comparable: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum ApplicationOutcome {
    Approved {
        application_id: String,
        account: Box<Account>,
        /// Shown once; only its fingerprint and last four digits are kept.
        vcc_number: Secret<String>,
    },
    Pending {
        application_id: String,
    },
}

/// An account an operator creates (admin API / CLI, which read it from their JSON).
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: String,
    pub province: Province,
    pub risk_rating: RiskRating,
    pub status: AccountStatus,
    pub account_type: String,
    /// Minor units.
    pub credit_limit: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
    pub address1: Option<String>,
    pub preferred_language: String,
}

/// Changes an operator makes to an account.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub status: Option<AccountStatus>,
    pub credit_limit: Option<i64>,
    pub risk_rating: Option<RiskRating>,
}

/// An account as the operator sees it (money as decimal strings).
#[derive(Debug, Clone)]
pub struct AdminAccount {
    pub account_number: String,
    pub customer_id: String,
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: String,
    pub province: String,
    pub risk_rating: String,
    pub status: AccountStatus,
    pub account_type: String,
    pub credit_limit: String,
    pub available_credit: String,
    pub held: String,
    pub balance: String,
    pub card_ending_in: Option<String>,
    /// Sandbox seed accounts only: their published test card number.
    pub vcc_number: Option<String>,
    pub phone: Option<String>,
}

fn dollars(minor: i64) -> String {
    openflex_domain::money::minor_to_decimal(minor, 2)
}

/// A fresh virtual card number: the sandbox BIN, 8 random digits, Luhn check digit.
fn new_vcc(seed: u64) -> String {
    let body = format!("5299991{:08}", seed % 100_000_000);
    format!("{body}{}", openflex_domain::card::luhn_check_digit(&body))
}

impl Engine {
    pub(crate) fn flexiti_row(
        &self,
        t: &Tenant,
        account_number: String,
        customer_id: String,
        vcc: Option<&str>,
    ) -> FlexitiAccountRow {
        let now = micros(self.now_for(t));
        FlexitiAccountRow {
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            vcc_fingerprint: vcc.map(|v| self.vcc_fingerprint(&t.merchant_id, v)),
            card_ending_in: vcc.map(|v| v[v.len().saturating_sub(4)..].to_string()),
            account_number,
            customer_id,
            account_type: "consumer".into(),
            status: AccountStatus::Normal.code().into(),
            risk_rating: "H".into(),
            province: "ON".into(),
            first_name: String::new(),
            last_name: String::new(),
            dob: String::new(),
            postal_code: String::new(),
            email: None,
            phone: None,
            address_1: None,
            address_2: None,
            city: None,
            preferred_language: "en-CA".into(),
            tos_agreement: true,
            payment_protection: false,
            security_qid: None,
            security_answer_hash: None,
            credit_limit: 0,
            held: 0,
            balance: 0,
            available_credit: 0,
            captured_total: 0,
            credited_total: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// Seeds the sandbox customers of docs/sandbox.md into a sandbox merchant (inside the
    /// merchant-creation transaction; existing accounts are left alone).
    pub(crate) async fn seed_sandbox_customers(
        &self,
        tx: &mut Tx,
        t: &Tenant,
    ) -> crate::Result<()> {
        for s in fin::sandbox_customers() {
            let vcc = fin::sandbox_vcc(s.account_number);
            let mut row = self.flexiti_row(
                t,
                s.account_number.to_string(),
                s.customer_id.to_string(),
                Some(&vcc),
            );
            row.first_name = s.first_name.into();
            row.last_name = s.last_name.into();
            row.dob = s.dob.into();
            row.postal_code = s.postal_code.into();
            row.province = s.province.as_str().into();
            row.risk_rating = s.risk_rating.as_str().into();
            row.status = s.status.code().into();
            row.account_type = s.account_type.into();
            row.credit_limit = s.credit_limit;
            row.available_credit = s.credit_limit;
            row.phone = s.phone.map(str::to_string);
            row.email = Some(s.email.to_string());
            row.preferred_language = s.language.into();
            row.address_1 = Some(s.address_1.into());
            row.city = Some(s.city.into());
            row.security_qid = Some(fin::SANDBOX_SECURITY_QID);
            row.security_answer_hash =
                Some(self.answer_hash(s.account_number, fin::SANDBOX_SECURITY_ANSWER));
            Store::insert_flexiti_account_if_absent(tx, &row).await?;
        }
        Ok(())
    }

    /// `apply`: a credit application, decided at once (deterministically in the sandbox).
    pub async fn flexiti_apply(
        &self,
        c: &FlexitiCaller,
        a: Application,
    ) -> FlexitiResult<ApplicationOutcome> {
        let t = &c.tenant;
        if !a.tos_agreement {
            return Err(Refusal::on("tos_agreement_required", "tos_agreement").into());
        }
        if !t.flexiti.account_types.iter().any(|k| k == &a.account_type) {
            return Err(Refusal::on("account_type_not_permitted", "account_type").into());
        }
        if let Some(l) = &a.store.external_location_id
            && !t.flexiti.locations.is_empty()
            && !t.flexiti.locations.iter().any(|k| k == l)
        {
            return Err(
                Refusal::on("external_location_id_not_found", "external_location_id").into(),
            );
        }
        let now = self.now_for(t);
        if let Some(sid) = &a.widget_session_id {
            let session = self
                .store
                .flexiti_widget_session(&t.merchant_id, t.mode.as_str(), sid)
                .await?
                .filter(|s| s.flow == "apply" && s.expires_at > micros(now))
                .ok_or(FlexitiFail::Refused(Refusal::on(
                    "not_verified",
                    "widget_session_id",
                )))?;
            let told: BTreeMap<String, String> =
                serde_json::from_str(&session.payload).unwrap_or_default();
            for (k, v) in &told {
                if let Some(given) = a.comparable.get(k)
                    && !given.eq_ignore_ascii_case(v)
                {
                    return Err(Refusal::on("not_verified", "widget_session_id").into());
                }
            }
        }
        let existing = self
            .store
            .flexiti_search(
                &t.merchant_id,
                t.mode.as_str(),
                &a.first_name,
                &a.last_name,
                &a.dob,
                None,
            )
            .await?;
        if !existing.is_empty() {
            return refuse("customer_already_exists");
        }
        let decision = fin::sandbox_decision(&a.last_name, a.annual_income);
        let application_id = crate::ids::guid();
        let record = |status: &str, account: Option<String>| FlexitiApplicationRow {
            id: application_id.clone(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            status: status.to_string(),
            account_number: account,
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            dob: a.dob.clone(),
            request_id: a.store.request_id.clone(),
            created_at: micros(now),
        };
        let (credit_limit, rating) = match decision {
            ApplicationDecision::ProviderError => return refuse("application_create_error"),
            ApplicationDecision::Declined | ApplicationDecision::Pending => {
                let declined = decision == ApplicationDecision::Declined;
                let mut tx = self.store.begin().await?;
                Store::insert_flexiti_application(
                    &mut tx,
                    &record(if declined { "declined" } else { "pending" }, None),
                )
                .await?;
                tx.commit().await?;
                if declined {
                    return refuse("application_declined");
                }
                return Ok(ApplicationOutcome::Pending { application_id });
            }
            ApplicationDecision::Approved {
                credit_limit,
                risk_rating,
            } => (credit_limit, risk_rating),
        };
        for _ in 0..5 {
            let account_number = numeric_id(10)?.to_string();
            let customer_id = numeric_id(9)?.to_string();
            let seed = numeric_id(15)? as u64;
            let vcc = new_vcc(seed);
            let mut row = self.flexiti_row(t, account_number.clone(), customer_id, Some(&vcc));
            row.first_name = a.first_name.clone();
            row.last_name = a.last_name.clone();
            row.dob = a.dob.clone();
            row.postal_code = a.postal_code.clone();
            row.province = a.province.as_str().into();
            row.risk_rating = rating.as_str().into();
            row.account_type = a.account_type.clone();
            row.credit_limit = credit_limit;
            row.available_credit = credit_limit;
            row.phone = Some(a.phone.clone());
            row.email = Some(a.email.clone());
            row.address_1 = Some(a.address_1.clone());
            row.address_2 = a.address_2.clone();
            row.city = Some(a.city.clone());
            row.preferred_language = a.preferred_language.clone();
            row.security_qid = a.security_qid;
            row.security_answer_hash = a
                .security_answer
                .as_ref()
                .map(|s| self.answer_hash(&account_number, s.expose()));
            let mut tx = self.store.begin().await?;
            match Store::insert_flexiti_account(&mut tx, &row).await {
                Err(StoreError::Conflict) => continue,
                r => r?,
            }
            Store::insert_flexiti_application(&mut tx, &record("approved", Some(account_number)))
                .await?;
            tx.commit().await?;
            metrics::counter!("openflex_flexiti_applications_total", "status" => "approved")
                .increment(1);
            return Ok(ApplicationOutcome::Approved {
                application_id,
                account: Box::new(Account::of(row, &c.merchant_name)),
                vcc_number: Secret::new(vcc),
            });
        }
        Err(EngineError::Internal("could not allocate an account number".into()).into())
    }

    /// `accounts/{n}/close`: closes the account for good; open authorizations are released.
    pub async fn flexiti_close(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
    ) -> FlexitiResult<()> {
        let t = &c.tenant;
        let row = self
            .flexiti_account_for(c, account_number, None, "not_found")
            .await?;
        if AccountStatus::parse(&row.status) == Some(AccountStatus::Closed) {
            return refuse("user_not_active");
        }
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let open = Store::flexiti_lock_open_authorizations(
            &mut tx,
            &t.merchant_id,
            t.mode.as_str(),
            account_number,
        )
        .await?;
        let mut acct =
            Store::flexiti_lock_account(&mut tx, &t.merchant_id, t.mode.as_str(), account_number)
                .await?
                .ok_or(FlexitiFail::Refused(Refusal::new("not_found")))?;
        for mut auth in open {
            acct.held -= auth.held;
            acct.available_credit += auth.held;
            auth.released_amount = auth.amount - auth.captured_amount;
            auth.held = 0;
            auth.status = if auth.captured_amount > 0 {
                "closed"
            } else {
                "released"
            }
            .into();
            auth.updated_at = now;
            Store::flexiti_save_authorization(&mut tx, &auth).await?;
        }
        acct.status = AccountStatus::Closed.code().into();
        acct.updated_at = now;
        Store::flexiti_save_account(&mut tx, &acct).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The deprecated `merchants/login`: the client's own credentials → merchant and plans.
    pub async fn flexiti_merchant_login(
        &self,
        c: &FlexitiCaller,
        username: &str,
        password: &str,
    ) -> FlexitiResult<Vec<Plan>> {
        let ok = self
            .flexiti_client_matches(username, password, &c.tenant.merchant_id)
            .await?;
        if !ok {
            return refuse("authentication_failure");
        }
        Ok(c.tenant.flexiti.plans.clone())
    }
}

/// Operator account management (admin API and CLI).
impl Engine {
    fn admin_view(&self, row: FlexitiAccountRow) -> AdminAccount {
        let vcc = (row.mode == Mode::Sandbox.as_str())
            .then(|| fin::sandbox_vcc(&row.account_number))
            .filter(|v| {
                row.vcc_fingerprint.as_deref() == Some(&self.vcc_fingerprint(&row.merchant_id, v))
            });
        AdminAccount {
            credit_limit: dollars(row.credit_limit),
            available_credit: dollars(row.available_credit),
            held: dollars(row.held),
            balance: dollars(row.balance),
            account_number: row.account_number,
            customer_id: row.customer_id,
            first_name: row.first_name,
            last_name: row.last_name,
            dob: row.dob,
            postal_code: row.postal_code,
            province: row.province,
            risk_rating: row.risk_rating,
            status: AccountStatus::parse(&row.status).unwrap_or(AccountStatus::Frozen),
            account_type: row.account_type,
            card_ending_in: row.card_ending_in,
            vcc_number: vcc,
            phone: row.phone,
        }
    }

    async fn admin_tenant(&self, merchant_id: &str, mode: Mode) -> crate::Result<Tenant> {
        let m = self
            .store
            .merchant(merchant_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        Ok(Tenant::of(&m, mode))
    }

    pub async fn flexiti_admin_accounts(
        &self,
        merchant_id: &str,
        mode: Mode,
    ) -> crate::Result<Vec<AdminAccount>> {
        self.admin_tenant(merchant_id, mode).await?;
        Ok(self
            .store
            .flexiti_accounts(merchant_id, mode.as_str())
            .await?
            .into_iter()
            .map(|r| self.admin_view(r))
            .collect())
    }

    /// Creates an account; the answer carries its card number (the only time it is shown).
    pub async fn flexiti_admin_create_account(
        &self,
        merchant_id: &str,
        mode: Mode,
        n: NewCustomer,
    ) -> crate::Result<AdminAccount> {
        let t = self.admin_tenant(merchant_id, mode).await?;
        let text_ok = |s: &str, max: usize| {
            !s.trim().is_empty() && s.chars().count() <= max && !s.contains('\0')
        };
        if !text_ok(&n.first_name, 35) || !text_ok(&n.last_name, 50) {
            return Err(EngineError::Invalid(
                "firstName (≤35) and lastName (≤50) are required".into(),
            ));
        }
        if time::Date::parse(
            &n.dob,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
        {
            return Err(EngineError::Invalid("dob must be YYYY-MM-DD".into()));
        }
        if n.account_type != "consumer" && n.account_type != "business" {
            return Err(EngineError::Invalid(
                "accountType must be consumer or business".into(),
            ));
        }
        if !(0..=1_000_000_000).contains(&n.credit_limit) {
            return Err(EngineError::Invalid(
                "creditLimit must be 0 to 1000000000 (minor units)".into(),
            ));
        }
        if !text_ok(&n.postal_code, 7) {
            return Err(EngineError::Invalid("postalCode is required (≤7)".into()));
        }
        for _ in 0..5 {
            let account_number = numeric_id(10)?.to_string();
            let vcc = new_vcc(numeric_id(15)? as u64);
            let mut row =
                self.flexiti_row(&t, account_number, numeric_id(9)?.to_string(), Some(&vcc));
            row.first_name = n.first_name.trim().into();
            row.last_name = n.last_name.trim().into();
            row.dob = n.dob.clone();
            row.postal_code = n.postal_code.replace(' ', "").to_uppercase();
            row.province = n.province.as_str().into();
            row.risk_rating = n.risk_rating.as_str().into();
            row.status = n.status.code().into();
            row.account_type = n.account_type.clone();
            row.credit_limit = n.credit_limit;
            row.available_credit = n.credit_limit;
            row.phone = n.phone.clone();
            row.email = n.email.clone();
            row.city = n.city.clone();
            row.address_1 = n.address1.clone();
            row.preferred_language = n.preferred_language.clone();
            row.security_qid = Some(fin::SANDBOX_SECURITY_QID);
            row.security_answer_hash =
                Some(self.answer_hash(&row.account_number, fin::SANDBOX_SECURITY_ANSWER));
            let mut tx = self.store.begin().await?;
            match Store::insert_flexiti_account(&mut tx, &row).await {
                Err(StoreError::Conflict) => continue,
                r => r?,
            }
            tx.commit().await?;
            let mut view = self.admin_view(row);
            view.vcc_number = Some(vcc);
            return Ok(view);
        }
        Err(EngineError::Internal(
            "could not allocate an account number".into(),
        ))
    }

    pub async fn flexiti_admin_update_account(
        &self,
        merchant_id: &str,
        mode: Mode,
        account_number: &str,
        change: AccountChange,
    ) -> crate::Result<AdminAccount> {
        let t = self.admin_tenant(merchant_id, mode).await?;
        let row = self
            .store
            .flexiti_account_by(
                merchant_id,
                mode.as_str(),
                openflex_store::FlexitiAccountKey::AccountNumber,
                account_number,
            )
            .await?
            .ok_or(EngineError::NotFound)?;
        let status = change
            .status
            .map_or_else(|| row.status.clone(), |s| s.code().to_string());
        let limit = change.credit_limit.unwrap_or(row.credit_limit);
        if !(0..=1_000_000_000).contains(&limit) {
            return Err(EngineError::Invalid(
                "creditLimit must be 0 to 1000000000 (minor units)".into(),
            ));
        }
        let rating = change
            .risk_rating
            .map(|r| r.as_str().to_string())
            .unwrap_or(row.risk_rating.clone());
        let now = micros(self.now_for(&t));
        match self
            .store
            .flexiti_update_account_profile(
                merchant_id,
                mode.as_str(),
                account_number,
                &status,
                limit,
                &rating,
                now,
            )
            .await?
        {
            None => Err(EngineError::NotFound),
            Some(false) => Err(EngineError::Invalid(
                "creditLimit is below what the account holds and owes".into(),
            )),
            Some(true) => {
                let row = self
                    .store
                    .flexiti_account_by(
                        merchant_id,
                        mode.as_str(),
                        openflex_store::FlexitiAccountKey::AccountNumber,
                        account_number,
                    )
                    .await?
                    .ok_or(EngineError::NotFound)?;
                Ok(self.admin_view(row))
            }
        }
    }
}
