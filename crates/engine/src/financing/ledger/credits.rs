//! Money back to the account and side movements: returns against a capture, refunds, and
//! in-store deposits, payments and trade-ins. Kept apart from purchases because these credit
//! the balance rather than hold credit, each under its own limits.

use super::{
    Authorization, Capture, Posted, RefundRequest, ReturnRequest, Returned, SideKind, SideRequest,
    apply, capture_views_in, commit_answering, lock_account, store_json,
};
use crate::financing::{
    Account, FlexitiCaller, FlexitiFail, FlexitiResult, Refusal, numeric_id, purchasable, refuse,
};
use crate::idempotency::Seal;
use crate::{Engine, from_micros, micros};
use openflex_domain::financing::{self as fin, AccountStatus};
use openflex_store::{FlexitiTransactionRow, Store};

impl Engine {
    /// `POST /authorization/{a}/capture/{c}/return`: credits the account for goods returned
    /// within 100 days of a promotional capture.
    pub async fn flexiti_return(
        &self,
        c: &FlexitiCaller,
        authorization_id: i64,
        capture_id: i64,
        req: ReturnRequest,
        seal: Option<Seal<Returned>>,
    ) -> FlexitiResult<Returned> {
        let t = &c.tenant;
        self.flexiti_in_store_checks(c, &req.store)?;
        if let Some(e) = &req.store.external_employee_id
            && t.flexiti.return_denied_employees.iter().any(|d| d == e)
        {
            return Err(Refusal::on("not_permitted", "external_employee_id").into());
        }
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let mut tx = self.store.begin().await?;
        let mut cap =
            Store::flexiti_lock_capture(&mut tx, &t.merchant_id, t.mode.as_str(), capture_id)
                .await?
                .filter(|cap| cap.authorization_id == authorization_id)
                .ok_or(FlexitiFail::Refused(Refusal::on("not_found", "capture_id")))?;
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
        let auth = Store::flexiti_lock_authorization(
            &mut tx,
            &t.merchant_id,
            t.mode.as_str(),
            authorization_id,
        )
        .await?
        .ok_or(FlexitiFail::Refused(Refusal::on(
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
        Store::insert_flexiti_transaction(
            &mut tx,
            &FlexitiTransactionRow {
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
        Store::flexiti_save_capture(&mut tx, &cap).await?;
        Store::flexiti_save_account(&mut tx, &acct).await?;
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
    pub async fn flexiti_refund(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
        req: RefundRequest,
        seal: Option<Seal<Posted>>,
    ) -> FlexitiResult<Posted> {
        let t = &c.tenant;
        let row = self
            .flexiti_account_for(c, account_number, req.vcc.as_ref(), "not_found")
            .await?;
        self.flexiti_account_type_ok(c, &row.account_type)?;
        self.flexiti_in_store_checks(c, &req.store)?;
        let now_t = self.now_for(t);
        let now = micros(now_t);
        let mut tx = self.store.begin().await?;
        let mut cost = 0;
        let mut cap = None;
        if let Some(cid) = req.capture_id {
            let mut k = Store::flexiti_lock_capture(&mut tx, &t.merchant_id, t.mode.as_str(), cid)
                .await?
                .filter(|k| k.account_number == account_number)
                .ok_or(FlexitiFail::Refused(Refusal::on("not_found", "capture_id")))?;
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
        Store::insert_flexiti_transaction(
            &mut tx,
            &FlexitiTransactionRow {
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
            Store::flexiti_save_capture(&mut tx, k).await?;
        }
        Store::flexiti_save_account(&mut tx, &acct).await?;
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
    pub async fn flexiti_post(
        &self,
        c: &FlexitiCaller,
        req: SideRequest,
        seal: Option<Seal<Posted>>,
    ) -> FlexitiResult<Posted> {
        let t = &c.tenant;
        let row = self
            .flexiti_account_for(c, &req.account_number, req.vcc.as_ref(), "not_found")
            .await?;
        let account = Account::of(row, &c.merchant_name);
        if account.status == AccountStatus::Closed {
            return refuse("user_not_active");
        }
        if req.kind == SideKind::Deposit {
            purchasable(&account)?;
        }
        self.flexiti_account_type_ok(c, &account.account_type)?;
        self.flexiti_in_store_checks(c, &req.store)?;
        let pin = self
            .flexiti_match_pin(
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
                let paid = Store::flexiti_sum_since(
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
                if AccountStatus::parse(&acct.status) == Some(AccountStatus::AuthProhibited)
                    && acct.balance <= 0
                {
                    acct.status = AccountStatus::Normal.code().into();
                }
            }
        }
        if !Store::flexiti_use_verification(&mut tx, &pin, now).await? {
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        let id = numeric_id(15)?;
        Store::insert_flexiti_transaction(
            &mut tx,
            &FlexitiTransactionRow {
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
        Store::flexiti_save_account(&mut tx, &acct).await?;
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
}
