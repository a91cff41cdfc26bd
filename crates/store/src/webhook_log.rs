//! The portal's view of webhook deliveries: the log filtered by endpoint and state and paged
//! both ways by id, a bounded count of matches, and what it takes to flag a failing endpoint
//! (its latest tried delivery, and when the scheduler tries its deliveries next).
//!
//! Why the next attempt is read from `jobs`: a delivery's retry time is the scheduler's, kept
//! on its job and moved by every failure; copying it onto the delivery would be a second
//! record of one fact.

use crate::webhooks::DELIVERY_COLS;
use crate::{Result, SearchFrom, Store, WebhookDeliveryRow, on_pool, on_read};
use sqlx::{Database, QueryBuilder};

/// Which deliveries a log page keeps.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: Option<String>,
}

/// ` WHERE …` of a delivery log: the merchant and mode, then each condition of `f`.
fn push_filter<DB: Database>(
    q: &mut QueryBuilder<DB>,
    merchant_id: &str,
    mode: &str,
    f: &DeliveryFilter,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(" WHERE merchant_id = ")
        .push_bind(merchant_id.to_string())
        .push(" AND mode = ")
        .push_bind(mode.to_string());
    if let Some(e) = &f.endpoint_id {
        q.push(" AND endpoint_id = ").push_bind(e.clone());
    }
    if let Some(s) = &f.state {
        q.push(" AND state = ").push_bind(s.clone());
    }
}

impl Store {
    /// Up to `limit` deliveries matching `f` next to `from`, in the page's direction (newest
    /// first, or oldest first after `SearchFrom::After`).
    pub async fn webhook_deliveries_filtered(
        &self,
        merchant_id: &str,
        mode: &str,
        f: &DeliveryFilter,
        from: SearchFrom<'_>,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        Ok(on_read!(self, p => {
            let mut q = QueryBuilder::new(format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries"));
            push_filter(&mut q, merchant_id, mode, f);
            let dir = match from {
                SearchFrom::Newest => "DESC",
                SearchFrom::Before(id) => {
                    q.push(" AND id < ").push_bind(id.to_string());
                    "DESC"
                }
                SearchFrom::After(id) => {
                    q.push(" AND id > ").push_bind(id.to_string());
                    "ASC"
                }
            };
            q.push(format!(" ORDER BY id {dir} LIMIT ")).push_bind(limit);
            q.build_query_as::<WebhookDeliveryRow>().fetch_all(p).await
        })?)
    }

    /// How many deliveries match `f`, counting no further than `bound`.
    pub async fn webhook_deliveries_count(
        &self,
        merchant_id: &str,
        mode: &str,
        f: &DeliveryFilter,
        bound: i64,
    ) -> Result<i64> {
        Ok(on_read!(self, p => {
            let mut q = QueryBuilder::new(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT id FROM webhook_deliveries",
            );
            push_filter(&mut q, merchant_id, mode, f);
            q.push(" LIMIT ").push_bind(bound).push(") m");
            q.build_query_scalar::<i64>().fetch_one(p).await
        })?)
    }

    /// The newest delivery to an endpoint that has been tried at least once.
    pub async fn latest_tried_webhook_delivery(
        &self,
        merchant_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<WebhookDeliveryRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE endpoint_id = $1 AND merchant_id = $2 \
             AND attempts > 0 ORDER BY id DESC LIMIT 1")))
            .bind(endpoint_id).bind(merchant_id).fetch_optional(p).await)?,
        )
    }

    /// The payload and due time of a merchant's pending jobs of `kind` in `mode`, soonest
    /// first, at most `limit`.
    pub async fn pending_jobs_of_kind(
        &self,
        merchant_id: &str,
        mode: &str,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, i64)>(
            "SELECT payload, run_at FROM jobs WHERE merchant_id = $1 AND state = 'pending' \
             AND kind = $2 AND mode = $3 ORDER BY run_at LIMIT $4")
            .bind(merchant_id).bind(kind).bind(mode).bind(limit).fetch_all(p).await)?,
        )
    }

    /// The endpoint of each of these deliveries of a merchant, as `(delivery, endpoint)`.
    pub async fn webhook_delivery_endpoints(
        &self,
        merchant_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_pool!(&self.pool, p => {
            let mut q = QueryBuilder::new(
                "SELECT id, endpoint_id FROM webhook_deliveries WHERE merchant_id = ",
            );
            q.push_bind(merchant_id.to_string()).push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build_query_as::<(String, String)>().fetch_all(p).await
        })?)
    }
}
