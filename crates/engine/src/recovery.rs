//! Recovery chains: a declined payment and the retries that follow it, linked by
//! `referenceData` — the opaque, tamper-evident token a declined attempt returns and a retry
//! must send back. It names the attempt it came from and carries a MAC under the server's
//! signing key bound to the merchant and mode, so a client can neither forge one nor reuse
//! another merchant's. A retry continues the chain only when it is the chain's next attempt
//! and the card-network limits (docs/flexpay.md §7) still allow it; in scheduler mode the
//! server makes the retries itself, and a refund request stops an open recovery.

use crate::payment_methods::Outcome;
use crate::payments::{
    FollowUpRequest, PaymentKind, PaymentRequest, PaymentSource, Step, Stop, json,
};
use crate::{
    Details, Engine, EngineError, Field, Result, ResultDetails, Tenant, Transaction, micros,
};
use base64::Engine as _;
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::TxnType;
use openflex_domain::money::Currency;
use openflex_domain::status::{self, Pill, TxnFacts};
use openflex_store::{Store, StoreError, TxnRow};
use time::OffsetDateTime;

/// The recovery chain a retry continues.
pub(crate) struct Chain {
    pub id: String,
    pub first_attempt: i64,
    /// Where the previous attempt said to go next.
    pub assigned_gateway: Option<String>,
}

const MAC_LEN: usize = 16;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl Engine {
    fn reference_mac(&self, t: &Tenant, txn_id: &str) -> [u8; 32] {
        let payload = format!("{}|{}|{txn_id}", t.merchant_id, t.mode.as_str());
        self.vault
            .mac("flexpay/referenceData/v1", payload.as_bytes())
    }

    pub(crate) fn issue_reference_data(&self, t: &Tenant, txn_id: &str) -> String {
        let mut bytes = txn_id.as_bytes().to_vec();
        bytes.extend_from_slice(&self.reference_mac(t, txn_id)[..MAC_LEN]);
        b64().encode(bytes)
    }

    /// The transaction id a valid token was issued for.
    pub fn reference_data_attempt(&self, t: &Tenant, token: &str) -> Option<String> {
        let (id, mac) = split_reference_data(token)?;
        openflex_vault::constant_time_eq(&mac, &self.reference_mac(t, &id)[..MAC_LEN]).then_some(id)
    }
}

/// A referenceData token's parts — the transaction id and its truncated MAC — before the MAC
/// is checked; `None` for anything that is not base64 of a UTF-8 id followed by a MAC.
pub fn split_reference_data(token: &str) -> Option<(String, Vec<u8>)> {
    let bytes = b64().decode(token.trim()).ok()?;
    if bytes.len() <= MAC_LEN {
        return None;
    }
    let (id, mac) = bytes.split_at(bytes.len() - MAC_LEN);
    Some((std::str::from_utf8(id).ok()?.to_string(), mac.to_vec()))
}

impl Engine {
    /// Checks a retry against its recovery chain (docs/flexpay.md §7): the referenceData must be
    /// ours and the chain's latest, the retry number the next one, and card-network limits
    /// (no retry after a do-not-retry decline, at most 15 retries within 30 days) hold.
    pub(crate) async fn continue_chain(
        &self,
        t: &Tenant,
        reference_data: &str,
        retry_count: i64,
        now: OffsetDateTime,
    ) -> Step<Chain> {
        use openflex_domain::retry_policy::{MAX_RETRIES, MAX_WINDOW};
        let refuse = |code: u32, detail: String| Err(Stop::Refused(self.reject(now, code, detail)));
        let refuse_field = |code: u32, field: Field, detail: String| {
            Err(Stop::Refused(self.reject_field(now, code, field, detail)))
        };
        let Some(prev_id) = self.reference_data_attempt(t, reference_data) else {
            return refuse_field(
                50132,
                Field::ReferenceData,
                "not issued by this server".into(),
            );
        };
        let Some(mut prev) = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), &prev_id)
            .await?
        else {
            return refuse_field(
                50132,
                Field::ReferenceData,
                "names no attempt of this merchant".into(),
            );
        };
        if crate::outcome_unknown(&prev) {
            // The previous attempt's answer was lost: ask the gateway before charging again.
            match self.settle_unknown(t, prev.clone(), now).await? {
                Some(settled) if settled.status == 1 => {
                    let txn = self.with_pm(t, &settled, micros(now)).await?;
                    return Err(Stop::Settled(Box::new(txn)));
                }
                Some(settled) => prev = settled,
                None => {
                    return refuse_field(
                        50132,
                        Field::ReferenceData,
                        "the previous attempt's outcome is still being confirmed with the \
                         gateway; retry later"
                            .into(),
                    );
                }
            }
        }
        let chain_id = prev.chain_id.clone().unwrap_or_else(|| prev.id.clone());
        let attempts = self
            .store
            .chain(&t.merchant_id, t.mode.as_str(), &chain_id)
            .await?;
        if attempts.last().is_some_and(|last| last.id != prev.id) {
            return refuse_field(
                50132,
                Field::ReferenceData,
                "not the latest of its recovery chain; send the one the last decline returned"
                    .into(),
            );
        }
        if prev.status == 1 {
            return refuse_field(
                50132,
                Field::ReferenceData,
                "the chain's last attempt was approved".into(),
            );
        }
        if retry_count != prev.retry_count + 1 {
            return refuse_field(
                50000,
                Field::RetryCount,
                format!(
                    "retryCount must be {} for this recovery chain",
                    prev.retry_count + 1
                ),
            );
        }
        let code = ResponseCode(u32::try_from(prev.response_code).unwrap_or(0));
        let class = openflex_domain::decline::classify(code);
        if !class.retryable {
            return refuse(
                30100,
                format!(
                    "the previous decline ({}, {}) must not be retried",
                    code.0,
                    class.family.as_str()
                ),
            );
        }
        let first = prev.date_first_attempt.unwrap_or(prev.created_at);
        let max = t.retry_policy.max_retries.clamp(0, MAX_RETRIES);
        let window = MAX_WINDOW.min(time::Duration::days(
            t.retry_policy.window_days.clamp(1, 30),
        ));
        if retry_count > max || now > crate::from_micros(first) + window {
            return refuse(
                30100,
                format!(
                    "retry limits: at most {max} retries within {} days of the first attempt",
                    window.whole_days()
                ),
            );
        }
        Ok(Chain {
            id: chain_id,
            first_attempt: first,
            assigned_gateway: prev.assigned_gateway_token.clone(),
        })
    }

    /// A refund request on a declined payment whose recovery is still open stops the recovery
    /// (docs/flexpay.md §7, scheduler mode): the chain's latest attempt is marked `Cancelled`, its
    /// retry date cleared, and the request recorded as a zero-amount Refund. `None` when there
    /// is no open recovery (the ordinary refund rules then answer).
    pub(crate) async fn stop_recovery(
        &self,
        t: &Tenant,
        orig: &TxnRow,
        req: &FollowUpRequest,
        now: OffsetDateTime,
    ) -> Result<Option<Outcome>> {
        let chain_id = orig.chain_id.clone().unwrap_or_else(|| orig.id.clone());
        let chain = self
            .store
            .chain(&t.merchant_id, t.mode.as_str(), &chain_id)
            .await?;
        let Some(latest) = chain
            .last()
            .filter(|l| l.status != 1 && l.completion_status.is_none() && l.retry_date.is_some())
        else {
            return Ok(None);
        };
        let now_us = micros(now);
        let mut row = TxnRow {
            txn_type: TxnType::Refund.as_str().to_string(),
            state: "done".into(),
            status: 1,
            response_code: i64::from(ResponseCode::APPROVED.0),
            merchant_transaction_id: Some(req.merchant_transaction_id.clone()),
            order_id: latest.order_id.clone(),
            customer_id: latest.customer_id.clone(),
            currency: latest.currency.clone(),
            payment_method_id: latest.payment_method_id.clone(),
            gateway_token: latest.gateway_token.clone(),
            gateway_type: latest.gateway_type.clone(),
            merchant_account_reference_id: latest.merchant_account_reference_id.clone(),
            original_id: Some(latest.id.clone()),
            completion_status: Some("Cancelled".into()),
            result: json(&ResultDetails {
                retry_explanation: Some("recovery stopped by a refund request".into()),
                ..ResultDetails::default()
            })?,
            details: json(&Details {
                disable_customer_recovery: req.disable_customer_recovery,
                ..Details::default()
            })?,
            ..self.new_txn(t, now_us)
        };
        let mut tx = self.store.begin().await?;
        let inserted = Store::insert_txn(&mut tx, &row).await;
        match inserted {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                drop(tx);
                return Ok(Some(Err(self.mtid_taken(now))));
            }
            Err(e) => return Err(e.into()),
        }
        Store::complete_recovery(&mut tx, &latest.id, "Cancelled").await?;
        tx.commit().await?;
        row.state = "done".into();
        Ok(Some(Ok(self.with_pm(t, &row, now_us).await?)))
    }

    /// A retry the server makes itself in scheduler mode (a job).
    /// Enqueues the server's own retry of a declined attempt (scheduler mode), in the
    /// transaction that records the decline.
    pub(crate) async fn enqueue_scheduled_retry(
        &self,
        tx: &mut openflex_store::Tx,
        t: &Tenant,
        transaction_id: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.enqueue(
            tx,
            t,
            crate::scheduler::kind::FLEXPAY_SCHEDULED_RETRY,
            serde_json::json!({"transactionId": transaction_id}),
            at,
        )
        .await
        .map(|_| ())
    }

    pub(crate) async fn scheduled_retry(
        &self,
        t: &Tenant,
        transaction_id: &str,
    ) -> Result<crate::scheduler::JobResult> {
        use crate::scheduler::JobResult;
        let Some(prev) = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), transaction_id)
            .await?
        else {
            return Ok(JobResult::Done(format!(
                "transaction {transaction_id} not found"
            )));
        };
        if !t.retry_policy.scheduler_mode {
            return Ok(JobResult::Done(
                "scheduler mode is off for this merchant".into(),
            ));
        }
        if prev.status == 1 || prev.completion_status.is_some() || prev.retry_date.is_none() {
            return Ok(JobResult::Done(format!(
                "recovery of {transaction_id} is over"
            )));
        }
        let chain_id = prev.chain_id.clone().unwrap_or_else(|| prev.id.clone());
        let chain = self
            .store
            .chain(&t.merchant_id, t.mode.as_str(), &chain_id)
            .await?;
        if chain.last().is_some_and(|l| l.id != prev.id) {
            return Ok(JobResult::Done(format!(
                "{transaction_id} was already retried"
            )));
        }
        let (Some(pm), Some(currency), Some(reference)) = (
            prev.payment_method_id.clone(),
            prev.currency
                .as_deref()
                .and_then(|c| Currency::parse(c).ok()),
            prev.reference_data.clone(),
        ) else {
            return Ok(JobResult::Done(format!(
                "{transaction_id} cannot be retried (no payment method)"
            )));
        };
        let n = prev.retry_count + 1;
        let base = prev
            .merchant_transaction_id
            .clone()
            .unwrap_or_else(|| prev.id.clone());
        let base = base.split("-retry").next().unwrap_or(&base).to_string();
        let req = PaymentRequest {
            kind: if prev.txn_type == TxnType::Authorize.as_str() {
                PaymentKind::Authorize
            } else {
                PaymentKind::Charge
            },
            merchant_transaction_id: format!("{base}-retry{n}"),
            order_id: prev.order_id.clone().unwrap_or_default(),
            currency,
            amount: prev.amount,
            customer_id: prev.customer_id.clone(),
            source: PaymentSource::Token(pm),
            gateway_token: None,
            retry_count: n,
            date_first_attempt: None,
            reference_data: Some(reference),
            details: serde_json::from_str(&prev.details).unwrap_or_default(),
            initiator: None,
        };
        Ok(JobResult::Done(match Box::pin(self.pay(t, req)).await? {
            Ok(txn) => format!(
                "retry #{n} of {transaction_id}: {} {}",
                txn.code.0,
                txn.code.message()
            ),
            Err(r) => format!(
                "retry #{n} of {transaction_id} refused: {} ({})",
                r.code.0, r.detail
            ),
        }))
    }

    /// The attempts of the recovery chain a transaction belongs to, oldest first.
    pub async fn recovery_attempts(
        &self,
        t: &Tenant,
        transaction_id: &str,
    ) -> Result<Vec<Transaction>> {
        let row = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), transaction_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let Some(chain) = row.chain_id else {
            return Ok(Vec::new());
        };
        let now_us = micros(self.now_for(t));
        let mut out = Vec::new();
        for r in self
            .store
            .chain(&t.merchant_id, t.mode.as_str(), &chain)
            .await?
        {
            out.push(self.with_pm(t, &r, now_us).await?);
        }
        self.name_gateways(t, &mut out).await?;
        Ok(out)
    }
}

impl Engine {
    /// The status pill of each of `txns` (in order), by [`openflex_domain::status`]: a decline
    /// counts as retrying while it has a retry date and no later attempt of its chain exists.
    pub async fn pills(&self, t: &Tenant, txns: &[Transaction]) -> Result<Vec<Pill>> {
        let mut chains: Vec<String> = txns
            .iter()
            .filter(|x| !x.code.is_approved() && x.retry_date.is_some())
            .filter_map(|x| x.chain_id.clone())
            .collect();
        chains.sort();
        chains.dedup();
        let ends = self
            .store
            .chain_ends(&t.merchant_id, t.mode.as_str(), &chains)
            .await?;
        Ok(txns
            .iter()
            .map(|x| {
                let latest = match &x.chain_id {
                    Some(c) => ends
                        .iter()
                        .find(|e| &e.chain_id == c)
                        .is_none_or(|e| e.last_retry <= x.retry_count),
                    None => true,
                };
                status::of_transaction(&TxnFacts {
                    kind: x.txn_type,
                    approved: x.code.is_approved(),
                    pending: x.pending,
                    amount: x.amount,
                    captured: x.captured_amount,
                    refunded: x.refunded_amount,
                    voided: x.voided,
                    retry_ahead: x.retry_date.is_some() && latest,
                })
            })
            .collect())
    }
}
