//! Merchants: the tenant every other row belongs to. Settings are an opaque JSON column the engine
//! owns, so a new setting needs no migration; the sandbox clock offset lives here because every
//! time-dependent rule of a sandbox merchant reads it.

use crate::{Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MerchantRow {
    pub id: String,
    pub name: String,
    pub clock_offset_us: i64,
    pub created_at: i64,
    /// JSON owned by the engine (retry policy, …).
    pub settings: String,
}

impl Store {
    pub async fn insert_merchant(tx: &mut Tx, row: &MerchantRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO merchants (id, name, clock_offset_us, created_at, settings) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id).bind(&row.name).bind(row.clock_offset_us).bind(row.created_at).bind(&row.settings)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn merchant(&self, id: &str) -> Result<Option<MerchantRow>> {
        Ok(on_pool!(&self.pool, p => sqlx::query_as::<_, MerchantRow>(
            "SELECT id, name, clock_offset_us, created_at, settings FROM merchants WHERE id = $1")
            .bind(id).fetch_optional(p).await)?)
    }

    pub async fn merchants(&self) -> Result<Vec<MerchantRow>> {
        Ok(on_pool!(&self.pool, p => sqlx::query_as::<_, MerchantRow>(
            "SELECT id, name, clock_offset_us, created_at, settings FROM merchants ORDER BY created_at, id")
            .fetch_all(p).await)?)
    }

    /// Moves a merchant's sandbox clock forward; returns the new offset.
    pub async fn advance_clock(&self, id: &str, by_us: i64) -> Result<Option<i64>> {
        let offset = on_write!(self, p => sqlx::query_scalar::<_, i64>(
            "UPDATE merchants SET clock_offset_us = clock_offset_us + $1 WHERE id = $2 RETURNING clock_offset_us")
            .bind(by_us).bind(id).fetch_optional(p).await)?;
        self.config_changed();
        Ok(offset)
    }
}

impl Store {
    pub async fn set_merchant_settings(&self, id: &str, settings: &str) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query("UPDATE merchants SET settings = $1 WHERE id = $2")
            .bind(settings).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }
}
