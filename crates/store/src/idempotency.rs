//! Idempotency keys. A claim is a row with a random token; the answer is written only while the
//! token still matches. That makes the token a fence: a request whose claim was abandoned and
//! taken over by a retry can no longer answer, and when the answer is written inside the
//! transaction that moves the money, it can no longer move it either.

use crate::{Result, Store, StoreError, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotencyRow {
    pub request_hash: String,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub created_at: i64,
}

/// The key a claim is about.
#[derive(Debug, Clone, Copy)]
pub struct KeyRef<'a> {
    pub merchant_id: &'a str,
    pub mode: &'a str,
    pub scope: &'a str,
    pub key: &'a str,
}

impl Store {
    /// Claims an idempotency key with `token`. `Ok(None)`: the caller owns it now.
    /// `Ok(Some(row))`: it was used before (compare the hash; a row without response is still
    /// in flight).
    pub async fn claim_idempotency_key(
        &self,
        k: KeyRef<'_>,
        token: &str,
        request_hash: &str,
        now: i64,
        window: i64,
        lease: i64,
    ) -> Result<Option<IdempotencyRow>> {
        // A key older than the window is forgotten first, so it can be used again; so is a claim
        // never answered within the lease (its request died with its process, or timed out).
        on_write!(self, p => sqlx::query(
            "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND mode = $2 AND scope = $3 AND key = $4 \
             AND (created_at < $5 OR (response_status IS NULL AND created_at < $6))")
            .bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).bind(now - window).bind(now - lease)
            .execute(p).await.map(|_| ()))?;
        let inserted = on_write!(self, p => sqlx::query(
            "INSERT INTO idempotency_keys (merchant_id, mode, scope, key, request_hash, created_at, claim_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
            .bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).bind(request_hash).bind(now).bind(token)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(None);
        }
        let row = on_pool!(&self.pool, p => sqlx::query_as::<_, IdempotencyRow>(
            "SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys \
             WHERE merchant_id = $1 AND mode = $2 AND scope = $3 AND key = $4")
            .bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).fetch_optional(p).await)?;
        row.map(Some).ok_or(StoreError::Conflict)
    }

    /// Records the answer of the claim holding `token`; `false` when the claim is no longer
    /// that one.
    pub async fn complete_idempotency_key(
        &self,
        k: KeyRef<'_>,
        token: &str,
        status: i64,
        body: &str,
    ) -> Result<bool> {
        Ok(on_pool!(&self.pool, p => sqlx::query(COMPLETE)
            .bind(status).bind(body).bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).bind(token)
            .execute(p).await.map(|r| r.rows_affected() == 1))?)
    }

    /// [`Store::complete_idempotency_key`] inside the transaction of the work it answers for.
    pub async fn seal_idempotency_key(
        tx: &mut Tx,
        k: KeyRef<'_>,
        token: &str,
        status: i64,
        body: &str,
    ) -> Result<bool> {
        Ok(on_tx!(tx, c => sqlx::query(COMPLETE)
            .bind(status).bind(body).bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).bind(token)
            .execute(c).await.map(|r| r.rows_affected() == 1))?)
    }

    /// Forgets the claim holding `token` if it was not answered (so a retry is processed).
    pub async fn release_idempotency_key(&self, k: KeyRef<'_>, token: &str) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND mode = $2 AND scope = $3 AND key = $4 \
             AND claim_token = $5 AND response_status IS NULL")
            .bind(k.merchant_id).bind(k.mode).bind(k.scope).bind(k.key).bind(token)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

const COMPLETE: &str = "UPDATE idempotency_keys SET response_status = $1, response_body = $2 \
     WHERE merchant_id = $3 AND mode = $4 AND scope = $5 AND key = $6 AND claim_token = $7 \
     AND response_status IS NULL";
