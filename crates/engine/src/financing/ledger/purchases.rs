//! Purchases and their holds: authorize, capture, release and the 30-day expiry. Kept together
//! because they share the hold's financing-cost shares (`hold_share`), which must add up to
//! the cent across all of them.

use super::{
    Authorization, AuthorizeRequest, Authorized, Capture, Captured, OpaqueJson, PurchaseType,
    Released, apply, capture_views_in, commit_answering, lock_account, store_json,
};
use crate::financing::{
    Account, FlexitiCaller, FlexitiFail, FlexitiResult, Refusal, numeric_id, purchasable, refuse,
};
use crate::idempotency::Seal;
use crate::scheduler::{self, JobResult};
use crate::{Engine, Result, Tenant, from_micros, micros};
use openflex_domain::financing::{self as fin, AccountStatus};
use openflex_store::{FlexitiAuthorizationRow, FlexitiCaptureRow, Store, Tx};

impl Engine {
    /// `POST /authorization`: a purchase, held or (with `auto_capture`) captured at once.
    pub async fn flexiti_authorize(
        &self,
        c: &FlexitiCaller,
        req: AuthorizeRequest,
        seal: Option<Seal<Authorized>>,
    ) -> FlexitiResult<Authorized> {
        let t = &c.tenant;
        let row = self
            .flexiti_account_for(
                c,
                &req.account_number,
                req.vcc.as_ref(),
                "customer_identity_not_found",
            )
            .await?;
        let account = Account::of(row, &c.merchant_name);
        purchasable(&account)?;
        self.flexiti_account_type_ok(c, &account.account_type)?;
        self.flexiti_in_store_checks(c, &req.store)?;
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
                    .ok_or(FlexitiFail::Refused(Refusal::on(
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
                self.flexiti_match_pin(
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
        let mut auth = FlexitiAuthorizationRow {
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
        match AccountStatus::parse(&acct.status) {
            Some(s) if s.may_purchase() => {}
            Some(AccountStatus::Closed) => return refuse("user_not_active"),
            _ => return refuse("user_not_able_to_purchase"),
        }
        apply(&mut acct, hold, 0, now)?;
        if let Some(pin) = &pin
            && !Store::flexiti_use_verification(&mut tx, pin, now).await?
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
            Some(FlexitiCaptureRow {
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
        Store::insert_flexiti_authorization(&mut tx, &auth).await?;
        if let Some(cap) = &capture {
            Store::insert_flexiti_capture(&mut tx, cap).await?;
        } else {
            self.enqueue(
                &mut tx,
                t,
                scheduler::kind::FLEXITI_AUTHORIZATION_EXPIRY,
                serde_json::json!({"authorizationId": auth.id}),
                expires,
            )
            .await?;
        }
        Store::flexiti_save_account(&mut tx, &acct).await?;
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
    fn hold_share(a: &FlexitiAuthorizationRow, part: i64) -> i64 {
        let remaining = a.amount - a.captured_amount - a.released_amount;
        let remaining_cost = a.held - remaining;
        if part == remaining {
            remaining_cost
        } else {
            fin::cost_share(a.financing_cost, part, a.amount).min(remaining_cost)
        }
    }

    async fn flexiti_lock_open(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        id: i64,
    ) -> FlexitiResult<FlexitiAuthorizationRow> {
        let a = Store::flexiti_lock_authorization(tx, &t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(FlexitiFail::Refused(Refusal::on(
                "not_found",
                "authorization_id",
            )))?;
        if a.status != "opened" {
            return Err(Refusal::on("authorization_not_open", "authorization_id").into());
        }
        Ok(a)
    }

    /// `POST /authorization/{id}/capture`: turns `amount` of the hold into balance.
    pub async fn flexiti_capture(
        &self,
        c: &FlexitiCaller,
        id: i64,
        amount: i64,
        reference: Option<String>,
        sku_data: Option<OpaqueJson>,
        seal: Option<Seal<Captured>>,
    ) -> FlexitiResult<Captured> {
        let t = &c.tenant;
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let mut auth = self.flexiti_lock_open(&mut tx, t, id).await?;
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
        let cap = FlexitiCaptureRow {
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
        Store::insert_flexiti_capture(&mut tx, &cap).await?;
        Store::flexiti_save_authorization(&mut tx, &auth).await?;
        Store::flexiti_save_account(&mut tx, &acct).await?;
        let captures = capture_views_in(&mut tx, auth.id).await?;
        let out = Captured {
            capture: Capture::from(&cap),
            authorization: Authorization::of(&auth, captures),
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(out)
    }

    /// `POST /authorization/{id}/release`: gives back `amount` (all of the rest when `None`).
    pub async fn flexiti_release(
        &self,
        c: &FlexitiCaller,
        id: i64,
        amount: Option<i64>,
        seal: Option<Seal<Released>>,
    ) -> FlexitiResult<Released> {
        let t = &c.tenant;
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let mut auth = self.flexiti_lock_open(&mut tx, t, id).await?;
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
        auth: &mut FlexitiAuthorizationRow,
        amount: Option<i64>,
        final_status: &str,
        now: i64,
    ) -> FlexitiResult<i64> {
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
        Store::flexiti_save_authorization(tx, auth).await?;
        Store::flexiti_save_account(tx, &acct).await?;
        Ok(amount)
    }

    /// The expiry job: an authorization still open after 30 days gives its hold back.
    pub(crate) async fn flexiti_authorization_expiry(
        &self,
        t: &Tenant,
        id: i64,
    ) -> Result<JobResult> {
        let now = micros(self.now_for(t));
        let mut tx = self.store.begin().await?;
        let Some(mut auth) =
            Store::flexiti_lock_authorization(&mut tx, &t.merchant_id, t.mode.as_str(), id).await?
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
            Err(FlexitiFail::Engine(e)) => return Err(e),
            Err(FlexitiFail::Refused(r)) => return Ok(JobResult::Retry(r.code.to_string())),
        };
        tx.commit().await?;
        Ok(JobResult::Done(format!(
            "authorization {id} expired; {released} released"
        )))
    }
}
