//! The transaction list as CSV: exactly the rows the list's filters show, streamed as they
//! are read, and bounded.
//!
//! Why bounded and streamed: an export reads page after page of the same windowed search the
//! list uses, so it holds one page in memory, stops after [`MAX_ROWS`] rows or
//! [`MAX_SEARCHED`] transactions searched, and says so in its last line when it stopped early.
//! Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return
//! first) are written with a leading `'` (OWASP "CSV injection"): merchantTransactionIds and
//! order ids are the merchant's customers' text.

use super::transactions::TxnQuery;
use super::{Session, engine_failure, exponent_of};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use openflex_domain::money::minor_to_decimal;
use openflex_domain::status::Pill;
use openflex_engine::Tenant;
use openflex_engine::model::Transaction;
use openflex_engine::payments::search::{Position, TxnSearch};

/// Rows an export writes at most.
pub const MAX_ROWS: usize = 10_000;

/// Transactions an export searches at most.
const MAX_SEARCHED: i64 = 100_000;

/// Rows read per step.
const STEP: i64 = 500;

const HEADER: [&str; 12] = [
    "created",
    "transactionId",
    "status",
    "type",
    "amount",
    "currency",
    "responseCode",
    "message",
    "merchantTransactionId",
    "orderId",
    "card",
    "originalTransactionId",
];

/// A cell as written: a leading formula character is neutralised.
pub fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn record(t: &Transaction, p: Pill) -> Vec<String> {
    let currency = t.currency.as_deref().unwrap_or("");
    let exp = exponent_of(currency);
    let created = t
        .created_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    [
        created,
        t.id.clone(),
        p.words().to_string(),
        t.txn_type.as_str().to_string(),
        minor_to_decimal(t.amount, exp),
        currency.to_string(),
        t.code.0.to_string(),
        t.code.message().to_string(),
        t.merchant_transaction_id.clone().unwrap_or_default(),
        t.order_id.clone().unwrap_or_default(),
        t.payment_method
            .as_ref()
            .and_then(|p| p.masked_number.clone())
            .unwrap_or_default(),
        t.original_id.clone().unwrap_or_default(),
    ]
    .iter()
    .map(|c| cell(c))
    .collect()
}

pub fn lines(records: &[Vec<String>]) -> Bytes {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(r);
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// Where an export stands between two steps.
struct Cursor {
    st: AppState,
    tenant: Tenant,
    search: TxnSearch,
    before: Option<String>,
    written: usize,
    searched: i64,
    done: bool,
}

/// The next chunk of CSV, or `None` at the end.
async fn step(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if c.done {
        return None;
    }
    let from = c
        .before
        .as_deref()
        .map_or(Position::Newest, Position::OlderThan);
    let window = (MAX_SEARCHED - c.searched).min(STEP * 10);
    let left = (MAX_ROWS - c.written) as i64;
    let found = match c
        .st
        .engine
        .transactions_filtered(&c.tenant, from, &c.search, left.min(STEP), window)
        .await
    {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "portal CSV export failed midway");
            return Some((
                Err(std::io::Error::other("export failed")),
                Cursor { done: true, ..c },
            ));
        }
    };
    let records: Vec<Vec<String>> = found
        .txns
        .iter()
        .zip(&found.pills)
        .map(|(t, p)| record(t, *p))
        .collect();
    c.written += records.len();
    let next = if found.txns.len() as i64 == left.min(STEP) {
        found.txns.last().map(|t| t.id.clone())
    } else {
        found.resume.clone()
    };
    c.searched += if next.is_some() && found.resume.is_some() {
        window
    } else {
        0
    };
    let mut chunk = lines(&records);
    match next {
        Some(n) if c.written < MAX_ROWS && c.searched < MAX_SEARCHED => c.before = Some(n),
        Some(_) => {
            let mut end = chunk.to_vec();
            end.extend_from_slice(
                format!(
                    "# stopped at {} rows or {} transactions searched; narrow the filters for the rest\n",
                    MAX_ROWS, MAX_SEARCHED
                )
                .as_bytes(),
            );
            chunk = Bytes::from(end);
            c.done = true;
        }
        None => c.done = true,
    }
    Some((Ok(chunk), c))
}

/// `GET /portal/transactions.csv` with the list's filters.
pub async fn transactions_csv(
    State(st): State<AppState>,
    Session(s): Session,
    Query(f): Query<TxnQuery>,
) -> Response {
    let search = match f.search() {
        Ok(search) => search,
        Err(bad) => return bad.refused(),
    };
    // Fail before the first byte when the database is away, rather than mid-file.
    if let Err(e) = st.engine.count_filtered(&s.tenant, &search, 1).await {
        return engine_failure(e);
    }
    let head = lines(&[HEADER.iter().map(|h| h.to_string()).collect()]);
    let cursor = Cursor {
        st,
        tenant: s.tenant,
        search,
        before: None,
        written: 0,
        searched: 0,
        done: false,
    };
    download(
        "transactions.csv",
        head,
        futures_util::stream::unfold(cursor, step),
    )
}

/// A CSV download named `filename`: the header line, then the chunks `rows` yields as they
/// are read (the transaction and order exports).
pub fn download<S>(filename: &str, head: Bytes, rows: S) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(rows);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("order-=1"), "order-=1");
        assert_eq!(cell("12.34"), "12.34");
        assert_eq!(cell(""), "");
    }
}
