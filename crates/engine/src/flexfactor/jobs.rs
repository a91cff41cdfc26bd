//! FlexFactor's scheduled jobs: managed-MIT rescue attempts and the end of a capture window.
//! Each runs from the job queue, possibly twice or late, so each re-reads the order and moves
//! it only by compare-and-set.

use super::{ATTEMPT_INTERVAL, rescued_state, state_of};
use crate::payments::FollowUpKind;
use crate::scheduler::{self, JobResult};
use crate::{Engine, Result, Tenant, micros};
use openflex_domain::rescue::{self, Action, OrderState};
use openflex_store::{OrderRow, Store};
use time::OffsetDateTime;

impl Engine {
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
        // A real rescue looks at its last attempt even when the order moved on: a late
        // approval must be given back.
        if self
            .rescues_for_real(t, &row.currency, &row.external_order_id)
            .await?
        {
            return self.ff_real_attempt(t, row).await;
        }
        if !state_of(&row).can(Action::Attempt) {
            return Ok(JobResult::Done(format!(
                "order {order_id} is {}; no attempt",
                row.status_name
            )));
        }
        let now = due.min(self.now_for(t));
        let expiry = row.expiry_date.map(crate::from_micros).unwrap_or(now);
        if now >= expiry {
            return self.expire_order(t, row, now).await;
        }
        let from = row.status_name.clone();
        let mut tx = self.store.begin().await?;
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
        let approved = gateway.is_some()
            && pan
                .as_ref()
                .is_some_and(|p| rescue::sandbox_attempt_succeeds(p.expose(), hours));
        if approved {
            let next = rescued_state(&row);
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
        let why = match &gateway {
            None => "no available gateway accepts the order's currency".to_string(),
            Some(_) => format!("rescue attempt after {hours} h declined"),
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
            openflex_domain::time::rfc3339(next)
        )))
    }

    /// A managed-MIT order not rescued by the end of its window expires.
    pub(super) async fn expire_order(
        &self,
        t: &Tenant,
        mut row: OrderRow,
        now: OffsetDateTime,
    ) -> Result<JobResult> {
        let from = row.status_name.clone();
        self.settle_state(&mut row, OrderState::Expired, now);
        let mut tx = self.store.begin().await?;
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
        Ok(JobResult::Done(format!("order {} expired", row.id)))
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
        if let Some(payment) = row.payment_transaction_id.clone() {
            let mtid = format!("ff-{}-void", row.id);
            if let Err(why) = self
                .ff_money_follow_up(t, &payment, FollowUpKind::Void, mtid, 0)
                .await?
            {
                return Ok(JobResult::Retry(format!(
                    "order {order_id}: voiding its authorization failed: {why}"
                )));
            }
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
}
