//! FlexFactor orders and their event history. State changes are conditional updates (`from` a
//! status, refunds within the captured amount) so that concurrent requests and jobs on one
//! order agree on a single winner without holding a lock across the processor call.

use crate::{Result, Store, Tx, on_pool, on_read, on_tx, on_write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub external_order_id: String,
    pub status: i64,
    pub status_name: String,
    pub flow: String,
    pub transaction_type: String,
    pub amount: i64,
    pub currency: String,
    pub authorized_amount: i64,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub payment_method_id: Option<String>,
    pub expiry_date: Option<i64>,
    pub capture_deadline: Option<i64>,
    pub confirmation_id: Option<String>,
    pub sense_key: Option<String>,
    /// JSON: payer, billing and shipping information.
    pub payer: String,
    /// JSON: the rest of the evaluate request worth keeping (no card data).
    pub details: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The gateway payment (a transaction id) that rescued the order, for live rescues.
    pub payment_transaction_id: Option<String>,
    /// Live rescue attempts decided so far.
    pub rescue_attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderEventRow {
    pub id: String,
    pub order_id: String,
    pub kind: String,
    pub amount: Option<i64>,
    pub outcome: String,
    pub detail: Option<String>,
    pub gateway_token: Option<String>,
    pub created_at: i64,
}

/// Filters of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub statuses: Vec<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub text: Option<String>,
    /// The card's last four digits (of the order's payment method).
    pub last_four: Option<String>,
    /// A fragment the payer column contains, compared in lower case (the engine writes it as
    /// the column's JSON spells an email).
    pub payer_contains: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    /// Keyset position of an export: only orders older than this `(created_at, id)` (in the
    /// newest-first order).
    pub older_than: Option<(i64, String)>,
    pub order_by_amount: bool,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

const COLS: &str = "id, merchant_id, mode, external_order_id, status, status_name, flow, transaction_type, amount, currency, \
    authorized_amount, captured_amount, refunded_amount, payment_method_id, expiry_date, capture_deadline, confirmation_id, \
    sense_key, payer, details, created_at, updated_at, payment_transaction_id, rescue_attempts";

/// A LIKE pattern (with `ESCAPE '\'`) for `text` anywhere in a value, its characters taken
/// literally: unescaped, a search for `%` or `_` would match every order.
pub(crate) fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// ` WHERE …` of an order list: the merchant and mode, then each condition `q` gives.
fn push_order_filter<DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<DB>,
    merchant_id: &str,
    mode: &str,
    q: &OrderQuery,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE merchant_id = ")
        .push_bind(merchant_id.to_string())
        .push(" AND mode = ")
        .push_bind(mode.to_string());
    if !q.statuses.is_empty() {
        qb.push(" AND status IN (");
        let mut list = qb.separated(", ");
        for s in &q.statuses {
            list.push_bind(*s);
        }
        qb.push(")");
    }
    if let Some(f) = q.from {
        qb.push(" AND created_at >= ").push_bind(f);
    }
    if let Some(t) = q.to {
        qb.push(" AND created_at <= ").push_bind(t);
    }
    if let Some(text) = &q.text {
        let like = contains(&text.to_lowercase());
        qb.push(" AND (LOWER(external_order_id) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(payer) LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
    if let Some(l) = &q.last_four {
        qb.push(" AND EXISTS (SELECT 1 FROM payment_methods pm WHERE pm.id = ff_orders.payment_method_id AND pm.last_four = ")
            .push_bind(l.clone())
            .push(")");
    }
    if let Some(p) = &q.payer_contains {
        qb.push(" AND LOWER(payer) LIKE ")
            .push_bind(contains(&p.to_lowercase()))
            .push(" ESCAPE '\\'");
    }
    if let Some(c) = &q.currency {
        qb.push(" AND currency = ").push_bind(c.clone());
    }
    if let Some(v) = q.min_amount {
        qb.push(" AND amount >= ").push_bind(v);
    }
    if let Some(v) = q.max_amount {
        qb.push(" AND amount <= ").push_bind(v);
    }
    if let Some((at, id)) = &q.older_than {
        qb.push(" AND (created_at < ")
            .push_bind(*at)
            .push(" OR (created_at = ")
            .push_bind(*at)
            .push(" AND id < ")
            .push_bind(id.clone())
            .push("))");
    }
}

impl Store {
    /// Inserts an order; an existing order with the same merchant order id is `Conflict`.
    pub async fn insert_order(tx: &mut Tx, o: &OrderRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ff_orders ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)")))
            .bind(&o.id).bind(&o.merchant_id).bind(&o.mode).bind(&o.external_order_id).bind(o.status).bind(&o.status_name)
            .bind(&o.flow).bind(&o.transaction_type).bind(o.amount).bind(&o.currency).bind(o.authorized_amount)
            .bind(o.captured_amount).bind(o.refunded_amount).bind(&o.payment_method_id).bind(o.expiry_date)
            .bind(o.capture_deadline).bind(&o.confirmation_id).bind(&o.sense_key).bind(&o.payer).bind(&o.details)
            .bind(o.created_at).bind(o.updated_at).bind(&o.payment_transaction_id).bind(o.rescue_attempts)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn order(&self, merchant_id: &str, mode: &str, id: &str) -> Result<Option<OrderRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, OrderRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM ff_orders WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn order_by_external(
        &self,
        merchant_id: &str,
        mode: &str,
        external: &str,
    ) -> Result<Option<OrderRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, OrderRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM ff_orders WHERE external_order_id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(external).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    /// Moves an order from `from` (a status name) to `to`, with its amounts; false when the
    /// order is no longer in `from` (another request or job got there first).
    pub async fn transition_order(tx: &mut Tx, o: &OrderRow, from: &str) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE ff_orders SET status = $1, status_name = $2, authorized_amount = $3, captured_amount = $4, \
             refunded_amount = $5, capture_deadline = $6, confirmation_id = $7, updated_at = $8, \
             payment_transaction_id = $9, rescue_attempts = $10 WHERE id = $11 AND status_name = $12")
            .bind(o.status).bind(&o.status_name).bind(o.authorized_amount).bind(o.captured_amount)
            .bind(o.refunded_amount).bind(o.capture_deadline).bind(&o.confirmation_id).bind(o.updated_at)
            .bind(&o.payment_transaction_id).bind(o.rescue_attempts).bind(&o.id).bind(from)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records that live rescue attempt `o.rescue_attempts` was decided, if the order still
    /// stands at the attempt before it in state `from`; false when another run recorded it.
    pub async fn record_rescue_attempt(tx: &mut Tx, o: &OrderRow, from: &str) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE ff_orders SET rescue_attempts = $1, updated_at = $2 \
             WHERE id = $3 AND status_name = $4 AND rescue_attempts = $5")
            .bind(o.rescue_attempts).bind(o.updated_at).bind(&o.id).bind(from)
            .bind(o.rescue_attempts - 1)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Adds `amount` to the refunded total if it stays within the captured amount.
    pub async fn reserve_order_refund(tx: &mut Tx, id: &str, amount: i64, at: i64) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE ff_orders SET refunded_amount = refunded_amount + $1, updated_at = $2 \
             WHERE id = $3 AND $1 > 0 AND refunded_amount + $1 <= captured_amount")
            .bind(amount).bind(at).bind(id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn set_order_state(
        tx: &mut Tx,
        id: &str,
        status: i64,
        name: &str,
        at: i64,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query("UPDATE ff_orders SET status = $1, status_name = $2, updated_at = $3 WHERE id = $4")
            .bind(status).bind(name).bind(at).bind(id).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn insert_order_event(tx: &mut Tx, e: &OrderEventRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO ff_order_events (id, order_id, kind, amount, outcome, detail, gateway_token, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&e.id).bind(&e.order_id).bind(&e.kind).bind(e.amount).bind(&e.outcome).bind(&e.detail)
            .bind(&e.gateway_token).bind(e.created_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn order_events(&self, order_id: &str) -> Result<Vec<OrderEventRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, OrderEventRow>(
            "SELECT id, order_id, kind, amount, outcome, detail, gateway_token, created_at FROM ff_order_events \
             WHERE order_id = $1 ORDER BY id")
            .bind(order_id).fetch_all(p).await)?,
        )
    }

    /// A page of orders and the total count matching the filters.
    pub async fn orders_page(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &OrderQuery,
    ) -> Result<(Vec<OrderRow>, i64)> {
        let rows = self.orders_only(merchant_id, mode, q).await?;
        let total = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM ff_orders");
            push_order_filter(&mut qb, merchant_id, mode, q);
            qb.build_query_scalar::<i64>().fetch_one(p).await
        })?;
        Ok((rows, total))
    }

    /// A page of orders matching the filters, without the count (an export's steps).
    pub async fn orders_only(
        &self,
        merchant_id: &str,
        mode: &str,
        q: &OrderQuery,
    ) -> Result<Vec<OrderRow>> {
        let order = format!(
            " ORDER BY {} {dir}, id {dir}",
            if q.order_by_amount {
                "amount"
            } else {
                "created_at"
            },
            dir = if q.descending { "DESC" } else { "ASC" }
        );
        let rows = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(format!("SELECT {COLS} FROM ff_orders"));
            push_order_filter(&mut qb, merchant_id, mode, q);
            qb.push(&order).push(" LIMIT ").push_bind(q.limit).push(" OFFSET ").push_bind(q.offset);
            qb.build_query_as::<OrderRow>().fetch_all(p).await
        })?;
        Ok(rows)
    }
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_transmit(
        &self,
        id: &str,
        merchant_id: &str,
        mode: &str,
        external_order_id: &str,
        is_declined: bool,
        amount: i64,
        currency: &str,
        summary: &str,
        at: i64,
    ) -> Result<()> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO ff_transmits (id, merchant_id, mode, external_order_id, is_declined, amount, currency, summary, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id).bind(merchant_id).bind(mode).bind(external_order_id).bind(is_declined).bind(amount)
            .bind(currency).bind(summary).bind(at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_and_the_escape_literally() {
        assert_eq!(super::contains("ab"), "%ab%");
        assert_eq!(super::contains("10%_off\\"), r"%10\%\_off\\%");
    }
}
