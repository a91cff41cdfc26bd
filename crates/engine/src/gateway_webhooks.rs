//! Gateway webhooks: what a gateway tells us after the fact — a lost answer's outcome, an
//! asynchronous capture or refund that failed, a chargeback. The gateway's connector verifies
//! the delivery against the secret in the gateway's settings and reads it into wire-free
//! events; this use case applies each one to the attempt it names, once: the event row is
//! written in the same database transaction as the change it causes, so a redelivery (gateways
//! deliver at least once and retry for days) changes nothing twice.
//!
//! What an event does:
//! - an attempt whose outcome is unknown is settled through [`Engine::settle_unknown`]'s
//!   path — by asking the gateway, never by trusting the event's body for money — so whatever
//!   follows a settlement (a retry, a FlexFactor order's next step) follows here too;
//! - the failure of a capture, refund or void the gateway had accepted asynchronously turns the
//!   follow-up into a decline and gives its reservation on the original back. A failure that
//!   arrives while the follow-up's own outcome is not known (its answer lost and the gateway
//!   unable to tell yet, or its call still in flight) cannot undo an approval not yet recorded,
//!   and recorded now it would be lost once the follow-up settles approved: it is postponed —
//!   nothing recorded, the delivery not acknowledged — so the gateway sends it again later;
//! - confirmations and chargebacks are recorded with the transaction (its FlexPay answer does
//!   not change; the portal and `GET /v1/transactions/{id}/gateway-events` show them);
//! - a verified event that matches no attempt is recorded and acknowledged.

use crate::connector::{EventKind, GatewayEvent, WebhookHeaders, WebhookRefusal, WebhookRequest};
use crate::payments::reservation_of;
use crate::{
    Engine, EngineError, Gateway, Mode, Result, Tenant, from_micros, micros, outcome_unknown,
};
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::TxnType;
use openflex_store::{GatewayEventRow, GatewayRow, Store, TxnRow};
use time::OffsetDateTime;

/// The code a follow-up gets when the gateway reports it failed after accepting it:
/// "Gateway declined - Invalid transaction."
const FAILED_LATER: ResponseCode = ResponseCode(30059);

/// What a verified delivery did.
#[derive(Debug, Clone)]
pub struct WebhookReceipt {
    /// The body the gateway expects back.
    pub ack: &'static str,
    /// Events applied or recorded now.
    pub applied: usize,
    /// Events recorded before (a redelivery).
    pub duplicates: usize,
    /// Items left out because their own signature failed.
    pub refused: usize,
    /// Events left unapplied and unrecorded until the attempt they are about is settled: the
    /// delivery must not be acknowledged, so that the gateway sends it again.
    pub postponed: usize,
}

/// One recorded gateway event, as the API and the portal show it.
#[derive(Debug, Clone)]
pub struct GatewayEventRecord {
    pub event_id: String,
    pub kind: String,
    pub gateway_kind: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub reason: Option<String>,
    pub outcome: String,
    pub received_at: OffsetDateTime,
}

impl Engine {
    /// Receives one webhook delivery for the gateway `token`. `NotFound` for no such gateway;
    /// the inner `Err` when the delivery is refused as a whole (nothing applied).
    pub async fn gateway_webhook(
        &self,
        token: &str,
        headers: &WebhookHeaders,
        body: &[u8],
    ) -> Result<std::result::Result<WebhookReceipt, WebhookRefusal>> {
        if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(EngineError::NotFound);
        }
        let gateway = self
            .store
            .gateway_by_token(token)
            .await?
            .ok_or(EngineError::NotFound)?;
        let merchant = self
            .store
            .merchant(&gateway.merchant_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let mode = Mode::parse(&gateway.mode)
            .ok_or_else(|| EngineError::Internal(format!("gateway {token} has a bad mode")))?;
        let t = Tenant::of(&merchant, mode);
        let count = |outcome: &'static str, kind: &'static str| {
            metrics::counter!("openflex_gateway_webhook_events_total",
                "gateway" => gateway.gateway_type.clone(), "kind" => kind, "outcome" => outcome)
            .increment(1);
        };
        let Some(connector) = self.connectors.get(&gateway.gateway_type) else {
            count("refused", "unsupported");
            return Ok(Err(WebhookRefusal::Unsupported(format!(
                "{} gateways receive no webhooks here",
                gateway.gateway_type
            ))));
        };
        let settings = self.gateway_settings(&t, &Gateway::from_row(&gateway))?;
        // Signatures carry the gateway's wall-clock time, whatever the sandbox test clock says.
        let batch = match connector.webhook(WebhookRequest {
            headers,
            body,
            settings: settings.as_ref(),
            now: self.now(),
        }) {
            Ok(b) => b,
            Err(refusal) => {
                count("refused", "delivery");
                tracing::warn!(gateway = %gateway.token, error = %refusal, "gateway webhook refused");
                return Ok(Err(refusal));
            }
        };
        let mut receipt = WebhookReceipt {
            ack: batch.ack,
            applied: 0,
            duplicates: 0,
            refused: batch.refused,
            postponed: 0,
        };
        for _ in 0..batch.refused {
            count("refused", "item");
        }
        for event in &batch.events {
            let outcome = self.apply_gateway_event(&t, &gateway, event).await?;
            count(outcome, event.kind.as_str());
            match outcome {
                "duplicate" => receipt.duplicates += 1,
                "postponed" => receipt.postponed += 1,
                _ => receipt.applied += 1,
            }
        }
        Ok(Ok(receipt))
    }

    /// Applies one verified event once; returns what it did.
    async fn apply_gateway_event(
        &self,
        t: &Tenant,
        gateway: &GatewayRow,
        e: &GatewayEvent,
    ) -> Result<&'static str> {
        if self.store.gateway_event_seen(&gateway.token, &e.id).await? {
            return Ok("duplicate");
        }
        let now = self.now_for(t);
        let mut target = self.event_target(t, &gateway.token, e).await?;
        let mut rec = GatewayEventRow {
            gateway_token: gateway.token.clone(),
            event_id: e.id.clone(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            kind: e.kind.as_str().to_string(),
            gateway_kind: e.gateway_kind.clone(),
            transaction_id: target.as_ref().map(|r| r.id.clone()),
            amount: e.amount,
            currency: e.currency.clone(),
            reason: e.reason.clone(),
            outcome: if target.is_some() {
                "recorded"
            } else {
                "unmatched"
            }
            .into(),
            received_at: micros(now),
        };
        if let Some(row) = target.clone().filter(outcome_unknown) {
            rec.outcome = "settled".into();
            // A failure event is recorded with the failure it applies below, not here.
            let with = (!e.kind.is_follow_up_failure()).then_some(&rec);
            match self.settle_unknown_recording(t, row, now, with).await? {
                Some(settled) => target = Some(settled),
                None => rec.outcome = "still_unknown".into(),
            }
        }
        if e.kind.is_follow_up_failure() && target.as_ref().is_some_and(|r| waits(e.kind, r)) {
            return Ok("postponed");
        }
        if e.kind.is_follow_up_failure()
            && let Some(row) = target.filter(|r| fails(e.kind, r))
        {
            rec.outcome = "follow_up_failed".into();
            return self.fail_accepted_follow_up(row, e, &rec).await;
        }
        // Recorded alone: a confirmation, a chargeback, an unmatched event — or the settlement
        // above, whose transaction holds it already (then this is a no-op).
        let mut tx = self.store.begin().await?;
        Store::insert_gateway_event(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(match rec.outcome.as_str() {
            "settled" => "settled",
            "still_unknown" => "still_unknown",
            "unmatched" => "unmatched",
            _ => "recorded",
        })
    }

    /// Turns an approved follow-up into a decline and gives its reservation back, with the
    /// event, in one transaction.
    async fn fail_accepted_follow_up(
        &self,
        mut row: TxnRow,
        e: &GatewayEvent,
        rec: &GatewayEventRow,
    ) -> Result<&'static str> {
        let mut details = crate::payments::stored_details(&row);
        details.error_code = Some(FAILED_LATER.as_string());
        details.error_detail = Some(format!(
            "the gateway accepted this {} and later reported it failed",
            row.txn_type.to_ascii_lowercase()
        ));
        details.gateway_code = Some(e.gateway_kind.clone());
        details.gateway_message = e
            .reason
            .as_deref()
            .map(|m| openflex_domain::card::mask_card_numbers(m).into_owned());
        row.status = FAILED_LATER.status() as i64;
        row.response_code = i64::from(FAILED_LATER.0);
        row.result = crate::payments::json(&details)?;
        let mut tx = self.store.begin().await?;
        if !Store::insert_gateway_event(&mut tx, rec).await? {
            return Ok("duplicate");
        }
        if Store::fail_follow_up(&mut tx, &row).await?
            && let (Some(original), Some(r)) = (&row.original_id, reservation_of(&row))
        {
            Store::release(&mut tx, original, r).await?;
        }
        tx.commit().await?;
        Ok("follow_up_failed")
    }

    /// The attempt an event is about: the one it names by our reference, else the one the
    /// gateway knows by the event's id (or the payment's), preferring the operation the event
    /// reports. Only attempts made through this gateway.
    async fn event_target(
        &self,
        t: &Tenant,
        token: &str,
        e: &GatewayEvent,
    ) -> Result<Option<TxnRow>> {
        let ours = |r: &TxnRow| r.gateway_token.as_deref() == Some(token);
        let by_reference = match e.reference.as_deref() {
            Some(r) if r.len() <= 64 && r.bytes().all(|b| b.is_ascii_alphanumeric()) => self
                .store
                .txn(&t.merchant_id, t.mode.as_str(), r)
                .await?
                .filter(ours),
            _ => None,
        };
        if let Some(row) = by_reference.as_ref().filter(|r| fits(e.kind, r)) {
            return Ok(Some(row.clone()));
        }
        let mut fallback = by_reference;
        for id in [
            &e.gateway_transaction_id,
            &e.original_gateway_transaction_id,
        ]
        .into_iter()
        .flatten()
        {
            let rows: Vec<TxnRow> = self
                .store
                .txns_by_gateway_id(&t.merchant_id, t.mode.as_str(), id)
                .await?
                .into_iter()
                .filter(ours)
                .collect();
            if let Some(row) = rows.iter().rev().find(|r| fits(e.kind, r)) {
                return Ok(Some(row.clone()));
            }
            if fallback.is_none() {
                fallback = rows.into_iter().next();
            }
        }
        Ok(fallback)
    }

    /// The gateway events recorded against a transaction, oldest first.
    pub async fn gateway_events(&self, t: &Tenant, id: &str) -> Result<Vec<GatewayEventRecord>> {
        if self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .is_none()
        {
            return Err(EngineError::NotFound);
        }
        Ok(self
            .store
            .gateway_events_of(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .into_iter()
            .map(|r| GatewayEventRecord {
                event_id: r.event_id,
                kind: r.kind,
                gateway_kind: r.gateway_kind,
                amount: r.amount,
                currency: r.currency,
                reason: r.reason,
                outcome: r.outcome,
                received_at: from_micros(r.received_at),
            })
            .collect())
    }
}

/// The attempt types an event kind is about.
fn fits(kind: EventKind, r: &TxnRow) -> bool {
    let Some(t) = TxnType::parse(&r.txn_type) else {
        return false;
    };
    match kind {
        EventKind::Captured | EventKind::CaptureFailed => t == TxnType::Capture,
        EventKind::Cancelled | EventKind::CancelFailed => t == TxnType::Void,
        EventKind::Refunded | EventKind::RefundFailed => t == TxnType::Refund,
        EventKind::PaymentApproved
        | EventKind::PaymentDeclined
        | EventKind::Chargeback
        | EventKind::ChargebackReversed
        | EventKind::Other => matches!(t, TxnType::Charge | TxnType::Authorize),
    }
}

/// Whether a failure event undoes `r`: the follow-up it reports, approved and finished.
fn fails(kind: EventKind, r: &TxnRow) -> bool {
    fits(kind, r) && r.state == "done" && r.status == 1
}

/// Whether a failure event must wait for `r`: the follow-up it reports, not finished (its
/// outcome unknown, or its call in flight).
fn waits(kind: EventKind, r: &TxnRow) -> bool {
    fits(kind, r) && r.state == "pending"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(txn_type: &str, state: &str, status: i64) -> TxnRow {
        TxnRow {
            id: "T".into(),
            merchant_id: "m".into(),
            mode: "live".into(),
            txn_type: txn_type.into(),
            state: state.into(),
            status,
            response_code: 10000,
            merchant_transaction_id: None,
            order_id: None,
            customer_id: None,
            currency: None,
            amount: 100,
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
            created_at: 0,
            chain_id: None,
        }
    }

    #[test]
    fn a_failure_undoes_only_the_approved_follow_up_it_reports() {
        let refund = TxnType::Refund.as_str();
        assert!(fails(EventKind::RefundFailed, &row(refund, "done", 1)));
        assert!(!fails(EventKind::RefundFailed, &row(refund, "done", 2)));
        assert!(!fails(EventKind::RefundFailed, &row(refund, "pending", 3)));
        assert!(!fails(EventKind::CaptureFailed, &row(refund, "done", 1)));
        assert!(!fails(
            EventKind::RefundFailed,
            &row(TxnType::Charge.as_str(), "done", 1)
        ));
    }

    #[test]
    fn a_failure_waits_for_its_unfinished_follow_up_only() {
        let capture = TxnType::Capture.as_str();
        assert!(waits(EventKind::CaptureFailed, &row(capture, "pending", 3)));
        assert!(waits(EventKind::CaptureFailed, &row(capture, "pending", 0)));
        assert!(!waits(EventKind::CaptureFailed, &row(capture, "done", 1)));
        assert!(!waits(
            EventKind::CaptureFailed,
            &row(TxnType::Authorize.as_str(), "pending", 3)
        ));
    }

    #[test]
    fn chargebacks_and_payment_events_are_about_the_payment() {
        for kind in [
            EventKind::Chargeback,
            EventKind::ChargebackReversed,
            EventKind::PaymentApproved,
        ] {
            assert!(fits(kind, &row(TxnType::Authorize.as_str(), "done", 1)));
            assert!(!fits(kind, &row(TxnType::Capture.as_str(), "done", 1)));
        }
    }
}
