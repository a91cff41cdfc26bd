//! Flexiti ledger storage. Every money movement locks its rows first (an `UPDATE … RETURNING`
//! that changes nothing: a row lock on PostgreSQL, and SQLite writers are already serialized by
//! `BEGIN IMMEDIATE`), then writes absolute values the engine computed from what it locked —
//! so a concurrent request on the same account waits instead of reading a stale balance. Lock
//! order is capture → authorization → account everywhere, so two requests cannot deadlock.
//! The CHECK constraints of the migration are the last line: a bug that would overdraw an
//! account fails the transaction instead of writing.

use crate::{MerchantRow, Result, Store, Tx, on_pool, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxAccountRow {
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxAuthorizationRow {
    pub id: i64,
    pub merchant_id: String,
    pub mode: String,
    pub account_number: String,
    pub transaction_type: String,
    pub plan_id: Option<i64>,
    pub term: Option<i64>,
    pub apr_bp: i64,
    pub payment: i64,
    pub amount: i64,
    pub financing_cost: i64,
    pub captured_amount: i64,
    pub captured_cost: i64,
    pub released_amount: i64,
    pub held: i64,
    pub status: String,
    pub auto_capture: bool,
    pub reference: Option<String>,
    pub request_id: Option<String>,
    pub external_location_id: Option<String>,
    pub external_employee_id: Option<String>,
    pub sku_data: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const AUTH_COLS: &str = "id, merchant_id, mode, account_number, transaction_type, plan_id, term, apr_bp, payment, amount, \
    financing_cost, captured_amount, captured_cost, released_amount, held, status, auto_capture, reference, request_id, \
    external_location_id, external_employee_id, sku_data, expires_at, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxCaptureRow {
    pub id: i64,
    pub authorization_id: i64,
    pub merchant_id: String,
    pub mode: String,
    pub account_number: String,
    pub transaction_type: String,
    pub amount: i64,
    pub financing_cost: i64,
    pub returned_amount: i64,
    pub returned_cost: i64,
    pub reference: Option<String>,
    pub external_location_id: Option<String>,
    pub sku_data: Option<String>,
    pub created_at: i64,
}

const CAPTURE_COLS: &str = "id, authorization_id, merchant_id, mode, account_number, transaction_type, amount, financing_cost, \
    returned_amount, returned_cost, reference, external_location_id, sku_data, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxTransactionRow {
    pub id: i64,
    pub merchant_id: String,
    pub mode: String,
    pub account_number: String,
    pub kind: String,
    pub amount: i64,
    pub cost: i64,
    pub authorization_id: Option<i64>,
    pub capture_id: Option<i64>,
    pub reference: Option<String>,
    pub request_id: Option<String>,
    pub external_location_id: Option<String>,
    pub external_employee_id: Option<String>,
    pub sku_data: Option<String>,
    pub created_at: i64,
}

const TXN_COLS: &str = "id, merchant_id, mode, account_number, kind, amount, cost, authorization_id, capture_id, reference, \
    request_id, external_location_id, external_employee_id, sku_data, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxTokenRow {
    pub token_hash: String,
    pub refresh_hash: String,
    pub credential_id: String,
    pub scope: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// A token with what it authenticates: the client (credential public id), mode and merchant.
#[derive(Debug, Clone)]
pub struct FxTokenAuth {
    pub token: FxTokenRow,
    pub mode: String,
    pub client_id: String,
    pub merchant: MerchantRow,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxVerificationRow {
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
pub struct FxWidgetSessionRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub flow: String,
    pub payload: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FxApplicationRow {
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

/// Filters of the authorization and capture lists.
#[derive(Debug, Clone, Default)]
pub struct FxListQuery {
    pub account_number: Option<String>,
    pub transaction_type: Option<String>,
    pub status: Option<String>,
    pub external_location_id: Option<String>,
    pub authorization_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

enum Arg {
    Text(String),
    Int(i64),
}

/// `WHERE` clause and its arguments (after `$1` merchant and `$2` mode).
fn list_filter(q: &FxListQuery, with_status: bool, with_location: bool) -> (String, Vec<Arg>) {
    let mut sql = String::from(" WHERE merchant_id = $1 AND mode = $2");
    let mut args = Vec::new();
    let mut push = |sql: &mut String, cond: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&format!(" AND {cond} ${}", args.len() + 2));
    };
    if let Some(a) = &q.account_number {
        push(&mut sql, "account_number =", Arg::Text(a.clone()));
    }
    if let Some(t) = &q.transaction_type {
        push(&mut sql, "transaction_type =", Arg::Text(t.clone()));
    }
    if with_status && let Some(s) = &q.status {
        push(&mut sql, "status =", Arg::Text(s.clone()));
    }
    if with_location && let Some(l) = &q.external_location_id {
        push(&mut sql, "external_location_id =", Arg::Text(l.clone()));
    }
    if let Some(id) = q.authorization_id {
        push(&mut sql, "authorization_id =", Arg::Int(id));
    }
    if let Some(f) = q.from {
        push(&mut sql, "created_at >=", Arg::Int(f));
    }
    if let Some(t) = q.to {
        push(&mut sql, "created_at <", Arg::Int(t));
    }
    (sql, args)
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

impl Store {
    /// Inserts an account; an existing account number (or customer id) is `Conflict`.
    pub async fn insert_fx_account(tx: &mut Tx, a: &FxAccountRow) -> Result<()> {
        Self::write_fx_account(tx, a, "").await
    }

    /// Inserts an account unless one with its number or customer id exists (seeding).
    pub async fn insert_fx_account_if_absent(tx: &mut Tx, a: &FxAccountRow) -> Result<()> {
        Self::write_fx_account(tx, a, " ON CONFLICT DO NOTHING").await
    }

    async fn write_fx_account(tx: &mut Tx, a: &FxAccountRow, on_conflict: &str) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO fx_accounts ({ACCOUNT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
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
    pub async fn fx_account_by(
        &self,
        merchant_id: &str,
        mode: &str,
        column: FxAccountKey,
        value: &str,
    ) -> Result<Option<FxAccountRow>> {
        let col = column.column();
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxAccountRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM fx_accounts WHERE merchant_id = $1 AND mode = $2 AND {col} = $3 ORDER BY account_number LIMIT 1")))
            .bind(merchant_id).bind(mode).bind(value).fetch_optional(p).await)?,
        )
    }

    /// Accounts matching a name and date of birth (case-insensitive names; optional postal code).
    pub async fn fx_search(
        &self,
        merchant_id: &str,
        mode: &str,
        first_name: &str,
        last_name: &str,
        dob: &str,
        postal_code: Option<&str>,
    ) -> Result<Vec<FxAccountRow>> {
        let extra = if postal_code.is_some() {
            " AND UPPER(REPLACE(postal_code, ' ', '')) = $6"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ACCOUNT_COLS} FROM fx_accounts WHERE merchant_id = $1 AND mode = $2 AND dob = $3 \
             AND LOWER(first_name) = $4 AND LOWER(last_name) = $5{extra} ORDER BY account_number LIMIT 100"
        );
        let postal = postal_code.map(|p| p.replace(' ', "").to_uppercase());
        Ok(on_pool!(&self.pool, p => {
            let mut q = sqlx::query_as::<_, FxAccountRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(merchant_id).bind(mode).bind(dob)
                .bind(first_name.to_lowercase()).bind(last_name.to_lowercase());
            if let Some(pc) = &postal { q = q.bind(pc.clone()); }
            q.fetch_all(p).await
        })?)
    }

    pub async fn fx_accounts(&self, merchant_id: &str, mode: &str) -> Result<Vec<FxAccountRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxAccountRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM fx_accounts WHERE merchant_id = $1 AND mode = $2 ORDER BY account_number")))
            .bind(merchant_id).bind(mode).fetch_all(p).await)?,
        )
    }

    /// Locks an account for the rest of `tx` and returns it.
    pub async fn fx_lock_account(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
    ) -> Result<Option<FxAccountRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FxAccountRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE fx_accounts SET updated_at = updated_at WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 \
             RETURNING {ACCOUNT_COLS}")))
            .bind(merchant_id).bind(mode).bind(account_number).fetch_optional(c).await)?,
        )
    }

    /// Writes an account's ledger columns and status (after [`Store::fx_lock_account`]).
    pub async fn fx_save_account(tx: &mut Tx, a: &FxAccountRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "UPDATE fx_accounts SET status = $1, credit_limit = $2, held = $3, balance = $4, available_credit = $5, \
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
pub enum FxAccountKey {
    AccountNumber,
    CustomerId,
    VccFingerprint,
}

impl FxAccountKey {
    fn column(self) -> &'static str {
        match self {
            Self::AccountNumber => "account_number",
            Self::CustomerId => "customer_id",
            Self::VccFingerprint => "vcc_fingerprint",
        }
    }
}

impl Store {
    pub async fn insert_fx_authorization(tx: &mut Tx, a: &FxAuthorizationRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO fx_authorizations ({AUTH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)")))
            .bind(a.id).bind(&a.merchant_id).bind(&a.mode).bind(&a.account_number).bind(&a.transaction_type)
            .bind(a.plan_id).bind(a.term).bind(a.apr_bp).bind(a.payment).bind(a.amount).bind(a.financing_cost)
            .bind(a.captured_amount).bind(a.captured_cost).bind(a.released_amount).bind(a.held).bind(&a.status)
            .bind(a.auto_capture).bind(&a.reference).bind(&a.request_id).bind(&a.external_location_id)
            .bind(&a.external_employee_id).bind(&a.sku_data).bind(a.expires_at).bind(a.created_at).bind(a.updated_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn fx_authorization(
        &self,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FxAuthorizationRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTH_COLS} FROM fx_authorizations WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn fx_lock_authorization(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FxAuthorizationRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FxAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE fx_authorizations SET updated_at = updated_at WHERE id = $1 AND merchant_id = $2 AND mode = $3 \
             RETURNING {AUTH_COLS}")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(c).await)?,
        )
    }

    /// Locks every open authorization of an account (before locking the account itself).
    pub async fn fx_lock_open_authorizations(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
    ) -> Result<Vec<FxAuthorizationRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FxAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE fx_authorizations SET updated_at = updated_at \
             WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 AND status = 'opened' RETURNING {AUTH_COLS}")))
            .bind(merchant_id).bind(mode).bind(account_number).fetch_all(c).await)?,
        )
    }

    /// Writes an authorization's amounts and status (after locking it).
    pub async fn fx_save_authorization(tx: &mut Tx, a: &FxAuthorizationRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "UPDATE fx_authorizations SET captured_amount = $1, captured_cost = $2, released_amount = $3, held = $4, \
             status = $5, updated_at = $6 WHERE id = $7")
            .bind(a.captured_amount).bind(a.captured_cost).bind(a.released_amount).bind(a.held)
            .bind(&a.status).bind(a.updated_at).bind(a.id)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// A page of authorizations and the number matching the filters, newest first.
    pub async fn fx_authorizations_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &FxListQuery,
    ) -> Result<(Vec<FxAuthorizationRow>, i64)> {
        let (filter, args) = list_filter(q, true, true);
        let page = format!(
            "SELECT {AUTH_COLS} FROM fx_authorizations{filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            q.limit, q.offset
        );
        let count = format!("SELECT COUNT(*) FROM fx_authorizations{filter}");
        let rows = on_pool!(&self.pool, p => bind_args!(
            sqlx::query_as::<_, FxAuthorizationRow>(sqlx::AssertSqlSafe(page.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_all(p).await)?;
        let total = on_pool!(&self.pool, p => bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_one(p).await)?;
        Ok((rows, total))
    }

    /// How many regular purchases the account made since `since` (the PIN-bypass rule).
    pub async fn fx_regular_purchases_since(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        since: i64,
    ) -> Result<i64> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM fx_authorizations WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 \
             AND transaction_type = 'regular_purchase' AND created_at >= $4 AND status <> 'released'")
            .bind(merchant_id).bind(mode).bind(account_number).bind(since).fetch_one(p).await)?)
    }
}

impl Store {
    pub async fn insert_fx_capture(tx: &mut Tx, c: &FxCaptureRow) -> Result<()> {
        on_tx!(tx, x => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO fx_captures ({CAPTURE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")))
            .bind(c.id).bind(c.authorization_id).bind(&c.merchant_id).bind(&c.mode).bind(&c.account_number)
            .bind(&c.transaction_type).bind(c.amount).bind(c.financing_cost).bind(c.returned_amount)
            .bind(c.returned_cost).bind(&c.reference).bind(&c.external_location_id).bind(&c.sku_data).bind(c.created_at)
            .execute(x).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn fx_capture(
        &self,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FxCaptureRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM fx_captures WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn fx_lock_capture(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FxCaptureRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE fx_captures SET returned_amount = returned_amount WHERE id = $1 AND merchant_id = $2 AND mode = $3 \
             RETURNING {CAPTURE_COLS}")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(c).await)?,
        )
    }

    pub async fn fx_save_capture(tx: &mut Tx, c: &FxCaptureRow) -> Result<()> {
        on_tx!(tx, x => sqlx::query("UPDATE fx_captures SET returned_amount = $1, returned_cost = $2 WHERE id = $3")
            .bind(c.returned_amount).bind(c.returned_cost).bind(c.id)
            .execute(x).await.map(|_| ()))?;
        Ok(())
    }

    /// [`Store::fx_captures_of`] as the transaction sees them.
    pub async fn fx_captures_in(tx: &mut Tx, authorization_id: i64) -> Result<Vec<FxCaptureRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM fx_captures WHERE authorization_id = $1 ORDER BY created_at, id")))
            .bind(authorization_id).fetch_all(c).await)?,
        )
    }

    pub async fn fx_captures_of(&self, authorization_id: i64) -> Result<Vec<FxCaptureRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM fx_captures WHERE authorization_id = $1 ORDER BY created_at, id")))
            .bind(authorization_id).fetch_all(p).await)?,
        )
    }

    /// A page of captures and the number matching the filters, newest first.
    pub async fn fx_captures_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &FxListQuery,
    ) -> Result<(Vec<FxCaptureRow>, i64)> {
        let (filter, args) = list_filter(q, false, true);
        let page = format!(
            "SELECT {CAPTURE_COLS} FROM fx_captures{filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            q.limit, q.offset
        );
        let count = format!("SELECT COUNT(*) FROM fx_captures{filter}");
        let rows = on_pool!(&self.pool, p => bind_args!(
            sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(page.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_all(p).await)?;
        let total = on_pool!(&self.pool, p => bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_one(p).await)?;
        Ok((rows, total))
    }
}

impl Store {
    pub async fn insert_fx_transaction(tx: &mut Tx, t: &FxTransactionRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO fx_transactions ({TXN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")))
            .bind(t.id).bind(&t.merchant_id).bind(&t.mode).bind(&t.account_number).bind(&t.kind).bind(t.amount)
            .bind(t.cost).bind(t.authorization_id).bind(t.capture_id).bind(&t.reference).bind(&t.request_id)
            .bind(&t.external_location_id).bind(&t.external_employee_id).bind(&t.sku_data).bind(t.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Sum of the account's movements of `kinds` since `since`, read inside `tx` (after the
    /// account is locked, so a concurrent payment cannot slip past a daily limit).
    pub async fn fx_sum_since(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        kinds: &[&str],
        since: i64,
    ) -> Result<i64> {
        let list = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM fx_transactions WHERE merchant_id = $1 AND mode = $2 \
             AND account_number = $3 AND kind IN ({list}) AND created_at >= $4"
        );
        Ok(
            on_tx!(tx, c => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(merchant_id).bind(mode).bind(account_number).bind(since).fetch_one(c).await)?,
        )
    }

    pub async fn fx_transactions_of_capture(
        &self,
        capture_id: i64,
    ) -> Result<Vec<FxTransactionRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxTransactionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {TXN_COLS} FROM fx_transactions WHERE capture_id = $1 ORDER BY created_at, id")))
            .bind(capture_id).fetch_all(p).await)?,
        )
    }
}

impl Store {
    pub async fn insert_fx_token(&self, t: &FxTokenRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO fx_tokens (token_hash, refresh_hash, credential_id, scope, expires_at, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&t.token_hash).bind(&t.refresh_hash).bind(&t.credential_id).bind(&t.scope)
            .bind(t.expires_at).bind(t.revoked_at).bind(t.created_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets a client's tokens that expired before `before`.
    pub async fn purge_fx_tokens(&self, credential_id: &str, before: i64) -> Result<()> {
        on_write!(self, p => sqlx::query("DELETE FROM fx_tokens WHERE credential_id = $1 AND expires_at < $2")
            .bind(credential_id).bind(before).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A token by its access or refresh hash, with its credential's merchant, while the
    /// credential is active.
    pub async fn fx_token(&self, refresh: bool, hash: &str) -> Result<Option<FxTokenAuth>> {
        #[derive(sqlx::FromRow)]
        struct Joined {
            #[sqlx(flatten)]
            token: FxTokenRow,
            c_mode: String,
            c_public_id: Option<String>,
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
             c.mode AS c_mode, c.public_id AS c_public_id, m.id AS m_id, m.name AS m_name, \
             m.clock_offset_us AS m_clock_offset_us, m.created_at AS m_created_at, m.settings AS m_settings \
             FROM fx_tokens t JOIN credentials c ON c.id = t.credential_id JOIN merchants m ON m.id = c.merchant_id \
             WHERE t.{column} = $1 AND c.revoked_at IS NULL")))
            .bind(hash).fetch_optional(p).await)?;
        Ok(row.map(|j| FxTokenAuth {
            token: j.token,
            mode: j.c_mode,
            client_id: j.c_public_id.unwrap_or_default(),
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
    pub async fn revoke_fx_token(&self, token_hash: &str, at: i64) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE fx_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(at).bind(token_hash).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn insert_fx_verification(&self, v: &FxVerificationRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO fx_verifications (id, merchant_id, mode, account_number, request_id, format, code_hash, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&v.id).bind(&v.merchant_id).bind(&v.mode).bind(&v.account_number).bind(&v.request_id)
            .bind(&v.format).bind(&v.code_hash).bind(v.created_at).bind(v.expires_at).bind(v.used_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The account's verifications still unused and unexpired at `now`, newest first.
    pub async fn fx_live_verifications(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        now: i64,
    ) -> Result<Vec<FxVerificationRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxVerificationRow>(
            "SELECT id, merchant_id, mode, account_number, request_id, format, code_hash, created_at, expires_at, used_at \
             FROM fx_verifications WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 AND used_at IS NULL \
             AND expires_at > $4 ORDER BY created_at DESC LIMIT 20")
            .bind(merchant_id).bind(mode).bind(account_number).bind(now).fetch_all(p).await)?,
        )
    }

    /// Records a wrong code against the account's live PINs; the `max`-th burns them.
    pub async fn fx_pin_failed(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        now: i64,
        max: i64,
    ) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "UPDATE fx_verifications SET failed_attempts = failed_attempts + 1, \
             used_at = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE used_at END \
             WHERE merchant_id = $3 AND mode = $4 AND account_number = $5 AND used_at IS NULL AND expires_at > $2")
            .bind(max).bind(now).bind(merchant_id).bind(mode).bind(account_number)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Consumes a verification inside the money-moving transaction; false when already used.
    pub async fn fx_use_verification(tx: &mut Tx, id: &str, at: i64) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query("UPDATE fx_verifications SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn insert_fx_widget_session(&self, s: &FxWidgetSessionRow) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO fx_widget_sessions (id, merchant_id, mode, flow, payload, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&s.id).bind(&s.merchant_id).bind(&s.mode).bind(&s.flow).bind(&s.payload)
            .bind(s.created_at).bind(s.expires_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn fx_widget_session(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
    ) -> Result<Option<FxWidgetSessionRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FxWidgetSessionRow>(
            "SELECT id, merchant_id, mode, flow, payload, created_at, expires_at FROM fx_widget_sessions \
             WHERE id = $1 AND merchant_id = $2 AND mode = $3")
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn insert_fx_application(tx: &mut Tx, a: &FxApplicationRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO fx_applications (id, merchant_id, mode, status, account_number, first_name, last_name, dob, request_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&a.id).bind(&a.merchant_id).bind(&a.mode).bind(&a.status).bind(&a.account_number)
            .bind(&a.first_name).bind(&a.last_name).bind(&a.dob).bind(&a.request_id).bind(a.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Admin changes to an account: status, limit and rating. `Some(false)` when the new limit
    /// would leave less than what the account already holds and owes.
    #[allow(clippy::too_many_arguments)]
    pub async fn fx_update_account_profile(
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
        let Some(mut a) = Self::fx_lock_account(&mut tx, merchant_id, mode, account_number).await?
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
        Self::fx_save_account(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(Some(true))
    }
}
