//! FlexPay transactions. Follow-ups (capture, refund, void) reserve their amount on the original
//! row in the same transaction that inserts them, so two concurrent refunds cannot both spend
//! the same remaining amount; list queries page by key so deep pages stay cheap.

use crate::{Result, Store, StoreError, Tx, on_pool, on_read, on_tx, on_write};

/// One FlexPay transaction (payments and vault operations alike). `result` and `details` are
/// JSON owned by the engine (processor result fields, request echo); the columns are what is
/// filtered, ordered or guarded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TxnRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub txn_type: String,
    pub state: String,
    pub status: i64,
    pub response_code: i64,
    pub merchant_transaction_id: Option<String>,
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
    pub currency: Option<String>,
    pub amount: i64,
    pub payment_method_id: Option<String>,
    pub gateway_token: Option<String>,
    pub gateway_type: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub assigned_gateway_token: Option<String>,
    pub original_id: Option<String>,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub voided: bool,
    pub retry_date: Option<i64>,
    pub retry_count: i64,
    pub date_first_attempt: Option<i64>,
    pub reference_data: Option<String>,
    pub completion_status: Option<String>,
    pub result: String,
    pub details: String,
    pub created_at: i64,
    /// The recovery chain (first attempt's id) of a charge or authorization.
    pub chain_id: Option<String>,
}

/// The columns of `transactions`, in insert order (also what the bench's pgbench scripts write).
pub const TXN_COLUMNS: &str = COLS;

const COLS: &str = "id, merchant_id, mode, txn_type, state, status, response_code, merchant_transaction_id, order_id, \
    customer_id, currency, amount, payment_method_id, gateway_token, gateway_type, gateway_transaction_id, \
    merchant_account_reference_id, assigned_gateway_token, original_id, captured_amount, refunded_amount, voided, \
    retry_date, retry_count, date_first_attempt, reference_data, completion_status, result, details, created_at, chain_id";

pub(crate) const FINISH: &str = "UPDATE transactions SET state = $10, status = $1, response_code = $2, \
    payment_method_id = $3, gateway_transaction_id = $4, assigned_gateway_token = $5, retry_date = $6, \
    reference_data = $7, result = $8 WHERE id = $9 AND state = 'pending'";

macro_rules! finish_query {
    ($r:expr) => {
        sqlx::query($crate::transactions::FINISH)
            .bind($r.status)
            .bind($r.response_code)
            .bind(&$r.payment_method_id)
            .bind(&$r.gateway_transaction_id)
            .bind(&$r.assigned_gateway_token)
            .bind($r.retry_date)
            .bind(&$r.reference_data)
            .bind(&$r.result)
            .bind(&$r.id)
            .bind(&$r.state)
    };
}

pub(crate) use finish_query;

/// One row settled, or none because another settlement won (an inquiry racing another).
pub(crate) fn settled_once(rows: u64) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Filters and keyset position of a list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub after: Option<String>,
    pub descending: bool,
    pub limit: i64,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// Which follow-up reservation to take on an original transaction.
#[derive(Debug, Clone, Copy)]
pub enum Reservation {
    Capture(i64),
    Refund(i64),
    Void,
}

/// Binds the values of transaction row `$r` to `$q`, in [`TXN_COLUMNS`] order.
macro_rules! bind_txn {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(&r.id)
            .bind(&r.merchant_id)
            .bind(&r.mode)
            .bind(&r.txn_type)
            .bind(&r.state)
            .bind(r.status)
            .bind(r.response_code)
            .bind(&r.merchant_transaction_id)
            .bind(&r.order_id)
            .bind(&r.customer_id)
            .bind(&r.currency)
            .bind(r.amount)
            .bind(&r.payment_method_id)
            .bind(&r.gateway_token)
            .bind(&r.gateway_type)
            .bind(&r.gateway_transaction_id)
            .bind(&r.merchant_account_reference_id)
            .bind(&r.assigned_gateway_token)
            .bind(&r.original_id)
            .bind(r.captured_amount)
            .bind(r.refunded_amount)
            .bind(r.voided)
            .bind(r.retry_date)
            .bind(r.retry_count)
            .bind(r.date_first_attempt)
            .bind(&r.reference_data)
            .bind(&r.completion_status)
            .bind(&r.result)
            .bind(&r.details)
            .bind(r.created_at)
            .bind(&r.chain_id)
    }};
}
pub(crate) use bind_txn;

/// The INSERT of one transaction row, bound, for either backend's executor.
macro_rules! insert_txn_query {
    ($r:expr) => {
        bind_txn!(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO transactions ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)"
            ))),
            $r
        )
    };
}

/// [`insert_txn_query!`] made conditional on the configuration generation (bound as `$32`):
/// it inserts nothing once the generation moved on.
macro_rules! insert_txn_guarded_query {
    ($r:expr, $generation:expr) => {
        bind_txn!(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO transactions ({COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31 \
                 FROM config_generation WHERE id = 1 AND generation = $32"
            ))),
            $r
        )
        .bind($generation)
    };
}

/// Rows a guarded INSERT wrote: none means the generation moved on.
fn guarded(inserted: u64) -> Result<()> {
    if inserted == 0 {
        Err(StoreError::ConfigChanged)
    } else {
        Ok(())
    }
}

impl Store {
    /// [`Store::insert_txn`], writing only while the configuration generation is `guard`
    /// (`None`: unconditionally). A moved generation is [`StoreError::ConfigChanged`].
    pub async fn insert_txn_guarded(tx: &mut Tx, r: &TxnRow, guard: Option<i64>) -> Result<()> {
        let Some(generation) = guard else {
            return Self::insert_txn(tx, r).await;
        };
        let n = on_tx!(tx, c => insert_txn_guarded_query!(r, generation).execute(c).await.map(|q| q.rows_affected()))?;
        guarded(n)
    }

    /// [`Store::insert_txn_alone`] with a guard, as [`Store::insert_txn_guarded`].
    pub async fn insert_txn_alone_guarded(&self, r: &TxnRow, guard: Option<i64>) -> Result<()> {
        let Some(generation) = guard else {
            return self.insert_txn_alone(r).await;
        };
        match &self.group {
            Some(group) => group.insert(r.clone(), Some(generation)).await,
            None => {
                let n = on_pool!(&self.pool, p => insert_txn_guarded_query!(r, generation).execute(p).await.map(|q| q.rows_affected()))?;
                guarded(n)
            }
        }
    }

    /// Inserts a transaction; a duplicate (merchant, mode, merchantTransactionId) is `Conflict`.
    pub async fn insert_txn(tx: &mut Tx, r: &TxnRow) -> Result<()> {
        on_tx!(tx, c => insert_txn_query!(r).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// [`Store::insert_txn`] without a transaction around it, when the row is all a write would
    /// hold. Concurrent calls share statements and commits (see `group_commit`); each answers
    /// once its row is committed, with `Conflict` for a duplicate merchantTransactionId.
    pub async fn insert_txn_alone(&self, r: &TxnRow) -> Result<()> {
        match &self.group {
            Some(group) => group.insert(r.clone(), None).await,
            None => on_pool!(&self.pool, p => insert_txn_query!(r).execute(p).await.map(|_| ()))
                .map_err(Into::into),
        }
    }

    /// Records the gateway's answer on a transaction still waiting for one (`pending`: the call
    /// is in flight, or its answer was lost and an inquiry settles it). `r.state` is the new
    /// state: `done`, or `pending` while the answer is not known.
    pub async fn finish_txn(tx: &mut Tx, r: &TxnRow) -> Result<()> {
        let n = on_tx!(tx, c => finish_query!(r).execute(c).await.map(|r| r.rows_affected()))?;
        settled_once(n)
    }

    /// [`Store::finish_txn`] as one statement of its own, when the answer is all there is to
    /// write (a live payment's hot path: no transaction around one UPDATE).
    /// On SQLite concurrent calls share a commit, as inserts do (see `group_commit`).
    pub async fn finish_txn_alone(&self, r: &TxnRow) -> Result<()> {
        if let Some(group) = &self.group {
            return group.finish(r.clone()).await;
        }
        let n = on_write!(self, p => finish_query!(r).execute(p).await.map(|r| r.rows_affected()))?;
        settled_once(n)
    }

    pub async fn txn(&self, merchant_id: &str, mode: &str, id: &str) -> Result<Option<TxnRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn txn_by_mtid(
        &self,
        merchant_id: &str,
        mode: &str,
        mtid: &str,
    ) -> Result<Option<TxnRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE merchant_transaction_id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(mtid).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    /// The follow-ups (captures, voids, refunds) made of `original_id`, oldest first.
    pub async fn txns_by_original(
        &self,
        merchant_id: &str,
        mode: &str,
        original_id: &str,
        limit: i64,
    ) -> Result<Vec<TxnRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE original_id = $1 AND merchant_id = $2 AND mode = $3 \
             ORDER BY id LIMIT $4")))
            .bind(original_id).bind(merchant_id).bind(mode).bind(limit).fetch_all(p).await)?,
        )
    }

    /// Keyset page ordered by id (ids are time-ordered), optionally bounded by creation time.
    pub async fn txns_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &ListQuery,
    ) -> Result<Vec<TxnRow>> {
        let (cmp, dir) = if q.descending {
            (" AND id < ", "DESC")
        } else {
            (" AND id > ", "ASC")
        };
        Ok(on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {COLS} FROM transactions WHERE merchant_id = "
            ));
            qb.push_bind(merchant_id.to_string()).push(" AND mode = ").push_bind(mode.to_string());
            if let Some(a) = &q.after { qb.push(cmp).push_bind(a.clone()); }
            if let Some(s) = q.start { qb.push(" AND created_at >= ").push_bind(s); }
            if let Some(e) = q.end { qb.push(" AND created_at < ").push_bind(e); }
            qb.push(format!(" ORDER BY id {dir} LIMIT ")).push_bind(q.limit);
            qb.build_query_as::<TxnRow>().fetch_all(p).await
        })?)
    }

    /// Atomically reserves a follow-up on `original_id` if the invariant still holds. Returns
    /// false when another operation got there first (the caller re-reads and re-decides).
    pub async fn reserve(tx: &mut Tx, original_id: &str, r: Reservation) -> Result<bool> {
        let n = match r {
            Reservation::Capture(amount) => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET captured_amount = $1 WHERE id = $2 AND captured_amount = 0 \
                 AND voided = FALSE AND status = 1 AND $1 > 0 AND $1 <= amount")
                .bind(amount).bind(original_id).execute(c).await.map(|r| r.rows_affected()))?,
            Reservation::Refund(amount) => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET refunded_amount = refunded_amount + $1 WHERE id = $2 \
                 AND voided = FALSE AND status = 1 AND $1 > 0 AND refunded_amount + $1 <= amount")
                .bind(amount).bind(original_id).execute(c).await.map(|r| r.rows_affected()))?,
            Reservation::Void => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET voided = TRUE WHERE id = $1 AND voided = FALSE AND status = 1 \
                 AND captured_amount = 0 AND refunded_amount = 0")
                .bind(original_id).execute(c).await.map(|r| r.rows_affected()))?,
        };
        Ok(n == 1)
    }

    /// Gives a reservation back after the processor declined the follow-up.
    pub async fn release(tx: &mut Tx, original_id: &str, r: Reservation) -> Result<()> {
        match r {
            Reservation::Capture(_) => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET captured_amount = 0 WHERE id = $1")
                .bind(original_id).execute(c).await.map(|_| ()))?,
            Reservation::Refund(amount) => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET refunded_amount = refunded_amount - $1 WHERE id = $2")
                .bind(amount).bind(original_id).execute(c).await.map(|_| ()))?,
            Reservation::Void => on_tx!(tx, c => sqlx::query(
                "UPDATE transactions SET voided = FALSE WHERE id = $1")
                .bind(original_id).execute(c).await.map(|_| ()))?,
        }
        Ok(())
    }

    /// The attempts the gateway knows as `gateway_transaction_id` (a payment and its captures
    /// and voids may share one id), oldest first. Selected by the indexed id alone and scoped
    /// here, as [`Store::chain`] explains.
    pub async fn txns_by_gateway_id(
        &self,
        merchant_id: &str,
        mode: &str,
        gateway_transaction_id: &str,
    ) -> Result<Vec<TxnRow>> {
        let mut rows = on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE gateway_transaction_id = $1")))
            .bind(gateway_transaction_id).fetch_all(p).await)?;
        rows.retain(|r| r.merchant_id == merchant_id && r.mode == mode);
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rows)
    }

    /// Turns a follow-up the gateway had accepted into a decline, when the gateway later
    /// reports it failed (`r` carries the new code and result). False when it is not an
    /// approved, finished attempt (any more).
    pub async fn fail_follow_up(tx: &mut Tx, r: &TxnRow) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE transactions SET status = $1, response_code = $2, result = $3 \
             WHERE id = $4 AND state = 'done' AND status = 1")
            .bind(r.status).bind(r.response_code).bind(&r.result).bind(&r.id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Transactions left pending by a crash before their processor answer was recorded.
    pub async fn stale_pending(&self, older_than: i64, limit: i64) -> Result<Vec<TxnRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE state = 'pending' AND response_code = 0 AND created_at < $1 ORDER BY created_at LIMIT $2")))
            .bind(older_than).bind(limit).fetch_all(p).await)?,
        )
    }
}

impl Store {
    /// The attempts of a recovery chain, oldest first.
    pub async fn chain(
        &self,
        merchant_id: &str,
        mode: &str,
        chain_id: &str,
    ) -> Result<Vec<TxnRow>> {
        // Selected by chain id alone and scoped and sorted here: given the merchant and mode (or
        // an ORDER BY id) too, SQLite's planner walks the merchant's whole id index instead of
        // the chain's few rows — 48 ms per lookup at 10^5 transactions.
        let mut rows = on_pool!(&self.pool, p => sqlx::query_as::<_, TxnRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM transactions WHERE chain_id = $1")))
            .bind(chain_id).fetch_all(p).await)?;
        rows.retain(|r| r.merchant_id == merchant_id && r.mode == mode);
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rows)
    }
}

/// How far a recovery chain has gone: its latest attempt's retry number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChainEnd {
    pub chain_id: String,
    pub merchant_id: String,
    pub mode: String,
    pub last_retry: i64,
}

impl Store {
    /// The latest retry number of each of `chain_ids` that belongs to the merchant and mode.
    pub async fn chain_ends(
        &self,
        merchant_id: &str,
        mode: &str,
        chain_ids: &[String],
    ) -> Result<Vec<ChainEnd>> {
        if chain_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Selected by chain id alone and scoped here, for the reason `chain` gives.
        let mut rows = on_pool!(&self.pool, p => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT chain_id, merchant_id, mode, CAST(MAX(retry_count) AS BIGINT) AS last_retry \
                 FROM transactions WHERE chain_id IN (",
            );
            let mut ids = q.separated(", ");
            for id in chain_ids {
                ids.push_bind(id);
            }
            q.push(") GROUP BY chain_id, merchant_id, mode");
            q.build_query_as::<ChainEnd>().fetch_all(p).await
        })?;
        rows.retain(|r| r.merchant_id == merchant_id && r.mode == mode);
        Ok(rows)
    }
}

impl Store {
    /// Ends a recovery: the transaction gets a completion status and loses its retry date.
    pub async fn complete_recovery(tx: &mut Tx, id: &str, status: &str) -> Result<()> {
        on_tx!(tx, c => sqlx::query("UPDATE transactions SET completion_status = $1, retry_date = NULL WHERE id = $2")
            .bind(status).bind(id).execute(c).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store {
    /// Declined charge/authorize attempts for one card (fingerprint) and order since `since`.
    pub async fn declined_attempts(
        &self,
        merchant_id: &str,
        mode: &str,
        order_id: &str,
        fingerprint: &str,
        since: i64,
    ) -> Result<i64> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM transactions t JOIN payment_methods p ON p.id = t.payment_method_id \
             WHERE t.merchant_id = $1 AND t.mode = $2 AND t.order_id = $3 AND p.fingerprint = $4 \
             AND t.txn_type IN ('Charge', 'Authorize') AND t.status = 2 AND t.created_at >= $5")
            .bind(merchant_id).bind(mode).bind(order_id).bind(fingerprint).bind(since)
            .fetch_one(p).await)?)
    }
}
