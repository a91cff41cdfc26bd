//! Gateway webhook events, recorded once per (gateway, event id). The insert goes in the
//! caller's transaction with the change the event causes, so a redelivered event (gateways
//! deliver at least once) is recognised and a crash cannot apply an event without recording it,
//! or record it without applying it.

use crate::{Result, Store, Tx, on_pool, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GatewayEventRow {
    pub gateway_token: String,
    pub event_id: String,
    pub merchant_id: String,
    pub mode: String,
    /// The engine's kind (`chargeback`, `refund_failed`, …).
    pub kind: String,
    /// The gateway's own name of the event.
    pub gateway_kind: String,
    /// The attempt the event matched, if any.
    pub transaction_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub reason: Option<String>,
    /// What applying the event did (`settled`, `follow_up_failed`, `recorded`, `unmatched`).
    pub outcome: String,
    pub received_at: i64,
}

const COLS: &str = "gateway_token, event_id, merchant_id, mode, kind, gateway_kind, transaction_id, amount, \
    currency, reason, outcome, received_at";

impl Store {
    /// Records an event; `false` when it was recorded before (nothing is written then, and the
    /// transaction stays usable).
    pub async fn insert_gateway_event(tx: &mut Tx, e: &GatewayEventRow) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO gateway_events ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (gateway_token, event_id) DO NOTHING")))
            .bind(&e.gateway_token).bind(&e.event_id).bind(&e.merchant_id).bind(&e.mode)
            .bind(&e.kind).bind(&e.gateway_kind).bind(&e.transaction_id).bind(e.amount)
            .bind(&e.currency).bind(&e.reason).bind(&e.outcome).bind(e.received_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn gateway_event_seen(&self, gateway_token: &str, event_id: &str) -> Result<bool> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, String>(
            "SELECT event_id FROM gateway_events WHERE gateway_token = $1 AND event_id = $2")
            .bind(gateway_token).bind(event_id).fetch_optional(p).await)?
        .is_some())
    }

    /// The events recorded against a transaction, oldest first.
    pub async fn gateway_events_of(
        &self,
        merchant_id: &str,
        mode: &str,
        transaction_id: &str,
    ) -> Result<Vec<GatewayEventRow>> {
        let mut rows = on_pool!(&self.pool, p => sqlx::query_as::<_, GatewayEventRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM gateway_events WHERE transaction_id = $1 ORDER BY received_at, event_id")))
            .bind(transaction_id).fetch_all(p).await)?;
        rows.retain(|r| r.merchant_id == merchant_id && r.mode == mode);
        Ok(rows)
    }
}
