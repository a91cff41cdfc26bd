//! Flexiti storage: customer accounts here, the ledger's rows (authorizations, captures,
//! movements) in `ledger`, and how clients and customers get in (tokens, PINs, widget
//! sessions, applications) in `access` — split so each file holds one kind of row.
//!
//! Every money movement locks its rows first (an `UPDATE … RETURNING`
//! that changes nothing: a row lock on PostgreSQL, and SQLite writers are already serialized by
//! `BEGIN IMMEDIATE`), then writes absolute values the engine computed from what it locked —
//! so a concurrent request on the same account waits instead of reading a stale balance. Lock
//! order is capture → authorization → account everywhere, so two requests cannot deadlock.
//! The CHECK constraints of the migration are the last line: a bug that would overdraw an
//! account fails the transaction instead of writing.

mod access;
mod ledger;
mod widget;

pub use access::{
    FlexitiApplicationRow, FlexitiTokenAuth, FlexitiTokenRow, FlexitiVerificationRow,
};
pub use ledger::{
    FlexitiAuthorizationRow, FlexitiCaptureRow, FlexitiListQuery, FlexitiTransactionRow,
};
pub use widget::{FlexitiWidgetOutcome, FlexitiWidgetSessionRow};

use crate::{Result, Store, Tx, on_pool, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiAccountRow {
    pub merchant_id: String,
    pub mode: String,
    pub account_number: String,
    pub customer_id: String,
    pub account_type: String,
    pub status: String,
    pub risk_rating: String,
    pub province: String,
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub preferred_language: String,
    pub tos_agreement: bool,
    pub payment_protection: bool,
    pub security_qid: Option<i64>,
    pub security_answer_hash: Option<String>,
    pub vcc_fingerprint: Option<String>,
    pub card_ending_in: Option<String>,
    pub credit_limit: i64,
    pub held: i64,
    pub balance: i64,
    pub available_credit: i64,
    pub captured_total: i64,
    pub credited_total: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const ACCOUNT_COLS: &str = "merchant_id, mode, account_number, customer_id, account_type, status, risk_rating, province, \
    first_name, last_name, dob, postal_code, email, phone, address_1, address_2, city, preferred_language, tos_agreement, \
    payment_protection, security_qid, security_answer_hash, vcc_fingerprint, card_ending_in, credit_limit, held, balance, \
    available_credit, captured_total, credited_total, created_at, updated_at";

impl Store {
    /// Inserts an account; an existing account number (or customer id) is `Conflict`.
    pub async fn insert_flexiti_account(tx: &mut Tx, a: &FlexitiAccountRow) -> Result<()> {
        Self::write_flexiti_account(tx, a, "").await
    }

    /// Inserts an account unless one with its number or customer id exists (seeding).
    pub async fn insert_flexiti_account_if_absent(
        tx: &mut Tx,
        a: &FlexitiAccountRow,
    ) -> Result<()> {
        Self::write_flexiti_account(tx, a, " ON CONFLICT DO NOTHING").await
    }

    async fn write_flexiti_account(
        tx: &mut Tx,
        a: &FlexitiAccountRow,
        on_conflict: &str,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO flexiti_accounts ({ACCOUNT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32){on_conflict}")))
            .bind(&a.merchant_id).bind(&a.mode).bind(&a.account_number).bind(&a.customer_id).bind(&a.account_type)
            .bind(&a.status).bind(&a.risk_rating).bind(&a.province).bind(&a.first_name).bind(&a.last_name).bind(&a.dob)
            .bind(&a.postal_code).bind(&a.email).bind(&a.phone).bind(&a.address_1).bind(&a.address_2).bind(&a.city)
            .bind(&a.preferred_language).bind(a.tos_agreement).bind(a.payment_protection).bind(a.security_qid)
            .bind(&a.security_answer_hash).bind(&a.vcc_fingerprint).bind(&a.card_ending_in).bind(a.credit_limit)
            .bind(a.held).bind(a.balance).bind(a.available_credit).bind(a.captured_total).bind(a.credited_total)
            .bind(a.created_at).bind(a.updated_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// One account by number, customer id or card fingerprint (`column` is one of those three).
    pub async fn flexiti_account_by(
        &self,
        merchant_id: &str,
        mode: &str,
        column: FlexitiAccountKey,
        value: &str,
    ) -> Result<Option<FlexitiAccountRow>> {
        let col = column.column();
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiAccountRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM flexiti_accounts WHERE merchant_id = $1 AND mode = $2 AND {col} = $3 ORDER BY account_number LIMIT 1")))
            .bind(merchant_id).bind(mode).bind(value).fetch_optional(p).await)?,
        )
    }

    /// Accounts matching a name and date of birth (case-insensitive names; optional postal code).
    pub async fn flexiti_search(
        &self,
        merchant_id: &str,
        mode: &str,
        first_name: &str,
        last_name: &str,
        dob: &str,
        postal_code: Option<&str>,
    ) -> Result<Vec<FlexitiAccountRow>> {
        let extra = if postal_code.is_some() {
            " AND UPPER(REPLACE(postal_code, ' ', '')) = $6"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ACCOUNT_COLS} FROM flexiti_accounts WHERE merchant_id = $1 AND mode = $2 AND dob = $3 \
             AND LOWER(first_name) = $4 AND LOWER(last_name) = $5{extra} ORDER BY account_number LIMIT 100"
        );
        let postal = postal_code.map(|p| p.replace(' ', "").to_uppercase());
        Ok(on_pool!(&self.pool, p => {
            let mut q = sqlx::query_as::<_, FlexitiAccountRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(merchant_id).bind(mode).bind(dob)
                .bind(first_name.to_lowercase()).bind(last_name.to_lowercase());
            if let Some(pc) = &postal { q = q.bind(pc.clone()); }
            q.fetch_all(p).await
        })?)
    }

    pub async fn flexiti_accounts(
        &self,
        merchant_id: &str,
        mode: &str,
    ) -> Result<Vec<FlexitiAccountRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiAccountRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM flexiti_accounts WHERE merchant_id = $1 AND mode = $2 ORDER BY account_number")))
            .bind(merchant_id).bind(mode).fetch_all(p).await)?,
        )
    }

    /// Locks an account for the rest of `tx` and returns it.
    pub async fn flexiti_lock_account(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
    ) -> Result<Option<FlexitiAccountRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FlexitiAccountRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE flexiti_accounts SET updated_at = updated_at WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 \
             RETURNING {ACCOUNT_COLS}")))
            .bind(merchant_id).bind(mode).bind(account_number).fetch_optional(c).await)?,
        )
    }

    /// Writes an account's ledger columns and status (after [`Store::flexiti_lock_account`]).
    pub async fn flexiti_save_account(tx: &mut Tx, a: &FlexitiAccountRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "UPDATE flexiti_accounts SET status = $1, credit_limit = $2, held = $3, balance = $4, available_credit = $5, \
             captured_total = $6, credited_total = $7, risk_rating = $8, updated_at = $9 \
             WHERE merchant_id = $10 AND mode = $11 AND account_number = $12")
            .bind(&a.status).bind(a.credit_limit).bind(a.held).bind(a.balance).bind(a.available_credit)
            .bind(a.captured_total).bind(a.credited_total).bind(&a.risk_rating).bind(a.updated_at)
            .bind(&a.merchant_id).bind(&a.mode).bind(&a.account_number)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }
}

/// The columns an account can be found by.
#[derive(Debug, Clone, Copy)]
pub enum FlexitiAccountKey {
    AccountNumber,
    CustomerId,
    VccFingerprint,
}

impl FlexitiAccountKey {
    fn column(self) -> &'static str {
        match self {
            Self::AccountNumber => "account_number",
            Self::CustomerId => "customer_id",
            Self::VccFingerprint => "vcc_fingerprint",
        }
    }
}

impl Store {
    /// Admin changes to an account: status, limit and rating. `Some(false)` when the new limit
    /// would leave less than what the account already holds and owes.
    #[allow(clippy::too_many_arguments)]
    pub async fn flexiti_update_account_profile(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        status: &str,
        credit_limit: i64,
        risk_rating: &str,
        at: i64,
    ) -> Result<Option<bool>> {
        let mut tx = self.begin().await?;
        let Some(mut a) =
            Self::flexiti_lock_account(&mut tx, merchant_id, mode, account_number).await?
        else {
            return Ok(None);
        };
        let available = credit_limit - a.held - a.balance;
        if available < 0 {
            return Ok(Some(false));
        }
        a.status = status.to_string();
        a.credit_limit = credit_limit;
        a.available_credit = available;
        a.risk_rating = risk_rating.to_string();
        a.updated_at = at;
        Self::flexiti_save_account(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(Some(true))
    }
}
