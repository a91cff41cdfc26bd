//! Settling attempts whose gateway answer was lost. Such an attempt is `unknown`, never a
//! decline: the customer may have been charged. It is settled only by asking the gateway
//! ([`Connector::inquire`](crate::connector::Connector::inquire): an idempotent replay or a
//! lookup by our reference), from three places — a job enqueued with the attempt (and again,
//! with backoff, while the gateway cannot tell), a FlexPay retry that presents the attempt's
//! referenceData, and the crash recovery of attempts left `pending`. Whoever settles first wins
//! the conditional UPDATE; the others read its result.

use crate::connector::{
    Billing, ConnectorRequest, ConnectorResult, Initiator, Instrument, Operation, PriorTxn, SentAs,
};
use crate::scheduler::{JobResult, kind};
use crate::{Engine, Gateway, Holder, Result, ResultDetails, Tenant, micros, outcome_unknown};
use openflex_domain::lifecycle::TxnType;
use openflex_store::{GatewayEventRow, Store, StoreError, Tx, TxnRow};
use time::OffsetDateTime;

/// The first inquiry follows the lost answer closely; later ones back off (the job queue's
/// retry schedule, about a day in all).
const FIRST_INQUIRY: time::Duration = time::Duration::seconds(2);

impl Engine {
    /// The gateway id and amount a follow-up of `orig` acts on. A capture is a change to its
    /// authorization, not a payment of its own: a refund of it acts on the authorization's id
    /// (Adyen refuses a capture's pspReference), with the captured amount.
    pub(crate) async fn acted_on(&self, t: &Tenant, orig: &TxnRow) -> Result<(String, i64)> {
        let own = orig.gateway_transaction_id.clone().unwrap_or_default();
        if TxnType::parse(&orig.txn_type) != Some(TxnType::Capture) {
            return Ok((own, orig.amount));
        }
        let Some(auth_id) = &orig.original_id else {
            return Ok((own, orig.amount));
        };
        let auth = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), auth_id)
            .await?;
        Ok((
            auth.and_then(|a| a.gateway_transaction_id).unwrap_or(own),
            orig.amount,
        ))
    }

    /// Schedules the inquiry of an attempt recorded as unknown, in the transaction that
    /// records it.
    pub(crate) async fn enqueue_inquiry(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        transaction_id: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.enqueue(
            tx,
            t,
            kind::GATEWAY_INQUIRY,
            serde_json::json!({ "transactionId": transaction_id }),
            now + FIRST_INQUIRY,
        )
        .await
        .map(|_| ())
    }

    /// The inquiry job: settles the attempt, or tries again later while the gateway cannot tell.
    pub(crate) async fn inquiry_job(&self, t: &Tenant, transaction_id: &str) -> Result<JobResult> {
        let Some(row) = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), transaction_id)
            .await?
        else {
            return Ok(JobResult::Done(format!(
                "transaction {transaction_id} not found"
            )));
        };
        if !outcome_unknown(&row) {
            return Ok(JobResult::Done(format!(
                "transaction {transaction_id} is settled already"
            )));
        }
        let now = self.now_for(t);
        Ok(match self.settle_unknown(t, row, now).await? {
            Some(settled) => JobResult::Done(format!(
                "transaction {transaction_id} settled by inquiry: {}",
                settled.response_code
            )),
            None => JobResult::Retry(format!(
                "the gateway cannot tell the outcome of {transaction_id} yet"
            )),
        })
    }

    /// Asks the gateway what happened to an `unknown` attempt and records it. `None` while the
    /// gateway still cannot tell; otherwise the settled row (settled here or, when another
    /// inquiry won the race, by it).
    pub(crate) async fn settle_unknown(
        &self,
        t: &Tenant,
        row: TxnRow,
        now: OffsetDateTime,
    ) -> Result<Option<TxnRow>> {
        self.settle_unknown_recording(t, row, now, None).await
    }

    /// [`Engine::settle_unknown`], recording `event` — the gateway webhook that prompted it — in
    /// the transaction that records the settlement, so the two commit together. The settlement
    /// is still the gateway's answer to the inquiry, never the event's body.
    pub(crate) async fn settle_unknown_recording(
        &self,
        t: &Tenant,
        mut row: TxnRow,
        now: OffsetDateTime,
        event: Option<&GatewayEventRow>,
    ) -> Result<Option<TxnRow>> {
        let stored = stored_details(&row);
        let Some(result) = self
            .inquire_gateway(t, &row, sent_as_of(&stored), now)
            .await?
        else {
            return Ok(None);
        };
        if result.is_unknown() {
            return Ok(None);
        }
        let approved = result.code.is_approved();
        let is_payment = matches!(
            TxnType::parse(&row.txn_type),
            Some(TxnType::Charge | TxnType::Authorize)
        );
        let rescue_order = serde_json::from_str::<crate::Details>(&row.details)
            .ok()
            .and_then(|d| d.rescue_order);
        // A decline learned late follows the retry policy as if it had come at once — unless
        // the attempt rescues a FlexFactor order, whose own schedule decides.
        let decision = (!approved && is_payment && rescue_order.is_none())
            .then(|| self.retry_decision(t, &mut row, result.code, 0, now));
        let retry_at = decision.as_ref().and_then(|d| d.retry_at);
        let details = self.apply_result(
            &mut row,
            &result,
            None,
            decision.map(|d| d.explain),
            stored.sent_as,
        );
        let mut tx = self.store.begin().await?;
        match Store::finish_txn(&mut tx, &row).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                drop(tx);
                return self.reread(t, &row.id).await;
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(at) = retry_at.filter(|_| t.retry_policy.scheduler_mode) {
            self.enqueue_scheduled_retry(&mut tx, t, &row.id, at)
                .await?;
        }
        if let (false, Some(original), Some(r)) =
            (approved, &row.original_id, super::reservation_of(&row))
        {
            Store::release(&mut tx, original, r).await?;
        }
        Self::keep_cit_network_id(&mut tx, &row, &details, &result, micros(now)).await?;
        if let Some(event) = event {
            Store::insert_gateway_event(&mut tx, event).await?;
        }
        if let Some(order) = rescue_order {
            // The order waits on this attempt: move it on now.
            self.enqueue(
                &mut tx,
                t,
                kind::FF_RESCUE_ATTEMPT,
                serde_json::json!({ "orderId": order }),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("openflex_unknown_outcomes_settled_total",
            "outcome" => if approved { "approved" } else { "declined" })
        .increment(1);
        Ok(Some(row))
    }

    async fn reread(&self, t: &Tenant, id: &str) -> Result<Option<TxnRow>> {
        Ok(self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .filter(|r| r.state != "pending"))
    }

    /// Keeps the network transaction id of an approved customer-initiated payment for the
    /// card's later merchant-initiated ones (the first one kept wins).
    pub(super) async fn keep_cit_network_id(
        tx: &mut Tx,
        row: &TxnRow,
        details: &ResultDetails,
        result: &ConnectorResult,
        now_us: i64,
    ) -> Result<()> {
        if let Some((pm, nti)) = Self::cit_network_id(row, details, result) {
            Store::keep_network_id(tx, pm, nti, &row.id, now_us).await?;
        }
        Ok(())
    }

    /// The card and network transaction id an approved customer-initiated payment makes worth
    /// keeping, if any.
    pub(super) fn cit_network_id<'r>(
        row: &'r TxnRow,
        details: &ResultDetails,
        result: &'r ConnectorResult,
    ) -> Option<(&'r str, &'r str)> {
        let cit = result.code.is_approved() && sent_as_of(details).initiator == Initiator::Customer;
        match (cit, &row.payment_method_id, &result.network_transaction_id) {
            (true, Some(pm), Some(nti)) => Some((pm, nti)),
            _ => None,
        }
    }

    /// Sends the attempt's request again as an inquiry. `None` when nothing can be asked (the
    /// gateway or its connector is gone): the attempt stays unknown for an operator.
    async fn inquire_gateway(
        &self,
        t: &Tenant,
        row: &TxnRow,
        sent_as: SentAs,
        now: OffsetDateTime,
    ) -> Result<Option<ConnectorResult>> {
        let Some(token) = &row.gateway_token else {
            return Ok(None);
        };
        let Some(gateway) = self
            .store
            .gateway(&t.merchant_id, t.mode.as_str(), token)
            .await?
            .map(|g| Gateway::from_row(&g))
        else {
            return Ok(None);
        };
        let Some(connector) = self.connectors.get(&gateway.gateway_type) else {
            return Ok(None);
        };
        let settings = self.gateway_settings(t, &gateway)?;
        let Some(operation) = TxnType::parse(&row.txn_type).and_then(operation_of) else {
            return Ok(None);
        };
        let currency = row.currency.clone().unwrap_or_default();
        let mut holder = Holder::default();
        let mut card = None;
        let mut token = None;
        let mut original = None;
        if operation.is_payment() {
            let Some(pm_id) = &row.payment_method_id else {
                return Ok(None);
            };
            let Some(pm) = self
                .store
                .payment_method(&t.merchant_id, t.mode.as_str(), pm_id)
                .await?
            else {
                return Ok(None);
            };
            holder = serde_json::from_str(&pm.holder).unwrap_or_default();
            card = self.open_card(&pm, micros(now))?;
            token = pm.gateway_payment_method_id.clone();
        } else if let Some(orig_id) = &row.original_id
            && let Some(o) = self
                .store
                .txn(&t.merchant_id, t.mode.as_str(), orig_id)
                .await?
        {
            original = Some(self.acted_on(t, &o).await?);
        }
        let details: crate::Details = serde_json::from_str(&row.details).unwrap_or_default();
        let req = ConnectorRequest {
            operation,
            reference: &row.id,
            amount: row.amount,
            currency: &currency,
            instrument: Instrument::of(card.as_ref(), token.as_deref()),
            billing: Billing::of(&holder, details.customer_ip.as_deref()),
            stored_credential: sent_as.stored_credential(),
            original: original
                .as_ref()
                .filter(|(id, _)| !id.is_empty())
                .map(|(id, amount)| PriorTxn {
                    gateway_transaction_id: id,
                    amount: *amount,
                }),
            settings: settings.as_ref(),
        };
        Ok(Some(connector.inquire(req).await))
    }
}

fn operation_of(kind: TxnType) -> Option<Operation> {
    Some(match kind {
        TxnType::Charge => Operation::Sale,
        TxnType::Authorize => Operation::Authorize,
        TxnType::Capture => Operation::Capture,
        TxnType::Void => Operation::Void,
        TxnType::Refund => Operation::Refund,
        _ => return None,
    })
}

/// The result details of an attempt read from the database (none yet: the default).
pub(crate) fn stored_details(row: &TxnRow) -> ResultDetails {
    serde_json::from_str(&row.result).unwrap_or_default()
}

/// How the attempt was sent: kept on every payment written ahead of its call; a capture, void
/// or refund is the merchant's own act on an earlier payment.
pub(super) fn sent_as_of(details: &ResultDetails) -> SentAs {
    details.sent_as.clone().unwrap_or(SentAs {
        initiator: Initiator::Merchant,
        stores_card: false,
        network_transaction_id: None,
    })
}
