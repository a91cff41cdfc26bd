//! The job queue (an outbox in the same database as the state it follows). A job is enqueued in
//! the transaction that made it necessary, so a state change and its follow-up (expiry, retry,
//! webhook) commit or vanish together; workers lease jobs so several nodes can share the queue.

use crate::{Backend, Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub merchant_id: Option<String>,
    pub mode: Option<String>,
    pub payload: String,
    pub run_at: i64,
    pub state: String,
    pub attempts: i64,
    pub locked_until: Option<i64>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, kind, merchant_id, mode, payload, run_at, state, attempts, locked_until, locked_by, last_error, created_at, updated_at";

/// How far a job's clock runs ahead of real time (`j` the job, `m` its merchant): the
/// merchant's sandbox test clock moves sandbox jobs only. A live job is due by real time
/// whatever the sandbox clock says, or advancing it would run live expiries early.
const JOB_CLOCK_AHEAD: &str =
    "CASE WHEN j.mode = 'sandbox' THEN COALESCE(m.clock_offset_us, 0) ELSE 0 END";

/// The furthest any job's clock (of the merchants `filter` selects) runs ahead: the same
/// condition again as a bound the `run_at` indexes can range over. Without it a claim, or a
/// count of due jobs, reads every pending job — however far in the future — because the
/// per-job offset cannot bound an index search.
fn latest_clock_ahead(filter: &str) -> String {
    format!(
        "(SELECT COALESCE(MAX(CASE WHEN clock_offset_us > 0 THEN clock_offset_us ELSE 0 END), 0) \
         FROM merchants{filter})"
    )
}

impl Store {
    /// Enqueues a job inside the caller's transaction (the outbox half of a state change).
    pub async fn insert_job(tx: &mut Tx, j: &JobRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO jobs ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")))
            .bind(&j.id).bind(&j.kind).bind(&j.merchant_id).bind(&j.mode).bind(&j.payload).bind(j.run_at)
            .bind(&j.state).bind(j.attempts).bind(j.locked_until).bind(&j.locked_by).bind(&j.last_error)
            .bind(j.created_at).bind(j.updated_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Leases up to `limit` due jobs to `worker` until `lease_until` (real time), optionally
    /// only one merchant's. One statement: on PostgreSQL the inner SELECT takes row locks with
    /// `SKIP LOCKED`, so concurrent workers on several nodes never claim the same job; SQLite
    /// has a single writer.
    pub async fn claim_jobs(
        &self,
        now: i64,
        lease_until: i64,
        worker: &str,
        merchant_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF j SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let (merchant_filter, ahead) = if merchant_id.is_some() {
            (
                " AND j.merchant_id = $5",
                latest_clock_ahead(" WHERE id = $5"),
            )
        } else {
            ("", latest_clock_ahead(""))
        };
        let sql = format!(
            "UPDATE jobs SET locked_until = $2, locked_by = $3, attempts = attempts + 1, updated_at = $1 \
             WHERE id IN (SELECT j.id FROM jobs j LEFT JOIN merchants m ON m.id = j.merchant_id \
             WHERE j.state = 'pending' AND j.run_at <= $1 + {JOB_CLOCK_AHEAD} \
             AND j.run_at <= $1 + {ahead} \
             AND (j.locked_until IS NULL OR j.locked_until < $1){merchant_filter} \
             ORDER BY j.run_at, j.id LIMIT $4{lock}) RETURNING {COLS}"
        );
        let mut rows = on_write!(self, p => {
            let q = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(now).bind(lease_until).bind(worker).bind(limit);
            match merchant_id {
                Some(m) => q.bind(m).fetch_all(p).await,
                None => q.fetch_all(p).await,
            }
        })?;
        rows.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
        Ok(rows)
    }

    /// Marks a claimed job done; false when the lease was lost to another worker meanwhile.
    pub async fn finish_job(&self, id: &str, attempts: i64, now: i64) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE jobs SET state = 'done', locked_until = NULL, last_error = NULL, updated_at = $1 \
             WHERE id = $2 AND attempts = $3 AND state = 'pending'")
            .bind(now).bind(id).bind(attempts)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Puts a claimed job back for `run_at`, or dead-letters it.
    pub async fn retry_job(
        &self,
        id: &str,
        attempts: i64,
        run_at: Option<i64>,
        error: &str,
        now: i64,
    ) -> Result<bool> {
        let n = match run_at {
            Some(at) => on_write!(self, p => sqlx::query(
                "UPDATE jobs SET run_at = $1, locked_until = NULL, last_error = $2, updated_at = $3 \
                 WHERE id = $4 AND attempts = $5 AND state = 'pending'")
                .bind(at).bind(error).bind(now).bind(id).bind(attempts)
                .execute(p).await.map(|r| r.rows_affected()))?,
            None => on_write!(self, p => sqlx::query(
                "UPDATE jobs SET state = 'dead', locked_until = NULL, last_error = $1, updated_at = $2 \
                 WHERE id = $3 AND attempts = $4 AND state = 'pending'")
                .bind(error).bind(now).bind(id).bind(attempts)
                .execute(p).await.map(|r| r.rows_affected()))?,
        };
        Ok(n == 1)
    }

    /// Puts a job claimed before it was due back at its due time `run_at`, as if it had never
    /// been claimed: the claim spends no attempt. False when the lease was lost meanwhile.
    pub async fn unclaim_job(
        &self,
        id: &str,
        attempts: i64,
        run_at: i64,
        now: i64,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE jobs SET run_at = $1, attempts = attempts - 1, locked_until = NULL, locked_by = NULL, \
             updated_at = $2 WHERE id = $3 AND attempts = $4 AND state = 'pending'")
            .bind(run_at).bind(now).bind(id).bind(attempts)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Pending jobs of a merchant that are due by their clock (claimed or not).
    pub async fn due_jobs_of(&self, merchant_id: &str, now: i64) -> Result<i64> {
        let ahead = latest_clock_ahead(" WHERE id = $1");
        Ok(
            on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM jobs j JOIN merchants m ON m.id = j.merchant_id \
             WHERE j.merchant_id = $1 AND j.state = 'pending' AND j.run_at <= $2 + {JOB_CLOCK_AHEAD} \
             AND j.run_at <= $2 + {ahead}")))
            .bind(merchant_id).bind(now).fetch_one(p).await)?,
        )
    }

    /// Queue depth and the age of the oldest due job, for metrics.
    pub async fn job_queue_stats(&self, now: i64) -> Result<(i64, Option<i64>)> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT COUNT(*), MIN(run_at) FROM jobs WHERE state = 'pending' AND run_at <= $1")
            .bind(now).fetch_one(p).await)?,
        )
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM jobs WHERE id = $1")))
            .bind(id).fetch_optional(p).await)?,
        )
    }
}
