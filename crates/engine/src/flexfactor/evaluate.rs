//! `/v1/evaluate` and `/v1/transmit`: how a declined payment becomes an order (its card kept
//! for the attempts, its first state decided, its jobs and webhooks written in one transaction)
//! and how a shared transaction is kept for the merchant's risk model.

use super::{
    CardInput, EvaluateRefusal, EvaluateRequest, Evaluated, MAX_EXPIRY, TransmitSummary, state_of,
};
use crate::idempotency::{Seal, commit_answering};
use crate::payment_methods::NewCard;
use crate::{Engine, EngineError, Result, StorageState, Tenant, micros};
use openflex_domain::Secret;
use openflex_domain::card::{self, Expiry};
use openflex_domain::money::Currency;
use openflex_domain::rescue::{self, Flow, OrderState};
use openflex_store::{OrderRow, Store, StoreError};
use time::OffsetDateTime;

impl Engine {
    /// The clear PAN behind an evaluate card, and the payment method to keep for attempts.
    async fn evaluate_card(
        &self,
        t: &Tenant,
        card: &CardInput,
        now: OffsetDateTime,
    ) -> Result<
        std::result::Result<
            (
                Secret<String>,
                Option<openflex_store::PaymentMethodRow>,
                String,
            ),
            EvaluateRefusal,
        >,
    > {
        match card {
            CardInput::Token(id) => {
                let row = match self
                    .store
                    .payment_method(&t.merchant_id, t.mode.as_str(), id)
                    .await?
                {
                    Some(r) if !r.is_redacted() => r,
                    _ => {
                        return Ok(Err(EvaluateRefusal::UnknownToken));
                    }
                };
                let Some(data) = self.open_card(&row, micros(now))? else {
                    return Ok(Err(EvaluateRefusal::TokenWithoutCard));
                };
                Ok(Ok((data.pan, None, row.id)))
            }
            CardInput::Pan {
                pan,
                expiry,
                holder,
            } => {
                if !card::luhn_valid(pan.expose()) {
                    return Ok(Err(EvaluateRefusal::InvalidCardNumber));
                }
                let new = NewCard {
                    pan: pan.clone(),
                    cvv: None,
                    expiry: expiry.unwrap_or(Expiry {
                        month: 12,
                        year: 2099,
                    }),
                    holder: (**holder).clone(),
                };
                let row = self.seal_card(t, &new, StorageState::Cached, false, now)?;
                let id = row.id.clone();
                Ok(Ok((pan.clone(), Some(row), id)))
            }
        }
    }

    /// `POST /v1/evaluate`. A keyed request's answer commits with the new order unless a
    /// gateway attempt follows at once (its outcome is part of the answer): the key's use case
    /// then stores it after the attempt, and a retry meanwhile finds the order by its id.
    pub async fn ff_evaluate(
        &self,
        t: &Tenant,
        req: EvaluateRequest,
        seal: Option<Seal<Evaluated>>,
    ) -> Result<std::result::Result<Evaluated, EvaluateRefusal>> {
        let now = self.now_for(t);
        if let Some(existing) = self
            .store
            .order_by_external(&t.merchant_id, t.mode.as_str(), &req.external_order_id)
            .await?
        {
            // Retries of the same order (sync MIT) answer with the order's current state.
            return Ok(Ok(Evaluated {
                state: state_of(&existing),
                created: false,
                order_id: existing.id,
                sense_key: existing.sense_key,
            }));
        }
        let flow = match (req.is_mit, req.expiry) {
            (false, _) => Flow::Cit,
            (true, None) => Flow::SyncMit,
            (true, Some(_)) => Flow::ManagedMit,
        };
        if let Some(expiry) = req.expiry {
            if expiry <= now {
                return Ok(Err(EvaluateRefusal::ExpiryPassed));
            }
            if expiry - now > MAX_EXPIRY {
                return Ok(Err(EvaluateRefusal::ExpiryTooFar));
            }
        }
        let (pan, mut new_pm, pm_id) = match self.evaluate_card(t, &req.card, now).await? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        // A card sent in clear for a managed MIT stays (encrypted) until the order's window
        // closes: the rescue attempts need it.
        if let (Some(pm), Some(expiry)) = (new_pm.as_mut(), req.expiry.filter(|_| req.is_mit)) {
            pm.cache_expires_at = pm.cache_expires_at.map(|c| c.max(micros(expiry)));
        }
        // Real gateways decide a real rescue, attempt by attempt (`live`); the sandbox's
        // gateways decide from the card number at once.
        let real = self
            .rescues_for_real(t, req.currency.code(), &req.external_order_id)
            .await?;
        // A gateway cannot charge a card without its expiry date: a real rescue of a card sent
        // in clear without one is declined at once, not sent with a made-up date.
        let no_expiry = matches!(&req.card, CardInput::Pan { expiry: None, .. });
        let state = if real && no_expiry {
            OrderState::Declined
        } else if real {
            OrderState::Processing
        } else {
            rescue::sandbox_decision(
                pan.expose(),
                flow,
                req.authorization,
                req.payer_phone,
                &req.response_code,
            )
        };
        let mut row = OrderRow {
            id: crate::ids::guid(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            external_order_id: req.external_order_id.clone(),
            status: state.code(),
            status_name: state.name().to_string(),
            flow: flow.as_str().to_string(),
            transaction_type: if req.authorization {
                "AUTHORIZATION"
            } else {
                "PURCHASE"
            }
            .to_string(),
            amount: req.amount,
            currency: req.currency.code().to_string(),
            authorized_amount: 0,
            captured_amount: 0,
            refunded_amount: 0,
            payment_method_id: Some(pm_id),
            expiry_date: req.expiry.map(micros),
            capture_deadline: None,
            confirmation_id: None,
            sense_key: req.sense_key.clone(),
            payer: serde_json::to_string(&req.payer)
                .map_err(|e| EngineError::Internal(e.to_string()))?,
            details: serde_json::to_string(&req.details)
                .map_err(|e| EngineError::Internal(e.to_string()))?,
            created_at: micros(now),
            updated_at: micros(now),
            payment_transaction_id: None,
            rescue_attempts: 0,
        };
        self.settle_state(&mut row, state, now);
        let mut tx = self.store.begin().await?;
        if let Some(pm) = &new_pm {
            Store::insert_payment_method(&mut tx, pm).await?;
            self.schedule_card_expiry(&mut tx, t, pm).await?;
        }
        match Store::insert_order(&mut tx, &row).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                drop(tx);
                let existing = self
                    .store
                    .order_by_external(&t.merchant_id, t.mode.as_str(), &req.external_order_id)
                    .await?
                    .ok_or(EngineError::NotFound)?;
                return Ok(Ok(Evaluated {
                    state: state_of(&existing),
                    created: false,
                    order_id: existing.id,
                    sense_key: existing.sense_key,
                }));
            }
            Err(e) => return Err(e.into()),
        }
        let detail = format!(
            "{} {} evaluated: {}{}",
            flow.as_str(),
            row.transaction_type,
            state.name(),
            if real && no_expiry {
                " (the card's expiry date was not given; no gateway can charge it)"
            } else {
                ""
            }
        );
        Store::insert_order_event(
            &mut tx,
            &self.event(
                &row.id,
                "evaluate",
                Some(row.amount),
                state.name(),
                Some(detail),
                None,
                now,
            ),
        )
        .await?;
        let attempt_now = real && !no_expiry && flow != Flow::ManagedMit;
        if !attempt_now {
            self.after_transition(&mut tx, t, &row, state, now).await?;
            let out = Evaluated {
                order_id: row.id,
                state,
                created: true,
                sense_key: row.sense_key,
            };
            commit_answering(tx, t, seal.as_ref(), &out).await?;
            return Ok(Ok(out));
        }
        // The attempt is made below, after this commit; should this request die first, this
        // job makes or finishes it.
        self.enqueue(
            &mut tx,
            t,
            crate::scheduler::kind::FF_RESCUE_ATTEMPT,
            serde_json::json!({"orderId": row.id}),
            now + super::live::FINISH_AFTER,
        )
        .await?;
        tx.commit().await?;
        let id = row.id.clone();
        self.ff_real_attempt(t, row.clone()).await?;
        let state = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), &id)
            .await?
            .map_or(state, |r| state_of(&r));
        Ok(Ok(Evaluated {
            order_id: row.id,
            state,
            created: true,
            sense_key: row.sense_key,
        }))
    }

    /// `/v1/transmit`: keeps a copy of a merchant's transaction (no card numbers).
    pub async fn ff_transmit(
        &self,
        t: &Tenant,
        external_order_id: &str,
        is_declined: bool,
        amount: i64,
        currency: &Currency,
        summary: &TransmitSummary,
    ) -> Result<String> {
        let id = crate::ids::guid();
        self.store
            .insert_transmit(
                &id,
                &t.merchant_id,
                t.mode.as_str(),
                external_order_id,
                is_declined,
                amount,
                currency.code(),
                &serde_json::to_string(summary)
                    .map_err(|e| EngineError::Internal(e.to_string()))?,
                micros(self.now_for(t)),
            )
            .await?;
        Ok(id)
    }
}
