//! The credit ledger: authorizations hold credit, captures turn holds into balance, releases
//! and expiry give holds back, returns and refunds credit the account, in-store payments pay
//! it down. Each use case is one database transaction that locks the rows it changes (capture
//! → authorization → account), re-checks every rule on the locked values, and writes.
//!
//! Financing cost: a promotional purchase holds its amount plus the plan's total cost of
//! borrowing (interest and admin fee) so the customer can never be approved for more than they
//! can repay within the limit. Partial captures and releases take a proportional share of that
//! cost (`cost_share`), and the one that completes the authorization takes what is left, so
//! the shares always add up to the cent.

use super::{Account, FxCaller, FxFail, FxResult, Refusal, numeric_id, purchasable, refuse};
use crate::idempotency::Seal;
use crate::scheduler::{self, JobResult};
use crate::{Engine, Result, Tenant, from_micros, micros};
use openflex_domain::Secret;
use openflex_domain::financing::{self as fin};
use openflex_store::{
    FxAccountRow, FxAuthorizationRow, FxCaptureRow, FxListQuery, FxTransactionRow, Store, Tx,
};
use time::OffsetDateTime;

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
    pub sku_data: Option<serde_json::Value>,
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

impl From<&FxCaptureRow> for Capture {
    fn from(r: &FxCaptureRow) -> Self {
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
    pub sku_data: Option<serde_json::Value>,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub captures: Vec<Capture>,
}

impl Authorization {
    fn of(r: &FxAuthorizationRow, captures: Vec<Capture>) -> Self {
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
            sku_data: r
                .sku_data
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
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
    pub sku_data: Option<serde_json::Value>,
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
    pub sku_data: Option<serde_json::Value>,
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

/// Commits `tx` and, when the request came with an idempotency key, its answer for `out` in the
/// same transaction; a claim taken over by a retry meanwhile rolls the movement back.
async fn commit_answering<T>(
    mut tx: Tx,
    t: &Tenant,
    seal: Option<&Seal<T>>,
    out: &T,
) -> FxResult<()> {
    if let Some(s) = seal
        && !s.write(&mut tx, t, out).await?
    {
        return refuse("idempotency_in_progress");
    }
    tx.commit().await?;
    Ok(())
}

async fn capture_views_in(tx: &mut Tx, authorization_id: i64) -> Result<Vec<Capture>> {
    Ok(Store::fx_captures_in(tx, authorization_id)
        .await?
        .iter()
        .map(Capture::from)
        .collect())
}

fn store_json(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

async fn lock_account(tx: &mut Tx, t: &Tenant, account: &str) -> FxResult<FxAccountRow> {
    Store::fx_lock_account(tx, &t.merchant_id, t.mode.as_str(), account)
        .await?
        .ok_or_else(|| FxFail::Refused(Refusal::new("not_found")))
}

/// Moves `by` of credit: positive holds/debits reduce availability, negative ones restore it.
fn apply(a: &mut FxAccountRow, d_held: i64, d_balance: i64, now: i64) -> FxResult<()> {
    let held = a.held + d_held;
    let balance = a.balance + d_balance;
    let available = a.credit_limit - held - balance;
    if held < 0 || available < 0 {
        return refuse("credit_exceeded");
    }
    a.held = held;
    a.balance = balance;
    a.available_credit = available;
    a.updated_at = now;
    Ok(())
}

impl Engine {
    fn fx_in_store_checks(&self, c: &FxCaller, s: &InStore) -> FxResult<()> {
        if !c
            .tenant
            .flexiti
            .location_known(s.external_location_id.as_deref())
        {
            return Err(
                Refusal::on("external_location_id_not_found", "external_location_id").into(),
            );
        }
        Ok(())
    }

    fn fx_account_type_ok(&self, c: &FxCaller, account_type: &str) -> FxResult<()> {
        if c.tenant
            .flexiti
            .account_types
            .iter()
            .any(|t| t == account_type)
        {
            Ok(())
        } else {
            refuse("account_type_not_permitted")
        }
    }

    /// Finds the verification a PIN belongs to (before the write transaction consumes it).
    async fn fx_match_pin(
        &self,
        c: &FxCaller,
        account_number: &str,
        code: Option<&Secret<String>>,
        request_id: Option<&str>,
        purchase: Option<(PurchaseType, i64)>,
    ) -> FxResult<String> {
        let Some(code) = code.filter(|c| !c.expose().trim().is_empty()) else {
            return Err(Refusal::on("verification_code_required", "verification_code").into());
        };
        let now = micros(self.now_for(&c.tenant));
        let hash = self.pin_hash(account_number, code.expose());
        let live = self
            .store
            .fx_live_verifications(
                &c.tenant.merchant_id,
                c.tenant.mode.as_str(),
                account_number,
                now,
            )
            .await?;
        let matching: Vec<_> = live
            .into_iter()
            .filter(|v| openflex_vault::constant_time_eq(v.code_hash.as_bytes(), hash.as_bytes()))
            .collect();
        if matching.is_empty() {
            self.store
                .fx_pin_failed(
                    &c.tenant.merchant_id,
                    c.tenant.mode.as_str(),
                    account_number,
                    now,
                    super::PIN_MAX_FAILURES,
                )
                .await?;
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        let Some(v) = matching
            .into_iter()
            .find(|v| v.request_id.as_deref() == request_id)
        else {
            return Err(Refusal::on("not_verified", "request_id").into());
        };
        if v.format == "regular_purchase_bypass" {
            let ok = matches!(purchase, Some((PurchaseType::Regular, amount)) if fin::regular_bypass_allowed(0, amount));
            if !ok {
                return Err(Refusal::on("not_verified", "verification_code").into());
            }
        }
        Ok(v.id)
    }

    /// `POST /authorization`: a purchase, held or (with `auto_capture`) captured at once.
    pub async fn fx_authorize(
        &self,
        c: &FxCaller,
        req: AuthorizeRequest,
        seal: Option<Seal<Authorized>>,
    ) -> FxResult<Authorized> {
        let t = &c.tenant;
        let row = self
            .fx_account_for(
                c,
                &req.account_number,
                req.vcc.as_ref(),
                "customer_identity_not_found",
            )
            .await?;
        let account = Account::of(row, &c.merchant_name);
        purchasable(&account)?;
        self.fx_account_type_ok(c, &account.account_type)?;
        self.fx_in_store_checks(c, &req.store)?;
        if !req.auto_capture && !t.flexiti.pre_auth_enabled {
            return Err(Refusal::on("auth_not_allowed", "auto_capture").into());
        }
        let (plan_id, term, apr_bp, payment, cost) = match req.purchase {
            PurchaseType::Regular => {
                let q = fin::regular_quote(account.risk_rating, req.amount);
                (None, None, q.apr_bp, q.payment, q.financing_cost)
            }
            PurchaseType::Promotional => {
                let (Some(plan_id), Some(term)) = (req.plan_id, req.term) else {
                    let field = if req.plan_id.is_none() {
                        "plan_id"
                    } else {
                        "term"
                    };
                    return Err(Refusal::on("plan_term_not_set", field).into());
                };
                let plan = t
                    .flexiti
                    .plan(plan_id)
                    .filter(|p| p.terms.contains(&term))
                    .filter(|p| p.offered_to(account.risk_rating, account.province, req.amount))
                    .ok_or(FxFail::Refused(Refusal::on(
                        "plan_term_not_available",
                        "plan_id",
                    )))?;
                let q = fin::quote(plan, term, req.amount, account.province);
                (
                    Some(plan_id),
                    Some(i64::from(term)),
                    q.apr_bp,
                    q.payment,
                    q.financing_cost,
                )
            }
        };
        let in_store = req.store.external_location_id.is_some();
        let pin = if in_store {
            Some(
                self.fx_match_pin(
                    c,
                    &account.account_number,
                    req.verification_code.as_ref(),
                    req.store.request_id.as_deref(),
                    Some((req.purchase, req.amount)),
                )
                .await?,
            )
        } else {
            None
        };
        let hold = req.amount + cost;
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let expires = now_t + time::Duration::days(fin::AUTHORIZATION_TTL_DAYS);
        let mut auth = FxAuthorizationRow {
            id: numeric_id(15)?,
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            account_number: account.account_number.clone(),
            transaction_type: req.purchase.as_str().to_string(),
            plan_id,
            term,
            apr_bp: i64::from(apr_bp),
            payment,
            amount: req.amount,
            financing_cost: cost,
            captured_amount: 0,
            captured_cost: 0,
            released_amount: 0,
            held: hold,
            status: "opened".into(),
            auto_capture: req.auto_capture,
            reference: req.reference.clone(),
            request_id: req.store.request_id.clone(),
            external_location_id: req.store.external_location_id.clone(),
            external_employee_id: req.store.external_employee_id.clone(),
            sku_data: store_json(&req.sku_data),
            expires_at: micros(expires),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        let mut acct = lock_account(&mut tx, t, &account.account_number).await?;
        if acct.status != "N" {
            return refuse(if acct.status == "C" {
                "user_not_active"
            } else {
                "user_not_able_to_purchase"
            });
        }
        apply(&mut acct, hold, 0, now)?;
        if let Some(pin) = &pin
            && !Store::fx_use_verification(&mut tx, pin, now).await?
        {
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        let capture = if req.auto_capture {
            auth.captured_amount = req.amount;
            auth.captured_cost = cost;
            auth.held = 0;
            auth.status = "closed".into();
            apply(&mut acct, -hold, hold, now)?;
            acct.captured_total += req.amount;
            Some(FxCaptureRow {
                id: numeric_id(15)?,
                authorization_id: auth.id,
                merchant_id: t.merchant_id.clone(),
                mode: t.mode.as_str().to_string(),
                account_number: acct.account_number.clone(),
                transaction_type: auth.transaction_type.clone(),
                amount: req.amount,
                financing_cost: cost,
                returned_amount: 0,
                returned_cost: 0,
                reference: req.reference.clone(),
                external_location_id: req.store.external_location_id.clone(),
                sku_data: store_json(&req.sku_data),
                created_at: now,
            })
        } else {
            None
        };
        Store::insert_fx_authorization(&mut tx, &auth).await?;
        if let Some(cap) = &capture {
            Store::insert_fx_capture(&mut tx, cap).await?;
        } else {
            self.enqueue(
                &mut tx,
                t,
                scheduler::kind::FX_AUTHORIZATION_EXPIRY,
                serde_json::json!({"authorizationId": auth.id}),
                expires,
            )
            .await?;
        }
        Store::fx_save_account(&mut tx, &acct).await?;
        let capture = capture.as_ref().map(Capture::from);
        let out = Authorized {
            authorization: Authorization::of(&auth, capture.iter().cloned().collect()),
            capture,
            available_credit: acct.available_credit,
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        metrics::counter!("openflex_flexiti_authorizations_total", "type" => auth.transaction_type.clone()).increment(1);
        Ok(out)
    }

    /// The cost share a partial movement of `part` takes from what the authorization still
    /// holds; the movement that completes the authorization takes all of it.
    fn hold_share(a: &FxAuthorizationRow, part: i64) -> i64 {
        let remaining = a.amount - a.captured_amount - a.released_amount;
        let remaining_cost = a.held - remaining;
        if part == remaining {
            remaining_cost
        } else {
            fin::cost_share(a.financing_cost, part, a.amount).min(remaining_cost)
        }
    }

    async fn fx_lock_open(&self, tx: &mut Tx, t: &Tenant, id: i64) -> FxResult<FxAuthorizationRow> {
        let a = Store::fx_lock_authorization(tx, &t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(FxFail::Refused(Refusal::on(
                "not_found",
                "authorization_id",
            )))?;
        if a.status != "opened" {
            return Err(Refusal::on("authorization_not_open", "authorization_id").into());
        }
        Ok(a)
    }

    /// `POST /authorization/{id}/capture`: turns `amount` of the hold into balance.
    pub async fn fx_capture(
        &self,
        c: &FxCaller,
        id: i64,
        amount: i64,
        reference: Option<String>,
        sku_data: Option<serde_json::Value>,
        seal: Option<Seal<Captured>>,
    ) -> FxResult<Captured> {
        let t = &c.tenant;
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let mut auth = self.fx_lock_open(&mut tx, t, id).await?;
        let remaining = auth.amount - auth.captured_amount - auth.released_amount;
        if amount > remaining {
            return Err(Refusal::on("authorization_amount_exceeded", "amount").into());
        }
        let share = Self::hold_share(&auth, amount);
        let mut acct = lock_account(&mut tx, t, &auth.account_number).await?;
        apply(&mut acct, -(amount + share), amount + share, now)?;
        acct.captured_total += amount;
        auth.captured_amount += amount;
        auth.captured_cost += share;
        auth.held -= amount + share;
        auth.updated_at = now;
        if amount == remaining {
            auth.status = "closed".into();
        }
        let cap = FxCaptureRow {
            id: numeric_id(15)?,
            authorization_id: auth.id,
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            account_number: auth.account_number.clone(),
            transaction_type: auth.transaction_type.clone(),
            amount,
            financing_cost: share,
            returned_amount: 0,
            returned_cost: 0,
            reference,
            external_location_id: auth.external_location_id.clone(),
            sku_data: store_json(&sku_data),
            created_at: now,
        };
        Store::insert_fx_capture(&mut tx, &cap).await?;
        Store::fx_save_authorization(&mut tx, &auth).await?;
        Store::fx_save_account(&mut tx, &acct).await?;
        let captures = capture_views_in(&mut tx, auth.id).await?;
        let out = Captured {
            capture: Capture::from(&cap),
            authorization: Authorization::of(&auth, captures),
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    /// `POST /authorization/{id}/release`: gives back `amount` (all of the rest when `None`).
    pub async fn fx_release(
        &self,
        c: &FxCaller,
        id: i64,
        amount: Option<i64>,
        seal: Option<Seal<Released>>,
    ) -> FxResult<Released> {
        let t = &c.tenant;
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let mut auth = self.fx_lock_open(&mut tx, t, id).await?;
        let released = Self::release_into(&mut tx, t, &mut auth, amount, "released", now).await?;
        let captures = capture_views_in(&mut tx, auth.id).await?;
        let out = Released {
            released_amount: released,
            authorization: Authorization::of(&auth, captures),
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    async fn release_into(
        tx: &mut Tx,
        t: &Tenant,
        auth: &mut FxAuthorizationRow,
        amount: Option<i64>,
        final_status: &str,
        now: i64,
    ) -> FxResult<i64> {
        let remaining = auth.amount - auth.captured_amount - auth.released_amount;
        let amount = amount.unwrap_or(remaining);
        if amount > remaining {
            return Err(Refusal::on("authorization_amount_exceeded", "amount").into());
        }
        let back = amount + Self::hold_share(auth, amount);
        let mut acct = lock_account(tx, t, &auth.account_number).await?;
        apply(&mut acct, -back, 0, now)?;
        auth.released_amount += amount;
        auth.held -= back;
        auth.updated_at = now;
        if amount == remaining {
            auth.status = if final_status == "expired" {
                "expired".into()
            } else if auth.captured_amount > 0 {
                "closed".into()
            } else {
                "released".into()
            };
        }
        Store::fx_save_authorization(tx, auth).await?;
        Store::fx_save_account(tx, &acct).await?;
        Ok(amount)
    }

    /// The expiry job: an authorization still open after 30 days gives its hold back.
    pub(crate) async fn fx_authorization_expiry(&self, t: &Tenant, id: i64) -> Result<JobResult> {
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let Some(mut auth) =
            Store::fx_lock_authorization(&mut tx, &t.merchant_id, t.mode.as_str(), id).await?
        else {
            return Ok(JobResult::Done("no such authorization".into()));
        };
        if auth.status != "opened" {
            return Ok(JobResult::Done(format!("authorization is {}", auth.status)));
        }
        if auth.expires_at > now {
            return Ok(JobResult::NotDue(from_micros(auth.expires_at)));
        }
        let released = match Self::release_into(&mut tx, t, &mut auth, None, "expired", now).await {
            Ok(r) => r,
            Err(FxFail::Engine(e)) => return Err(e),
            Err(FxFail::Refused(r)) => return Ok(JobResult::Retry(r.code.to_string())),
        };
        tx.commit().await?;
        Ok(JobResult::Done(format!(
            "authorization {id} expired; {released} released"
        )))
    }

    /// `POST /authorization/{a}/capture/{c}/return`: credits the account for goods returned
    /// within 100 days of a promotional capture.
    pub async fn fx_return(
        &self,
        c: &FxCaller,
        authorization_id: i64,
        capture_id: i64,
        req: ReturnRequest,
        seal: Option<Seal<Returned>>,
    ) -> FxResult<Returned> {
        let t = &c.tenant;
        self.fx_in_store_checks(c, &req.store)?;
        if let Some(e) = &req.store.external_employee_id
            && t.flexiti.return_denied_employees.iter().any(|d| d == e)
        {
            return Err(Refusal::on("not_permitted", "external_employee_id").into());
        }
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let mut tx = self.store.begin().await?;
        let mut cap = Store::fx_lock_capture(&mut tx, &t.merchant_id, t.mode.as_str(), capture_id)
            .await?
            .filter(|cap| cap.authorization_id == authorization_id)
            .ok_or(FxFail::Refused(Refusal::on("not_found", "capture_id")))?;
        if cap.transaction_type != "promotional_purchase" {
            return Err(Refusal::on("wrong_transaction_type", "capture_id").into());
        }
        if !fin::return_allowed(from_micros(cap.created_at), now_t) {
            return refuse("return_date_exceeded");
        }
        let remaining = cap.amount - cap.returned_amount;
        let amount = if req.full_return {
            remaining
        } else {
            req.amount.unwrap_or(0)
        };
        if amount <= 0 || amount > remaining {
            return Err(Refusal::on("capture_amount_exceeded", "amount").into());
        }
        let cost = if amount == remaining {
            cap.financing_cost - cap.returned_cost
        } else {
            fin::cost_share(cap.financing_cost, amount, cap.amount)
                .min(cap.financing_cost - cap.returned_cost)
        };
        let auth = Store::fx_lock_authorization(
            &mut tx,
            &t.merchant_id,
            t.mode.as_str(),
            authorization_id,
        )
        .await?
        .ok_or(FxFail::Refused(Refusal::on(
            "not_found",
            "authorization_id",
        )))?;
        let mut acct = lock_account(&mut tx, t, &cap.account_number).await?;
        if let Some(vcc) = &req.vcc {
            let fp = self.vcc_fingerprint(&t.merchant_id, vcc.expose());
            if acct.vcc_fingerprint.as_deref() != Some(fp.as_str()) {
                return Err(Refusal::on("vcc_account_mismatch", "vcc_number").into());
            }
        }
        if acct.credited_total + amount > acct.captured_total {
            return Err(Refusal::on("capture_amount_exceeded", "amount").into());
        }
        apply(&mut acct, 0, -(amount + cost), now)?;
        acct.credited_total += amount;
        cap.returned_amount += amount;
        cap.returned_cost += cost;
        let id = numeric_id(15)?;
        Store::insert_fx_transaction(
            &mut tx,
            &FxTransactionRow {
                id,
                merchant_id: t.merchant_id.clone(),
                mode: t.mode.as_str().to_string(),
                account_number: cap.account_number.clone(),
                kind: "return".into(),
                amount,
                cost,
                authorization_id: Some(authorization_id),
                capture_id: Some(capture_id),
                reference: req.reference.clone(),
                request_id: req.store.request_id.clone(),
                external_location_id: req.store.external_location_id.clone(),
                external_employee_id: req.store.external_employee_id.clone(),
                sku_data: store_json(&req.sku_data),
                created_at: now,
            },
        )
        .await?;
        Store::fx_save_capture(&mut tx, &cap).await?;
        Store::fx_save_account(&mut tx, &acct).await?;
        let captures = capture_views_in(&mut tx, authorization_id).await?;
        let out = Returned {
            return_id: id,
            amount,
            reference: req.reference,
            capture: Capture::from(&cap),
            authorization: Authorization::of(&auth, captures),
            created_at: now_t,
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    /// `POST /accounts/{n}/refund`: credits the account, against one capture or against what
    /// the account bought here and has not yet had back.
    pub async fn fx_refund(
        &self,
        c: &FxCaller,
        account_number: &str,
        req: RefundRequest,
        seal: Option<Seal<Posted>>,
    ) -> FxResult<Posted> {
        let t = &c.tenant;
        let row = self
            .fx_account_for(c, account_number, req.vcc.as_ref(), "not_found")
            .await?;
        self.fx_account_type_ok(c, &row.account_type)?;
        self.fx_in_store_checks(c, &req.store)?;
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let mut tx = self.store.begin().await?;
        let mut cost = 0;
        let mut cap = None;
        if let Some(cid) = req.capture_id {
            let mut k = Store::fx_lock_capture(&mut tx, &t.merchant_id, t.mode.as_str(), cid)
                .await?
                .filter(|k| k.account_number == account_number)
                .ok_or(FxFail::Refused(Refusal::on("not_found", "capture_id")))?;
            let remaining = k.amount - k.returned_amount;
            if req.amount > remaining {
                return Err(Refusal::on("refunds_limit_exceeded_amount", "amount").into());
            }
            cost = if req.amount == remaining {
                k.financing_cost - k.returned_cost
            } else {
                fin::cost_share(k.financing_cost, req.amount, k.amount)
                    .min(k.financing_cost - k.returned_cost)
            };
            k.returned_amount += req.amount;
            k.returned_cost += cost;
            cap = Some(k);
        }
        let mut acct = lock_account(&mut tx, t, account_number).await?;
        if acct.credited_total + req.amount > acct.captured_total {
            return Err(Refusal::on("refunds_limit_exceeded_amount", "amount").into());
        }
        apply(&mut acct, 0, -(req.amount + cost), now)?;
        acct.credited_total += req.amount;
        let id = numeric_id(15)?;
        Store::insert_fx_transaction(
            &mut tx,
            &FxTransactionRow {
                id,
                merchant_id: t.merchant_id.clone(),
                mode: t.mode.as_str().to_string(),
                account_number: account_number.to_string(),
                kind: "refund".into(),
                amount: req.amount,
                cost,
                authorization_id: cap.as_ref().map(|k| k.authorization_id),
                capture_id: req.capture_id,
                reference: req.reference.clone(),
                request_id: req.store.request_id.clone(),
                external_location_id: req.store.external_location_id.clone(),
                external_employee_id: req.store.external_employee_id.clone(),
                sku_data: store_json(&req.sku_data),
                created_at: now,
            },
        )
        .await?;
        if let Some(k) = &cap {
            Store::fx_save_capture(&mut tx, k).await?;
        }
        Store::fx_save_account(&mut tx, &acct).await?;
        let out = Posted {
            transaction_id: id,
            kind: "refund".into(),
            account_number: account_number.to_string(),
            amount: req.amount,
            capture_id: req.capture_id,
            available_credit: acct.available_credit,
            created_at: now_t,
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    /// `POST /transactions`: an in-store deposit (a debit), payment or trade-in (credits).
    pub async fn fx_post(
        &self,
        c: &FxCaller,
        req: SideRequest,
        seal: Option<Seal<Posted>>,
    ) -> FxResult<Posted> {
        let t = &c.tenant;
        let row = self
            .fx_account_for(c, &req.account_number, req.vcc.as_ref(), "not_found")
            .await?;
        let account = Account::of(row, &c.merchant_name);
        if account.status == openflex_domain::financing::AccountStatus::Closed {
            return refuse("user_not_active");
        }
        if req.kind == SideKind::Deposit {
            purchasable(&account)?;
        }
        self.fx_account_type_ok(c, &account.account_type)?;
        self.fx_in_store_checks(c, &req.store)?;
        let pin = self
            .fx_match_pin(
                c,
                &account.account_number,
                req.verification_code.as_ref(),
                req.store.request_id.as_deref(),
                None,
            )
            .await?;
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let mut tx = self.store.begin().await?;
        let mut acct = lock_account(&mut tx, t, &account.account_number).await?;
        match req.kind {
            SideKind::Deposit => {
                if acct.available_credit < req.amount {
                    return refuse("not_enough_credit");
                }
                apply(&mut acct, 0, req.amount, now)?;
            }
            SideKind::InstorePayment | SideKind::Tradein => {
                let since = now - 24 * 3600 * 1_000_000;
                let paid = Store::fx_sum_since(
                    &mut tx,
                    &t.merchant_id,
                    t.mode.as_str(),
                    &acct.account_number,
                    &["instore_payment", "tradein"],
                    since,
                )
                .await?;
                if paid + req.amount > fin::DAILY_PAYMENT_LIMIT {
                    return Err(Refusal::on("limit_payment_amount_24", "amount").into());
                }
                apply(&mut acct, 0, -req.amount, now)?;
                // Arrears holds lift themselves once the account is paid up.
                if acct.status == "A" && acct.balance <= 0 {
                    acct.status = "N".into();
                }
            }
        }
        if !Store::fx_use_verification(&mut tx, &pin, now).await? {
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        let id = numeric_id(15)?;
        Store::insert_fx_transaction(
            &mut tx,
            &FxTransactionRow {
                id,
                merchant_id: t.merchant_id.clone(),
                mode: t.mode.as_str().to_string(),
                account_number: acct.account_number.clone(),
                kind: req.kind.as_str().into(),
                amount: req.amount,
                cost: 0,
                authorization_id: None,
                capture_id: None,
                reference: req.reference.clone(),
                request_id: req.store.request_id.clone(),
                external_location_id: req.store.external_location_id.clone(),
                external_employee_id: req.store.external_employee_id.clone(),
                sku_data: None,
                created_at: now,
            },
        )
        .await?;
        Store::fx_save_account(&mut tx, &acct).await?;
        let out = Posted {
            transaction_id: id,
            kind: req.kind.as_str().into(),
            account_number: acct.account_number,
            amount: req.amount,
            capture_id: None,
            available_credit: acct.available_credit,
            created_at: now_t,
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    async fn fx_capture_views(&self, authorization_id: i64) -> Result<Vec<Capture>> {
        Ok(self
            .store
            .fx_captures_of(authorization_id)
            .await?
            .iter()
            .map(Capture::from)
            .collect())
    }

    /// `GET /authorization/{id}`.
    pub async fn fx_authorization_get(&self, c: &FxCaller, id: i64) -> FxResult<Authorization> {
        let t = &c.tenant;
        let row = self
            .store
            .fx_authorization(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(FxFail::Refused(Refusal::on(
                "not_found",
                "authorization_id",
            )))?;
        let captures = self.fx_capture_views(id).await?;
        Ok(Authorization::of(&row, captures))
    }

    /// `GET /authorizations`: a page (newest first) and the total matching.
    pub async fn fx_authorizations(
        &self,
        c: &FxCaller,
        q: &FxListQuery,
    ) -> Result<(Vec<Authorization>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .fx_authorizations_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Authorization::of(r, self.fx_capture_views(r.id).await?));
        }
        Ok((out, total))
    }

    /// `GET /captures`: a page (newest first) and the total matching.
    pub async fn fx_captures(&self, c: &FxCaller, q: &FxListQuery) -> Result<(Vec<Capture>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .fx_captures_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        Ok((rows.iter().map(Capture::from).collect(), total))
    }
}
