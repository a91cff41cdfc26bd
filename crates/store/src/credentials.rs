//! API credentials (secret keys, public ids, sealed secrets). Authentication runs on every
//! request, so the lookup by secret hash is one indexed query here; rotation needs the sealed
//! secrets listed and rewritten under the new master key without the engine reading SQL.

use crate::{MerchantRow, Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CredentialRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub kind: String,
    pub public_id: Option<String>,
    pub secret_hash: Option<String>,
    pub sealed_secret: Option<Vec<u8>>,
    pub kek_version: Option<i64>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// A Flexiti client's trusted networks: a JSON array of CIDR blocks; `None` for any.
    pub trusted_networks: Option<String>,
    /// The name the merchant gave the set it was issued in; `None` before names existed.
    pub name: Option<String>,
    /// The secret's last four characters ("…abcd"); `None` without a secret or before
    /// previews existed.
    pub preview: Option<String>,
}

const COLS: &str = "id, merchant_id, mode, kind, public_id, secret_hash, sealed_secret, kek_version, created_at, revoked_at, trusted_networks, name, preview";

impl Store {
    pub async fn insert_credential(tx: &mut Tx, row: &CredentialRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO credentials (id, merchant_id, mode, kind, public_id, secret_hash, sealed_secret, kek_version, created_at, revoked_at, trusted_networks, name, preview) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&row.id).bind(&row.merchant_id).bind(&row.mode).bind(&row.kind)
            .bind(&row.public_id).bind(&row.secret_hash).bind(&row.sealed_secret)
            .bind(row.kek_version).bind(row.created_at).bind(row.revoked_at).bind(&row.trusted_networks)
            .bind(&row.name).bind(&row.preview)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// The active credential of `kind` whose secret hashes to `secret_hash`, with its merchant
    /// (one indexed lookup: this runs on every authenticated request). The kind is checked here
    /// rather than in SQL: secret hashes are unique, and with `kind` in the WHERE clause
    /// PostgreSQL's generic plan could cost `credentials_public (kind, …)` the same as the
    /// unique index and scan every credential of the kind.
    pub async fn credential_by_secret(
        &self,
        kind: &str,
        secret_hash: &str,
    ) -> Result<Option<(CredentialRow, MerchantRow)>> {
        Ok(self
            .credential_with_generation(secret_hash)
            .await?
            .map(|(found, _)| found)
            .filter(|(cred, _)| cred.kind == kind))
    }

    /// Active credentials of `kind` with the given public id (e.g. a FlexFactor AppKey).
    pub async fn credentials_by_public_id(
        &self,
        kind: &str,
        public_id: &str,
    ) -> Result<Vec<CredentialRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, CredentialRow>(
            sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM credentials WHERE kind = $1 AND public_id = $2 AND revoked_at IS NULL")))
            .bind(kind).bind(public_id).fetch_all(p).await)?,
        )
    }

    pub async fn credentials_of(&self, merchant_id: &str) -> Result<Vec<CredentialRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, CredentialRow>(
            sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM credentials WHERE merchant_id = $1 ORDER BY created_at, id")))
            .bind(merchant_id).fetch_all(p).await)?,
        )
    }

    /// Sets the trusted networks of a merchant's active credential; false when there is none
    /// with that id.
    pub async fn set_trusted_networks(
        &self,
        merchant_id: &str,
        id: &str,
        networks: Option<&str>,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE credentials SET trusted_networks = $1 WHERE id = $2 AND merchant_id = $3 AND revoked_at IS NULL")
            .bind(networks).bind(id).bind(merchant_id).execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }

    /// Revokes one credential; returns false when it does not exist or was already revoked.
    pub async fn revoke_credential(&self, merchant_id: &str, id: &str, at: i64) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND merchant_id = $3 AND revoked_at IS NULL")
            .bind(at).bind(id).bind(merchant_id).execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }

    /// [`Store::revoke_credential`] inside the caller's transaction (a key rolled: the new one
    /// is written in the same transaction); false when it was revoked already. The caller
    /// clears the configuration cache once the transaction commits.
    pub async fn revoke_credential_in(
        tx: &mut Tx,
        merchant_id: &str,
        id: &str,
        at: i64,
    ) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND merchant_id = $3 AND revoked_at IS NULL")
            .bind(at).bind(id).bind(merchant_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    /// Sealed credential secrets not under master key `active` (for rotation).
    pub async fn sealed_credentials_to_reseal(
        &self,
        active: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, i64, Vec<u8>)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, String, i64, Vec<u8>)>(
            "SELECT id, merchant_id, kek_version, sealed_secret FROM credentials \
             WHERE kek_version IS NOT NULL AND kek_version <> $1 AND sealed_secret IS NOT NULL ORDER BY id LIMIT $2")
            .bind(active).bind(limit).fetch_all(p).await)?,
        )
    }

    pub async fn replace_sealed_credential(
        &self,
        id: &str,
        old_version: i64,
        version: i64,
        blob: &[u8],
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE credentials SET kek_version = $1, sealed_secret = $2 WHERE id = $3 AND kek_version = $4")
            .bind(version).bind(blob).bind(id).bind(old_version)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.config_changed();
        Ok(n == 1)
    }
}

impl Store {
    /// A credential by id, with its merchant.
    pub async fn credential_by_id(&self, id: &str) -> Result<Option<(CredentialRow, MerchantRow)>> {
        let cred = on_pool!(&self.pool, p => sqlx::query_as::<_, CredentialRow>(
            sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM credentials WHERE id = $1")))
            .bind(id).fetch_optional(p).await)?;
        let Some(cred) = cred else { return Ok(None) };
        Ok(self.merchant(&cred.merchant_id).await?.map(|m| (cred, m)))
    }
}

/// When credentials were last used: a table of its own, so recording a use never raises the
/// configuration generation that every write to `credentials` raises.
impl Store {
    /// Records that credential `id` authenticated a request at `at`; an older time never
    /// replaces a newer one (nodes write in any order).
    pub async fn record_credential_use(&self, id: &str, at: i64) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO credential_usage (credential_id, last_used_at) VALUES ($1, $2) \
             ON CONFLICT (credential_id) DO UPDATE SET last_used_at = excluded.last_used_at \
             WHERE credential_usage.last_used_at < excluded.last_used_at")
            .bind(id).bind(at).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// When each of a merchant's credentials was last used, by credential id (those never
    /// used are absent).
    pub async fn credential_last_used(&self, merchant_id: &str) -> Result<Vec<(String, i64)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, i64)>(
            "SELECT u.credential_id, u.last_used_at FROM credential_usage u \
             JOIN credentials c ON c.id = u.credential_id WHERE c.merchant_id = $1")
            .bind(merchant_id).fetch_all(p).await)?,
        )
    }
}
