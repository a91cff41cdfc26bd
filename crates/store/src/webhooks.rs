//! Webhook endpoints, deliveries and their attempts. A delivery is written inside the
//! transaction that emits its event, so an event is announced exactly when its change commits;
//! attempts are kept so merchants can see why a delivery failed and redeliver it.

use crate::{Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub url: String,
    /// Comma-separated event names; empty subscribes to every event.
    pub events: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookDeliveryRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub endpoint_id: String,
    pub event: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookAttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub attempted_at: i64,
    pub is_resent: bool,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_snippet: Option<String>,
    pub error: Option<String>,
    /// What started it: `first`, `retry` (automatic) or `manual` (a redelivery); `None` for
    /// attempts logged before causes were kept.
    pub cause: Option<String>,
}

const ENDPOINT_COLS: &str = "id, merchant_id, mode, url, events, enabled, created_at, updated_at";
pub(crate) const DELIVERY_COLS: &str = "id, merchant_id, mode, endpoint_id, event, payload, state, attempts, last_status, last_error, created_at, delivered_at";

impl Store {
    pub async fn insert_webhook_endpoint(&self, e: &WebhookEndpointRow) -> Result<()> {
        on_write!(self, p => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")))
            .bind(&e.id).bind(&e.merchant_id).bind(&e.mode).bind(&e.url).bind(&e.events)
            .bind(e.enabled).bind(e.created_at).bind(e.updated_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn update_webhook_endpoint(&self, e: &WebhookEndpointRow) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, events = $2, enabled = $3, updated_at = $4 \
             WHERE id = $5 AND merchant_id = $6")
            .bind(&e.url).bind(&e.events).bind(e.enabled).bind(e.updated_at).bind(&e.id).bind(&e.merchant_id)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn webhook_endpoint(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<Option<WebhookEndpointRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, WebhookEndpointRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2")))
            .bind(id).bind(merchant_id).fetch_optional(p).await)?,
        )
    }

    pub async fn webhook_endpoints(&self, merchant_id: &str) -> Result<Vec<WebhookEndpointRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, WebhookEndpointRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY id")))
            .bind(merchant_id).fetch_all(p).await)?,
        )
    }

    /// Enabled endpoints of a merchant and mode, inside the transaction that emits an event.
    pub async fn enabled_webhook_endpoints(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
    ) -> Result<Vec<WebhookEndpointRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, WebhookEndpointRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE merchant_id = $1 AND mode = $2 AND enabled = TRUE ORDER BY id")))
            .bind(merchant_id).bind(mode).fetch_all(c).await)?,
        )
    }

    pub async fn insert_webhook_delivery(tx: &mut Tx, d: &WebhookDeliveryRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")))
            .bind(&d.id).bind(&d.merchant_id).bind(&d.mode).bind(&d.endpoint_id).bind(&d.event).bind(&d.payload)
            .bind(&d.state).bind(d.attempts).bind(d.last_status).bind(&d.last_error).bind(d.created_at).bind(d.delivered_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn webhook_delivery(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<Option<WebhookDeliveryRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1 AND merchant_id = $2")))
            .bind(id).bind(merchant_id).fetch_optional(p).await)?,
        )
    }

    /// Newest first, a page at a time (`before` = the last id of the previous page).
    pub async fn webhook_deliveries(
        &self,
        merchant_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        let sql = match before {
            Some(_) => format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE merchant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ),
            None => format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2"
            ),
        };
        Ok(on_pool!(&self.pool, p => {
            let q = sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(sql.clone())).bind(merchant_id);
            match before {
                Some(b) => q.bind(b).bind(limit).fetch_all(p).await,
                None => q.bind(limit).fetch_all(p).await,
            }
        })?)
    }

    /// Logs one HTTP attempt and updates the delivery's summary.
    pub async fn record_webhook_attempt(
        &self,
        a: &WebhookAttemptRow,
        delivered: bool,
        final_failure: bool,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, is_resent, status_code, latency_ms, response_snippet, error, cause) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&a.id).bind(&a.delivery_id).bind(a.attempted_at).bind(a.is_resent).bind(a.status_code)
            .bind(a.latency_ms).bind(&a.response_snippet).bind(&a.error).bind(&a.cause)
            .execute(c).await.map(|_| ()))?;
        let state = if delivered {
            "delivered"
        } else if final_failure {
            "failed"
        } else {
            "pending"
        };
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, last_status = $2, last_error = $3, \
             delivered_at = CASE WHEN $4 THEN $5 ELSE delivered_at END WHERE id = $6")
            .bind(state).bind(a.status_code).bind(&a.error).bind(delivered).bind(a.attempted_at).bind(&a.delivery_id)
            .execute(c).await.map(|_| ()))?;
        tx.commit().await
    }

    /// A manual redelivery puts a finished delivery back to pending.
    pub async fn reopen_webhook_delivery(tx: &mut Tx, id: &str) -> Result<()> {
        on_tx!(tx, c => sqlx::query("UPDATE webhook_deliveries SET state = 'pending' WHERE id = $1")
            .bind(id).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn webhook_attempts(&self, delivery_id: &str) -> Result<Vec<WebhookAttemptRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, WebhookAttemptRow>(
            "SELECT id, delivery_id, attempted_at, is_resent, status_code, latency_ms, response_snippet, error, cause \
             FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id")
            .bind(delivery_id).fetch_all(p).await)?,
        )
    }
}
