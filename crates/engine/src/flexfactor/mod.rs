//! FlexFactor use cases: decline rescue orders.
//!
//! Every change of an order — its creation, a rescue attempt, a capture, a refund, a
//! cancellation, an expiry — is one database transaction that also writes the order event, the
//! webhook deliveries and the next scheduled job, so nothing that must happen later lives only
//! in memory. Transitions are compare-and-set on the order's current state, which makes a
//! re-run job or a racing request a no-op instead of a double move.

pub mod auth;

use crate::payment_methods::NewCard;
use crate::scheduler::{self, JobResult};
use crate::{Engine, EngineError, Holder, Mode, Result, StorageState, Tenant, micros};
use openflex_domain::Secret;
use openflex_domain::card::{self, Expiry};
use openflex_domain::money::Currency;
use openflex_domain::rescue::{self, Action, Flow, OrderState};
use openflex_store::{OrderEventRow, OrderQuery, OrderRow, Store, StoreError, Tx};
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
        holder_name: Option<String>,
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
    pub payer: serde_json::Value,
    /// The rest of the request worth keeping for the merchant (no card data).
    pub details: serde_json::Value,
}

/// A field-level refusal: the dialect reports it in its validation body.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Evaluated {
    pub order_id: String,
    pub status: &'static str,
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
    pub payer: serde_json::Value,
    pub details: serde_json::Value,
    pub payment_method_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub events: Vec<OrderEvent>,
}

/// The result of a refund, capture or cancel request on an order.
#[derive(Debug, Clone)]
pub enum OrderOutcome {
    Done { transaction_id: Option<String> },
    Failed { code: &'static str, message: String },
}

pub enum OrderRef<'a> {
    Id(&'a str),
    External(&'a str),
}

fn state_of(row: &OrderRow) -> OrderState {
    OrderState::parse(&row.status_name).unwrap_or(OrderState::Declined)
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
        data: serde_json::Value,
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
            FieldError,
        >,
    > {
        match card {
            CardInput::Token(id) => {
                let row = match self
                    .store
                    .payment_method(&t.merchant_id, t.mode.as_str(), id)
                    .await?
                {
                    Some(r) if r.storage_state != StorageState::Redacted.as_str() => r,
                    _ => {
                        return Ok(Err(FieldError {
                            field: "PaymentMethod.CardNumber",
                            message: "The token is unknown or was redacted.".into(),
                        }));
                    }
                };
                let Some(data) = self.open_card(&row, micros(now))? else {
                    return Ok(Err(FieldError {
                        field: "PaymentMethod.CardNumber",
                        message: "The token does not hold a card number.".into(),
                    }));
                };
                Ok(Ok((data.pan, None, row.id)))
            }
            CardInput::Pan {
                pan,
                expiry,
                holder_name,
            } => {
                if !card::luhn_valid(pan.expose()) {
                    return Ok(Err(FieldError {
                        field: "PaymentMethod.CardNumber",
                        message: "The CardNumber field is not a valid card number.".into(),
                    }));
                }
                let new = NewCard {
                    pan: pan.clone(),
                    cvv: None,
                    expiry: expiry.unwrap_or(Expiry {
                        month: 12,
                        year: 2099,
                    }),
                    holder: Holder {
                        full_name: holder_name.clone(),
                        ..Holder::default()
                    },
                };
                let row = self.seal_card(t, &new, StorageState::Cached, false, now)?;
                let id = row.id.clone();
                Ok(Ok((pan.clone(), Some(row), id)))
            }
        }
    }

    /// `POST /v1/evaluate`.
    pub async fn ff_evaluate(
        &self,
        t: &Tenant,
        req: EvaluateRequest,
    ) -> Result<std::result::Result<Evaluated, FieldError>> {
        let now = self.now_for(t);
        if let Some(existing) = self
            .store
            .order_by_external(&t.merchant_id, t.mode.as_str(), &req.external_order_id)
            .await?
        {
            // Retries of the same order (sync MIT) answer with the order's current state.
            return Ok(Ok(Evaluated {
                status: state_of(&existing).name(),
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
                return Ok(Err(FieldError {
                    field: "ExpiryDateUtc",
                    message: "The field ExpiryDateUtc must be in the future.".into(),
                }));
            }
            if expiry - now > MAX_EXPIRY {
                return Ok(Err(FieldError {
                    field: "ExpiryDateUtc",
                    message: "The field ExpiryDateUtc must be at most 21 days ahead.".into(),
                }));
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
        let state = match t.mode {
            Mode::Sandbox => rescue::sandbox_decision(
                pan.expose(),
                flow,
                req.authorization,
                req.payer_phone,
                &req.response_code,
            ),
            // No live rescue connector exists yet: a live order cannot be rescued.
            Mode::Live if flow == Flow::ManagedMit => OrderState::Processing,
            Mode::Live => OrderState::Declined,
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
            payer: req.payer.to_string(),
            details: req.details.to_string(),
            created_at: micros(now),
            updated_at: micros(now),
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
                    status: state_of(&existing).name(),
                    order_id: existing.id,
                    sense_key: existing.sense_key,
                }));
            }
            Err(e) => return Err(e.into()),
        }
        let detail = format!(
            "{} {} evaluated: {}",
            flow.as_str(),
            row.transaction_type,
            state.name()
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
        self.after_transition(&mut tx, t, &row, state, now).await?;
        tx.commit().await?;
        let status = if state == OrderState::Processing {
            "SUBMITTED"
        } else {
            state.name()
        };
        Ok(Ok(Evaluated {
            order_id: row.id,
            status,
            sense_key: row.sense_key,
        }))
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
                    serde_json::json!({"amount": row.captured_amount, "currency": row.currency}),
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
                    serde_json::json!({"amount": row.authorized_amount, "currency": row.currency}),
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
                self.emit_order(tx, t, "order.cancelled", row, serde_json::Value::Null)
                    .await?;
            }
            OrderState::Expired => {
                self.emit_order(tx, t, "order.expired", row, serde_json::Value::Null)
                    .await?;
            }
            OrderState::Returned | OrderState::Declined | OrderState::Challenge => {}
        }
        Ok(())
    }

    /// A managed-MIT rescue attempt (a job): approve, schedule the next attempt, or expire.
    /// `due` is when the attempt was scheduled: a sandbox clock that jumped past several
    /// attempts replays each at its own time, so days of rescue attempts run as they would have.
    pub(crate) async fn ff_rescue_attempt(
        &self,
        t: &Tenant,
        order_id: &str,
        due: OffsetDateTime,
    ) -> Result<JobResult> {
        let Some(mut row) = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
        else {
            return Ok(JobResult::Done(format!("order {order_id} not found")));
        };
        if !state_of(&row).can(Action::Attempt) {
            return Ok(JobResult::Done(format!(
                "order {order_id} is {}; no attempt",
                row.status_name
            )));
        }
        let now = match t.mode {
            Mode::Sandbox => due.min(self.now_for(t)),
            Mode::Live => self.now_for(t),
        };
        let expiry = row.expiry_date.map(crate::from_micros).unwrap_or(now);
        let from = row.status_name.clone();
        let mut tx = self.store.begin().await?;
        if now >= expiry {
            self.settle_state(&mut row, OrderState::Expired, now);
            if !Store::transition_order(&mut tx, &row, &from).await? {
                return Ok(JobResult::Done("order moved on meanwhile".into()));
            }
            Store::insert_order_event(
                &mut tx,
                &self.event(
                    &row.id,
                    "expired",
                    None,
                    "EXPIRED",
                    Some("not rescued by expiryDateUtc".into()),
                    None,
                    now,
                ),
            )
            .await?;
            self.after_transition(&mut tx, t, &row, OrderState::Expired, now)
                .await?;
            tx.commit().await?;
            return Ok(JobResult::Done(format!("order {order_id} expired")));
        }
        let pan = match &row.payment_method_id {
            Some(pm) => match self
                .store
                .payment_method(&t.merchant_id, t.mode.as_str(), pm)
                .await?
            {
                Some(r) => self.open_card(&r, micros(now))?.map(|c| c.pan),
                None => None,
            },
            None => None,
        };
        // Rescue attempts route like every other payment (weights, card brand, connectors).
        let gateway = self
            .route(t, None, &row.currency, None, &row.id, true)
            .await?
            .ok()
            .map(|g| g.token);
        let hours = (now - crate::from_micros(row.created_at)).whole_hours();
        let approved = t.mode == Mode::Sandbox
            && gateway.is_some()
            && pan
                .as_ref()
                .is_some_and(|p| rescue::sandbox_attempt_succeeds(p.expose(), hours));
        if approved {
            let next = if row.transaction_type == "AUTHORIZATION" {
                OrderState::CaptureRequired
            } else {
                OrderState::Approved
            };
            self.settle_state(&mut row, next, now);
            if !Store::transition_order(&mut tx, &row, &from).await? {
                return Ok(JobResult::Done("order moved on meanwhile".into()));
            }
            Store::insert_order_event(
                &mut tx,
                &self.event(
                    &row.id,
                    "attempt",
                    Some(row.amount),
                    "APPROVED",
                    Some(format!("rescue attempt after {hours} h approved")),
                    gateway,
                    now,
                ),
            )
            .await?;
            self.after_transition(&mut tx, t, &row, next, now).await?;
            tx.commit().await?;
            return Ok(JobResult::Done(format!(
                "order {order_id} rescued: {}",
                next.name()
            )));
        }
        let why = match (&gateway, t.mode) {
            (None, _) => "no available gateway accepts the order's currency".to_string(),
            (_, Mode::Live) => "no live rescue connector is available".to_string(),
            _ => format!("rescue attempt after {hours} h declined"),
        };
        Store::insert_order_event(
            &mut tx,
            &self.event(
                &row.id,
                "attempt",
                Some(row.amount),
                "DECLINED",
                Some(why.clone()),
                gateway,
                now,
            ),
        )
        .await?;
        let next = (now + ATTEMPT_INTERVAL).min(expiry);
        self.enqueue(
            &mut tx,
            t,
            scheduler::kind::FF_RESCUE_ATTEMPT,
            serde_json::json!({"orderId": row.id}),
            next,
        )
        .await?;
        tx.commit().await?;
        Ok(JobResult::Done(format!(
            "order {order_id}: {why}; next attempt at {}",
            crate::webhooks::rfc3339_pub(next)
        )))
    }

    /// End of the capture window (a job): an uncaptured authorization is voided.
    pub(crate) async fn ff_capture_expiry(&self, t: &Tenant, order_id: &str) -> Result<JobResult> {
        let Some(mut row) = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
        else {
            return Ok(JobResult::Done(format!("order {order_id} not found")));
        };
        let now = self.now_for(t);
        if state_of(&row) != OrderState::CaptureRequired {
            return Ok(JobResult::Done(format!(
                "order {order_id} is {}; nothing to void",
                row.status_name
            )));
        }
        if let Some(deadline) = row.capture_deadline.filter(|d| *d > micros(now)) {
            return Ok(JobResult::NotDue(crate::from_micros(deadline)));
        }
        let from = row.status_name.clone();
        self.settle_state(&mut row, OrderState::Cancelled, now);
        let mut tx = self.store.begin().await?;
        if !Store::transition_order(&mut tx, &row, &from).await? {
            return Ok(JobResult::Done("order moved on meanwhile".into()));
        }
        Store::insert_order_event(
            &mut tx,
            &self.event(
                &row.id,
                "void",
                Some(row.authorized_amount),
                "CANCELLED",
                Some("capture window elapsed; authorization voided".into()),
                None,
                now,
            ),
        )
        .await?;
        self.after_transition(&mut tx, t, &row, OrderState::Cancelled, now)
            .await?;
        tx.commit().await?;
        Ok(JobResult::Done(format!(
            "order {order_id} auto-voided at the end of its capture window"
        )))
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

    pub async fn ff_orders(&self, t: &Tenant, q: &OrderQuery) -> Result<(Vec<Order>, i64)> {
        let (rows, total) = self
            .store
            .orders_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let events = self.store.order_events(&row.id).await?;
            out.push(self.order_view(row, events));
        }
        Ok((out, total))
    }

    /// `/v1/orders/{id}/cancel` and `/external-cancel`: idempotent; `None` when no such order.
    pub async fn ff_cancel(&self, t: &Tenant, r: OrderRef<'_>) -> Result<Option<OrderOutcome>> {
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
                code: "400002",
                message: format!(
                    "An order in state {} cannot be cancelled; refund captured money instead.",
                    state.name()
                ),
            }));
        }
        let now = self.now_for(t);
        self.settle_state(&mut row, OrderState::Cancelled, now);
        let mut tx = self.store.begin().await?;
        if !Store::transition_order(&mut tx, &row, state.name()).await? {
            drop(tx);
            return Box::pin(self.ff_cancel(t, r)).await;
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
        tx.commit().await?;
        Ok(Some(OrderOutcome::Done {
            transaction_id: None,
        }))
    }

    /// `/v1/capture`: up to the authorized amount, in the order's currency.
    pub async fn ff_capture(
        &self,
        t: &Tenant,
        order_id: &str,
        amount: i64,
        currency: &Currency,
    ) -> Result<Option<OrderOutcome>> {
        let Some(mut row) = self
            .store
            .order(&t.merchant_id, t.mode.as_str(), order_id)
            .await?
        else {
            return Ok(None);
        };
        let state = state_of(&row);
        let fail = |code, message: String| Ok(Some(OrderOutcome::Failed { code, message }));
        if !state.can(Action::Capture) {
            return fail(
                "400003",
                format!(
                    "Only orders in CAPTUREREQUIRED can be captured; this one is {}.",
                    state.name()
                ),
            );
        }
        if !currency.code().eq_ignore_ascii_case(&row.currency) {
            return fail(
                "400004",
                format!(
                    "The order was authorized in {}, not {}.",
                    row.currency,
                    currency.code()
                ),
            );
        }
        if amount <= 0 || amount > row.authorized_amount {
            return fail(
                "400005",
                format!(
                    "Amount {amount} is outside 1..{} (the authorized amount).",
                    row.authorized_amount
                ),
            );
        }
        let now = self.now_for(t);
        row.captured_amount = amount;
        self.settle_state(&mut row, OrderState::Completed, now);
        let mut tx = self.store.begin().await?;
        if !Store::transition_order(&mut tx, &row, state.name()).await? {
            return fail("400003", "The order changed state meanwhile.".into());
        }
        let event = self.event(
            &row.id,
            "capture",
            Some(amount),
            "CAPTURED",
            None,
            None,
            now,
        );
        let id = event.id.clone();
        Store::insert_order_event(&mut tx, &event).await?;
        self.after_transition(&mut tx, t, &row, OrderState::Completed, now)
            .await?;
        tx.commit().await?;
        Ok(Some(OrderOutcome::Done {
            transaction_id: Some(id),
        }))
    }

    /// `/v1/orders/{id}/refund`: partial refunds up to the captured amount.
    pub async fn ff_refund(
        &self,
        t: &Tenant,
        order_id: &str,
        amount: i64,
        message: Option<&str>,
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
                code: "2002",
                message: format!("An order in state {} cannot be refunded.", state.name()),
            }));
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
            let max = fresh.captured_amount - fresh.refunded_amount;
            return Ok(Some(OrderOutcome::Failed {
                code: "2001",
                message: format!(
                    "Amount to refund ({}) is greater than maximum refund amount in ({}))",
                    dollars(amount),
                    dollars(max)
                ),
            }));
        }
        row.refunded_amount += amount;
        let event = self.event(
            &row.id,
            "refund",
            Some(amount),
            "REFUNDED",
            message.map(str::to_string),
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
        self.emit_order(&mut tx, t, "order.refunded", &row, serde_json::json!({"amountToRefund": dollars(amount), "refundedAmount": dollars(row.refunded_amount), "transactionId": id})).await?;
        tx.commit().await?;
        Ok(Some(OrderOutcome::Done {
            transaction_id: Some(id),
        }))
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

    /// `/v1/transmit`: keeps a copy of a merchant's transaction (no card numbers).
    pub async fn ff_transmit(
        &self,
        t: &Tenant,
        external_order_id: &str,
        is_declined: bool,
        amount: i64,
        currency: &Currency,
        summary: serde_json::Value,
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
                &summary.to_string(),
                micros(self.now_for(t)),
            )
            .await?;
        Ok(id)
    }
}
