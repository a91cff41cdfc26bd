//! Capture, void and refund of an earlier transaction, as steps: read the original and let the
//! lifecycle rules (domain) decide the amount, check the original's gateway still takes the
//! operation, reserve the amount on the original — a conditional UPDATE, so concurrent
//! follow-ups cannot over-spend it — call the connector, record the answer. A lost race on the
//! reservation re-reads the original and decides again.

use super::{FollowUpKind, FollowUpRequest, Step, count_outcome, insert_unique, json, settle};
use crate::connector::{
    Billing, ConnectorRequest, ConnectorResult, Initiator, Operation, PriorTxn, StoredCredential,
};
use crate::payment_methods::Outcome;
use crate::{
    Details, Engine, EngineError, Gateway, GatewayStatus, Result, Tenant, Transaction, micros,
};
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::{self, Original, TxnType};
use openflex_store::{Reservation, Store, StoreError, TxnRow};
use time::OffsetDateTime;

/// How many follow-ups of one transaction [`Engine::follow_ups_of`] reads (each reserves part
/// of the original, so a real one has a handful; the bound keeps a pathological one cheap).
const FOLLOW_UPS_SHOWN: i64 = 200;

/// Rounds of "re-read the original and decide again" before giving up.
const MAX_RACES: usize = 8;

impl Engine {
    /// Capture, void or refund of an earlier transaction.
    pub async fn follow_up(&self, t: &Tenant, req: FollowUpRequest) -> Result<Outcome> {
        for _ in 0..MAX_RACES {
            let mut outcome = match self.follow_up_once(t, &req).await {
                Ok(None) => continue, // someone else changed the original meanwhile
                Ok(Some(txn)) => settle(Ok(txn))?,
                Err(stop) => settle(Err(stop))?,
            };
            if let Ok(txn) = &mut outcome {
                self.name_gateways(t, std::slice::from_mut(txn)).await?;
            }
            return Ok(outcome);
        }
        Err(EngineError::Internal(
            "follow-up kept losing races; try again".into(),
        ))
    }

    /// One round of a follow-up; `None` when the reservation lost a race.
    async fn follow_up_once(&self, t: &Tenant, req: &FollowUpRequest) -> Step<Option<Transaction>> {
        let now = self.now_for(t);
        let (orig, original) = self.load_original(t, req, now).await?;
        if req.kind == FollowUpKind::Refund
            && t.retry_policy.scheduler_mode
            && !original.approved
            && matches!(original.kind, TxnType::Charge | TxnType::Authorize)
            && let Some(stopped) = self.stop_recovery(t, &orig, req, now).await?
        {
            return Ok(Some(stopped?));
        }
        let mut row = self.follow_up_row(t, req, &orig, now)?;
        let (amount, reservation) = match decide(req, &orig, &original) {
            Ok(v) => v,
            Err(code) => {
                return self
                    .record_state_decline(t, row, req, code, now)
                    .await
                    .map(Some);
            }
        };
        row.amount = amount;
        let gateway = self.follow_up_gateway(t, req, &orig, now).await?;
        let connector = self.connectors.get(&gateway.gateway_type).ok_or_else(|| {
            EngineError::Internal(format!("no connector for {}", gateway.gateway_type))
        })?;
        // Record the attempt and reserve the amount atomically — before the call when the
        // connector has side effects; with a side-effect-free one (see `pay`) the reservation
        // is taken with the answer, in one transaction.
        let write_ahead = !connector.side_effect_free();
        if write_ahead {
            let mut tx = self.store.begin().await?;
            if !insert_unique(&mut tx, &row).await? {
                return Err(self.mtid_taken(now).into());
            }
            if !Store::reserve(&mut tx, &orig.id, reservation).await? {
                return Ok(None);
            }
            tx.commit().await?;
        }
        let settings = self.gateway_settings(t, &gateway)?;
        let (acted_on, acted_amount) = self.acted_on(t, &orig).await?;
        let result = connector
            .process(ConnectorRequest {
                operation: match req.kind {
                    FollowUpKind::Capture => Operation::Capture,
                    FollowUpKind::Void => Operation::Void,
                    FollowUpKind::Refund => Operation::Refund,
                },
                reference: &row.id,
                amount,
                currency: orig.currency.as_deref().unwrap_or(""),
                instrument: None,
                billing: Billing::default(),
                stored_credential: StoredCredential {
                    initiator: Initiator::Merchant,
                    stores_card: false,
                    network_transaction_id: None,
                },
                original: (!acted_on.is_empty()).then_some(PriorTxn {
                    gateway_transaction_id: &acted_on,
                    amount: acted_amount,
                }),
                settings: settings.as_ref(),
            })
            .await;
        count_outcome(&result);

        // Record the answer; a decline gives the reservation back. An unknown outcome keeps it
        // until the inquiry learns whether the money moved.
        self.apply_result(&mut row, &result, None, None, None);
        let mut tx = self.store.begin().await?;
        if write_ahead {
            Store::finish_txn(&mut tx, &row).await?;
            if result.is_unknown() {
                self.enqueue_inquiry(&mut tx, t, &row.id, now).await?;
            } else if !result.code.is_approved() {
                Store::release(&mut tx, &orig.id, reservation).await?;
            }
        } else {
            if !insert_unique(&mut tx, &row).await? {
                return Err(self.mtid_taken(now).into());
            }
            if result.code.is_approved() && !Store::reserve(&mut tx, &orig.id, reservation).await? {
                return Ok(None);
            }
        }
        tx.commit().await?;
        let mut txn = self.with_pm(t, &row, micros(now)).await?;
        txn.gateway_name = Some(gateway.name.clone());
        Ok(Some(txn))
    }

    /// The original transaction and the facts the lifecycle rules decide on.
    async fn load_original(
        &self,
        t: &Tenant,
        req: &FollowUpRequest,
        now: OffsetDateTime,
    ) -> Step<(TxnRow, Original)> {
        let Some(orig) = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), &req.original_id)
            .await?
        else {
            return Err(self
                .reject(now, 50131, "no transaction with this id")
                .into());
        };
        let original = original_facts(&orig, now);
        Ok((orig, original))
    }

    /// The follow-ups transaction `id` still allows now, as [`Engine::follow_up`] would decide
    /// them (a gateway that no longer takes the operation still refuses it then).
    pub async fn follow_up_offers(&self, t: &Tenant, id: &str) -> Result<lifecycle::Offers> {
        let orig = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        Ok(lifecycle::offers(&original_facts(&orig, self.now_for(t))))
    }

    /// The captures, voids and refunds made of transaction `id`, oldest first.
    pub async fn follow_ups_of(&self, t: &Tenant, id: &str) -> Result<Vec<Transaction>> {
        let rows = self
            .store
            .txns_by_original(&t.merchant_id, t.mode.as_str(), id, FOLLOW_UPS_SHOWN)
            .await?;
        rows.iter()
            .map(|r| Transaction::from_row(r, None))
            .collect()
    }

    /// The follow-up's attempt row, `pending`, inheriting the original's references.
    fn follow_up_row(
        &self,
        t: &Tenant,
        req: &FollowUpRequest,
        orig: &TxnRow,
        now: OffsetDateTime,
    ) -> Step<TxnRow> {
        let details = Details {
            disable_customer_recovery: req.disable_customer_recovery,
            reason: req.reason.clone(),
            ..Details::default()
        };
        Ok(TxnRow {
            txn_type: match req.kind {
                FollowUpKind::Capture => TxnType::Capture,
                FollowUpKind::Void => TxnType::Void,
                FollowUpKind::Refund => TxnType::Refund,
            }
            .as_str()
            .to_string(),
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
            ..self.new_txn(t, micros(now))
        })
    }

    /// A state-rule decline (capture twice, refund over the amount, …) is recorded like any
    /// other declined operation.
    async fn record_state_decline(
        &self,
        t: &Tenant,
        mut row: TxnRow,
        req: &FollowUpRequest,
        code: ResponseCode,
        now: OffsetDateTime,
    ) -> Step<Transaction> {
        row.amount = req.amount.max(0);
        self.apply_result(&mut row, &ConnectorResult::refused(code), None, None, None);
        let mut tx = self.store.begin().await?;
        match Store::insert_txn(&mut tx, &row).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(self.with_pm(t, &row, micros(now)).await?)
            }
            Err(StoreError::Conflict) => Err(self.mtid_taken(now).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The original's gateway, when it still exists and takes this operation (a RefundOnly
    /// gateway takes refunds only).
    async fn follow_up_gateway(
        &self,
        t: &Tenant,
        req: &FollowUpRequest,
        orig: &TxnRow,
        now: OffsetDateTime,
    ) -> Step<Gateway> {
        let gateway = match &orig.gateway_token {
            Some(token) => self
                .store
                .gateway(&t.merchant_id, t.mode.as_str(), token)
                .await?
                .map(|g| Gateway::from_row(&g)),
            None => None,
        };
        let Some(gateway) = gateway else {
            return Err(self
                .reject(
                    now,
                    50130,
                    "the original transaction's gateway no longer exists",
                )
                .into());
        };
        let allowed = matches!(
            (gateway.status, req.kind),
            (GatewayStatus::Available, _) | (GatewayStatus::RefundOnly, FollowUpKind::Refund)
        );
        if !allowed {
            return Err(self
                .reject(
                    now,
                    50130,
                    format!(
                        "gateway {} is {} and cannot take this operation",
                        gateway.token,
                        gateway.status.as_str()
                    ),
                )
                .into());
        }
        Ok(gateway)
    }
}

/// What the lifecycle rules decide on, read from the original's row at `now`.
fn original_facts(orig: &TxnRow, now: OffsetDateTime) -> Original {
    Original {
        kind: TxnType::parse(&orig.txn_type).unwrap_or(TxnType::CreatePaymentMethod),
        approved: orig.status == 1 && orig.state == "done",
        amount: orig.amount,
        captured_amount: orig.captured_amount,
        refunded_amount: orig.refunded_amount,
        voided: orig.voided,
        settled: now >= lifecycle::settles_at(crate::from_micros(orig.created_at)),
    }
}

/// What the lifecycle rules allow: the amount and the reservation it takes on the original, or
/// the decline code.
fn decide(
    req: &FollowUpRequest,
    orig: &TxnRow,
    original: &Original,
) -> std::result::Result<(i64, Reservation), ResponseCode> {
    match req.kind {
        FollowUpKind::Capture => {
            lifecycle::capture_amount(original, req.amount).map(|a| (a, Reservation::Capture(a)))
        }
        FollowUpKind::Refund => {
            lifecycle::refund_amount(original, req.amount).map(|a| (a, Reservation::Refund(a)))
        }
        FollowUpKind::Void => {
            lifecycle::check_void(original).map(|()| (orig.amount, Reservation::Void))
        }
    }
}
