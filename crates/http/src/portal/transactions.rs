//! The FlexPay transaction list: search (order id, merchantTransactionId in any case and in
//! part, last four, email, dates, amounts), the status pill first in each row, paging newer
//! and older with a count of matches, payment-method bookkeeping rows on request, and a CSV
//! export of exactly what the filter shows.
//!
//! Why each page searches a window: see `openflex_engine::payments::search` — the cost of a
//! page is bounded however large the table grows, and the page says where to go on.

use super::{Session, at, engine_failure, money_or_dash, page, problem};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_domain::card;
use openflex_domain::codes::TxnStatus;
use openflex_domain::lifecycle::TxnType;
use openflex_domain::money::{Currency, decimal_to_minor};
use openflex_domain::status::Pill;
use openflex_engine::EngineError;
use openflex_engine::model::Transaction;
use openflex_engine::payments::search::{AmountRange, Position, TxnSearch};
use openflex_engine::portal::PortalSession;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, Duration};

pub const PAGE: i64 = 50;

/// How many transactions one filtered page searches.
pub const WINDOW: i64 = 5000;

/// The count of matches looks at most this many of the newest transactions.
const COUNT_BOUND: i64 = 10_000;

const TYPES: &[&str] = &["Charge", "Authorize", "Capture", "Void", "Refund"];

/// The list's query string: the filters as typed, and a position.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct TxnQuery {
    pub q: String,
    pub r#type: String,
    pub outcome: String,
    pub last4: String,
    pub email: String,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub min: String,
    pub max: String,
    /// `1` to show payment-method bookkeeping rows too.
    pub bookkeeping: String,
    #[serde(skip_serializing)]
    pub before: String,
    #[serde(skip_serializing)]
    pub after: String,
}

/// A filter the page could not read: the field's label and what to type.
pub struct BadFilter {
    pub field: &'static str,
    pub why: String,
}

impl BadFilter {
    /// The refusal of a download (no page to show the form on): 400 naming the field.
    pub fn refused(&self) -> Response {
        problem(
            StatusCode::BAD_REQUEST,
            &format!("{}: {}", self.field, self.why),
        )
    }
}

/// A `YYYY-MM-DD` date field (empty: none).
pub fn date(field: &'static str, text: &str) -> Result<Option<Date>, BadFilter> {
    if text.is_empty() {
        return Ok(None);
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| BadFilter {
            field,
            why: "enter a date as YYYY-MM-DD.".into(),
        })
}

/// Text as typed, trimmed; `None` when empty.
pub fn text(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|t| !t.is_empty())
}

/// A card's last four digits (empty: none).
pub fn last_four(typed: &str) -> Result<Option<String>, BadFilter> {
    let last_four = text(typed);
    if let Some(l) = &last_four
        && (l.len() != 4 || !l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(BadFilter {
            field: "Last four digits",
            why: "enter the card's last four digits, such as 4242.".into(),
        });
    }
    Ok(last_four)
}

/// An amount range: bounds as decimals in a currency, which must be given with them.
pub fn amount_range(
    currency: &str,
    min: &str,
    max: &str,
) -> Result<Option<AmountRange>, BadFilter> {
    let (min, max) = (text(min), text(max));
    match (text(currency), min.is_some() || max.is_some()) {
        (None, false) => Ok(None),
        (None, true) => Err(BadFilter {
            field: "Currency",
            why: "choose the currency the amounts are in, such as USD.".into(),
        }),
        (Some(code), _) => {
            let currency = Currency::parse(&code).map_err(|_| BadFilter {
                field: "Currency",
                why: "enter an ISO 4217 code such as USD.".into(),
            })?;
            let minor = |field: &'static str, v: &Option<String>| match v {
                None => Ok(None),
                Some(v) => decimal_to_minor(v, currency.exponent())
                    .ok()
                    .filter(|m| *m >= 0)
                    .map(Some)
                    .ok_or(BadFilter {
                        field,
                        why: format!(
                            "enter an amount in {} such as {}.",
                            currency.code(),
                            openflex_domain::money::minor_to_decimal(1234, currency.exponent())
                        ),
                    }),
            };
            Ok(Some(AmountRange {
                currency,
                min: minor("Amount from", &min)?,
                max: minor("Amount to", &max)?,
            }))
        }
    }
}

impl TxnQuery {
    /// The engine's search for these filters, or the first field it cannot read.
    pub fn search(&self) -> Result<TxnSearch, BadFilter> {
        let last_four = last_four(&self.last4)?;
        let from = date("Created from", self.from.trim())?;
        let to = date("Created to", self.to.trim())?;
        let amount = amount_range(&self.currency, &self.min, &self.max)?;
        Ok(TxnSearch {
            kind: TxnType::parse(&self.r#type).filter(|k| TYPES.contains(&k.as_str())),
            outcome: match self.outcome.as_str() {
                "approved" => Some(TxnStatus::Approved),
                "declined" => Some(TxnStatus::Declined),
                "error" => Some(TxnStatus::Error),
                _ => None,
            },
            bookkeeping: self.bookkeeping == "1",
            text: search_text(&self.q)?,
            last_four,
            email: text(&self.email),
            created_from: from.map(|d| d.midnight().assume_utc()),
            created_before: to.map(|d| d.midnight().assume_utc() + Duration::days(1)),
            amount,
        })
    }

    pub fn position(&self) -> Position<'_> {
        match (self.before.trim(), self.after.trim()) {
            (b, _) if !b.is_empty() => Position::OlderThan(b),
            (_, a) if !a.is_empty() => Position::NewerThan(a),
            _ => Position::Newest,
        }
    }

    /// The query string of these filters, with `extra` (a position) added.
    pub fn link(&self, path: &str, extra: Option<(&str, &str)>) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if let Ok(v) = serde_json::to_value(self)
            && let Some(m) = v.as_object()
        {
            for (k, v) in m {
                if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
                    ser.append_pair(k, s);
                }
            }
        }
        if let Some((k, v)) = extra {
            ser.append_pair(k, v);
        }
        let qs = ser.finish();
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    }
}

/// Whether `q` is a card number (12–19 digits, spaces and dashes allowed, Luhn-valid).
fn is_card_number(q: &str) -> bool {
    card::normalize_pan(q.trim()).is_ok_and(|digits| card::luhn_valid(&digits))
}

/// The search box's text (empty: none). A full card number is refused, for every list and
/// export that reads it: it is neither looked up nor, once the page clears it with
/// [`forget_card_number`], shown back or carried into pager and export links.
pub fn search_text(typed: &str) -> Result<Option<String>, BadFilter> {
    if is_card_number(typed) {
        return Err(BadFilter {
            field: "Search",
            why: "that looks like a full card number; search by its last four digits instead."
                .into(),
        });
    }
    Ok(text(typed))
}

/// Clears a search box that holds a full card number, before the form is shown again.
pub fn forget_card_number(q: &mut String) {
    if is_card_number(q) {
        q.clear();
    }
}

/// The filter form again, naming the field it could not read (400).
fn bad_filter(s: &PortalSession, f: &TxnQuery, bad: &BadFilter) -> Response {
    let body = html! {
        (filters(f, Some(bad)))
    };
    let mut resp = page(s, "transactions", "Transactions", None, body);
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp
}

/// Newest first, 50 a page, by the filters; a search text that is exactly a transaction id or
/// a merchantTransactionId opens that transaction.
pub async fn transactions(
    State(st): State<AppState>,
    Session(s): Session,
    Query(mut f): Query<TxnQuery>,
) -> Response {
    let search = match f.search() {
        Ok(search) => search,
        Err(bad) => {
            forget_card_number(&mut f.q);
            return bad_filter(&s, &f, &bad);
        }
    };
    let q = f.q.trim();
    if !q.is_empty() {
        let found = match st.engine.transaction(&s.tenant, q).await {
            Ok(t) => Some(t),
            Err(EngineError::NotFound) => match st
                .engine
                .transaction_by_mtid(&s.tenant, &crate::nfc(q))
                .await
            {
                Ok(t) => Some(t),
                Err(EngineError::NotFound) => None,
                Err(e) => return engine_failure(e),
            },
            Err(e) => return engine_failure(e),
        };
        if let Some(t) = found {
            return Redirect::to(&format!("/portal/transactions/{}", t.id)).into_response();
        }
    }
    let found = match st
        .engine
        .transactions_filtered(&s.tenant, f.position(), &search, PAGE, WINDOW)
        .await
    {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let count = match st
        .engine
        .count_filtered(&s.tenant, &search, COUNT_BOUND)
        .await
    {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let rows = &found.txns;
    let full = rows.len() as i64 == PAGE;
    let going_newer = matches!(f.position(), Position::NewerThan(_));
    let here = "/portal/transactions";
    let older = match (going_newer, rows.last()) {
        (true, Some(last)) => Some((f.link(here, Some(("before", &last.id))), "Older →")),
        (true, None) => Some((f.link(here, Some(("before", f.after.trim()))), "Older →")),
        (false, Some(last)) if full => Some((f.link(here, Some(("before", &last.id))), "Older →")),
        (false, _) => found
            .resume
            .as_ref()
            .map(|r| (f.link(here, Some(("before", r))), "Search older →")),
    };
    let newer = match (going_newer, rows.first()) {
        (false, _) if f.before.trim().is_empty() => None,
        (false, Some(first)) => Some((f.link(here, Some(("after", &first.id))), "← Newer")),
        (false, None) => Some((f.link(here, Some(("after", f.before.trim()))), "← Newer")),
        (true, Some(first)) if full => Some((f.link(here, Some(("after", &first.id))), "← Newer")),
        (true, _) => found
            .resume
            .as_ref()
            .map(|r| (f.link(here, Some(("after", r))), "← Search newer")),
    };
    let body = html! {
        (filters(&f, None))
        p class="count" role="status" {
            (count.matched) " matching "
            (if count.matched == 1 { "transaction" } else { "transactions" })
            @if count.seen >= COUNT_BOUND { " among the newest " (COUNT_BOUND) } "."
            " "
            a href=(f.link("/portal/transactions.csv", None)) download { "Export these as CSV" }
        }
        @if !q.is_empty() && rows.is_empty() {
            p class="hint" { "No transaction id, order id or merchantTransactionId matches " code { (q) } "." }
        }
        (txn_table(rows, &found.pills))
        nav class="pager" aria-label="Pages" {
            @if let Some((href, label)) = &newer { a href=(href) rel="prev" { (label) } }
            @if let Some((href, label)) = &older { a href=(href) rel="next" { (label) } }
        }
        @if !full {
            p class="hint" { "Each page searches " (WINDOW) " transactions." }
        }
    };
    page(&s, "transactions", "Transactions", None, body)
}

/// The search form, the filters kept as typed; with the field it could not read, if any.
fn filters(f: &TxnQuery, bad: Option<&BadFilter>) -> Markup {
    let field = |id: &str, label: &str, value: &str, kind: &str, extra: Option<&str>| {
        let wrong = bad.is_some_and(|b| b.field == label);
        html! {
            div class="field" {
                label for=(id) { (label) }
                input id=(id) name=(id) type=(kind) value=(value) inputmode=[extra]
                    aria-invalid=[wrong.then_some("true")] aria-describedby=[wrong.then_some("filter-error")];
            }
        }
    };
    html! {
        form method="get" action="/portal/transactions" class="filters" role="search" {
            @if let Some(b) = bad {
                p id="filter-error" class="error" role="alert" { (b.field) ": " (b.why) }
            }
            (field("q", "Order id, transaction id or merchantTransactionId", &f.q, "search", None))
            (field("last4", "Last four digits", &f.last4, "text", Some("numeric")))
            (field("email", "Email", &f.email, "email", None))
            (field("from", "Created from", &f.from, "date", None))
            (field("to", "Created to", &f.to, "date", None))
            (field("currency", "Currency", &f.currency, "text", None))
            (field("min", "Amount from", &f.min, "text", Some("decimal")))
            (field("max", "Amount to", &f.max, "text", Some("decimal")))
            div class="field" {
                label for="type" { "Type" }
                select id="type" name="type" {
                    option value="" { "Any" }
                    @for t in TYPES {
                        option value=(t) selected[f.r#type == *t] { (t) }
                    }
                }
            }
            div class="field" {
                label for="outcome" { "Outcome" }
                select id="outcome" name="outcome" {
                    option value="" { "Any" }
                    option value="approved" selected[f.outcome == "approved"] { "Approved" }
                    option value="declined" selected[f.outcome == "declined"] { "Declined" }
                    option value="error" selected[f.outcome == "error"] { "Error" }
                }
            }
            div class="check" {
                input id="bookkeeping" name="bookkeeping" type="checkbox" value="1" checked[f.bookkeeping == "1"];
                label for="bookkeeping" { "Show payment-method bookkeeping" }
            }
            button type="submit" { "Find" }
        }
    }
}

/// A status pill.
pub fn pill(p: Pill) -> Markup {
    html! { span class={ "pill " (p.slug()) } { (p.words()) } }
}

fn txn_table(rows: &[Transaction], pills: &[Pill]) -> Markup {
    html! {
        div class="scroll" tabindex="0" role="region" aria-label="Transactions" {
            table {
                thead {
                    tr {
                        th scope="col" { "Status" }
                        th scope="col" { "Created" }
                        th scope="col" { "Type" }
                        th scope="col" class="num" { "Amount" }
                        th scope="col" { "Result" }
                        th scope="col" { "merchantTransactionId" }
                        th scope="col" { "Card" }
                    }
                }
                tbody {
                    @if rows.is_empty() {
                        tr { td colspan="7" { "No transactions." } }
                    }
                    @for (t, p) in rows.iter().zip(pills) {
                        tr {
                            td { (pill(*p)) }
                            td { a href={ "/portal/transactions/" (t.id) } { (at(t.created_at)) } }
                            td { (t.txn_type.as_str()) }
                            td class="num" { (money_or_dash(t.amount, t.currency.as_deref())) }
                            td { span class={ "code " @if t.code.is_approved() { "ok" } @else { "bad" } } { (t.code.0) } " " (t.code.message()) }
                            td { (t.merchant_transaction_id.as_deref().unwrap_or("—")) }
                            td class="card-number" { (t.payment_method.as_ref().and_then(|p| p.masked_number.as_deref()).unwrap_or("—")) }
                        }
                    }
                }
            }
        }
    }
}
