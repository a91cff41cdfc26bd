//! How Flexiti clients and customers get in: bearer tokens, purchase PINs and credit
//! applications (widget sessions are in `widget`). Apart from the ledger because none of these
//! rows move money.

use crate::{MerchantRow, Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiTokenRow {
    pub token_hash: String,
    pub refresh_hash: String,
    pub credential_id: String,
    pub scope: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// A token with what it authenticates: the client (credential public id, trusted networks),
/// mode and merchant.
#[derive(Debug, Clone)]
pub struct FlexitiTokenAuth {
    pub token: FlexitiTokenRow,
    pub mode: String,
    pub client_id: String,
    pub trusted_networks: Option<String>,
    pub merchant: MerchantRow,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiVerificationRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub account_number: String,
    pub request_id: Option<String>,
    pub format: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiApplicationRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub status: String,
    pub account_number: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub request_id: Option<String>,
    pub created_at: i64,
}

impl Store {
    pub async fn insert_flexiti_token(&self, t: &FlexitiTokenRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO flexiti_tokens (token_hash, refresh_hash, credential_id, scope, expires_at, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&t.token_hash).bind(&t.refresh_hash).bind(&t.credential_id).bind(&t.scope)
            .bind(t.expires_at).bind(t.revoked_at).bind(t.created_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets a client's tokens that expired before `before`.
    pub async fn purge_flexiti_tokens(&self, credential_id: &str, before: i64) -> Result<()> {
        on_write!(self, p => sqlx::query("DELETE FROM flexiti_tokens WHERE credential_id = $1 AND expires_at < $2")
            .bind(credential_id).bind(before).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A token by its access or refresh hash, with its credential's merchant, while the
    /// credential is active.
    pub async fn flexiti_token(
        &self,
        refresh: bool,
        hash: &str,
    ) -> Result<Option<FlexitiTokenAuth>> {
        #[derive(sqlx::FromRow)]
        struct Joined {
            #[sqlx(flatten)]
            token: FlexitiTokenRow,
            c_mode: String,
            c_public_id: Option<String>,
            c_trusted_networks: Option<String>,
            m_id: String,
            m_name: String,
            m_clock_offset_us: i64,
            m_created_at: i64,
            m_settings: String,
        }
        let column = if refresh {
            "refresh_hash"
        } else {
            "token_hash"
        };
        let row = on_pool!(&self.pool, p => sqlx::query_as::<_, Joined>(sqlx::AssertSqlSafe(format!(
            "SELECT t.token_hash, t.refresh_hash, t.credential_id, t.scope, t.expires_at, t.revoked_at, t.created_at, \
             c.mode AS c_mode, c.public_id AS c_public_id, c.trusted_networks AS c_trusted_networks, m.id AS m_id, m.name AS m_name, \
             m.clock_offset_us AS m_clock_offset_us, m.created_at AS m_created_at, m.settings AS m_settings \
             FROM flexiti_tokens t JOIN credentials c ON c.id = t.credential_id JOIN merchants m ON m.id = c.merchant_id \
             WHERE t.{column} = $1 AND c.revoked_at IS NULL")))
            .bind(hash).fetch_optional(p).await)?;
        Ok(row.map(|j| FlexitiTokenAuth {
            token: j.token,
            mode: j.c_mode,
            client_id: j.c_public_id.unwrap_or_default(),
            trusted_networks: j.c_trusted_networks,
            merchant: MerchantRow {
                id: j.m_id,
                name: j.m_name,
                clock_offset_us: j.m_clock_offset_us,
                created_at: j.m_created_at,
                settings: j.m_settings,
            },
        }))
    }

    /// Revokes a token (by access hash); false when it was not active.
    pub async fn revoke_flexiti_token(&self, token_hash: &str, at: i64) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE flexiti_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(at).bind(token_hash).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn insert_flexiti_verification(&self, v: &FlexitiVerificationRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO flexiti_verifications (id, merchant_id, mode, account_number, request_id, format, code_hash, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&v.id).bind(&v.merchant_id).bind(&v.mode).bind(&v.account_number).bind(&v.request_id)
            .bind(&v.format).bind(&v.code_hash).bind(v.created_at).bind(v.expires_at).bind(v.used_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The account's verifications still unused and unexpired at `now`, newest first.
    pub async fn flexiti_live_verifications(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        now: i64,
    ) -> Result<Vec<FlexitiVerificationRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiVerificationRow>(
            "SELECT id, merchant_id, mode, account_number, request_id, format, code_hash, created_at, expires_at, used_at \
             FROM flexiti_verifications WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 AND used_at IS NULL \
             AND expires_at > $4 ORDER BY created_at DESC LIMIT 20")
            .bind(merchant_id).bind(mode).bind(account_number).bind(now).fetch_all(p).await)?,
        )
    }

    /// Records a wrong code against the account's live PINs; the `max`-th burns them.
    pub async fn flexiti_pin_failed(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        now: i64,
        max: i64,
    ) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "UPDATE flexiti_verifications SET failed_attempts = failed_attempts + 1, \
             used_at = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE used_at END \
             WHERE merchant_id = $3 AND mode = $4 AND account_number = $5 AND used_at IS NULL AND expires_at > $2")
            .bind(max).bind(now).bind(merchant_id).bind(mode).bind(account_number)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Consumes a verification inside the money-moving transaction; false when already used.
    pub async fn flexiti_use_verification(tx: &mut Tx, id: &str, at: i64) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query("UPDATE flexiti_verifications SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn insert_flexiti_application(tx: &mut Tx, a: &FlexitiApplicationRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO flexiti_applications (id, merchant_id, mode, status, account_number, first_name, last_name, dob, request_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&a.id).bind(&a.merchant_id).bind(&a.mode).bind(&a.status).bind(&a.account_number)
            .bind(&a.first_name).bind(&a.last_name).bind(&a.dob).bind(&a.request_id).bind(a.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }
}
