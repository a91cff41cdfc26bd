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
use openflex_store::{Store, StoreError, Tx, TxnRow};
use time::OffsetDateTime;

/// The first inquiry follows the lost answer closely; later ones back off (the job queue's
/// retry schedule, about a day in all).
const FIRST_INQUIRY: time::Duration = time::Duration::seconds(2);

impl Engine {
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
        mut row: TxnRow,
        now: OffsetDateTime,
    ) -> Result<Option<TxnRow>> {
        let Some(result) = self.inquire_gateway(t, &row, now).await? else {
            return Ok(None);
        };
        if result.is_unknown() {
            return Ok(None);
        }
        let kind = TxnType::parse(&row.txn_type);
        self.apply_result(&mut row, &result, None);
        let approved = result.code.is_approved();
        let mut tx = self.store.begin().await?;
        if !approved && matches!(kind, Some(TxnType::Charge | TxnType::Authorize)) {
            self.schedule_after_settled_decline(&mut tx, t, &mut row, now)
                .await?;
        }
        match Store::finish_txn(&mut tx, &row).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                drop(tx);
                return self.reread(t, &row.id).await;
            }
            Err(e) => return Err(e.into()),
        }
        if let (false, Some(original), Some(r)) =
            (approved, &row.original_id, super::reservation_of(&row))
        {
            Store::release(&mut tx, original, r).await?;
        }
        let sent_as = sent_as_of(&row);
        if let (true, true, Some(nti), Some(pm)) = (
            approved,
            sent_as.initiator == Initiator::Customer,
            &result.network_transaction_id,
            &row.payment_method_id,
        ) {
            Store::keep_network_id(&mut tx, pm, nti, &row.id, micros(now)).await?;
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

    /// A decline learned late follows the retry policy as if it had come at once: a retry
    /// date, and in scheduler mode the retry itself.
    async fn schedule_after_settled_decline(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        row: &mut TxnRow,
        now: OffsetDateTime,
    ) -> Result<()> {
        let code = openflex_domain::codes::ResponseCode(row.response_code as u32);
        let first = row
            .date_first_attempt
            .map(crate::from_micros)
            .unwrap_or(now);
        let decision = openflex_domain::retry_policy::decide(
            &t.retry_policy,
            code,
            now,
            first,
            row.retry_count,
        );
        row.retry_date = decision.retry_at.map(micros);
        let mut details: ResultDetails = serde_json::from_str(&row.result).unwrap_or_default();
        details.retry_explanation = Some(decision.explain);
        row.result = super::json(&details)?;
        if let Some(at) = decision.retry_at.filter(|_| t.retry_policy.scheduler_mode) {
            self.enqueue(
                tx,
                t,
                kind::FLEXPAY_SCHEDULED_RETRY,
                serde_json::json!({"transactionId": row.id}),
                at,
            )
            .await?;
        }
        Ok(())
    }

    /// Sends the attempt's request again as an inquiry. `None` when nothing can be asked (the
    /// gateway or its connector is gone): the attempt stays unknown for an operator.
    async fn inquire_gateway(
        &self,
        t: &Tenant,
        row: &TxnRow,
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
        let settings = self.gateway_settings(t, &gateway).await?;
        let Some(operation) = TxnType::parse(&row.txn_type).and_then(operation_of) else {
            return Ok(None);
        };
        let currency = row.currency.clone().unwrap_or_default();
        let sent_as = sent_as_of(row);
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
        } else if let Some(orig_id) = &row.original_id {
            original = self
                .store
                .txn(&t.merchant_id, t.mode.as_str(), orig_id)
                .await?;
        }
        let instrument = match (&card, &token) {
            (Some(c), _) => Some(Instrument::Card(c)),
            (None, Some(tok)) => Some(Instrument::GatewayToken(tok)),
            (None, None) => None,
        };
        let country = holder
            .country
            .as_deref()
            .and_then(openflex_domain::country::to_alpha2);
        let details: crate::Details = serde_json::from_str(&row.details).unwrap_or_default();
        let req = ConnectorRequest {
            operation,
            reference: &row.id,
            amount: row.amount,
            currency: &currency,
            instrument,
            billing: Billing {
                first_name: holder.first_name.as_deref(),
                last_name: holder.last_name.as_deref(),
                address1: holder.address1.as_deref(),
                city: holder.city.as_deref(),
                state: holder.state.as_deref(),
                postal_code: holder.postal_code.as_deref(),
                country,
                email: holder.email.as_deref(),
                ip: details.customer_ip.as_deref(),
            },
            stored_credential: sent_as.stored_credential(),
            original: original.as_ref().and_then(|o| {
                o.gateway_transaction_id.as_deref().map(|id| PriorTxn {
                    gateway_transaction_id: id,
                    amount: o.amount,
                })
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

/// How the attempt was sent (kept on it when it was written ahead of the call).
pub(super) fn sent_as_of(row: &TxnRow) -> SentAs {
    serde_json::from_str::<ResultDetails>(&row.result)
        .ok()
        .and_then(|d| d.sent_as)
        .unwrap_or(SentAs {
            initiator: if row.retry_count > 0 {
                Initiator::Merchant
            } else {
                Initiator::Customer
            },
            stores_card: false,
            network_transaction_id: None,
        })
}
