//! Payments: charge / authorize with the three payment sources, and the capture / void /
//! refund follow-ups.
//!
//! Every payment is two short database transactions around the processor call: (1) insert the
//! attempt as `pending` — the unique (merchant, mode, merchantTransactionId) index makes a
//! duplicate lose here, before any money moves — and, for follow-ups, reserve the amount on the
//! original with a conditional UPDATE; (2) record the processor's answer (and give the
//! reservation back on a decline). No database lock is held during the processor call, which
//! matters once connectors talk to real networks. The response is sent only after (2) commits,
//! so an acknowledged operation is durable.

use crate::payment_methods::{GatewayCard, NewCard, Outcome};
use crate::processor::{CardData, Operation, ProcessorRequest, ProcessorResult};
use crate::{
    Details, Engine, EngineError, Gateway, GatewayStatus, Mode, PaymentMethod, Rejection, Result,
    ResultDetails, StorageState, Tenant, Transaction, ids, micros,
};
use openflex_domain::codes::{CodeClass, ResponseCode};
use openflex_domain::lifecycle::{self, Original, TxnType};
use openflex_domain::money::Currency;
use openflex_store::{
    ListQuery, PaymentMethodRow, Reservation, Store, StoreError, Tx, TxnFilter, TxnRow,
};
use time::OffsetDateTime;

/// Gateway and type shown when a request is refused before any gateway is chosen.
pub const SENTINEL_GATEWAY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAA";
pub const SENTINEL_GATEWAY_TYPE: &str = "flexpay_declined";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    Charge,
    Authorize,
}

pub enum PaymentSource {
    /// A vaulted payment method id.
    Token(String),
    /// A card passed in; stored (`Stored`) when approved and `retain`, else `Cached`.
    Card { card: NewCard, retain: bool },
    /// A third-party vault's token.
    GatewayToken { card: GatewayCard, retain: bool },
}

pub struct PaymentRequest {
    pub kind: PaymentKind,
    pub merchant_transaction_id: String,
    pub order_id: String,
    pub currency: Currency,
    pub amount: i64,
    pub customer_id: Option<String>,
    pub source: PaymentSource,
    pub gateway_token: Option<String>,
    pub retry_count: i64,
    pub date_first_attempt: Option<OffsetDateTime>,
    pub reference_data: Option<String>,
    pub details: Details,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpKind {
    Capture,
    Void,
    Refund,
}

pub struct FollowUpRequest {
    pub kind: FollowUpKind,
    pub original_id: String,
    pub merchant_transaction_id: String,
    /// 0 means the full (remaining) amount.
    pub amount: i64,
    pub disable_customer_recovery: bool,
}

/// The recovery chain a retry continues.
struct Chain {
    id: String,
    first_attempt: i64,
    /// Where the previous attempt said to go next.
    assigned_gateway: Option<String>,
}

/// Where the card for a payment comes from, once resolved.
enum Resolved {
    Existing(PaymentMethodRow),
    New(PaymentMethodRow),
}

impl Resolved {
    fn row(&self) -> &PaymentMethodRow {
        match self {
            Self::Existing(r) | Self::New(r) => r,
        }
    }
}

/// Inserts a transaction row; `false` when its unique keys (merchantTransactionId, recovery
/// attempt) were already taken.
async fn insert_unique(tx: &mut Tx, row: &TxnRow) -> Result<bool> {
    match Store::insert_txn(tx, row).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| EngineError::Internal(e.to_string()))
}

impl Engine {
    /// Charge or authorize.
    pub async fn pay(&self, t: &Tenant, req: PaymentRequest) -> Result<Outcome> {
        let now = self.now_for(t);
        let now_us = micros(now);
        let chain = match &req.reference_data {
            None => None,
            Some(rd) => match self.recovery_chain(t, rd, req.retry_count, now).await? {
                Ok(c) => Some(c),
                Err(r) => return Ok(Err(r)),
            },
        };

        // Card-network limit across chains: at most 15 retries in 30 days per card and order.
        let declines_since = micros(now - openflex_domain::retry_policy::MAX_WINDOW);
        let mut known_declines = None;
        let (resolved, card, retain) = match req.source {
            PaymentSource::Token(ref id) => {
                let row = match self
                    .store
                    .payment_method_with_declines(
                        &t.merchant_id,
                        t.mode.as_str(),
                        id,
                        &req.order_id,
                        declines_since,
                    )
                    .await?
                {
                    Some((r, declines)) if r.storage_state != StorageState::Redacted.as_str() => {
                        known_declines = Some(declines);
                        r
                    }
                    Some(_) => {
                        return Ok(Err(self.reject(
                            now,
                            50134,
                            "transaction.paymentMethodId: the payment method is redacted",
                        )));
                    }
                    None => {
                        return Ok(Err(self.reject(
                            now,
                            50134,
                            "transaction.paymentMethodId: no payment method with this id",
                        )));
                    }
                };
                let card = self.open_card(&row, now_us)?;
                if let Some(exp) = card.as_ref().and_then(|c| c.expiry)
                    && exp.is_expired(now.date())
                {
                    return Ok(Err(self.reject(
                        now,
                        30026,
                        "the card's expiry date has passed",
                    )));
                }
                (Resolved::Existing(row), card, false)
            }
            PaymentSource::Card { ref card, retain } => {
                if let Err(r) = self.check_card(card, now) {
                    return Ok(Err(r));
                }
                let row = self.seal_card(t, card, StorageState::Cached, false, now)?;
                let data = CardData {
                    pan: card.pan.clone(),
                    cvv: card.cvv.clone(),
                    expiry: Some(card.expiry),
                };
                (Resolved::New(row), Some(data), retain)
            }
            PaymentSource::GatewayToken { ref card, retain } => (
                Resolved::New(self.gateway_card_row(t, card, now)?),
                None,
                retain,
            ),
        };

        let pm_row = resolved.row();
        let id = self.ids.next();
        let gateway = match self
            .route(
                t,
                req.gateway_token
                    .as_deref()
                    .or(chain.as_ref().and_then(|c| c.assigned_gateway.as_deref())),
                req.currency.code(),
                pm_row.card_type.as_deref(),
                &id,
                req.retry_count > 0,
            )
            .await?
        {
            Ok(g) => g,
            Err(detail) => return Ok(Err(self.reject(now, 50130, detail))),
        };

        let prior_declines = match (known_declines, &pm_row.fingerprint) {
            (Some(n), _) => n,
            (None, Some(fp)) => {
                self.store
                    .declined_attempts(
                        &t.merchant_id,
                        t.mode.as_str(),
                        &req.order_id,
                        fp,
                        declines_since,
                    )
                    .await?
            }
            (None, None) => 0,
        };
        if prior_declines > openflex_domain::retry_policy::MAX_RETRIES {
            return Ok(Err(self.reject(
                now,
                30100,
                format!(
                    "card-network limits: this card was declined {prior_declines} times for order {} in 30 days",
                    req.order_id
                ),
            )));
        }
        let holder: crate::Holder = serde_json::from_str(&pm_row.holder).unwrap_or_default();
        let customer_id = req.customer_id.clone().or(holder.customer_id);
        let mut row = TxnRow {
            id,
            txn_type: match req.kind {
                PaymentKind::Charge => TxnType::Charge,
                PaymentKind::Authorize => TxnType::Authorize,
            }
            .as_str()
            .to_string(),
            state: "pending".into(),
            merchant_transaction_id: Some(req.merchant_transaction_id.clone()),
            order_id: Some(req.order_id.clone()),
            customer_id,
            currency: Some(req.currency.code().to_string()),
            amount: req.amount,
            payment_method_id: Some(pm_row.id.clone()),
            gateway_token: Some(gateway.token.clone()),
            gateway_type: Some(gateway.gateway_type.clone()),
            merchant_account_reference_id: gateway.merchant_account_reference_id.clone(),
            assigned_gateway_token: Some(gateway.token.clone()),
            retry_count: req.retry_count,
            date_first_attempt: Some(
                chain
                    .as_ref()
                    .map(|c| c.first_attempt)
                    .or(req.date_first_attempt.map(micros))
                    .unwrap_or(now_us),
            ),
            details: json(&req.details)?,
            ..self.new_txn(t, now_us)
        };
        row.chain_id = Some(
            chain
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_else(|| row.id.clone()),
        );

        let processor = self.processors.get(&gateway.gateway_type).ok_or_else(|| {
            EngineError::Internal(format!("no connector for {}", gateway.gateway_type))
        })?;
        // (1) Record the attempt before a connector with side effects is called, so a crash
        // mid-call leaves a pending row to reconcile. A side-effect-free connector (the sandbox)
        // is asked first and the attempt is written once, with its answer: a crash before that
        // commit leaves nothing behind anywhere, and a charge costs one commit instead of two.
        let write_ahead = !processor.side_effect_free();
        if write_ahead {
            let mut tx = self.store.begin().await?;
            if !self.insert_attempt(&mut tx, t, &resolved, &row).await? {
                drop(tx);
                return Ok(Err(self
                    .duplicate_attempt(t, &req, chain.is_some(), now)
                    .await?));
            }
            tx.commit().await?;
        }

        // The processor call, outside any database transaction.
        let settings = self.gateway_settings(t, &gateway).await?;
        // Risk rules decide before any gateway sees the payment.
        let shipping_country = req
            .details
            .shipping_address
            .as_ref()
            .and_then(|a| a.country.as_deref())
            .and_then(openflex_domain::country::to_alpha3);
        let facts = openflex_domain::risk::Facts {
            fingerprint: pm_row.fingerprint.as_deref(),
            ip: req.details.customer_ip.as_deref(),
            email: holder.email.as_deref(),
            phone: holder.phone_number.as_deref(),
            cvv_given: card.as_ref().is_some_and(|c| c.cvv.is_some()),
            first_six: pm_row.first_six.as_deref(),
            billing_country: holder.country.as_deref(),
            shipping_country,
        };
        let blocked = openflex_domain::risk::check(&t.risk_rules, self.geo.as_ref(), &facts)
            .or_else(|| {
                (gateway.cvv_required && card.as_ref().is_some_and(|c| c.cvv.is_none()))
                    .then_some(40003)
            });
        let mut result = if let Some(code) = blocked {
            ProcessorResult {
                code: ResponseCode(code),
                avs_code: None,
                avs_message: None,
                cvv_code: None,
                cvv_message: None,
                gateway_transaction_id: None,
            }
        } else {
            processor
                .process(ProcessorRequest {
                    operation: match req.kind {
                        PaymentKind::Charge => Operation::Purchase,
                        PaymentKind::Authorize => Operation::Authorize,
                    },
                    amount: req.amount,
                    currency: req.currency.code(),
                    card: card.as_ref(),
                    postal_code: holder.postal_code.as_deref(),
                    original_reference: None,
                    settings: settings.as_ref(),
                })
                .await
        };
        if result.code.is_approved()
            && let Some(code) = openflex_domain::risk::check_results(
                &t.risk_rules,
                result.cvv_code.as_deref(),
                result.avs_code.as_deref(),
            )
        {
            result.code = ResponseCode(code);
        }
        metrics::counter!("openflex_processor_outcomes_total", "class" => class_label(result.code))
            .increment(1);

        // (2) Record the answer.
        let approved = result.code.is_approved();
        self.apply_result(&mut row, &result, None);
        if !approved {
            row.reference_data = Some(self.issue_reference_data(t, &row.id));
            let first = row
                .date_first_attempt
                .map(crate::from_micros)
                .unwrap_or(now);
            let decision = openflex_domain::retry_policy::decide(
                &t.retry_policy,
                result.code,
                now,
                first,
                row.retry_count.max(prior_declines),
            );
            row.retry_date = decision.retry_at.map(micros);
            if matches!(
                openflex_domain::decline::classify(result.code).family,
                openflex_domain::decline::Family::IssuerUnavailable
                    | openflex_domain::decline::Family::Merchant
            ) && decision.retry_at.is_some()
                && let Some(next) = self
                    .cascade_target(
                        t,
                        &gateway.token,
                        req.currency.code(),
                        pm_row.card_type.as_deref(),
                        &row.id,
                    )
                    .await?
            {
                row.assigned_gateway_token = Some(next);
            }
            let mut result: ResultDetails = serde_json::from_str(&row.result).unwrap_or_default();
            result.retry_explanation = Some(decision.explain);
            row.result = json(&result)?;
        }
        let scheduled_retry = row.retry_date.is_some() && t.retry_policy.scheduler_mode;
        let cvv_to_purge = card.as_ref().is_some_and(|c| c.cvv.is_some());
        if !write_ahead
            && matches!(resolved, Resolved::Existing(_))
            && !scheduled_retry
            && !cvv_to_purge
        {
            // The attempt is all there is to write (a vaulted card, nothing scheduled): one
            // statement, no transaction around it.
            return match self.store.insert_txn_alone(&row).await {
                Ok(()) => Ok(Ok(Transaction::from_row(
                    &row,
                    Some(PaymentMethod::from_row(resolved.row(), now_us)?),
                )?)),
                Err(StoreError::Conflict) => Ok(Err(self
                    .duplicate_attempt(t, &req, chain.is_some(), now)
                    .await?)),
                Err(e) => Err(e.into()),
            };
        }
        let mut tx = self.store.begin().await?;
        if write_ahead {
            Store::finish_txn(&mut tx, &row).await?;
        } else if !self.insert_attempt(&mut tx, t, &resolved, &row).await? {
            drop(tx);
            return Ok(Err(self
                .duplicate_attempt(t, &req, chain.is_some(), now)
                .await?));
        }
        let mut pm = resolved.row().clone();
        if let Some(at) = row.retry_date.filter(|_| scheduled_retry) {
            // Scheduler mode: the retry is ours to make, enqueued with the decline itself.
            self.enqueue(
                &mut tx,
                t,
                crate::scheduler::kind::FLEXPAY_SCHEDULED_RETRY,
                serde_json::json!({"transactionId": row.id}),
                crate::from_micros(at),
            )
            .await?;
            // A cached (not retained) card stays, encrypted, until the recovery window closes,
            // then expires as usual.
            if pm.storage_state == StorageState::Cached.as_str() {
                let first = row.date_first_attempt.unwrap_or(now_us);
                let window = time::Duration::days(t.retry_policy.window_days.clamp(1, 30));
                let until = micros(crate::from_micros(first) + window);
                if pm.cache_expires_at.is_some_and(|e| e < until) {
                    pm.cache_expires_at = Some(until);
                    pm.updated_at = now_us;
                    Store::update_payment_method_meta(&mut tx, &pm).await?;
                    self.schedule_card_expiry(&mut tx, t, &pm).await?;
                }
            }
        }
        match &resolved {
            Resolved::New(_) if approved && retain => {
                pm.storage_state = StorageState::Stored.as_str().to_string();
                pm.cache_expires_at = None;
                pm.updated_at = now_us;
                Store::update_payment_method_meta(&mut tx, &pm).await?;
            }
            Resolved::Existing(_) if card.as_ref().is_some_and(|c| c.cvv.is_some()) => {
                Store::purge_cvv(&mut tx, &pm.id).await?;
                pm.cvv_ct = None;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(Ok(Transaction::from_row(
            &row,
            Some(PaymentMethod::from_row(&pm, now_us)?),
        )?))
    }

    /// Writes a payment attempt (and the card it brought); `false` when a duplicate
    /// merchantTransactionId — or a second retry of the same decline — lost the race.
    async fn insert_attempt(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        resolved: &Resolved,
        row: &TxnRow,
    ) -> Result<bool> {
        if let Resolved::New(pm) = resolved {
            Store::insert_payment_method(tx, pm).await?;
            self.schedule_card_expiry(tx, t, pm).await?;
        }
        insert_unique(tx, row).await
    }

    /// The refusal of an attempt that lost to an earlier one. Call it after rolling back: a
    /// write transaction held while waiting for another pool connection starves concurrent
    /// writers (SQLite's single lock).
    async fn duplicate_attempt(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        is_retry: bool,
        now: OffsetDateTime,
    ) -> Result<Rejection> {
        let mtid_taken = self
            .store
            .txn_by_mtid(
                &t.merchant_id,
                t.mode.as_str(),
                &req.merchant_transaction_id,
            )
            .await?
            .is_some();
        Ok(if mtid_taken || !is_retry {
            self.reject(now, 50129, "merchantTransactionId was already used")
        } else {
            self.reject(
                now,
                50132,
                "transaction.referenceData: this decline was already retried",
            )
        })
    }

    /// Checks a retry against its recovery chain (docs/flexpay.md §7): the referenceData must be
    /// ours and the chain's latest, the retry number the next one, and card-network limits
    /// (no retry after a do-not-retry decline, at most 15 retries within 30 days) hold.
    async fn recovery_chain(
        &self,
        t: &Tenant,
        reference_data: &str,
        retry_count: i64,
        now: OffsetDateTime,
    ) -> Result<std::result::Result<Chain, Rejection>> {
        use openflex_domain::retry_policy::{MAX_RETRIES, MAX_WINDOW};
        let refuse = |code: u32, detail: String| Ok(Err(self.reject(now, code, detail)));
        let Some(prev_id) = self.reference_data_attempt(t, reference_data) else {
            return refuse(
                50132,
                "transaction.referenceData was not issued by this server".into(),
            );
        };
        let Some(prev) = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), &prev_id)
            .await?
        else {
            return refuse(
                50132,
                "transaction.referenceData names no attempt of this merchant".into(),
            );
        };
        let chain_id = prev.chain_id.clone().unwrap_or_else(|| prev.id.clone());
        let attempts = self
            .store
            .chain(&t.merchant_id, t.mode.as_str(), &chain_id)
            .await?;
        if attempts.last().is_some_and(|last| last.id != prev.id) {
            return refuse(50132, "transaction.referenceData is not the latest of its recovery chain; send the one the last decline returned".into());
        }
        if prev.status == 1 {
            return refuse(
                50132,
                "transaction.referenceData: the chain's last attempt was approved".into(),
            );
        }
        if retry_count != prev.retry_count + 1 {
            return refuse(
                50000,
                format!(
                    "transaction.retryCount must be {} for this recovery chain",
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
        Ok(Ok(Chain {
            id: chain_id,
            first_attempt: first,
            assigned_gateway: prev.assigned_gateway_token.clone(),
        }))
    }

    /// A refund request on a declined payment whose recovery is still open stops the recovery
    /// (docs/flexpay.md §7, scheduler mode): the chain's latest attempt is marked `Cancelled`, its
    /// retry date cleared, and the request recorded as a zero-amount Refund. `None` when there
    /// is no open recovery (the ordinary refund rules then answer).
    async fn stop_recovery(
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
            id: self.ids.next(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            txn_type: TxnType::Refund.as_str().to_string(),
            state: "done".into(),
            status: 1,
            response_code: i64::from(ResponseCode::APPROVED.0),
            merchant_transaction_id: Some(req.merchant_transaction_id.clone()),
            order_id: latest.order_id.clone(),
            customer_id: latest.customer_id.clone(),
            currency: latest.currency.clone(),
            amount: 0,
            payment_method_id: latest.payment_method_id.clone(),
            gateway_token: latest.gateway_token.clone(),
            gateway_type: latest.gateway_type.clone(),
            gateway_transaction_id: None,
            merchant_account_reference_id: latest.merchant_account_reference_id.clone(),
            assigned_gateway_token: None,
            original_id: Some(latest.id.clone()),
            captured_amount: 0,
            refunded_amount: 0,
            voided: false,
            retry_date: None,
            retry_count: 0,
            date_first_attempt: None,
            reference_data: None,
            completion_status: Some("Cancelled".into()),
            result: json(&ResultDetails {
                retry_explanation: Some("recovery stopped by a refund request".into()),
                ..ResultDetails::default()
            })?,
            details: json(&Details {
                disable_customer_recovery: req.disable_customer_recovery,
                ..Details::default()
            })?,
            created_at: now_us,
            chain_id: None,
        };
        let mut tx = self.store.begin().await?;
        let inserted = Store::insert_txn(&mut tx, &row).await;
        match inserted {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                drop(tx);
                return Ok(Some(Err(self.reject(
                    now,
                    50129,
                    "merchantTransactionId was already used",
                ))));
            }
            Err(e) => return Err(e.into()),
        }
        Store::complete_recovery(&mut tx, &latest.id, "Cancelled").await?;
        tx.commit().await?;
        row.state = "done".into();
        Ok(Some(Ok(self.with_pm(t, &row, now_us).await?)))
    }

    /// A retry the server makes itself in scheduler mode (a job).
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
        Ok(out)
    }

    fn apply_result(&self, row: &mut TxnRow, result: &ProcessorResult, detail: Option<String>) {
        row.state = "done".into();
        row.status = result.code.status() as i64;
        row.response_code = i64::from(result.code.0);
        row.gateway_transaction_id = result.gateway_transaction_id.clone();
        let details = ResultDetails {
            avs_code: result.avs_code.clone(),
            avs_message: result.avs_message.clone(),
            cvv_code: result.cvv_code.clone(),
            cvv_message: result.cvv_message.clone(),
            error_code: (!result.code.is_approved()).then(|| result.code.as_string()),
            error_detail: if result.code.is_approved() {
                None
            } else {
                Some(detail.unwrap_or_else(|| result.code.message().to_string()))
            },
            retry_explanation: None,
        };
        row.result = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
    }

    /// A transaction row with every optional part empty; use cases set what applies.
    pub(crate) fn new_txn(&self, t: &Tenant, created_at: i64) -> TxnRow {
        TxnRow {
            id: self.ids.next(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            txn_type: String::new(),
            state: "pending".into(),
            status: 3,
            response_code: 0,
            merchant_transaction_id: None,
            order_id: None,
            customer_id: None,
            currency: None,
            amount: 0,
            payment_method_id: None,
            gateway_token: None,
            gateway_type: None,
            gateway_transaction_id: None,
            merchant_account_reference_id: None,
            assigned_gateway_token: None,
            original_id: None,
            captured_amount: 0,
            refunded_amount: 0,
            voided: false,
            retry_date: None,
            retry_count: 0,
            date_first_attempt: None,
            reference_data: None,
            completion_status: None,
            result: "{}".into(),
            details: "{}".into(),
            created_at,
            chain_id: None,
        }
    }

    /// A gateway's connector settings, unsealed for one processor call.
    async fn gateway_settings(&self, t: &Tenant, g: &Gateway) -> Result<Option<serde_json::Value>> {
        if !g.has_settings {
            return Ok(None);
        }
        let Some(row) = self
            .store
            .gateway(&t.merchant_id, t.mode.as_str(), &g.token)
            .await?
        else {
            return Ok(None);
        };
        let (Some(version), Some(blob)) = (row.settings_kek_version, row.settings_sealed) else {
            return Ok(None);
        };
        let text = self.vault.open_secret(
            &format!("gateway|{}|{}", t.merchant_id, g.token),
            version as u32,
            &blob,
        )?;
        Ok(serde_json::from_str(text.expose()).ok())
    }

    /// After a decline another acquirer may approve (issuer or processor trouble, merchant
    /// configuration), another usable gateway for the next attempt; `None` keeps this one.
    /// Weight-0 gateways are candidates: out of normal rotation is how a failover acquirer is
    /// configured.
    async fn cascade_target(
        &self,
        t: &Tenant,
        current: &str,
        currency: &str,
        card_type: Option<&str>,
        seed: &str,
    ) -> Result<Option<String>> {
        let others: Vec<Gateway> = self
            .store
            .gateways(&t.merchant_id, t.mode.as_str())
            .await?
            .iter()
            .map(Gateway::from_row)
            .filter(|g| {
                g.token != current
                    && g.status == GatewayStatus::Available
                    && g.accept_retries
                    && self.processors.knows(&g.gateway_type)
                    && g.accepts(currency, card_type)
            })
            .collect();
        let weights: Vec<u64> = others.iter().map(|g| g.weight.max(1) as u64).collect();
        Ok(
            openflex_domain::routing::pick_weighted(&weights, ids::seed_of(seed))
                .map(|i| others[i].token.clone()),
        )
    }

    /// Picks the gateway: the pinned one, else a weighted choice among Available gateways
    /// accepting the currency and brand. `Err` carries why none fits (→ 50130).
    async fn route(
        &self,
        t: &Tenant,
        pinned: Option<&str>,
        currency: &str,
        card_type: Option<&str>,
        id: &str,
        retry: bool,
    ) -> Result<std::result::Result<Gateway, String>> {
        let usable = |g: &Gateway| {
            g.status == GatewayStatus::Available
                && self.processors.knows(&g.gateway_type)
                && !(t.mode == Mode::Live && g.gateway_type == "sandbox")
        };
        if let Some(token) = pinned {
            let Some(row) = self
                .store
                .gateway(&t.merchant_id, t.mode.as_str(), token)
                .await?
            else {
                return Ok(Err(format!(
                    "transaction.gatewayToken: no gateway with token {token}"
                )));
            };
            let g = Gateway::from_row(&row);
            if !usable(&g) {
                return Ok(Err(format!(
                    "transaction.gatewayToken: gateway {token} is {} and cannot take payments",
                    g.status.as_str()
                )));
            }
            if !g.accepts(currency, card_type) {
                return Ok(Err(format!(
                    "transaction.gatewayToken: gateway {token} does not accept {currency} / {}",
                    card_type.unwrap_or("this card")
                )));
            }
            return Ok(Ok(g));
        }
        let candidates: Vec<Gateway> = self
            .store
            .gateways(&t.merchant_id, t.mode.as_str())
            .await?
            .iter()
            .map(Gateway::from_row)
            .filter(|g| {
                usable(g)
                    && g.accepts(currency, card_type)
                    && g.weight > 0
                    && (!retry || g.accept_retries)
            })
            .collect();
        let weights: Vec<u64> = candidates.iter().map(|g| g.weight as u64).collect();
        match openflex_domain::routing::pick_weighted(&weights, ids::seed_of(id)) {
            Some(i) => Ok(Ok(candidates[i].clone())),
            None => Ok(Err(format!(
                "transaction.gatewayToken: none given, and no available gateway accepts {currency} / {}",
                card_type.unwrap_or("this card")
            ))),
        }
    }

    /// Capture, void or refund of an earlier transaction.
    pub async fn follow_up(&self, t: &Tenant, req: FollowUpRequest) -> Result<Outcome> {
        let now = self.now_for(t);
        let now_us = micros(now);
        let txn_type = match req.kind {
            FollowUpKind::Capture => TxnType::Capture,
            FollowUpKind::Void => TxnType::Void,
            FollowUpKind::Refund => TxnType::Refund,
        };
        for _ in 0..8 {
            let Some(orig) = self
                .store
                .txn(&t.merchant_id, t.mode.as_str(), &req.original_id)
                .await?
            else {
                return Ok(Err(self.reject(now, 50131, "no transaction with this id")));
            };
            let original = Original {
                kind: TxnType::parse(&orig.txn_type).unwrap_or(TxnType::CreatePaymentMethod),
                approved: orig.status == 1 && orig.state == "done",
                amount: orig.amount,
                captured_amount: orig.captured_amount,
                refunded_amount: orig.refunded_amount,
                voided: orig.voided,
                settled: now >= lifecycle::settles_at(crate::from_micros(orig.created_at)),
            };
            if req.kind == FollowUpKind::Refund
                && t.retry_policy.scheduler_mode
                && !original.approved
                && matches!(original.kind, TxnType::Charge | TxnType::Authorize)
                && let Some(stopped) = self.stop_recovery(t, &orig, &req, now).await?
            {
                return Ok(stopped);
            }
            let decided = match req.kind {
                FollowUpKind::Capture => lifecycle::capture_amount(&original, req.amount)
                    .map(|a| (a, Reservation::Capture(a))),
                FollowUpKind::Refund => lifecycle::refund_amount(&original, req.amount)
                    .map(|a| (a, Reservation::Refund(a))),
                FollowUpKind::Void => {
                    lifecycle::check_void(&original).map(|()| (orig.amount, Reservation::Void))
                }
            };
            let details = Details {
                disable_customer_recovery: req.disable_customer_recovery,
                ..Details::default()
            };
            let mut row = TxnRow {
                txn_type: txn_type.as_str().to_string(),
                state: "pending".into(),
                merchant_transaction_id: Some(req.merchant_transaction_id.clone()),
                order_id: orig.order_id.clone(),
                customer_id: orig.customer_id.clone(),
                currency: orig.currency.clone(),
                amount: req.amount,
                payment_method_id: orig.payment_method_id.clone(),
                gateway_token: orig.gateway_token.clone(),
                gateway_type: orig.gateway_type.clone(),
                merchant_account_reference_id: orig.merchant_account_reference_id.clone(),
                original_id: Some(orig.id.clone()),
                details: json(&details)?,
                ..self.new_txn(t, now_us)
            };

            let (amount, reservation) = match decided {
                Ok(v) => v,
                Err(code) => {
                    // A state-rule decline is recorded like any other declined operation.
                    row.amount = if req.amount > 0 { req.amount } else { 0 };
                    let res = ProcessorResult {
                        code,
                        avs_code: None,
                        avs_message: None,
                        cvv_code: None,
                        cvv_message: None,
                        gateway_transaction_id: None,
                    };
                    self.apply_result(&mut row, &res, None);
                    let mut tx = self.store.begin().await?;
                    return match Store::insert_txn(&mut tx, &row).await {
                        Ok(()) => {
                            tx.commit().await?;
                            Ok(Ok(self.with_pm(t, &row, now_us).await?))
                        }
                        Err(StoreError::Conflict) => Ok(Err(self.reject(
                            now,
                            50129,
                            "merchantTransactionId was already used",
                        ))),
                        Err(e) => Err(e.into()),
                    };
                }
            };
            row.amount = amount;

            let gateway = match &orig.gateway_token {
                Some(token) => self
                    .store
                    .gateway(&t.merchant_id, t.mode.as_str(), token)
                    .await?
                    .map(|g| Gateway::from_row(&g)),
                None => None,
            };
            let Some(gateway) = gateway else {
                return Ok(Err(self.reject(
                    now,
                    50130,
                    "the original transaction's gateway no longer exists",
                )));
            };
            let allowed = matches!(
                (gateway.status, req.kind),
                (GatewayStatus::Available, _) | (GatewayStatus::RefundOnly, FollowUpKind::Refund)
            );
            if !allowed {
                return Ok(Err(self.reject(
                    now,
                    50130,
                    format!(
                        "gateway {} is {} and cannot take this operation",
                        gateway.token,
                        gateway.status.as_str()
                    ),
                )));
            }

            let processor = self.processors.get(&gateway.gateway_type).ok_or_else(|| {
                EngineError::Internal(format!("no connector for {}", gateway.gateway_type))
            })?;
            // (1) Record the attempt and reserve the amount atomically — before the call when
            // the connector has side effects; with a side-effect-free one (see `pay`) the
            // reservation is taken with the answer, in one transaction.
            let write_ahead = !processor.side_effect_free();
            if write_ahead {
                let mut tx = self.store.begin().await?;
                if !insert_unique(&mut tx, &row).await? {
                    return Ok(Err(self.reject(
                        now,
                        50129,
                        "merchantTransactionId was already used",
                    )));
                }
                if !Store::reserve(&mut tx, &orig.id, reservation).await? {
                    drop(tx);
                    continue; // someone else changed the original: re-read and decide again
                }
                tx.commit().await?;
            }

            let settings = self.gateway_settings(t, &gateway).await?;
            let result = processor
                .process(ProcessorRequest {
                    operation: match req.kind {
                        FollowUpKind::Capture => Operation::Capture,
                        FollowUpKind::Void => Operation::Void,
                        FollowUpKind::Refund => Operation::Refund,
                    },
                    amount,
                    currency: orig.currency.as_deref().unwrap_or(""),
                    card: None,
                    postal_code: None,
                    original_reference: orig.gateway_transaction_id.as_deref(),
                    settings: settings.as_ref(),
                })
                .await;
            metrics::counter!("openflex_processor_outcomes_total", "class" => class_label(result.code)).increment(1);

            // (2) Record the answer; a decline gives the reservation back.
            self.apply_result(&mut row, &result, None);
            let mut tx = self.store.begin().await?;
            if write_ahead {
                Store::finish_txn(&mut tx, &row).await?;
                if !result.code.is_approved() {
                    Store::release(&mut tx, &orig.id, reservation).await?;
                }
            } else {
                if !insert_unique(&mut tx, &row).await? {
                    return Ok(Err(self.reject(
                        now,
                        50129,
                        "merchantTransactionId was already used",
                    )));
                }
                if result.code.is_approved()
                    && !Store::reserve(&mut tx, &orig.id, reservation).await?
                {
                    drop(tx);
                    continue; // someone else changed the original: re-read and decide again
                }
            }
            tx.commit().await?;
            return Ok(Ok(self.with_pm(t, &row, now_us).await?));
        }
        Err(EngineError::Internal(
            "follow-up kept losing races; try again".into(),
        ))
    }

    async fn with_pm(&self, t: &Tenant, row: &TxnRow, now_us: i64) -> Result<Transaction> {
        let pm = match &row.payment_method_id {
            Some(id) => self
                .store
                .payment_method(&t.merchant_id, t.mode.as_str(), id)
                .await?
                .map(|r| PaymentMethod::from_row(&r, now_us))
                .transpose()?,
            None => None,
        };
        Transaction::from_row(row, pm)
    }

    pub async fn transaction(&self, t: &Tenant, id: &str) -> Result<Transaction> {
        let row = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        self.with_pm(t, &row, micros(self.now_for(t))).await
    }

    pub async fn transaction_by_mtid(&self, t: &Tenant, mtid: &str) -> Result<Transaction> {
        let row = self
            .store
            .txn_by_mtid(&t.merchant_id, t.mode.as_str(), mtid)
            .await?
            .ok_or(EngineError::NotFound)?;
        self.with_pm(t, &row, micros(self.now_for(t))).await
    }

    /// A keyset page of transactions, payment methods loaded in one query.
    pub async fn transactions(&self, t: &Tenant, q: &ListQuery) -> Result<Vec<Transaction>> {
        let rows = self
            .store
            .txns_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        self.with_pms(t, &rows).await
    }

    /// Newest first: up to `limit` transactions matching `f` among the `window` before
    /// `before`, and where the next window starts when this one was full (see
    /// [`Store::txns_filtered`]).
    pub async fn transactions_filtered(
        &self,
        t: &Tenant,
        before: Option<&str>,
        f: &TxnFilter,
        limit: i64,
        window: i64,
    ) -> Result<(Vec<Transaction>, Option<String>)> {
        let (rows, resume) = self
            .store
            .txns_filtered(&t.merchant_id, t.mode.as_str(), before, f, limit, window)
            .await?;
        Ok((self.with_pms(t, &rows).await?, resume))
    }

    async fn with_pms(&self, t: &Tenant, rows: &[TxnRow]) -> Result<Vec<Transaction>> {
        let mut ids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.payment_method_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let now_us = micros(self.now_for(t));
        let pms = self
            .store
            .payment_methods_by_ids(&t.merchant_id, t.mode.as_str(), &ids)
            .await?;
        rows.iter()
            .map(|r| {
                let pm = r
                    .payment_method_id
                    .as_ref()
                    .and_then(|id| pms.iter().find(|p| &p.id == id))
                    .map(|p| PaymentMethod::from_row(p, now_us))
                    .transpose()?;
                Transaction::from_row(r, pm)
            })
            .collect()
    }

    /// Settles attempts a crash left `pending`: marked as errors (no processor answer was
    /// recorded, and the sandbox moved no money), reservations given back.
    pub async fn recover_pending(&self, older_than: std::time::Duration) -> Result<u64> {
        let cutoff = micros(self.now()) - older_than.as_micros() as i64;
        let mut fixed = 0;
        for mut row in self.store.stale_pending(cutoff, 500).await? {
            let code = ResponseCode(20046);
            let res = ProcessorResult {
                code,
                avs_code: None,
                avs_message: None,
                cvv_code: None,
                cvv_message: None,
                gateway_transaction_id: None,
            };
            self.apply_result(
                &mut row,
                &res,
                Some("the server stopped before the gateway answered".into()),
            );
            row.status = 3;
            let mut tx = self.store.begin().await?;
            Store::finish_txn(&mut tx, &row).await?;
            if let Some(orig) = &row.original_id {
                let reservation = match TxnType::parse(&row.txn_type) {
                    Some(TxnType::Capture) => Some(Reservation::Capture(row.amount)),
                    Some(TxnType::Refund) => Some(Reservation::Refund(row.amount)),
                    Some(TxnType::Void) => Some(Reservation::Void),
                    _ => None,
                };
                if let Some(r) = reservation {
                    Store::release(&mut tx, orig, r).await?;
                }
            }
            tx.commit().await?;
            fixed += 1;
        }
        Ok(fixed)
    }
}

fn class_label(code: ResponseCode) -> &'static str {
    match code.class() {
        CodeClass::Approved => "approved",
        CodeClass::Soft => "soft_decline",
        CodeClass::Hard => "hard_decline",
        CodeClass::Risk => "risk",
        CodeClass::Validation => "validation",
    }
}

impl Rejection {
    pub fn is_card_decline(&self) -> bool {
        self.code.class() != CodeClass::Validation
    }
}
