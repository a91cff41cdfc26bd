//! The job scheduler: work that must happen later is a row in `jobs`, written in the same
//! database transaction as the state change that calls for it (never only in memory), and
//! executed by whichever node claims it first.
//!
//! Claims are leases: a worker that dies mid-job loses nothing, its lease lapses and another
//! worker runs the job again — so every job is idempotent (it re-reads state and does nothing
//! when there is nothing left to do). Due times are in the job's business time: real time in
//! live mode, and in the sandbox real time plus the merchant's test-clock offset, which is what
//! lets the test clock fast-forward days of sandbox work without touching live work (a live
//! hold or CVV expiring early, or never, would be real harm).

use crate::{Engine, Result, Tenant, ids, micros};
use openflex_domain::time::rfc3339;
use openflex_store::{JobRow, Store, Tx};
use serde::Serialize;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a claimed job may run before another worker may take it over.
pub const LEASE: Duration = Duration::from_secs(60);
/// Attempts before a failing job is dead-lettered: with [`backoff`] about a day of retries.
pub const MAX_ATTEMPTS: i64 = 13;

pub mod kind {
    /// Redact a `Cached` payment method whose TTL passed.
    pub const EXPIRE_CACHED_CARD: &str = "expire_cached_card";
    /// Purge a CVV whose TTL passed.
    pub const EXPIRE_CVV: &str = "expire_cvv";
    /// POST one webhook delivery.
    pub const WEBHOOK_DELIVERY: &str = "webhook_delivery";
    /// A managed-MIT rescue attempt on a FlexFactor order (or its expiry).
    pub const FF_RESCUE_ATTEMPT: &str = "ff_rescue_attempt";
    /// The end of a FlexFactor order's capture window.
    pub const FF_CAPTURE_EXPIRY: &str = "ff_capture_expiry";
    /// A FlexPay retry the server makes itself (scheduler mode).
    pub const FLEXPAY_SCHEDULED_RETRY: &str = "flexpay_scheduled_retry";
    /// A Flexiti authorization still open after 30 days gives its hold back.
    pub const FLEXITI_AUTHORIZATION_EXPIRY: &str = "flexiti_authorization_expiry";
    /// Ask a gateway what happened to an attempt whose answer was lost.
    pub const GATEWAY_INQUIRY: &str = "gateway_inquiry";
}

/// What running a job did, as reported by the test clock and the worker's logs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RanJob {
    pub id: String,
    pub kind: String,
    #[serde(serialize_with = "openflex_domain::time::as_rfc3339")]
    pub due_at: time::OffsetDateTime,
    pub outcome: String,
    pub detail: String,
}

/// The result of executing one job.
pub enum JobResult {
    Done(String),
    Retry(String),
    /// The job's record is due later than this (by the job's own clock; always in the future):
    /// the job goes back to that time, and the early claim spends no attempt.
    NotDue(OffsetDateTime),
}

/// Exponential backoff with jitter: 30 s, 1 min, 2 min, … capped at 8 h.
pub fn backoff(attempts: i64, jitter_seed: u64) -> Duration {
    let base = 30u64
        .saturating_mul(1u64 << attempts.clamp(0, 20) as u32)
        .min(8 * 3600);
    Duration::from_secs(base + jitter_seed % (base / 4 + 1))
}

impl Engine {
    /// Enqueues a job for `tenant` due at `run_at` (the merchant's business time).
    pub(crate) async fn enqueue(
        &self,
        tx: &mut Tx,
        tenant: &Tenant,
        kind: &str,
        payload: serde_json::Value,
        run_at: OffsetDateTime,
    ) -> Result<String> {
        let now = micros(self.now());
        let row = JobRow {
            id: self.ids.next(),
            kind: kind.to_string(),
            merchant_id: Some(tenant.merchant_id.clone()),
            mode: Some(tenant.mode.as_str().to_string()),
            payload: payload.to_string(),
            run_at: micros(run_at),
            state: "pending".into(),
            attempts: 0,
            locked_until: None,
            locked_by: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        Store::insert_job(tx, &row).await?;
        Ok(row.id)
    }

    /// Claims and runs one batch of due jobs (any merchant, or only `merchant_id`).
    pub async fn run_due_jobs(
        &self,
        worker: &str,
        merchant_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RanJob>> {
        let now = micros(self.now());
        let lease = now + LEASE.as_micros() as i64;
        let jobs = self
            .store
            .claim_jobs(now, lease, worker, merchant_id, limit)
            .await?;
        let mut ran = Vec::with_capacity(jobs.len());
        for job in jobs {
            ran.push(self.run_claimed(job).await?);
        }
        Ok(ran)
    }

    async fn run_claimed(&self, job: JobRow) -> Result<RanJob> {
        let started = std::time::Instant::now();
        let result = self.execute(&job).await;
        let now = micros(self.now());
        let (outcome, detail) = match result {
            Ok(JobResult::Done(detail)) => {
                self.store.finish_job(&job.id, job.attempts, now).await?;
                ("done", detail)
            }
            Ok(JobResult::NotDue(due)) => {
                self.store
                    .unclaim_job(&job.id, job.attempts, micros(due), now)
                    .await?;
                ("not_due", format!("not due until {}", rfc3339(due)))
            }
            Ok(JobResult::Retry(error)) | Err(crate::EngineError::Internal(error)) => {
                self.reschedule(&job, &error, now).await?
            }
            Err(e) => self.reschedule(&job, &e.to_string(), now).await?,
        };
        metrics::counter!("openflex_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("openflex_job_duration_seconds", "kind" => job.kind.clone())
            .record(started.elapsed().as_secs_f64());
        Ok(RanJob {
            id: job.id,
            kind: job.kind,
            due_at: crate::from_micros(job.run_at),
            outcome: outcome.to_string(),
            detail,
        })
    }

    async fn reschedule(
        &self,
        job: &JobRow,
        error: &str,
        now: i64,
    ) -> Result<(&'static str, String)> {
        if job.attempts >= MAX_ATTEMPTS {
            tracing::warn!(job = %job.id, kind = %job.kind, error, "job dead-lettered");
            self.store
                .retry_job(&job.id, job.attempts, None, error, now)
                .await?;
            return Ok(("dead", error.to_string()));
        }
        // `attempts` counts this run already: the first retry waits backoff(0).
        let delay = backoff(job.attempts - 1, ids::seed_of(&job.id));
        let run_at = job.run_at.max(now) + delay.as_micros() as i64;
        self.store
            .retry_job(&job.id, job.attempts, Some(run_at), error, now)
            .await?;
        Ok(("retry", error.to_string()))
    }

    async fn execute(&self, job: &JobRow) -> Result<JobResult> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let (Some(merchant_id), Some(mode)) = (
            &job.merchant_id,
            job.mode.as_deref().and_then(crate::Mode::parse),
        ) else {
            return Ok(JobResult::Done("no merchant; nothing to do".into()));
        };
        let Some(merchant) = self.store.merchant(merchant_id).await? else {
            return Ok(JobResult::Done("merchant no longer exists".into()));
        };
        let tenant = Tenant::of(&merchant, mode);
        let id = payload["paymentMethodId"].as_str().unwrap_or_default();
        match job.kind.as_str() {
            kind::EXPIRE_CACHED_CARD => self.expire_cached_card(&tenant, id).await,
            kind::EXPIRE_CVV => self.expire_cvv(&tenant, id).await,
            kind::WEBHOOK_DELIVERY => {
                let delivery = payload["deliveryId"].as_str().unwrap_or_default();
                let resend = payload["resend"].as_bool().unwrap_or(false);
                self.deliver_webhook(&tenant, delivery, resend, job.attempts)
                    .await
            }
            kind::FLEXPAY_SCHEDULED_RETRY => {
                let id = payload["transactionId"].as_str().unwrap_or_default();
                self.scheduled_retry(&tenant, id).await
            }
            kind::GATEWAY_INQUIRY => {
                let id = payload["transactionId"].as_str().unwrap_or_default();
                self.inquiry_job(&tenant, id).await
            }
            kind::FF_RESCUE_ATTEMPT => {
                let order = payload["orderId"].as_str().unwrap_or_default();
                self.ff_rescue_attempt(&tenant, order, crate::from_micros(job.run_at))
                    .await
            }
            kind::FF_CAPTURE_EXPIRY => {
                let order = payload["orderId"].as_str().unwrap_or_default();
                self.ff_capture_expiry(&tenant, order).await
            }
            kind::FLEXITI_AUTHORIZATION_EXPIRY => {
                let id = payload["authorizationId"].as_i64().unwrap_or_default();
                self.flexiti_authorization_expiry(&tenant, id).await
            }
            other => Ok(JobResult::Retry(format!("unknown job kind {other}"))),
        }
    }

    /// Runs every job of a merchant that its clock made due, in due order, until none is left
    /// (jobs that a running job enqueues and that are already due run too).
    pub async fn run_merchant_jobs(&self, merchant_id: &str) -> Result<Vec<RanJob>> {
        let mut ran = Vec::new();
        for _ in 0..10_000 {
            let batch = self
                .run_due_jobs("test-clock", Some(merchant_id), 50)
                .await?;
            if batch.is_empty() {
                // Another worker may hold one of them; wait for it rather than return early.
                if self
                    .store
                    .due_jobs_of(merchant_id, micros(self.now()))
                    .await?
                    == 0
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            ran.extend(batch);
        }
        Ok(ran)
    }

    /// Queue depth and lag for `/metrics`.
    pub async fn record_queue_metrics(&self) -> Result<()> {
        let now = micros(self.now());
        let (depth, oldest) = self.store.job_queue_stats(now).await?;
        metrics::gauge!("openflex_job_queue_depth").set(depth as f64);
        metrics::gauge!("openflex_job_queue_lag_seconds")
            .set(oldest.map(|o| (now - o) as f64 / 1e6).unwrap_or(0.0));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0, 0), Duration::from_secs(30));
        assert_eq!(backoff(1, 0), Duration::from_secs(60));
        assert!(backoff(3, 7) >= Duration::from_secs(240));
        assert!(backoff(3, 7) <= Duration::from_secs(300));
        assert_eq!(backoff(40, 0), Duration::from_secs(8 * 3600));
        let total: u64 = (0..MAX_ATTEMPTS - 1).map(|a| backoff(a, 0).as_secs()).sum();
        assert!(
            (20 * 3600..30 * 3600).contains(&total),
            "about a day of retries: {total}s"
        );
    }
}
