//! Capture, void and refund of an earlier transaction. The lifecycle rules (domain) decide
//! the amount; the reservation on the original — a conditional UPDATE — keeps concurrent
//! follow-ups from over-spending it, and a lost race re-reads the original and decides again.

use super::{FollowUpKind, FollowUpRequest, count_outcome, insert_unique, json};
use crate::payment_methods::Outcome;
use crate::processor::{Operation, ProcessorRequest, ProcessorResult};
use crate::{Details, Engine, EngineError, Gateway, GatewayStatus, Result, Tenant, micros};
use openflex_domain::lifecycle::{self, Original, TxnType};
use openflex_store::{Reservation, Store, StoreError, TxnRow};

impl Engine {
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
                    self.apply_result(&mut row, &ProcessorResult::refused(code), None);
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
            count_outcome(&result);

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
}
