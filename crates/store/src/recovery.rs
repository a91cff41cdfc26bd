//! The recovery chains of a merchant, one row per declined first attempt, for the portal's
//! recovery view: what was declined and what the retries of its chain brought back.

use crate::{Result, Store, on_read};

/// One recovery chain (amounts in minor units of `currency`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecoveryChainRow {
    /// The first attempt's decline code.
    pub first_code: i64,
    pub amount: i64,
    pub currency: Option<String>,
    /// Day of the first attempt (days since the Unix epoch).
    pub day: i64,
    /// Retries made in the chain.
    pub retries: i64,
    /// Amount of the chain's approved retry (0 while it is not recovered).
    pub recovered: i64,
}

const DAY_US: i64 = 86_400_000_000;

impl Store {
    /// Chains whose first attempt (a declined charge or authorization) was made in `since..until` (microseconds).
    /// A chain's attempts share its first attempt's id as `chain_id` (indexed with the retry
    /// number), so each chain costs two index lookups. The retries are matched by chain id alone:
    /// a chain's id is its first attempt's, already scoped here, and adding the merchant and
    /// mode makes SQLite's planner walk the merchant's index instead (see `Store::chain`).
    pub async fn recovery_chains(
        &self,
        merchant_id: &str,
        mode: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<RecoveryChainRow>> {
        Ok(on_read!(self, p => sqlx::query_as::<_, RecoveryChainRow>(
            "SELECT f.response_code AS first_code, f.amount, f.currency, \
                    CAST(f.created_at / $4 AS BIGINT) AS day, \
                    CAST((SELECT COUNT(*) FROM transactions r \
                          WHERE r.chain_id = f.id AND r.retry_count > 0) AS BIGINT) AS retries, \
                    CAST(COALESCE((SELECT SUM(r.amount) FROM transactions r \
                          WHERE r.chain_id = f.id AND r.retry_count > 0 \
                            AND r.response_code BETWEEN 10000 AND 19999), 0) AS BIGINT) AS recovered \
             FROM transactions f \
             WHERE f.merchant_id = $1 AND f.mode = $2 AND f.created_at >= $3 AND f.created_at < $5 \
               AND f.txn_type IN ('Charge', 'Authorize') AND f.retry_count = 0 AND f.status = 2 \
             ORDER BY f.created_at")
            .bind(merchant_id).bind(mode).bind(since).bind(DAY_US).bind(until).fetch_all(p).await)?)
    }
}
