//! FlexFactor refresh-token families (see migration 0012 for why a family is one row).
//!
//! Spending a token is one conditional UPDATE on the family's row: PostgreSQL's row lock and
//! SQLite's single writer both make two parallel refreshes of one token agree on one winner.
//! Revocation marks the row itself, so a refresh racing the revocation cannot leave a live
//! token behind it.

use crate::{Result, Store, on_write};

/// What presenting a refresh token did to its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The token was the family's current one: it is spent and `next_jti` is current.
    Rotated,
    /// The token was already spent: the family is revoked now.
    ReuseRevoked,
    /// Unknown, swept, expired or already revoked family: nothing changed.
    Refused,
}

impl Store {
    /// Starts a family whose current (unspent) refresh token is `jti`.
    pub async fn insert_ff_refresh_family(
        &self,
        id: &str,
        credential_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO ff_refresh_families (id, credential_id, current_jti, expires_at, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5)")
            .bind(id).bind(credential_id).bind(jti).bind(expires_at).bind(now)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Spends `jti` of family `id` for `next_jti` (valid until `expires_at`), or revokes the
    /// family when `jti` was spent before.
    pub async fn rotate_ff_refresh(
        &self,
        id: &str,
        jti: &str,
        next_jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<Rotation> {
        let spent = on_write!(self, p => sqlx::query(
            "UPDATE ff_refresh_families SET current_jti = $1, expires_at = $2 \
             WHERE id = $3 AND current_jti = $4 AND revoked_at IS NULL AND expires_at > $5")
            .bind(next_jti).bind(expires_at).bind(id).bind(jti).bind(now)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if spent == 1 {
            return Ok(Rotation::Rotated);
        }
        // Every jti of a family but the current one was spent (the caller checked the token's
        // signature, so the jti was issued to this family).
        let revoked = on_write!(self, p => sqlx::query(
            "UPDATE ff_refresh_families SET revoked_at = $1 \
             WHERE id = $2 AND current_jti <> $3 AND revoked_at IS NULL AND expires_at > $1")
            .bind(now).bind(id).bind(jti)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(if revoked == 1 {
            Rotation::ReuseRevoked
        } else {
            Rotation::Refused
        })
    }

    /// Forgets families whose newest token expired before `now` (housekeeping).
    pub async fn delete_expired_ff_refresh_families(&self, now: i64) -> Result<u64> {
        Ok(
            on_write!(self, p => sqlx::query("DELETE FROM ff_refresh_families WHERE expires_at <= $1")
            .bind(now).execute(p).await.map(|r| r.rows_affected()))?,
        )
    }
}
