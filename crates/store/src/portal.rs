//! Portal users, their sessions, and the aggregates the overview charts draw.

use crate::{Result, Store, StoreError, on_pool, on_read, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalUserRow {
    pub id: String,
    pub merchant_id: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
}

/// A live session with its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalSessionRow {
    pub user_id: String,
    pub merchant_id: String,
    pub email: String,
    pub csrf_token: String,
    pub mode: String,
    pub expires_at: i64,
}

/// One day of FlexPay activity in one currency (amounts in minor units).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayStatsRow {
    pub day: i64,
    pub currency: Option<String>,
    pub attempts: i64,
    pub approved: i64,
    pub volume: i64,
    pub recovered: i64,
}

/// One day of FlexFactor rescues in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayRescuedRow {
    pub day: i64,
    pub currency: String,
    pub rescued: i64,
}

const DAY_US: i64 = 86_400_000_000;

impl Store {
    /// `Conflict` when the email is taken.
    pub async fn insert_portal_user(&self, u: &PortalUserRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO portal_users (id, merchant_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&u.id).bind(&u.merchant_id).bind(&u.email).bind(&u.password_hash).bind(u.created_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn portal_user_by_email(&self, email: &str) -> Result<Option<PortalUserRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, PortalUserRow>(
            "SELECT id, merchant_id, email, password_hash, created_at FROM portal_users WHERE email = $1")
            .bind(email).fetch_optional(p).await)?,
        )
    }

    pub async fn insert_portal_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        mode: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO portal_sessions (token_hash, user_id, csrf_token, mode, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token_hash).bind(user_id).bind(csrf_token).bind(mode).bind(now).bind(expires_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The unexpired session whose cookie hashes to `token_hash`.
    pub async fn portal_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<PortalSessionRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, PortalSessionRow>(
            "SELECT s.user_id, u.merchant_id, u.email, s.csrf_token, s.mode, s.expires_at \
             FROM portal_sessions s JOIN portal_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2")
            .bind(token_hash).bind(now).fetch_optional(p).await)?,
        )
    }

    pub async fn set_portal_session_mode(&self, token_hash: &str, mode: &str) -> Result<()> {
        on_write!(self, p => sqlx::query("UPDATE portal_sessions SET mode = $1 WHERE token_hash = $2")
            .bind(mode).bind(token_hash).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Leaves a sealed secret in a session for the next page to show once.
    pub async fn set_portal_flash(
        &self,
        token_hash: &str,
        kek_version: i64,
        sealed: &[u8],
    ) -> Result<()> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE portal_sessions SET flash_kek_version = $1, flash_sealed = $2 WHERE token_hash = $3")
            .bind(kek_version).bind(sealed).bind(token_hash).execute(p).await.map(|r| r.rows_affected()))?;
        // The session ended between its check and here: nowhere to leave the secrets.
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Database("the portal session has ended".into()))
        }
    }

    /// Takes a session's sealed secret out: of two requests racing for it, one gets it.
    pub async fn take_portal_flash(&self, token_hash: &str) -> Result<Option<(i64, Vec<u8>)>> {
        let found = on_pool!(&self.pool, p => sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT flash_kek_version, flash_sealed FROM portal_sessions \
             WHERE token_hash = $1 AND flash_kek_version IS NOT NULL AND flash_sealed IS NOT NULL")
            .bind(token_hash).fetch_optional(p).await)?;
        let Some((version, sealed)) = found else {
            return Ok(None);
        };
        let cleared = on_write!(self, p => sqlx::query(
            "UPDATE portal_sessions SET flash_kek_version = NULL, flash_sealed = NULL \
             WHERE token_hash = $1 AND flash_sealed = $2")
            .bind(token_hash).bind(&sealed).execute(p).await.map(|r| r.rows_affected()))?;
        Ok((cleared == 1).then_some((version, sealed)))
    }

    /// Ends a session, and with it any expired ones.
    pub async fn delete_portal_session(&self, token_hash: &str, now: i64) -> Result<()> {
        on_write!(self, p => sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Removes sessions past their expiry; returns how many.
    pub async fn delete_expired_portal_sessions(&self, now: i64) -> Result<u64> {
        Ok(
            on_write!(self, p => sqlx::query("DELETE FROM portal_sessions WHERE expires_at <= $1")
            .bind(now).execute(p).await.map(|r| r.rows_affected()))?,
        )
    }

    pub async fn portal_users_of(&self, merchant_id: &str) -> Result<Vec<PortalUserRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, PortalUserRow>(
            "SELECT id, merchant_id, email, password_hash, created_at FROM portal_users WHERE merchant_id = $1 ORDER BY created_at, id")
            .bind(merchant_id).fetch_all(p).await)?,
        )
    }

    /// Deletes a user and, with it, their sessions; `false` when there was no such user.
    pub async fn delete_portal_user(&self, merchant_id: &str, email: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM portal_sessions WHERE user_id IN (SELECT id FROM portal_users WHERE merchant_id = $1 AND email = $2)")
            .bind(merchant_id).bind(email).execute(c).await.map(|_| ()))?;
        let n = on_tx!(&mut tx, c => sqlx::query("DELETE FROM portal_users WHERE merchant_id = $1 AND email = $2")
            .bind(merchant_id).bind(email).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Per-day charges and authorizations created in `since..until` (microseconds), one row
    /// per day and currency (one indexed range scan).
    pub async fn day_stats(
        &self,
        merchant_id: &str,
        mode: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<DayStatsRow>> {
        Ok(on_read!(self, p => sqlx::query_as::<_, DayStatsRow>(
            "SELECT CAST(created_at / $4 AS BIGINT) AS day, currency, \
                    CAST(COUNT(*) AS BIGINT) AS attempts, \
                    CAST(SUM(CASE WHEN response_code BETWEEN 10000 AND 19999 THEN 1 ELSE 0 END) AS BIGINT) AS approved, \
                    CAST(SUM(CASE WHEN response_code BETWEEN 10000 AND 19999 THEN amount ELSE 0 END) AS BIGINT) AS volume, \
                    CAST(SUM(CASE WHEN response_code BETWEEN 10000 AND 19999 AND retry_count > 0 THEN amount ELSE 0 END) AS BIGINT) AS recovered \
             FROM transactions \
             WHERE merchant_id = $1 AND mode = $2 AND created_at >= $3 AND created_at < $5 \
               AND txn_type IN ('Charge', 'Authorize') \
             GROUP BY CAST(created_at / $4 AS BIGINT), currency ORDER BY day, currency")
            .bind(merchant_id).bind(mode).bind(since).bind(DAY_US).bind(until).fetch_all(p).await)?)
    }

    /// Per-day amounts of FlexFactor orders rescued (approved or completed) created in
    /// `since..until`, one row per day and currency.
    pub async fn day_rescued(
        &self,
        merchant_id: &str,
        mode: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<DayRescuedRow>> {
        Ok(on_read!(self, p => sqlx::query_as::<_, DayRescuedRow>(
            "SELECT CAST(created_at / $4 AS BIGINT) AS day, currency, CAST(SUM(amount) AS BIGINT) AS rescued \
             FROM ff_orders \
             WHERE merchant_id = $1 AND mode = $2 AND created_at >= $3 AND created_at < $5 \
               AND status_name IN ('APPROVED', 'COMPLETED') \
             GROUP BY CAST(created_at / $4 AS BIGINT), currency ORDER BY day, currency")
            .bind(merchant_id).bind(mode).bind(since).bind(DAY_US).bind(until).fetch_all(p).await)?)
    }
}
