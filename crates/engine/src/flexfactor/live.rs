//! Real rescue: where the merchant's gateways are real (live mode, or sandbox mode with a
//! gateway's test keys), a rescue attempt is a payment made by the same pipeline as a FlexPay
//! charge — routing, weights, the connector, unknown outcomes and their inquiry — so it is as
//! safe as any charge, and it shows in the merchant's transactions.
//!
//! Attempt `n` of an order is the transaction with merchantTransactionId `ff-{order}-{n}`. The
//! request that makes it and the job that finishes it converge on that one row (its unique
//! index lets only one exist), and attempt `n + 1` is never made while attempt `n`'s outcome
//! is unknown: a lost gateway answer is asked about until the gateway tells, so a customer is
//! never charged twice. The order counts decided attempts by compare-and-set
//! ([`Store::record_rescue_attempt`]), so a job that runs twice records an attempt once.
//! Capturing, refunding and cancelling such an order move money on the payment that rescued
//! it, through the FlexPay follow-ups.

use super::{ATTEMPT_INTERVAL, is_authorization, rescued_state, state_of};
use crate::connector::Initiator;
use crate::payments::{FollowUpKind, FollowUpRequest, PaymentKind, PaymentRequest, PaymentSource};
use crate::scheduler::{self, JobResult};
use crate::{Details, Engine, Mode, Result, Tenant, micros, outcome_unknown};
use openflex_domain::codes::{ResponseCode, TxnStatus};
use openflex_domain::decline;
use openflex_domain::money::Currency;
use openflex_domain::rescue::{Action, Flow, OrderState};
use openflex_store::{OrderRow, Store, TxnRow};
use time::{Duration, OffsetDateTime};

/// How soon an attempt whose outcome is unknown is looked at again.
const UNKNOWN_RECHECK: Duration = Duration::minutes(5);
/// When the job that finishes a customer-present rescue runs, in case the request that started
/// it died: after any gateway call the request made has timed out.
pub(super) const FINISH_AFTER: Duration = Duration::minutes(2);
/// A payment row older than this still marked in flight belongs to a request that died.
const IN_FLIGHT_LIMIT: Duration = Duration::minutes(2);

/// What one rescue attempt came to.
enum Attempt {
    Approved {
        transaction_id: String,
        gateway: Option<String>,
    },
    Declined {
        gateway: Option<String>,
        /// Whether a later attempt may still succeed (card-network rules allow a retry).
        retryable: bool,
        why: String,
    },
    Unknown {
        transaction_id: String,
    },
}

/// A code as the order's events and refusals say it: "Insufficient funds. (20023)".
fn in_words(code: ResponseCode) -> String {
    format!("{} ({})", code.message(), code.as_string())
}

fn attempt_of(row: &TxnRow) -> Attempt {
    let code = ResponseCode(row.response_code as u32);
    if row.state == "pending" {
        return Attempt::Unknown {
            transaction_id: row.id.clone(),
        };
    }
    if row.status == TxnStatus::Approved as i64 {
        return Attempt::Approved {
            transaction_id: row.id.clone(),
            gateway: row.gateway_token.clone(),
        };
    }
    Attempt::Declined {
        gateway: row.gateway_token.clone(),
        retryable: decline::classify(code).retryable,
        why: in_words(code),
    }
}

impl Engine {
    /// Whether the order's rescue attempts are real payments: always in live mode; in sandbox
    /// mode when the gateway the merchant's routing picks for the order is a live type (a
    /// gateway's test keys, to stage the rescue end to end).
    pub(super) async fn rescues_for_real(
        &self,
        t: &Tenant,
        currency: &str,
        order_id: &str,
    ) -> Result<bool> {
        if t.mode == Mode::Live {
            return Ok(true);
        }
        Ok(
            match self.route(t, None, currency, None, order_id, true).await? {
                Ok(g) => self
                    .connectors
                    .get(&g.gateway_type)
                    .is_some_and(|c| !c.side_effect_free()),
                Err(_) => false,
            },
        )
    }

    /// Moves a real rescue on by one attempt: makes (or finds and settles) the next attempt and
    /// records what it came to — approval, the final decline, the next attempt's job, or, while
    /// the attempt's outcome is unknown, a look again soon.
    pub(super) async fn ff_real_attempt(&self, t: &Tenant, mut row: OrderRow) -> Result<JobResult> {
        let order_id = row.id.clone();
        let state = state_of(&row);
        let now = self.now_for(t);
        if !state.can(Action::Attempt) {
            return self.after_the_order_moved_on(t, &row, now).await;
        }
        let flow = Flow::parse(&row.flow).unwrap_or(Flow::Cit);
        let expiry = row.expiry_date.map(crate::from_micros);
        let n = row.rescue_attempts + 1;
        let may_start = flow != Flow::ManagedMit || expiry.is_some_and(|e| now < e);
        let from = row.status_name.clone();
        let Some(attempt) = self.rescue_attempt(t, &row, n, may_start, now).await? else {
            return self.expire_order(t, row, now).await;
        };
        let mut tx = self.store.begin().await?;
        let done = match attempt {
            Attempt::Unknown { transaction_id } => {
                self.enqueue(
                    &mut tx,
                    t,
                    scheduler::kind::FF_RESCUE_ATTEMPT,
                    serde_json::json!({"orderId": order_id}),
                    now + UNKNOWN_RECHECK,
                )
                .await?;
                format!(
                    "order {order_id}: the outcome of attempt {n} ({transaction_id}) is not \
                     known yet; no new attempt until it is"
                )
            }
            Attempt::Approved {
                transaction_id,
                gateway,
            } => {
                let next = rescued_state(&row);
                self.settle_state(&mut row, next, now);
                row.rescue_attempts = n;
                row.payment_transaction_id = Some(transaction_id.clone());
                if !Store::transition_order(&mut tx, &row, &from).await? {
                    drop(tx);
                    return self.give_back(t, &row, &transaction_id).await;
                }
                let detail = format!("rescue attempt {n} approved: transaction {transaction_id}");
                let event = self.event(
                    &row.id,
                    "attempt",
                    Some(row.amount),
                    "APPROVED",
                    Some(detail),
                    gateway,
                    now,
                );
                Store::insert_order_event(&mut tx, &event).await?;
                self.after_transition(&mut tx, t, &row, next, now).await?;
                format!("order {order_id} rescued: {}", next.name())
            }
            Attempt::Declined {
                gateway,
                retryable,
                why,
            } => {
                row.rescue_attempts = n;
                row.updated_at = micros(now);
                let again = flow == Flow::ManagedMit && retryable;
                let recorded = if again {
                    Store::record_rescue_attempt(&mut tx, &row, &from).await?
                } else {
                    self.settle_state(&mut row, OrderState::Declined, now);
                    Store::transition_order(&mut tx, &row, &from).await?
                };
                if !recorded {
                    return Ok(JobResult::Done("order moved on meanwhile".into()));
                }
                let detail = format!("rescue attempt {n} declined: {why}");
                let event = self.event(
                    &row.id,
                    "attempt",
                    Some(row.amount),
                    "DECLINED",
                    Some(detail),
                    gateway,
                    now,
                );
                Store::insert_order_event(&mut tx, &event).await?;
                if again {
                    let expiry = expiry.unwrap_or(now);
                    let next = (now + ATTEMPT_INTERVAL).min(expiry);
                    self.enqueue(
                        &mut tx,
                        t,
                        scheduler::kind::FF_RESCUE_ATTEMPT,
                        serde_json::json!({"orderId": order_id}),
                        next,
                    )
                    .await?;
                    format!("order {order_id}: attempt {n} declined ({why}); next at {next}")
                } else {
                    self.after_transition(&mut tx, t, &row, OrderState::Declined, now)
                        .await?;
                    format!("order {order_id} declined: {why}")
                }
            }
        };
        tx.commit().await?;
        Ok(JobResult::Done(done))
    }

    /// An order that moved on (cancelled, expired) may still have an attempt in the air — one
    /// whose answer was lost. Once the gateway tells, an approval that did not rescue the order
    /// is given back.
    async fn after_the_order_moved_on(
        &self,
        t: &Tenant,
        row: &OrderRow,
        now: OffsetDateTime,
    ) -> Result<JobResult> {
        let done = || {
            Ok(JobResult::Done(format!(
                "order {} is {}; no attempt",
                row.id, row.status_name
            )))
        };
        let n = row.rescue_attempts + 1;
        let Some(attempt) = self.rescue_attempt(t, row, n, false, now).await? else {
            return done();
        };
        match attempt {
            Attempt::Approved { transaction_id, .. }
                if row.payment_transaction_id.as_deref() != Some(transaction_id.as_str()) =>
            {
                self.give_back(t, row, &transaction_id).await
            }
            Attempt::Unknown { .. } => {
                let mut tx = self.store.begin().await?;
                self.enqueue(
                    &mut tx,
                    t,
                    scheduler::kind::FF_RESCUE_ATTEMPT,
                    serde_json::json!({"orderId": row.id}),
                    now + UNKNOWN_RECHECK,
                )
                .await?;
                tx.commit().await?;
                Ok(JobResult::Done(format!(
                    "order {} is {}; its last attempt's outcome is not known yet",
                    row.id, row.status_name
                )))
            }
            _ => done(),
        }
    }

    /// An attempt approved after its order moved on without it (cancelled or expired while the
    /// attempt's outcome was unknown): the money goes back — the authorization is voided, the
    /// sale refunded.
    async fn give_back(&self, t: &Tenant, row: &OrderRow, payment: &str) -> Result<JobResult> {
        let now_row = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), &row.id)
            .await?;
        if now_row
            .as_ref()
            .is_some_and(|o| o.payment_transaction_id.as_deref() == Some(payment))
        {
            return Ok(JobResult::Done("order moved on meanwhile".into()));
        }
        let kind = if is_authorization(row) {
            FollowUpKind::Void
        } else {
            FollowUpKind::Refund
        };
        let mtid = format!("ff-{}-return-{payment}", row.id);
        Ok(
            match self.ff_money_follow_up(t, payment, kind, mtid, 0).await? {
                Ok(id) => JobResult::Done(format!(
                    "order {} had moved on; its late-approved payment {payment} was given back \
                     ({id})",
                    row.id
                )),
                Err(why) => JobResult::Retry(format!(
                    "order {} had moved on; giving back payment {payment} failed: {why}",
                    row.id
                )),
            },
        )
    }

    /// Attempt `n` of the order: the one already made (settled first when its answer was
    /// lost), or a new payment when `may_start`. `None` when there is none and none may start.
    async fn rescue_attempt(
        &self,
        t: &Tenant,
        row: &OrderRow,
        n: i64,
        may_start: bool,
        now: OffsetDateTime,
    ) -> Result<Option<Attempt>> {
        let mtid = format!("ff-{}-{n}", row.id);
        for _ in 0..2 {
            if let Some(made) = self
                .store
                .txn_by_mtid(&t.merchant_id, t.mode.as_str(), &mtid)
                .await?
            {
                return Ok(Some(self.settled_attempt(t, made, now).await?));
            }
            if !may_start {
                return Ok(None);
            }
            match self.pay(t, self.rescue_payment(row, &mtid, n)?).await? {
                Ok(txn) => {
                    let made = self
                        .store
                        .txn(&t.merchant_id, t.mode.as_str(), &txn.id)
                        .await?;
                    return Ok(made.map(|r| attempt_of(&r)));
                }
                // Another run made the attempt between the read above and this payment.
                Err(r) if r.code == ResponseCode::MTID_TAKEN => continue,
                Err(r) => {
                    return Ok(Some(Attempt::Declined {
                        gateway: None,
                        // No usable gateway now (disabled, another currency) may change.
                        retryable: r.code.0 == 50130,
                        why: r.detail,
                    }));
                }
            }
        }
        Ok(Some(Attempt::Unknown {
            transaction_id: mtid,
        }))
    }

    /// What an attempt already made came to, asking the gateway when its answer was lost (or
    /// the request that made it died mid-call).
    async fn settled_attempt(
        &self,
        t: &Tenant,
        row: TxnRow,
        now: OffsetDateTime,
    ) -> Result<Attempt> {
        if row.state != "pending" {
            return Ok(attempt_of(&row));
        }
        let dead = crate::from_micros(row.created_at) + IN_FLIGHT_LIMIT <= now;
        if !outcome_unknown(&row) && !dead {
            return Ok(attempt_of(&row));
        }
        Ok(match self.settle_unknown(t, row.clone(), now).await? {
            Some(settled) => attempt_of(&settled),
            None => attempt_of(&row),
        })
    }

    fn rescue_payment(&self, row: &OrderRow, mtid: &str, n: i64) -> Result<PaymentRequest> {
        let flow = Flow::parse(&row.flow).unwrap_or(Flow::Cit);
        let payment_method = row
            .payment_method_id
            .clone()
            .ok_or_else(|| crate::EngineError::Internal(format!("order {} has no card", row.id)))?;
        Ok(PaymentRequest {
            kind: if is_authorization(row) {
                PaymentKind::Authorize
            } else {
                PaymentKind::Charge
            },
            merchant_transaction_id: mtid.to_string(),
            order_id: row.external_order_id.clone(),
            currency: Currency::parse(&row.currency)
                .map_err(|_| crate::EngineError::Internal(format!("order {}: currency", row.id)))?,
            amount: row.amount,
            customer_id: None,
            source: PaymentSource::Token(payment_method),
            gateway_token: None,
            retry_count: 0,
            date_first_attempt: Some(crate::from_micros(row.created_at)),
            reference_data: None,
            details: Details {
                description: Some(format!(
                    "rescue attempt {n} of order {}",
                    row.external_order_id
                )),
                rescue_order: Some(row.id.clone()),
                ..Details::default()
            },
            // A checkout's rescue happens while the customer waits; the others are the
            // merchant's, on a card the customer gave before.
            initiator: Some(if flow == Flow::Cit {
                Initiator::Customer
            } else {
                Initiator::Merchant
            }),
        })
    }

    /// Moves money on the payment that rescued the order (capture, refund, void). `Ok(Err)`
    /// says why the gateway or the payment's own rules refused; an unknown outcome is not a
    /// success, and is reported so the merchant asks again (the inquiry settles it).
    pub(super) async fn ff_money_follow_up(
        &self,
        t: &Tenant,
        original: &str,
        kind: FollowUpKind,
        mtid: String,
        amount: i64,
    ) -> Result<std::result::Result<String, String>> {
        if let Some(done) = self
            .store
            .txn_by_mtid(&t.merchant_id, t.mode.as_str(), &mtid)
            .await?
        {
            return Ok(follow_up_result(&done));
        }
        let outcome = self
            .follow_up(
                t,
                FollowUpRequest {
                    kind,
                    original_id: original.to_string(),
                    merchant_transaction_id: mtid,
                    amount,
                    disable_customer_recovery: true,
                    reason: None,
                },
            )
            .await?;
        Ok(match outcome {
            Ok(txn) => match self
                .store
                .txn(&t.merchant_id, t.mode.as_str(), &txn.id)
                .await?
            {
                Some(row) => follow_up_result(&row),
                None => Err(format!("transaction {} vanished", txn.id)),
            },
            Err(r) => Err(r.detail),
        })
    }
}

fn follow_up_result(row: &TxnRow) -> std::result::Result<String, String> {
    let code = ResponseCode(row.response_code as u32);
    if row.state == "pending" {
        Err(format!(
            "the gateway's answer for transaction {} was lost; its outcome is being confirmed",
            row.id
        ))
    } else if row.status == TxnStatus::Approved as i64 {
        Ok(row.id.clone())
    } else {
        Err(in_words(code))
    }
}
