//! The Flexiti ledger's rows: authorizations, captures and posted movements, and the filters of
//! their lists. Apart from the accounts because these rows only ever change under the account
//! lock the engine takes first (see the parent module).

use crate::{Result, Store, Tx, on_pool, on_read, on_tx};

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
        let rows = on_read!(self, p => bind_args!(
            sqlx::query_as::<_, FxAuthorizationRow>(sqlx::AssertSqlSafe(page.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_all(p).await)?;
        let total = on_read!(self, p => bind_args!(
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
        let rows = on_read!(self, p => bind_args!(
            sqlx::query_as::<_, FxCaptureRow>(sqlx::AssertSqlSafe(page.clone())).bind(merchant_id).bind(mode), &args)
            .fetch_all(p).await)?;
        let total = on_read!(self, p => bind_args!(
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
