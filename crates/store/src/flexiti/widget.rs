//! Hosted widget sessions. Every change of a session is a conditional UPDATE on an open one
//! (`outcome IS NULL`), so a session ends once, whatever the shopper double-submits.

use crate::{Result, Store, on_pool, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiWidgetSessionRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub flow: String,
    pub payload: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// HMAC of the page URL's token; NULL for sessions opened before the page existed.
    pub token_hash: Option<String>,
    pub lang: String,
    pub amount: Option<i64>,
    pub return_url: Option<String>,
    pub reference: Option<String>,
    /// The account widget/init named, the only one the shopper may sign in to.
    pub account_number: Option<String>,
    /// The account the shopper proved (PIN) or opened (approved application).
    pub verified_account: Option<String>,
    pub pin_failures: i64,
    pub codes_sent: i64,
    /// NULL while open; `busy` while a purchase is being made; then the final outcome.
    pub outcome: Option<String>,
    pub authorization_id: Option<i64>,
    pub application_id: Option<String>,
}

/// How a session moves on: its outcome (None: open again) and what it produced.
#[derive(Debug, Clone, Default)]
pub struct FlexitiWidgetOutcome<'a> {
    pub outcome: Option<&'a str>,
    pub authorization_id: Option<i64>,
    pub application_id: Option<&'a str>,
}

const COLUMNS: &str = "id, merchant_id, mode, flow, payload, created_at, expires_at, token_hash, lang, \
    amount, return_url, reference, account_number, verified_account, pin_failures, codes_sent, outcome, \
    authorization_id, application_id";

impl Store {
    pub async fn insert_flexiti_widget_session(&self, s: &FlexitiWidgetSessionRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO flexiti_widget_sessions (id, merchant_id, mode, flow, payload, created_at, expires_at, \
             token_hash, lang, amount, return_url, reference, account_number) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&s.id).bind(&s.merchant_id).bind(&s.mode).bind(&s.flow).bind(&s.payload)
            .bind(s.created_at).bind(s.expires_at).bind(&s.token_hash).bind(&s.lang)
            .bind(s.amount).bind(&s.return_url).bind(&s.reference).bind(&s.account_number)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A merchant's session (what `apply` checks a `widget_session_id` against).
    pub async fn flexiti_widget_session(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
    ) -> Result<Option<FlexitiWidgetSessionRow>> {
        Ok(self
            .flexiti_widget_session_by_id(id)
            .await?
            .filter(|s| s.merchant_id == merchant_id && s.mode == mode))
    }

    /// A session by id alone: the page finds its merchant through it.
    pub async fn flexiti_widget_session_by_id(
        &self,
        id: &str,
    ) -> Result<Option<FlexitiWidgetSessionRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiWidgetSessionRow>(
                sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM flexiti_widget_sessions WHERE id = $1")))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// Records the account the shopper proved or opened (and the application that opened it);
    /// false when the session is not open.
    pub async fn flexiti_widget_verified(
        &self,
        id: &str,
        account: &str,
        application_id: Option<&str>,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE flexiti_widget_sessions SET verified_account = $1, application_id = COALESCE($2, application_id) \
             WHERE id = $3 AND outcome IS NULL")
            .bind(account).bind(application_id).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Counts a code sent, if fewer than `max` were; false when not (or the session is over).
    pub async fn flexiti_widget_code_sent(&self, id: &str, max: i64) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE flexiti_widget_sessions SET codes_sent = codes_sent + 1 \
             WHERE id = $1 AND outcome IS NULL AND codes_sent < $2")
            .bind(id).bind(max).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Counts a wrong code; at `max` the session ends as `locked`.
    pub async fn flexiti_widget_pin_failed(&self, id: &str, max: i64) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "UPDATE flexiti_widget_sessions SET pin_failures = pin_failures + 1, \
             outcome = CASE WHEN pin_failures + 1 >= $1 THEN 'locked' ELSE outcome END \
             WHERE id = $2 AND outcome IS NULL")
            .bind(max).bind(id).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Moves a session from outcome `from` (None: open) to `to`; false when it was not there.
    pub async fn flexiti_widget_transition(
        &self,
        id: &str,
        from: Option<&str>,
        to: &FlexitiWidgetOutcome<'_>,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE flexiti_widget_sessions SET outcome = $1, authorization_id = COALESCE($2, authorization_id), application_id = COALESCE($3, application_id) \
             WHERE id = $4 AND COALESCE(outcome, '') = $5")
            .bind(to.outcome).bind(to.authorization_id).bind(to.application_id).bind(id).bind(from.unwrap_or_default())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
