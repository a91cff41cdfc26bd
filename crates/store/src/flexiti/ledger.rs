//! The Flexiti ledger's rows: authorizations, captures and posted movements, and the filters of
//! their lists. Apart from the accounts because these rows only ever change under the account
//! lock the engine takes first (see the parent module).

use crate::{Result, Store, Tx, on_pool, on_read, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlexitiAuthorizationRow {
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
pub struct FlexitiCaptureRow {
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
pub struct FlexitiTransactionRow {
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
pub struct FlexitiListQuery {
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

/// ` WHERE …` of a list: the merchant and mode, then each filter `q` gives (`status` only for
/// authorizations, which have one).
fn push_list_filter<DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<DB>,
    merchant_id: &str,
    mode: &str,
    q: &FlexitiListQuery,
    with_status: bool,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE merchant_id = ")
        .push_bind(merchant_id.to_string())
        .push(" AND mode = ")
        .push_bind(mode.to_string());
    if let Some(a) = &q.account_number {
        qb.push(" AND account_number = ").push_bind(a.clone());
    }
    if let Some(t) = &q.transaction_type {
        qb.push(" AND transaction_type = ").push_bind(t.clone());
    }
    if with_status && let Some(s) = &q.status {
        qb.push(" AND status = ").push_bind(s.clone());
    }
    if let Some(l) = &q.external_location_id {
        qb.push(" AND external_location_id = ").push_bind(l.clone());
    }
    if let Some(id) = q.authorization_id {
        qb.push(" AND authorization_id = ").push_bind(id);
    }
    if let Some(f) = q.from {
        qb.push(" AND created_at >= ").push_bind(f);
    }
    if let Some(t) = q.to {
        qb.push(" AND created_at < ").push_bind(t);
    }
}

impl Store {
    pub async fn insert_flexiti_authorization(
        tx: &mut Tx,
        a: &FlexitiAuthorizationRow,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO flexiti_authorizations ({AUTH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)")))
            .bind(a.id).bind(&a.merchant_id).bind(&a.mode).bind(&a.account_number).bind(&a.transaction_type)
            .bind(a.plan_id).bind(a.term).bind(a.apr_bp).bind(a.payment).bind(a.amount).bind(a.financing_cost)
            .bind(a.captured_amount).bind(a.captured_cost).bind(a.released_amount).bind(a.held).bind(&a.status)
            .bind(a.auto_capture).bind(&a.reference).bind(&a.request_id).bind(&a.external_location_id)
            .bind(&a.external_employee_id).bind(&a.sku_data).bind(a.expires_at).bind(a.created_at).bind(a.updated_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn flexiti_authorization(
        &self,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FlexitiAuthorizationRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTH_COLS} FROM flexiti_authorizations WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn flexiti_lock_authorization(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FlexitiAuthorizationRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FlexitiAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE flexiti_authorizations SET updated_at = updated_at WHERE id = $1 AND merchant_id = $2 AND mode = $3 \
             RETURNING {AUTH_COLS}")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(c).await)?,
        )
    }

    /// Locks every open authorization of an account (before locking the account itself).
    pub async fn flexiti_lock_open_authorizations(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
    ) -> Result<Vec<FlexitiAuthorizationRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FlexitiAuthorizationRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE flexiti_authorizations SET updated_at = updated_at \
             WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 AND status = 'opened' RETURNING {AUTH_COLS}")))
            .bind(merchant_id).bind(mode).bind(account_number).fetch_all(c).await)?,
        )
    }

    /// Writes an authorization's amounts and status (after locking it).
    pub async fn flexiti_save_authorization(
        tx: &mut Tx,
        a: &FlexitiAuthorizationRow,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "UPDATE flexiti_authorizations SET captured_amount = $1, captured_cost = $2, released_amount = $3, held = $4, \
             status = $5, updated_at = $6 WHERE id = $7")
            .bind(a.captured_amount).bind(a.captured_cost).bind(a.released_amount).bind(a.held)
            .bind(&a.status).bind(a.updated_at).bind(a.id)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// A page of authorizations and the number matching the filters, newest first.
    pub async fn flexiti_authorizations_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &FlexitiListQuery,
    ) -> Result<(Vec<FlexitiAuthorizationRow>, i64)> {
        let rows = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(format!("SELECT {AUTH_COLS} FROM flexiti_authorizations"));
            push_list_filter(&mut qb, merchant_id, mode, q, true);
            qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(q.limit)
                .push(" OFFSET ").push_bind(q.offset);
            qb.build_query_as::<FlexitiAuthorizationRow>().fetch_all(p).await
        })?;
        let total = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM flexiti_authorizations");
            push_list_filter(&mut qb, merchant_id, mode, q, true);
            qb.build_query_scalar::<i64>().fetch_one(p).await
        })?;
        Ok((rows, total))
    }

    /// How many regular purchases the account made since `since` (the PIN-bypass rule).
    pub async fn flexiti_regular_purchases_since(
        &self,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        since: i64,
    ) -> Result<i64> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM flexiti_authorizations WHERE merchant_id = $1 AND mode = $2 AND account_number = $3 \
             AND transaction_type = 'regular_purchase' AND created_at >= $4 AND status <> 'released'")
            .bind(merchant_id).bind(mode).bind(account_number).bind(since).fetch_one(p).await)?)
    }
}

impl Store {
    pub async fn insert_flexiti_capture(tx: &mut Tx, c: &FlexitiCaptureRow) -> Result<()> {
        on_tx!(tx, x => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO flexiti_captures ({CAPTURE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")))
            .bind(c.id).bind(c.authorization_id).bind(&c.merchant_id).bind(&c.mode).bind(&c.account_number)
            .bind(&c.transaction_type).bind(c.amount).bind(c.financing_cost).bind(c.returned_amount)
            .bind(c.returned_cost).bind(&c.reference).bind(&c.external_location_id).bind(&c.sku_data).bind(c.created_at)
            .execute(x).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn flexiti_capture(
        &self,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FlexitiCaptureRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM flexiti_captures WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn flexiti_lock_capture(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: i64,
    ) -> Result<Option<FlexitiCaptureRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FlexitiCaptureRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE flexiti_captures SET returned_amount = returned_amount WHERE id = $1 AND merchant_id = $2 AND mode = $3 \
             RETURNING {CAPTURE_COLS}")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(c).await)?,
        )
    }

    pub async fn flexiti_save_capture(tx: &mut Tx, c: &FlexitiCaptureRow) -> Result<()> {
        on_tx!(tx, x => sqlx::query("UPDATE flexiti_captures SET returned_amount = $1, returned_cost = $2 WHERE id = $3")
            .bind(c.returned_amount).bind(c.returned_cost).bind(c.id)
            .execute(x).await.map(|_| ()))?;
        Ok(())
    }

    /// [`Store::flexiti_captures_of`] as the transaction sees them.
    pub async fn flexiti_captures_in(
        tx: &mut Tx,
        authorization_id: i64,
    ) -> Result<Vec<FlexitiCaptureRow>> {
        Ok(
            on_tx!(tx, c => sqlx::query_as::<_, FlexitiCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM flexiti_captures WHERE authorization_id = $1 ORDER BY created_at, id")))
            .bind(authorization_id).fetch_all(c).await)?,
        )
    }

    pub async fn flexiti_captures_of(
        &self,
        authorization_id: i64,
    ) -> Result<Vec<FlexitiCaptureRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiCaptureRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CAPTURE_COLS} FROM flexiti_captures WHERE authorization_id = $1 ORDER BY created_at, id")))
            .bind(authorization_id).fetch_all(p).await)?,
        )
    }

    /// A page of captures and the number matching the filters, newest first.
    pub async fn flexiti_captures_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &FlexitiListQuery,
    ) -> Result<(Vec<FlexitiCaptureRow>, i64)> {
        let rows = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(format!("SELECT {CAPTURE_COLS} FROM flexiti_captures"));
            push_list_filter(&mut qb, merchant_id, mode, q, false);
            qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(q.limit)
                .push(" OFFSET ").push_bind(q.offset);
            qb.build_query_as::<FlexitiCaptureRow>().fetch_all(p).await
        })?;
        let total = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM flexiti_captures");
            push_list_filter(&mut qb, merchant_id, mode, q, false);
            qb.build_query_scalar::<i64>().fetch_one(p).await
        })?;
        Ok((rows, total))
    }
}

impl Store {
    pub async fn insert_flexiti_transaction(tx: &mut Tx, t: &FlexitiTransactionRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO flexiti_transactions ({TXN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")))
            .bind(t.id).bind(&t.merchant_id).bind(&t.mode).bind(&t.account_number).bind(&t.kind).bind(t.amount)
            .bind(t.cost).bind(t.authorization_id).bind(t.capture_id).bind(&t.reference).bind(&t.request_id)
            .bind(&t.external_location_id).bind(&t.external_employee_id).bind(&t.sku_data).bind(t.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Sum of the account's movements of `kinds` since `since`, read inside `tx` (after the
    /// account is locked, so a concurrent payment cannot slip past a daily limit).
    pub async fn flexiti_sum_since(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        account_number: &str,
        kinds: &[&str],
        since: i64,
    ) -> Result<i64> {
        Ok(on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM flexiti_transactions WHERE merchant_id = ",
            );
            qb.push_bind(merchant_id.to_string()).push(" AND mode = ").push_bind(mode.to_string())
                .push(" AND account_number = ").push_bind(account_number.to_string())
                .push(" AND kind IN (");
            let mut list = qb.separated(", ");
            for k in kinds {
                list.push_bind(k.to_string());
            }
            qb.push(") AND created_at >= ").push_bind(since);
            qb.build_query_scalar::<i64>().fetch_one(c).await
        })?)
    }

    pub async fn flexiti_transactions_of_capture(
        &self,
        capture_id: i64,
    ) -> Result<Vec<FlexitiTransactionRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, FlexitiTransactionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {TXN_COLS} FROM flexiti_transactions WHERE capture_id = $1 ORDER BY created_at, id")))
            .bind(capture_id).fetch_all(p).await)?,
        )
    }
}
