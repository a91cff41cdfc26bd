//! A merchant's gateways (processor connections). They are soft-deleted so past transactions
//! keep naming theirs, and their sealed settings are listed and rewritten here for key rotation.

use crate::{Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GatewayRow {
    pub token: String,
    pub merchant_id: String,
    pub mode: String,
    pub name: String,
    pub gateway_type: String,
    pub merchant_account_reference_id: Option<String>,
    pub status: String,
    /// Comma-separated ISO 4217 codes; empty accepts every currency.
    pub accepted_currencies: String,
    /// Comma-separated `cardType` names; empty accepts every brand.
    pub accepted_cards: String,
    pub weight: i64,
    pub accept_retries: bool,
    pub cvv_required: bool,
    pub settings_kek_version: Option<i64>,
    pub settings_sealed: Option<Vec<u8>>,
    pub created_at: i64,
}

const COLS: &str = "token, merchant_id, mode, name, gateway_type, merchant_account_reference_id, status, \
    accepted_currencies, accepted_cards, weight, accept_retries, cvv_required, settings_kek_version, settings_sealed, created_at";

impl Store {
    pub async fn insert_gateway(tx: &mut Tx, g: &GatewayRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO gateways ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")))
            .bind(&g.token).bind(&g.merchant_id).bind(&g.mode).bind(&g.name).bind(&g.gateway_type)
            .bind(&g.merchant_account_reference_id).bind(&g.status).bind(&g.accepted_currencies)
            .bind(&g.accepted_cards).bind(g.weight).bind(g.accept_retries).bind(g.cvv_required)
            .bind(g.settings_kek_version).bind(&g.settings_sealed).bind(g.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn gateway(
        &self,
        merchant_id: &str,
        mode: &str,
        token: &str,
    ) -> Result<Option<GatewayRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, GatewayRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM gateways WHERE token = $1 AND merchant_id = $2 AND mode = $3 AND deleted_at IS NULL")))
            .bind(token).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    /// A gateway by its token alone, whichever merchant owns it: the token is the secret part
    /// of the gateway's webhook URL.
    pub async fn gateway_by_token(&self, token: &str) -> Result<Option<GatewayRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, GatewayRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM gateways WHERE token = $1 AND deleted_at IS NULL")))
            .bind(token).fetch_optional(p).await)?,
        )
    }

    /// `(token, name)` of every gateway the merchant ever had in this mode, deleted ones too:
    /// transactions keep naming the gateway they went through.
    pub async fn gateway_names(
        &self,
        merchant_id: &str,
        mode: &str,
    ) -> Result<Vec<(String, String)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, String)>(
            "SELECT token, name FROM gateways WHERE merchant_id = $1 AND mode = $2")
            .bind(merchant_id).bind(mode).fetch_all(p).await)?,
        )
    }

    pub async fn gateways(&self, merchant_id: &str, mode: &str) -> Result<Vec<GatewayRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, GatewayRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM gateways WHERE merchant_id = $1 AND mode = $2 AND deleted_at IS NULL ORDER BY created_at, token")))
            .bind(merchant_id).bind(mode).fetch_all(p).await)?,
        )
    }

    /// Writes every mutable field of `g`; returns false when the gateway does not exist.
    pub async fn update_gateway(&self, g: &GatewayRow) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE gateways SET merchant_account_reference_id = $1, status = $2, accepted_currencies = $3, \
             accepted_cards = $4, weight = $5, accept_retries = $6, cvv_required = $7, settings_kek_version = $8, \
             settings_sealed = $9 WHERE token = $10 AND merchant_id = $11 AND mode = $12 AND deleted_at IS NULL")
            .bind(&g.merchant_account_reference_id).bind(&g.status).bind(&g.accepted_currencies)
            .bind(&g.accepted_cards).bind(g.weight).bind(g.accept_retries).bind(g.cvv_required)
            .bind(g.settings_kek_version).bind(&g.settings_sealed)
            .bind(&g.token).bind(&g.merchant_id).bind(&g.mode)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }

    /// Soft delete: past transactions keep naming the gateway.
    pub async fn delete_gateway(
        &self,
        merchant_id: &str,
        mode: &str,
        token: &str,
        at: i64,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE gateways SET deleted_at = $1 WHERE token = $2 AND merchant_id = $3 AND mode = $4 AND deleted_at IS NULL")
            .bind(at).bind(token).bind(merchant_id).bind(mode)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }
}

impl Store {
    /// Sealed gateway settings not under master key `active` (for rotation).
    pub async fn gateway_settings_to_reseal(
        &self,
        active: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, i64, Vec<u8>)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, String, i64, Vec<u8>)>(
            "SELECT token, merchant_id, settings_kek_version, settings_sealed FROM gateways \
             WHERE settings_kek_version IS NOT NULL AND settings_kek_version <> $1 AND settings_sealed IS NOT NULL ORDER BY token LIMIT $2")
            .bind(active).bind(limit).fetch_all(p).await)?,
        )
    }

    pub async fn replace_gateway_settings(
        &self,
        token: &str,
        old_version: i64,
        version: i64,
        blob: &[u8],
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE gateways SET settings_kek_version = $1, settings_sealed = $2 WHERE token = $3 AND settings_kek_version = $4")
            .bind(version).bind(blob).bind(token).bind(old_version)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }
}
