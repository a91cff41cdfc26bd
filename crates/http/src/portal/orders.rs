//! The FlexFactor rescue order list: search by order id or text, dates, the card's last four,
//! the payer's email and an amount range (the transaction search's filters, read the same way),
//! paged newer and older with the count of matches, each row led by its status pill; and a CSV
//! export of exactly what the filters show, streamed and bounded as the transactions' export is
//! (`export.rs`), formula cells neutralised.

use super::export::{cell, download, lines};
use super::transactions::{
    BadFilter, amount_range, date, forget_card_number, last_four, pill, search_text, text,
};
use super::words::status_words;
use super::{Session, at, engine_failure, in_currency, page};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use openflex_domain::money::minor_to_decimal;
use openflex_domain::status;
use openflex_engine::Tenant;
use openflex_engine::flexfactor::Order;
use openflex_engine::flexfactor::search::OrderSearch;
use openflex_engine::portal::PortalSession;
use serde::{Deserialize, Serialize};

const PAGE: i64 = 50;

/// Rows an export writes at most.
pub const MAX_ROWS: usize = 10_000;

/// Rows read per step of an export.
const STEP: i64 = 500;

const HEADER: [&str; 10] = [
    "created",
    "orderSessionKey",
    "orderId",
    "status",
    "rescueState",
    "amount",
    "currency",
    "captured",
    "refunded",
    "payerEmail",
];

/// The list's query string: the filters as typed, and a page.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct OrdersQuery {
    q: String,
    from: String,
    to: String,
    last4: String,
    email: String,
    currency: String,
    min: String,
    max: String,
    #[serde(skip_serializing)]
    page: i64,
}

impl OrdersQuery {
    /// The engine's search for these filters, or the first field it cannot read.
    fn search(&self) -> Result<OrderSearch, BadFilter> {
        let last_four = last_four(&self.last4)?;
        let from = date("Created from", self.from.trim())?;
        let to = date("Created to", self.to.trim())?;
        let amount = amount_range(&self.currency, &self.min, &self.max)?;
        Ok(OrderSearch {
            text: search_text(&self.q)?.map(|t| crate::nfc(&t)),
            created_from: from.map(|d| d.midnight().assume_utc()),
            created_until: to.map(|d| {
                d.midnight().assume_utc() + time::Duration::days(1)
                    - time::Duration::microseconds(1)
            }),
            last_four,
            email: text(&self.email),
            amount,
            descending: true,
            ..OrderSearch::default()
        })
    }

    /// `path` with the filters kept, and `page` when given.
    fn link(&self, path: &str, page: Option<i64>) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if let Ok(v) = serde_json::to_value(self)
            && let Some(m) = v.as_object()
        {
            for (k, v) in m {
                if let Some(s) = v.as_str().map(str::trim).filter(|s| !s.is_empty()) {
                    ser.append_pair(k, s);
                }
            }
        }
        if let Some(p) = page {
            ser.append_pair("page", &p.to_string());
        }
        let qs = ser.finish();
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    }
}

/// The filter form again, naming the field it could not read (400).
fn bad_filter(s: &PortalSession, f: &OrdersQuery, bad: &BadFilter) -> Response {
    let mut resp = page(
        s,
        "orders",
        "Rescue orders",
        None,
        order_filters(f, Some(bad)),
    );
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp
}

/// Rescue orders newest first, 50 a page, by the filters.
pub async fn orders(
    State(st): State<AppState>,
    Session(s): Session,
    Query(mut f): Query<OrdersQuery>,
) -> Response {
    let page_no = f.page.clamp(0, 10_000);
    let search = match f.search() {
        Ok(search) => search,
        Err(bad) => {
            forget_card_number(&mut f.q);
            return bad_filter(&s, &f, &bad);
        }
    };
    let paged = OrderSearch {
        offset: page_no * PAGE,
        limit: PAGE,
        ..search
    };
    let (rows, total) = match st.engine.ff_orders(&s.tenant, &paged).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let more = (page_no + 1) * PAGE < total;
    let here = "/portal/orders";
    let body = html! {
        (order_filters(&f, None))
        p class="count" role="status" {
            (total) " matching orders."
            " "
            a href=(f.link("/portal/orders.csv", None)) download { "Export these as CSV" }
        }
        div class="scroll" tabindex="0" role="region" aria-label="Rescue orders" {
            table {
                thead { tr {
                    th scope="col" { "Status" } th scope="col" { "Created" } th scope="col" { "Order" } th scope="col" { "Rescue state" }
                    th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Captured" } th scope="col" class="num" { "Refunded" }
                    th scope="col" { "Payer email" }
                } }
                tbody {
                    @if rows.is_empty() { tr { td colspan="8" { "No orders." } } }
                    @for o in &rows {
                        tr {
                            td { (pill(status::of_order(o.state, o.captured_amount, o.refunded_amount))) }
                            td { a href={ "/portal/orders/" (o.id) } { (at(o.created_at)) } }
                            td { (o.external_order_id) }
                            td { (status_words(o.state.name())) }
                            td class="num" { (in_currency(o.amount, &o.currency)) }
                            td class="num" { (in_currency(o.captured_amount, &o.currency)) }
                            td class="num" { (in_currency(o.refunded_amount, &o.currency)) }
                            td { (payer_email(o).unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if page_no > 0 { a rel="prev" href=(f.link(here, Some(page_no - 1))) { "← Newer orders" } }
            @if more { a rel="next" href=(f.link(here, Some(page_no + 1))) { "Older orders →" } }
        }
    };
    page(&s, "orders", "Rescue orders", None, body)
}

fn payer_email(o: &Order) -> Option<&str> {
    o.payer.payer.as_ref().and_then(|p| p.email.as_deref())
}

/// The search form, the filters kept as typed; with the field it could not read, if any.
fn order_filters(f: &OrdersQuery, bad: Option<&BadFilter>) -> Markup {
    let field = |id: &str, label: &str, value: &str, kind: &str, mode: Option<&str>| {
        let wrong = bad.is_some_and(|b| b.field == label);
        html! {
            div class="field" {
                label for=(id) { (label) }
                input id=(id) name=(id) type=(kind) value=(value.trim()) inputmode=[mode]
                    aria-invalid=[wrong.then_some("true")] aria-describedby=[wrong.then_some("filter-error")];
            }
        }
    };
    html! {
        form method="get" action="/portal/orders" class="filters" role="search" {
            @if let Some(b) = bad {
                p id="filter-error" class="error" role="alert" { (b.field) ": " (b.why) }
            }
            (field("q", "Order id or text", &f.q, "search", None))
            (field("last4", "Last four digits", &f.last4, "text", Some("numeric")))
            (field("email", "Email", &f.email, "email", None))
            (field("from", "Created from", &f.from, "date", None))
            (field("to", "Created to", &f.to, "date", None))
            (field("currency", "Currency", &f.currency, "text", None))
            (field("min", "Amount from", &f.min, "text", Some("decimal")))
            (field("max", "Amount to", &f.max, "text", Some("decimal")))
            button type="submit" { "Find" }
        }
    }
}

fn record(o: &Order) -> Vec<String> {
    let exp = super::exponent_of(&o.currency);
    [
        openflex_domain::time::rfc3339(o.created_at),
        o.id.clone(),
        o.external_order_id.clone(),
        status::of_order(o.state, o.captured_amount, o.refunded_amount)
            .words()
            .to_string(),
        status_words(o.state.name()),
        minor_to_decimal(o.amount, exp),
        o.currency.clone(),
        minor_to_decimal(o.captured_amount, exp),
        minor_to_decimal(o.refunded_amount, exp),
        payer_email(o).unwrap_or_default().to_string(),
    ]
    .iter()
    .map(|c| cell(c))
    .collect()
}

/// Where an export stands between two steps.
struct Cursor {
    st: AppState,
    tenant: Tenant,
    search: OrderSearch,
    last: Option<Order>,
    written: usize,
    done: bool,
}

/// The next chunk of CSV, or `None` at the end.
async fn step(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if c.done {
        return None;
    }
    let want = STEP.min((MAX_ROWS - c.written) as i64);
    // One more than wanted tells whether anything is left after this step.
    let mut found = match c
        .st
        .engine
        .ff_orders_export(&c.tenant, &c.search, c.last.as_ref(), want + 1)
        .await
    {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "portal order export failed midway");
            return Some((
                Err(std::io::Error::other("export failed")),
                Cursor { done: true, ..c },
            ));
        }
    };
    let more = found.len() as i64 > want;
    found.truncate(want as usize);
    let records: Vec<Vec<String>> = found.iter().map(record).collect();
    c.written += records.len();
    let mut chunk = lines(&records).to_vec();
    if !more {
        c.done = true;
    } else if c.written >= MAX_ROWS {
        chunk.extend_from_slice(
            format!("# stopped at {MAX_ROWS} rows; narrow the filters for the rest\n").as_bytes(),
        );
        c.done = true;
    }
    c.last = found.pop();
    Some((Ok(Bytes::from(chunk)), c))
}

/// `GET /portal/orders.csv` with the list's filters.
pub async fn orders_csv(
    State(st): State<AppState>,
    Session(s): Session,
    Query(f): Query<OrdersQuery>,
) -> Response {
    let search = match f.search() {
        Ok(search) => search,
        Err(bad) => return bad.refused(),
    };
    // Fail before the first byte when the database is away, rather than mid-file.
    if let Err(e) = st
        .engine
        .ff_orders_export(&s.tenant, &search, None, 1)
        .await
    {
        return engine_failure(e);
    }
    let head = lines(&[HEADER.iter().map(|h| h.to_string()).collect()]);
    let cursor = Cursor {
        st,
        tenant: s.tenant,
        search,
        last: None,
        written: 0,
        done: false,
    };
    download(
        "orders.csv",
        head,
        futures_util::stream::unfold(cursor, step),
    )
}
