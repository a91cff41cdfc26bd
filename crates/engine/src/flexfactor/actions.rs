//! What a merchant does to an order after `/v1/evaluate`: cancel, capture, refund. Each checks
//! the order's state rules, then moves it in one transaction with its event and webhooks; a
//! request that loses a race to another is answered from the order's new state. A keyed
//! request's answer commits with the move (see [`crate::idempotency`]); should its key have
//! been taken over meanwhile, nothing commits and the key's use case answers "in progress".

use super::{OrderOutcome, OrderRef, OrderRefusal, state_of};
use crate::idempotency::{Seal, commit_answering, payload_hash};
use crate::payments::FollowUpKind;
use crate::webhooks::EventData;
use crate::{Engine, Result, Tenant, micros};
use openflex_domain::money::Currency;
use openflex_domain::rescue::{Action, OrderState};
use openflex_store::Store;

impl Engine {
    /// `/v1/orders/{id}/cancel` and `/external-cancel`: idempotent; `None` when no such order.
    pub async fn ff_cancel(
        &self,
        t: &Tenant,
        r: OrderRef<'_>,
        seal: Option<Seal<OrderOutcome>>,
    ) -> Result<Option<OrderOutcome>> {
        let Some(mut row) = self.find_order(t, &r).await? else {
            return Ok(None);
        };
        let state = state_of(&row);
        if state == OrderState::Cancelled {
            return Ok(Some(OrderOutcome::Done {
                transaction_id: None,
            }));
        }
        if !state.can(Action::Cancel) {
            return Ok(Some(OrderOutcome::Failed {
                reason: OrderRefusal::NotCancellable(state),
            }));
        }
        if let Some(payment) = row.payment_transaction_id.clone() {
            let mtid = format!("ff-{}-void", row.id);
            if let Err(detail) = self
                .ff_money_follow_up(t, &payment, FollowUpKind::Void, mtid, 0)
                .await?
            {
                return Ok(Some(OrderOutcome::Failed {
                    reason: OrderRefusal::Gateway {
                        action: Action::Cancel,
                        detail,
                    },
                }));
            }
        }
        let now = self.now_for(t);
        self.settle_state(&mut row, OrderState::Cancelled, now);
        let mut tx = self.store.begin().await?;
        if !Store::transition_order(&mut tx, &row, state.name()).await? {
            drop(tx);
            return Box::pin(self.ff_cancel(t, r, seal)).await;
        }
        Store::insert_order_event(
            &mut tx,
            &self.event(
                &row.id,
                "cancel",
                None,
                "CANCELLED",
                Some("cancelled by the merchant".into()),
                None,
                now,
            ),
        )
        .await?;
        self.after_transition(&mut tx, t, &row, OrderState::Cancelled, now)
            .await?;
        let out = OrderOutcome::Done {
            transaction_id: None,
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(Some(out))
    }

    /// `/v1/capture`: up to the authorized amount, in the order's currency.
    pub async fn ff_capture(
        &self,
        t: &Tenant,
        order_id: &str,
        amount: i64,
        currency: &Currency,
        seal: Option<Seal<OrderOutcome>>,
    ) -> Result<Option<OrderOutcome>> {
        let Some(mut row) = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
        else {
            return Ok(None);
        };
        let state = state_of(&row);
        let fail = |reason| Ok(Some(OrderOutcome::Failed { reason }));
        if !state.can(Action::Capture) {
            return fail(OrderRefusal::NotCapturable(state));
        }
        if !currency.code().eq_ignore_ascii_case(&row.currency) {
            return fail(OrderRefusal::CaptureCurrency {
                order: row.currency,
                requested: *currency,
            });
        }
        if amount <= 0 || amount > row.authorized_amount {
            return fail(OrderRefusal::CaptureAmount {
                amount,
                authorized: row.authorized_amount,
            });
        }
        let mut gateway_txn = None;
        if let Some(payment) = row.payment_transaction_id.clone() {
            let mtid = format!("ff-{}-capture", row.id);
            match self
                .ff_money_follow_up(t, &payment, FollowUpKind::Capture, mtid, amount)
                .await?
            {
                Ok(id) => gateway_txn = Some(id),
                Err(detail) => {
                    return fail(OrderRefusal::Gateway {
                        action: Action::Capture,
                        detail,
                    });
                }
            }
        }
        let now = self.now_for(t);
        row.captured_amount = amount;
        self.settle_state(&mut row, OrderState::Completed, now);
        let mut tx = self.store.begin().await?;
        if !Store::transition_order(&mut tx, &row, state.name()).await? {
            return fail(OrderRefusal::ChangedMeanwhile);
        }
        let event = self.event(
            &row.id,
            "capture",
            Some(amount),
            "CAPTURED",
            gateway_txn.map(|id| format!("captured at the gateway: transaction {id}")),
            None,
            now,
        );
        let id = event.id.clone();
        Store::insert_order_event(&mut tx, &event).await?;
        self.after_transition(&mut tx, t, &row, OrderState::Completed, now)
            .await?;
        let out = OrderOutcome::Done {
            transaction_id: Some(id),
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(Some(out))
    }

    /// `/v1/orders/{id}/refund`: partial refunds up to the captured amount.
    pub async fn ff_refund(
        &self,
        t: &Tenant,
        order_id: &str,
        amount: i64,
        message: Option<&str>,
        seal: Option<Seal<OrderOutcome>>,
    ) -> Result<Option<OrderOutcome>> {
        let Some(mut row) = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
        else {
            return Ok(None);
        };
        let state = state_of(&row);
        let exp = Currency::parse(&row.currency)
            .map(|c| c.exponent())
            .unwrap_or(2);
        let dollars = |v: i64| openflex_domain::money::minor_to_decimal(v, exp);
        if !state.can(Action::Refund) {
            return Ok(Some(OrderOutcome::Failed {
                reason: OrderRefusal::NotRefundable(state),
            }));
        }
        if amount > row.captured_amount - row.refunded_amount {
            return Ok(Some(OrderOutcome::Failed {
                reason: OrderRefusal::OverRefund {
                    amount,
                    refundable: row.captured_amount - row.refunded_amount,
                    exponent: exp,
                },
            }));
        }
        let mut gateway_txn = None;
        if let Some(payment) = row.payment_transaction_id.clone() {
            // An authorization's money was taken by its capture: that is what is refunded.
            let capture = self
                .store
                .txn_by_mtid(
                    &t.merchant_id,
                    t.mode.as_str(),
                    &format!("ff-{}-capture", row.id),
                )
                .await?
                .map_or(payment, |c| c.id);
            let mtid = format!("ff-{}-refund-{}", row.id, self.ids.next());
            match self
                .ff_money_follow_up(t, &capture, FollowUpKind::Refund, mtid, amount)
                .await?
            {
                Ok(id) => gateway_txn = Some(id),
                Err(detail) => {
                    return Ok(Some(OrderOutcome::Failed {
                        reason: OrderRefusal::Gateway {
                            action: Action::Refund,
                            detail,
                        },
                    }));
                }
            }
        }
        let now = self.now_for(t);
        let mut tx = self.store.begin().await?;
        if !Store::reserve_order_refund(&mut tx, &row.id, amount, micros(now)).await? {
            drop(tx);
            let fresh = self
                .store
                .order(&t.merchant_id, t.mode.as_str(), order_id)
                .await?
                .unwrap_or(row);
            return Ok(Some(OrderOutcome::Failed {
                reason: OrderRefusal::OverRefund {
                    amount,
                    refundable: fresh.captured_amount - fresh.refunded_amount,
                    exponent: exp,
                },
            }));
        }
        row.refunded_amount += amount;
        let event = self.event(
            &row.id,
            "refund",
            Some(amount),
            "REFUNDED",
            match (message, gateway_txn) {
                (Some(m), Some(id)) => {
                    Some(format!("{m} (refunded at the gateway: transaction {id})"))
                }
                (None, Some(id)) => Some(format!("refunded at the gateway: transaction {id}")),
                (m, None) => m.map(str::to_string),
            },
            None,
            now,
        );
        let id = event.id.clone();
        Store::insert_order_event(&mut tx, &event).await?;
        if row.refunded_amount >= row.captured_amount && state != OrderState::Returned {
            Store::set_order_state(
                &mut tx,
                &row.id,
                OrderState::Returned.code(),
                OrderState::Returned.name(),
                micros(now),
            )
            .await?;
        }
        let refunded = EventData::Refund {
            amount_to_refund: dollars(amount),
            refunded_amount: dollars(row.refunded_amount),
            transaction_id: id.clone(),
        };
        self.emit_order(&mut tx, t, "order.refunded", &row, refunded)
            .await?;
        let out = OrderOutcome::Done {
            transaction_id: Some(id),
        };
        commit_answering(tx, t, seal.as_ref(), &out).await?;
        Ok(Some(out))
    }
}

/// The scope of [`identical_refund`] keys.
pub const REFUND_SCOPE: &str = "refund";

/// A repeated identical refund (same order, amount and message) within the idempotency window
/// is answered from the first instead of refunding twice: the key an identical refund is kept
/// under (in [`REFUND_SCOPE`]), and the hash of the payload a replay is compared with.
pub fn identical_refund(order_id: &str, amount: i64, message: Option<&str>) -> (String, String) {
    (
        format!("{order_id}|{amount}|{}", message.unwrap_or_default()),
        payload_hash(&serde_json::json!([order_id, amount, message]).to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::identical_refund;
    use crate::idempotency::payload_hash;

    #[test]
    fn identical_refunds_share_a_key_and_others_do_not() {
        let first = identical_refund("o-1", 1200, Some("damaged"));
        assert_eq!(first, identical_refund("o-1", 1200, Some("damaged")));
        assert_eq!(first.0, "o-1|1200|damaged");
        assert_ne!(first.0, identical_refund("o-1", 1300, Some("damaged")).0);
        assert_ne!(first.0, identical_refund("o-2", 1200, Some("damaged")).0);
        assert_ne!(first.0, identical_refund("o-1", 1200, Some("late")).0);
        assert_eq!(identical_refund("o-1", 1200, None).0, "o-1|1200|");
        assert_eq!(
            identical_refund("o-1", 1200, None).1,
            payload_hash(r#"["o-1",1200,null]"#)
        );
    }
}
