//! The delivery log as merchants read it: one mode's deliveries filtered by endpoint and state,
//! paged newer and older by id with a bounded count of matches, each attempt with its cause;
//! and each endpoint's health — disabled, or failing with the error and the scheduler's next
//! automatic attempt.
//!
//! Why "failing" is the last attempt of the endpoint's latest tried delivery: a receiver that is
//! down fails every delivery, and one that came back has just succeeded, so the newest delivery
//! that was tried says how the endpoint stands now; a count over its history would keep
//! flagging an endpoint long after it was fixed. The delivery's own state is not the test: a
//! delivered one queued again by hand is `pending` until it is sent, and says nothing against
//! its endpoint.

use super::{Attempt, AttemptCause, Delivery, WebhookEndpoint, endpoint_view};
use crate::payments::search::Position;
use crate::{Engine, EngineError, Result, Tenant, scheduler};
use openflex_store::{DeliveryFilter, SearchFrom, WebhookDeliveryRow};
use std::collections::HashMap;
use time::OffsetDateTime;

/// The count of matching deliveries stops here.
pub const LOG_COUNT_BOUND: i64 = 10_000;

/// Pending delivery jobs read to find each endpoint's next attempt.
const JOBS_READ: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub const ALL: [Self; 3] = [Self::Delivered, Self::Failed, Self::Pending];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Which deliveries a log page shows.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub endpoint_id: Option<String>,
    pub state: Option<DeliveryState>,
}

/// A page of the log, newest first.
#[derive(Debug, Clone)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    /// Where the next newer page starts (`NewerThan` this id), when there is one.
    pub newer: Option<String>,
    /// Where the next older page starts (`OlderThan` this id), when there is one.
    pub older: Option<String>,
    /// Matching deliveries, counted up to [`LOG_COUNT_BOUND`].
    pub matched: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointHealth {
    /// Nothing has been tried yet, or its latest tried delivery succeeded.
    Healthy,
    /// Switched off: nothing is sent to it.
    Disabled,
    /// The last attempt of its latest tried delivery failed.
    Failing {
        /// What the last attempt met (`HTTP 500`, `timed out`, …).
        error: String,
        /// When that attempt was made.
        at: OffsetDateTime,
        /// The scheduler's next automatic attempt at one of its deliveries, in the mode's
        /// business time; `None` when nothing is waiting (the failed deliveries gave up).
        next_attempt: Option<OffsetDateTime>,
    },
}

impl Engine {
    /// A page of the tenant's delivery log.
    pub async fn webhook_log(
        &self,
        t: &Tenant,
        f: &LogFilter,
        from: Position<'_>,
        limit: i64,
    ) -> Result<DeliveryPage> {
        let limit = limit.clamp(1, 100);
        let filter = DeliveryFilter {
            endpoint_id: f.endpoint_id.clone(),
            state: f.state.map(|s| s.as_str().to_string()),
        };
        let (merchant, mode) = (t.merchant_id.as_str(), t.mode.as_str());
        let store_from = match from {
            Position::Newest => SearchFrom::Newest,
            Position::OlderThan(id) => SearchFrom::Before(id),
            Position::NewerThan(id) => SearchFrom::After(id),
        };
        let mut rows = self
            .store
            .webhook_deliveries_filtered(merchant, mode, &filter, store_from, limit + 1)
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let (newer, older) = match from {
            Position::Newest => (
                None,
                more.then(|| rows.last().map(|d| d.id.clone())).flatten(),
            ),
            Position::OlderThan(id) => (
                Some(rows.first().map_or(id, |d| d.id.as_str()).to_string()),
                more.then(|| rows.last().map(|d| d.id.clone())).flatten(),
            ),
            Position::NewerThan(id) => {
                rows.reverse();
                (
                    more.then(|| rows.first().map(|d| d.id.clone())).flatten(),
                    Some(rows.last().map_or(id, |d| d.id.as_str()).to_string()),
                )
            }
        };
        let matched = self
            .store
            .webhook_deliveries_count(merchant, mode, &filter, LOG_COUNT_BOUND)
            .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for d in rows {
            deliveries.push(self.delivery_view(d).await?);
        }
        Ok(DeliveryPage {
            deliveries,
            newer,
            older,
            matched,
        })
    }

    /// The tenant's endpoints (of its mode), each with its health.
    pub async fn webhook_endpoint_health(
        &self,
        t: &Tenant,
    ) -> Result<Vec<(WebhookEndpoint, EndpointHealth)>> {
        let endpoints: Vec<_> = self
            .store
            .webhook_endpoints(&t.merchant_id)
            .await?
            .into_iter()
            .filter(|e| e.mode == t.mode.as_str())
            .collect();
        let mut next: Option<HashMap<String, OffsetDateTime>> = None;
        let mut out = Vec::with_capacity(endpoints.len());
        for e in &endpoints {
            let health = if !e.enabled {
                EndpointHealth::Disabled
            } else {
                match self
                    .store
                    .latest_tried_webhook_delivery(&t.merchant_id, &e.id)
                    .await?
                {
                    Some(d) if d.last_error.is_some() => {
                        if next.is_none() {
                            next = Some(self.next_attempts(t).await?);
                        }
                        let at = self
                            .store
                            .webhook_attempts(&d.id)
                            .await?
                            .last()
                            .map_or(crate::from_micros(d.created_at), |a| {
                                crate::from_micros(a.attempted_at)
                            });
                        EndpointHealth::Failing {
                            error: d.last_error.clone().unwrap_or_default(),
                            at,
                            next_attempt: next.as_ref().and_then(|n| n.get(&e.id)).copied(),
                        }
                    }
                    _ => EndpointHealth::Healthy,
                }
            };
            out.push((endpoint_view(e), health));
        }
        Ok(out)
    }

    /// The soonest pending delivery job per endpoint of the tenant's mode.
    async fn next_attempts(&self, t: &Tenant) -> Result<HashMap<String, OffsetDateTime>> {
        let jobs = self
            .store
            .pending_jobs_of_kind(
                &t.merchant_id,
                t.mode.as_str(),
                scheduler::kind::WEBHOOK_DELIVERY,
                JOBS_READ,
            )
            .await?;
        let due: Vec<(String, i64)> = jobs
            .into_iter()
            .filter_map(|(payload, run_at)| {
                let v: serde_json::Value = serde_json::from_str(&payload).ok()?;
                Some((v["deliveryId"].as_str()?.to_string(), run_at))
            })
            .collect();
        let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
        let endpoint_of: HashMap<String, String> = self
            .store
            .webhook_delivery_endpoints(&t.merchant_id, &ids)
            .await?
            .into_iter()
            .collect();
        let mut next = HashMap::new();
        for (delivery, run_at) in due {
            if let Some(e) = endpoint_of.get(&delivery) {
                next.entry(e.clone())
                    .or_insert_with(|| crate::from_micros(run_at));
            }
        }
        Ok(next)
    }

    /// Deliveries of every mode, newest first, a page at a time (the admin API).
    pub async fn webhook_deliveries(
        &self,
        merchant_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        if self.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::NotFound);
        }
        let mut out = Vec::new();
        for d in self
            .store
            .webhook_deliveries(merchant_id, before, limit.clamp(1, 100))
            .await?
        {
            out.push(self.delivery_view(d).await?);
        }
        Ok(out)
    }

    async fn delivery_view(&self, d: WebhookDeliveryRow) -> Result<Delivery> {
        let attempts = self
            .store
            .webhook_attempts(&d.id)
            .await?
            .into_iter()
            .map(|a| Attempt {
                attempted_at: crate::from_micros(a.attempted_at),
                is_resent: a.is_resent,
                cause: a.cause.as_deref().and_then(AttemptCause::parse),
                status_code: a.status_code,
                latency_ms: a.latency_ms,
                response_snippet: a.response_snippet,
                error: a.error,
            })
            .collect();
        Ok(Delivery {
            id: d.id,
            endpoint_id: d.endpoint_id,
            mode: d.mode,
            event: d.event,
            state: d.state,
            payload: serde_json::from_str(&d.payload).ok(),
            created_at: crate::from_micros(d.created_at),
            delivered_at: d.delivered_at.map(crate::from_micros),
            attempts,
        })
    }
}
