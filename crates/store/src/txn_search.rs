//! The portal's transaction search: filters over a bounded window of the newest rows, paged
//! both ways by id, with a bounded count.
//!
//! Why a window: the filters (a partial merchantTransactionId in any case, a card's last four,
//! a payer's email) have no index of their own, so none slows the write path; each page reads
//! at most `window` rows however large the table grows, and says where the next window starts.
//! The statements are assembled with `sqlx::QueryBuilder`, which numbers the placeholders, so
//! an optional condition can be added or left out without renumbering anything by hand.

use crate::flexfactor::contains;
use crate::transactions::TXN_COLUMNS as COLS;
use crate::{Result, Store, TxnRow, on_read};
use sqlx::{Database, QueryBuilder};

/// What a filtered list keeps: every condition given holds.
#[derive(Debug, Clone, Default)]
pub struct TxnFilter {
    /// Only these transaction types (`Charge`, `Authorize`, …); empty for any.
    pub txn_types: Vec<String>,
    /// Only this status (1 approved, 2 declined, 3 error).
    pub status: Option<i64>,
    /// The order id exactly, or a merchantTransactionId containing it in any case.
    pub order_or_mtid: Option<String>,
    /// The card's last four digits.
    pub last_four: Option<String>,
    /// A fragment the payment method's holder column contains, compared in lower case (the
    /// engine writes it as the column's JSON spells an email).
    pub holder_contains: Option<String>,
    /// Created at or after (microseconds).
    pub created_from: Option<i64>,
    /// Created before (microseconds).
    pub created_before: Option<i64>,
    pub currency: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
}

/// Where a filtered page starts.
#[derive(Debug, Clone, Copy)]
pub enum From<'a> {
    /// The newest transactions.
    Newest,
    /// Older than this id.
    Before(&'a str),
    /// Newer than this id.
    After(&'a str),
}

/// A page of matches, newest first.
#[derive(Debug, Clone)]
pub struct FoundPage {
    pub rows: Vec<TxnRow>,
    /// When the window was read to its end without filling the page: the id the next window
    /// (in the page's direction) starts from.
    pub resume: Option<String>,
}

/// How many transactions matched among the newest `seen` (at most the count's bound).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct FoundCount {
    pub seen: i64,
    pub matched: i64,
}

/// Appends ` AND <condition>` for each condition of `f`, over the window aliased `w`.
fn push_conditions<DB: Database>(q: &mut QueryBuilder<DB>, f: &TxnFilter)
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if !f.txn_types.is_empty() {
        q.push(" AND w.txn_type IN (");
        let mut types = q.separated(", ");
        for t in &f.txn_types {
            types.push_bind(t.clone());
        }
        q.push(")");
    }
    if let Some(s) = f.status {
        q.push(" AND w.status = ").push_bind(s);
    }
    if let Some(text) = &f.order_or_mtid {
        q.push(" AND (w.order_id = ")
            .push_bind(text.clone())
            .push(" OR LOWER(w.merchant_transaction_id) LIKE ")
            .push_bind(contains(&text.to_lowercase()))
            .push(" ESCAPE '\\')");
    }
    if f.last_four.is_some() || f.holder_contains.is_some() {
        q.push(" AND EXISTS (SELECT 1 FROM payment_methods pm WHERE pm.id = w.payment_method_id");
        if let Some(l) = &f.last_four {
            q.push(" AND pm.last_four = ").push_bind(l.clone());
        }
        if let Some(h) = &f.holder_contains {
            q.push(" AND LOWER(pm.holder) LIKE ")
                .push_bind(contains(&h.to_lowercase()))
                .push(" ESCAPE '\\'");
        }
        q.push(")");
    }
    if let Some(v) = f.created_from {
        q.push(" AND w.created_at >= ").push_bind(v);
    }
    if let Some(v) = f.created_before {
        q.push(" AND w.created_at < ").push_bind(v);
    }
    if let Some(c) = &f.currency {
        q.push(" AND w.currency = ").push_bind(c.clone());
    }
    if let Some(v) = f.min_amount {
        q.push(" AND w.amount >= ").push_bind(v);
    }
    if let Some(v) = f.max_amount {
        q.push(" AND w.amount <= ").push_bind(v);
    }
}

/// `(SELECT … FROM transactions WHERE <scope> ORDER BY id <dir> LIMIT <window>) w WHERE 1 = 1`
fn push_window<DB: Database>(
    q: &mut QueryBuilder<DB>,
    merchant_id: &str,
    mode: &str,
    from: From<'_>,
    window: i64,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(format!(
        "(SELECT {COLS} FROM transactions WHERE merchant_id = "
    ))
    .push_bind(merchant_id.to_string())
    .push(" AND mode = ")
    .push_bind(mode.to_string());
    let dir = match from {
        From::Newest => "DESC",
        From::Before(id) => {
            q.push(" AND id < ").push_bind(id.to_string());
            "DESC"
        }
        From::After(id) => {
            q.push(" AND id > ").push_bind(id.to_string());
            "ASC"
        }
    };
    q.push(format!(" ORDER BY id {dir} LIMIT "))
        .push_bind(window)
        .push(") w WHERE 1 = 1");
}

impl Store {
    /// Up to `limit` rows matching `f` among the `window` rows next to `from` (older, or
    /// newer), newest first; and where the next window starts when this one was read to its
    /// end without filling the page.
    pub async fn txns_filtered(
        &self,
        merchant_id: &str,
        mode: &str,
        from: From<'_>,
        f: &TxnFilter,
        limit: i64,
        window: i64,
    ) -> Result<FoundPage> {
        let dir = if matches!(from, From::After(_)) {
            "ASC"
        } else {
            "DESC"
        };
        let mut rows = on_read!(self, p => {
            let mut q = QueryBuilder::new(format!("SELECT {COLS} FROM "));
            push_window(&mut q, merchant_id, mode, from, window);
            push_conditions(&mut q, f);
            q.push(format!(" ORDER BY id {dir} LIMIT ")).push_bind(limit);
            q.build_query_as::<TxnRow>().fetch_all(p).await
        })?;
        let resume = if (rows.len() as i64) < limit {
            on_read!(self, p => {
                let mut q = QueryBuilder::new("SELECT w.id FROM ");
                push_window(&mut q, merchant_id, mode, from, window);
                q.push(format!(" ORDER BY id {dir} LIMIT 1 OFFSET ")).push_bind(window - 1);
                q.build_query_scalar::<String>().fetch_optional(p).await
            })?
        } else {
            None
        };
        if matches!(from, From::After(_)) {
            rows.reverse();
        }
        Ok(FoundPage { rows, resume })
    }

    /// How many of the newest `bound` transactions match `f`.
    pub async fn txns_filtered_count(
        &self,
        merchant_id: &str,
        mode: &str,
        f: &TxnFilter,
        bound: i64,
    ) -> Result<FoundCount> {
        Ok(on_read!(self, p => {
            let mut q = QueryBuilder::new(
                "SELECT CAST(COUNT(*) AS BIGINT) AS seen, \
                 CAST(COALESCE(SUM(CASE WHEN 1 = 1",
            );
            push_conditions(&mut q, f);
            q.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS matched FROM ");
            push_window(&mut q, merchant_id, mode, From::Newest, bound);
            q.build_query_as::<FoundCount>().fetch_one(p).await
        })?)
    }
}
