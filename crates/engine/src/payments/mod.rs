//! Payments: charge / authorize with the three payment sources, and the capture / void /
//! refund follow-ups.
//!
//! A payment is a pipeline of named steps — continue the recovery chain (a retry), resolve the
//! payment source, route, check the card-network limits, process (risk rules, then the
//! gateway's connector), decide what follows a decline, record — each in its own module, each
//! ending the payment early with a [`Stop`] when it refuses. One flat outcome type keeps the
//! steps readable; it is turned into the public `Result<Outcome>` at the use case's edge.
//!
//! Every payment is at most two short database transactions around the connector call: (1)
//! insert the attempt as `pending` — the unique (merchant, mode, merchantTransactionId) index
//! makes a duplicate lose here, before any money moves — and, for follow-ups, reserve the
//! amount on the original with a conditional UPDATE; (2) record the connector's answer (and
//! give the reservation back on a decline). No database lock is held during the connector call.
//! The response is sent only after (2) commits, so an acknowledged operation is durable.

mod follow_up;
mod inquiry;
mod process;
mod reads;
mod record;
pub mod search;
mod source;

pub(crate) use inquiry::stored_details;

use crate::connector::ConnectorResult;
use crate::payment_methods::{GatewayCard, NewCard, Outcome};
use crate::{Details, Engine, EngineError, Field, Rejection, Result, Tenant, Transaction};
use openflex_domain::codes::{CodeClass, ResponseCode};
use openflex_store::StoreError;
use time::OffsetDateTime;

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
    pub currency: openflex_domain::money::Currency,
    pub amount: i64,
    pub customer_id: Option<String>,
    pub source: PaymentSource,
    pub gateway_token: Option<String>,
    pub retry_count: i64,
    pub date_first_attempt: Option<OffsetDateTime>,
    pub reference_data: Option<String>,
    pub details: Details,
    /// Who started the payment, where the caller knows it (a FlexFactor rescue of a checkout
    /// is the customer's, of a rebill the merchant's); `None` lets the card-network rules infer
    /// it from the request.
    pub initiator: Option<crate::connector::Initiator>,
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
    /// Why, in the merchant's words (the portal's refund form; the FlexPay wire has no field).
    pub reason: Option<String>,
}

/// How a payment step ends the payment early: refused with an answer for the client, or
/// failed (the database, the vault).
pub(crate) enum Stop {
    Refused(Rejection),
    Failed(EngineError),
    /// An earlier attempt, whose answer had been lost, turned out approved: the payment is made,
    /// and that attempt is the answer (a retry never charges twice).
    Settled(Box<Transaction>),
}

impl From<EngineError> for Stop {
    fn from(e: EngineError) -> Self {
        Self::Failed(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<Rejection> for Stop {
    fn from(r: Rejection) -> Self {
        Self::Refused(r)
    }
}

/// The outcome of one payment step.
pub(crate) type Step<T> = std::result::Result<T, Stop>;

/// A step pipeline's end as the use case's public answer.
pub(crate) fn settle(step: Step<Transaction>) -> Result<Outcome> {
    match step {
        Ok(txn) => Ok(Ok(txn)),
        Err(Stop::Refused(r)) => Ok(Err(r)),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Settled(txn)) => Ok(Ok(*txn)),
    }
}

impl Engine {
    /// Charge or authorize.
    pub async fn pay(&self, t: &Tenant, req: PaymentRequest) -> Result<Outcome> {
        let step = match self.pay_steps(t, &req).await {
            // The tenant and its gateways came from the node's cache, and the configuration
            // changed since: the guarded first write wrote nothing, or the refusal came before
            // any write. Read everything afresh and start over.
            Err(Stop::Failed(EngineError::Store(StoreError::ConfigChanged))) => {
                self.pay_steps(&self.reauthenticate(t).await?, &req).await
            }
            Err(Stop::Refused(_)) if !self.config_unchanged(t).await? => {
                self.pay_steps(&self.reauthenticate(t).await?, &req).await
            }
            step => step,
        };
        let mut outcome = settle(step)?;
        if let Ok(txn) = &mut outcome {
            // Named already when this request chose the gateway; a replayed answer is looked up.
            self.name_gateways(t, std::slice::from_mut(txn)).await?;
        }
        Ok(outcome)
    }

    async fn pay_steps(&self, t: &Tenant, req: &PaymentRequest) -> Step<Transaction> {
        let now = self.now_for(t);
        let chain = match &req.reference_data {
            Some(rd) => Some(self.continue_chain(t, rd, req.retry_count, now).await?),
            None => None,
        };
        let source = self.resolve_source(t, req, now).await?;
        let id = self.ids.next();
        let pinned = req
            .gateway_token
            .as_deref()
            .or(chain.as_ref().and_then(|c| c.assigned_gateway.as_deref()));
        let gateway = self
            .route(
                t,
                pinned,
                req.currency.code(),
                source.row().card_type.as_deref(),
                &id,
                req.retry_count > 0,
            )
            .await?
            .map_err(|why| self.reject_field(now, 50130, Field::GatewayToken, why))?;
        let prior_declines = self.within_network_limits(t, req, &source, now).await?;
        let mut attempt = self.new_attempt(t, req, &source, &gateway, chain.as_ref(), id, now)?;
        let connector = self.connectors.get(&gateway.gateway_type).ok_or_else(|| {
            EngineError::Internal(format!("no connector for {}", gateway.gateway_type))
        })?;
        // A connector with side effects is called only after the attempt is on disk, so a
        // crash mid-call leaves a pending row to reconcile. A side-effect-free one (the
        // sandbox) is asked first and the attempt written once, with its answer.
        let write_ahead = !connector.side_effect_free();
        let sent_as = process::sent_as(req, &source);
        if write_ahead {
            attempt.result = json(&crate::ResultDetails {
                sent_as: Some(sent_as.clone()),
                ..Default::default()
            })?;
            self.write_ahead(t, req, &source, &attempt, chain.is_some(), now)
                .await?;
        }
        let result = self
            .process_payment(
                t,
                req,
                &source,
                &gateway,
                connector.as_ref(),
                &attempt,
                &sent_as,
            )
            .await?;
        // The answer keeps how a written-ahead attempt was sent (a retry's inquiry replays it).
        let details = self
            .after_answer(
                t,
                req,
                &source,
                &gateway,
                &mut attempt,
                &result,
                write_ahead.then_some(&sent_as),
                prior_declines,
                now,
            )
            .await?;
        let mut txn = self
            .record_payment(
                t,
                req,
                source,
                attempt,
                details,
                &result,
                write_ahead,
                chain.is_some(),
                now,
            )
            .await?;
        txn.gateway_name = Some(gateway.name.clone());
        Ok(txn)
    }
}

/// Inserts a transaction row; `false` when its unique keys (merchantTransactionId, recovery
/// attempt) were already taken.
pub(crate) async fn insert_unique(
    tx: &mut openflex_store::Tx,
    row: &openflex_store::TxnRow,
) -> Result<bool> {
    match openflex_store::Store::insert_txn(tx, row).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// What a follow-up attempt holds on its original while it is open.
pub(crate) fn reservation_of(row: &openflex_store::TxnRow) -> Option<openflex_store::Reservation> {
    use openflex_domain::lifecycle::TxnType;
    use openflex_store::Reservation;
    match TxnType::parse(&row.txn_type)? {
        TxnType::Capture => Some(Reservation::Capture(row.amount)),
        TxnType::Refund => Some(Reservation::Refund(row.amount)),
        TxnType::Void => Some(Reservation::Void),
        _ => None,
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| EngineError::Internal(e.to_string()))
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

/// Counts a connector's (or the risk rules') answer by class.
fn count_outcome(result: &ConnectorResult) {
    metrics::counter!("openflex_processor_outcomes_total", "class" => class_label(result.code))
        .increment(1);
}

impl Rejection {
    pub fn is_card_decline(&self) -> bool {
        self.code.class() != CodeClass::Validation
    }
}
