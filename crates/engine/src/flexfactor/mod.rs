//! FlexFactor use cases: decline rescue orders.
//!
//! Every change of an order — its creation, a rescue attempt, a capture, a refund, a
//! cancellation, an expiry — is one database transaction that also writes the order event, the
//! webhook deliveries and the next scheduled job, so nothing that must happen later lives only
//! in memory. Transitions are compare-and-set on the order's current state, which makes a
//! re-run job or a racing request a no-op instead of a double move.
//!
//! This module keeps what every such change shares (the order types and reads, the state
//! bookkeeping and what follows a transition); `evaluate`, `actions` and `jobs` are the changes.

mod actions;
pub mod auth;
mod evaluate;
mod jobs;
mod live;
mod record;
pub mod search;

pub use actions::{REFUND_SCOPE, identical_refund};
pub use record::{
    DeclinedTransaction, OrderAddress, OrderContext, OrderParties, Payer, Subscription,
    TransmitSummary, TransmittedCard, TransmittedTransaction, given,
};
pub use search::OrderSearch;

use crate::scheduler;
use crate::webhooks::EventData;
use crate::{Engine, EngineError, Result, Tenant, micros};
use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::money::Currency;
use openflex_domain::rescue::{Action, Flow, OrderState};
use openflex_store::{OrderEventRow, OrderRow, Tx};
use serde::Serialize;
use std::time::Duration;
use time::OffsetDateTime;

/// Spacing of managed-MIT rescue attempts.
pub const ATTEMPT_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// Longest managed-MIT window accepted (docs/flexfactor.md Decision 12).
pub const MAX_EXPIRY: Duration = Duration::from_secs(21 * 24 * 3600);

pub enum CardInput {
    /// A `/tokenize` token (a vault payment method id).
    Token(String),
    /// A card number sent in clear (`token: false`).
    Pan {
        pan: Secret<String>,
        expiry: Option<Expiry>,
        /// The cardholder as the request names them (holder name, billing address, email).
        holder: Box<crate::Holder>,
    },
}

pub struct EvaluateRequest {
    pub external_order_id: String,
    pub authorization: bool,
    pub is_mit: bool,
    pub expiry: Option<OffsetDateTime>,
    pub amount: i64,
    pub currency: Currency,
    pub response_code: String,
    pub card: CardInput,
    pub payer_phone: bool,
    pub sense_key: Option<String>,
    /// Payer, billing and shipping information as given (no card data).
    pub payer: OrderParties,
    /// The rest of the request worth keeping for the merchant (no card data).
    pub details: OrderContext,
}

/// Why `/v1/evaluate` refused a request that read well: each names one field of the request
/// by meaning; the dialect words it and reports it in its validation body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluateRefusal {
    /// The card is a token that is unknown or was redacted.
    UnknownToken,
    /// The card is a token that holds no card number.
    TokenWithoutCard,
    /// The card number sent in clear fails its check digit.
    InvalidCardNumber,
    /// The managed-MIT window (`expiry`) has already ended.
    ExpiryPassed,
    /// The managed-MIT window is longer than [`MAX_EXPIRY`].
    ExpiryTooFar,
}

#[derive(Debug, Clone)]
pub struct Evaluated {
    pub order_id: String,
    /// The order's state: its first one, or, for a retry, its current one.
    pub state: OrderState,
    /// Whether this request created the order (a retry answers with the existing one).
    pub created: bool,
    pub sense_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEvent {
    pub id: String,
    pub kind: String,
    pub amount: Option<i64>,
    pub outcome: String,
    pub detail: Option<String>,
    pub gateway_token: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub external_order_id: String,
    pub state: OrderState,
    pub flow: Flow,
    pub transaction_type: String,
    pub amount: i64,
    pub currency: String,
    pub authorized_amount: i64,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub expiry_date: Option<OffsetDateTime>,
    pub capture_deadline: Option<OffsetDateTime>,
    pub confirmation_id: Option<String>,
    pub sense_key: Option<String>,
    pub payer: OrderParties,
    pub details: OrderContext,
    pub payment_method_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub events: Vec<OrderEvent>,
}

/// The result of a refund, capture or cancel request on an order.
#[derive(Debug, Clone)]
pub enum OrderOutcome {
    Done { transaction_id: Option<String> },
    Failed { reason: OrderRefusal },
}

/// Why a cancel, capture or refund was refused; the dialect words it with its own codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    /// The order's state does not allow a cancel (captured money is refunded instead).
    NotCancellable(OrderState),
    /// Only an order in `CaptureRequired` can be captured.
    NotCapturable(OrderState),
    /// A capture in another currency than the order's.
    CaptureCurrency { order: String, requested: Currency },
    /// A capture amount outside `1..=authorized`.
    CaptureAmount { amount: i64, authorized: i64 },
    /// Another request moved the order between reading and capturing it.
    ChangedMeanwhile,
    /// The order's state does not allow a refund.
    NotRefundable(OrderState),
    /// More than is left to refund; amounts in minor units of the order's currency, which has
    /// `exponent` decimals.
    OverRefund {
        amount: i64,
        refundable: i64,
        exponent: u32,
    },
    /// The gateway that rescued the order refused to move the money (or its answer was lost
    /// and is being confirmed); `detail` says why in words.
    Gateway { action: Action, detail: String },
}

pub enum OrderRef<'a> {
    Id(&'a str),
    External(&'a str),
}

fn state_of(row: &OrderRow) -> OrderState {
    OrderState::parse(&row.status_name).unwrap_or(OrderState::Declined)
}

/// Whether the merchant asked for an authorization (captured later) rather than a purchase.
fn is_authorization(row: &OrderRow) -> bool {
    row.transaction_type == "AUTHORIZATION"
}

/// The state a rescued order reaches: an authorization waits for its capture.
fn rescued_state(row: &OrderRow) -> OrderState {
    if is_authorization(row) {
        OrderState::CaptureRequired
    } else {
        OrderState::Approved
    }
}

fn confirmation_id() -> String {
    data_encoding::HEXUPPER.encode(&openflex_vault::random_bytes::<4>().unwrap_or_default())
}

impl Engine {
    fn order_view(&self, row: OrderRow, events: Vec<OrderEventRow>) -> Order {
        Order {
            state: state_of(&row),
            flow: Flow::parse(&row.flow).unwrap_or(Flow::Cit),
            id: row.id,
            external_order_id: row.external_order_id,
            transaction_type: row.transaction_type,
            amount: row.amount,
            currency: row.currency,
            authorized_amount: row.authorized_amount,
            captured_amount: row.captured_amount,
            refunded_amount: row.refunded_amount,
            expiry_date: row.expiry_date.map(crate::from_micros),
            capture_deadline: row.capture_deadline.map(crate::from_micros),
            confirmation_id: row.confirmation_id,
            sense_key: row.sense_key,
            payer: serde_json::from_str(&row.payer).unwrap_or_default(),
            details: serde_json::from_str(&row.details).unwrap_or_default(),
            payment_method_id: row.payment_method_id,
            created_at: crate::from_micros(row.created_at),
            updated_at: crate::from_micros(row.updated_at),
            events: events
                .into_iter()
                .map(|e| OrderEvent {
                    id: e.id,
                    kind: e.kind,
                    amount: e.amount,
                    outcome: e.outcome,
                    detail: e.detail,
                    gateway_token: e.gateway_token,
                    created_at: crate::from_micros(e.created_at),
                })
                .collect(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        order_id: &str,
        kind: &str,
        amount: Option<i64>,
        outcome: &str,
        detail: Option<String>,
        gateway: Option<String>,
        at: OffsetDateTime,
    ) -> OrderEventRow {
        OrderEventRow {
            // Time-ordered, so an order's events list in the order they happened.
            id: self.ids.next(),
            order_id: order_id.to_string(),
            kind: kind.to_string(),
            amount,
            outcome: outcome.to_string(),
            detail,
            gateway_token: gateway,
            created_at: micros(at),
        }
    }

    /// Webhook for an order event, in the caller's transaction.
    async fn emit_order(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        event: &str,
        o: &OrderRow,
        data: EventData,
    ) -> Result<()> {
        self.emit(
            tx,
            t,
            event,
            Some(&o.id),
            Some(&o.external_order_id),
            o.confirmation_id.as_deref(),
            data,
        )
        .await
        .map(|_| ())
    }

    /// Amounts and confirmation that come with reaching `state`.
    fn settle_state(&self, row: &mut OrderRow, state: OrderState, now: OffsetDateTime) {
        row.status = state.code();
        row.status_name = state.name().to_string();
        row.updated_at = micros(now);
        match state {
            OrderState::Approved => {
                row.authorized_amount = row.amount;
                row.captured_amount = row.amount;
                row.confirmation_id.get_or_insert_with(confirmation_id);
            }
            OrderState::CaptureRequired => {
                row.authorized_amount = row.amount;
                row.capture_deadline =
                    Some(micros(now) + self.config.capture_window.as_micros() as i64);
                row.confirmation_id.get_or_insert_with(confirmation_id);
            }
            _ => {}
        }
    }

    /// Jobs and webhooks that follow a state being reached, in the same transaction.
    async fn after_transition(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        row: &OrderRow,
        state: OrderState,
        now: OffsetDateTime,
    ) -> Result<()> {
        let order = serde_json::json!({"orderId": row.id});
        match state {
            OrderState::Approved | OrderState::Completed => {
                self.emit_order(
                    tx,
                    t,
                    "order.completed",
                    row,
                    EventData::Amount {
                        amount: row.captured_amount,
                        currency: row.currency.clone(),
                    },
                )
                .await?;
            }
            OrderState::CaptureRequired => {
                let deadline = crate::from_micros(row.capture_deadline.unwrap_or(micros(now)));
                self.enqueue(tx, t, scheduler::kind::FF_CAPTURE_EXPIRY, order, deadline)
                    .await?;
                self.emit_order(
                    tx,
                    t,
                    "order.capturerequired",
                    row,
                    EventData::Amount {
                        amount: row.authorized_amount,
                        currency: row.currency.clone(),
                    },
                )
                .await?;
            }
            OrderState::Processing => {
                let expiry = row.expiry_date.map(crate::from_micros).unwrap_or(now);
                let next = (now + ATTEMPT_INTERVAL).min(expiry);
                self.enqueue(tx, t, scheduler::kind::FF_RESCUE_ATTEMPT, order, next)
                    .await?;
            }
            OrderState::Cancelled => {
                self.emit_order(tx, t, "order.cancelled", row, EventData::None)
                    .await?;
            }
            OrderState::Expired => {
                self.emit_order(tx, t, "order.expired", row, EventData::None)
                    .await?;
            }
            OrderState::Returned | OrderState::Declined | OrderState::Challenge => {}
        }
        Ok(())
    }

    async fn find_order(&self, t: &Tenant, r: &OrderRef<'_>) -> Result<Option<OrderRow>> {
        match r {
            OrderRef::Id(id) => self
                .store
                .order(&t.merchant_id, t.mode.as_str(), id)
                .await
                .map_err(Into::into),
            OrderRef::External(ext) => self
                .store
                .order_by_external(&t.merchant_id, t.mode.as_str(), ext)
                .await
                .map_err(Into::into),
        }
    }

    pub async fn ff_order(&self, t: &Tenant, id: &str) -> Result<Order> {
        let row = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let events = self.store.order_events(&row.id).await?;
        Ok(self.order_view(row, events))
    }

    pub async fn ff_orders(&self, t: &Tenant, q: &OrderSearch) -> Result<(Vec<Order>, i64)> {
        let (rows, total) = self
            .store
            .orders_page(&t.merchant_id, t.mode.as_str(), &q.to_store())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let events = self.store.order_events(&row.id).await?;
            out.push(self.order_view(row, events));
        }
        Ok((out, total))
    }

    /// `/v1/outcome` (deprecated): the status and confirmation id of an order, if any.
    pub async fn ff_outcome(
        &self,
        t: &Tenant,
        order_id: &str,
    ) -> Result<Option<(&'static str, Option<String>)>> {
        Ok(self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
            .map(|r| (state_of(&r).outcome(), r.confirmation_id)))
    }
}
