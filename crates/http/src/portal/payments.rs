//! FlexPay in the portal: the overview, transactions with their recovery chains, follow-up
//! actions and related transactions (`follow_ups`), and the vault's payment methods.

use super::confirm::{Ask, Confirmation, ask};
use super::follow_ups::{self, Notice};
use super::words::explanation_words;
use super::{
    PageQuery, Posted, Session, bar_chart, csrf_field, engine_failure, flash, money, page, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_engine::EngineError;
use openflex_engine::model::{PaymentMethod, Transaction};
use openflex_engine::portal::PortalSession;
use openflex_store::TxnFilter;
use serde::Deserialize;

const PAGE: i64 = 50;

/// How many transactions one filtered page searches (bounds its cost at any table size).
const WINDOW: i64 = 5000;

pub(super) fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

fn count(v: i64) -> String {
    v.to_string()
}

pub(super) fn percent(v: i64) -> String {
    format!("{}.{}%", v / 10, v % 10)
}

/// Volumes, approval rate and recovered revenue over the last 30 days of this mode.
pub async fn overview(State(st): State<AppState>, Session(s): Session) -> Response {
    let days = match st.engine.day_stats(&s.tenant, 30).await {
        Ok(d) => d,
        Err(e) => return engine_failure(e),
    };
    let recovery = match st.engine.recovery_stats(&s.tenant, 30).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let attempts: i64 = days.iter().map(|d| d.attempts).sum();
    let approved: i64 = days.iter().map(|d| d.approved).sum();
    let volume: i64 = days.iter().map(|d| d.volume).sum();
    let recovered: i64 = days.iter().map(|d| d.recovered + d.rescued).sum();
    let rate = (approved * 1000).checked_div(attempts).unwrap_or(0);
    let series = |f: fn(&openflex_engine::portal::DayStats) -> i64| -> Vec<(String, i64)> {
        days.iter().map(|d| (day_label(d.day), f(d))).collect()
    };
    let body = html! {
        section class="cards" aria-label="Last 30 days" {
            div class="card" { h2 { "Approved volume" } p class="figure" { (money(volume)) } }
            div class="card" { h2 { "Approval rate" } p class="figure" { (percent(rate)) } p { (approved) " of " (attempts) " charges and authorizations" } }
            div class="card" { h2 { "Recovered revenue" } p class="figure" { (money(recovered)) } p { "approved FlexPay retries and FlexFactor rescues" } }
        }
        (bar_chart("Approved volume per day", &series(|d| d.volume), money))
        (bar_chart("Approval rate per day", &series(|d| (d.approved * 1000).checked_div(d.attempts).unwrap_or(0)), percent))
        (bar_chart("Recovered revenue per day", &series(|d| d.recovered + d.rescued), money))
        (bar_chart("Attempts per day", &series(|d| d.attempts), count))
        (super::recovery::section(&recovery))
    };
    page(&s, "overview", "Overview", None, body)
}

#[derive(Deserialize, Default)]
pub struct TxnQuery {
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    q: String,
    after: Option<String>,
}

const TYPES: &[&str] = &["Charge", "Authorize", "Capture", "Void", "Refund"];

/// Newest first, 50 a page (keyset), filtered by type and outcome; the search box takes a
/// transaction id or merchantTransactionId and opens it.
pub async fn transactions(
    State(st): State<AppState>,
    Session(s): Session,
    Query(f): Query<TxnQuery>,
) -> Response {
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
    let filter = TxnFilter {
        txn_type: TYPES.contains(&f.r#type.as_str()).then(|| f.r#type.clone()),
        status: match f.outcome.as_str() {
            "approved" => Some(1),
            "declined" => Some(2),
            "error" => Some(3),
            _ => None,
        },
    };
    let after = f.after.as_deref().filter(|a| !a.is_empty());
    let (rows, resume) = match st
        .engine
        .transactions_filtered(&s.tenant, after, &filter, PAGE, WINDOW)
        .await
    {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let link = |from: &str| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("type", &f.r#type);
        ser.append_pair("outcome", &f.outcome);
        ser.append_pair("after", from);
        format!("/portal/transactions?{}", ser.finish())
    };
    let next = if rows.len() as i64 == PAGE {
        rows.last().map(|t| (link(&t.id), "Older transactions →"))
    } else {
        resume.map(|r| (link(&r), "Search older transactions →"))
    };
    let body = html! {
        form method="get" action="/portal/transactions" class="filters" role="search" {
            label for="q" { "Transaction id or merchantTransactionId" }
            input id="q" name="q" type="search" value=(q);
            label for="type" { "Type" }
            select id="type" name="type" {
                option value="" { "Any" }
                @for t in TYPES {
                    option value=(t) selected[f.r#type == *t] { (t) }
                }
            }
            label for="outcome" { "Outcome" }
            select id="outcome" name="outcome" {
                option value="" { "Any" }
                option value="approved" selected[f.outcome == "approved"] { "Approved" }
                option value="declined" selected[f.outcome == "declined"] { "Declined" }
                option value="error" selected[f.outcome == "error"] { "Error" }
            }
            button type="submit" { "Find" }
        }
        @if !q.is_empty() {
            p class="error" role="alert" { "No transaction has the id or merchantTransactionId " code { (q) } "." }
        }
        (txn_table(&rows))
        @if let Some((href, label)) = next {
            @if (rows.len() as i64) < PAGE {
                p class="hint" { "Each page searches " (WINDOW) " transactions, newest first." }
            }
            p { a href=(href) rel="next" { (label) } }
        }
    };
    page(&s, "transactions", "Transactions", None, body)
}

fn txn_table(rows: &[Transaction]) -> Markup {
    html! {
        div class="scroll" {
            table {
                thead {
                    tr {
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
                        tr { td colspan="6" { "No transactions." } }
                    }
                    @for t in rows {
                        tr {
                            td { a href={ "/portal/transactions/" (t.id) } { (when(t.created_at)) } }
                            td { (t.txn_type.as_str()) }
                            td class="num" { (money(t.amount)) " " (t.currency.as_deref().unwrap_or("")) }
                            td { span class={ "code " @if t.code.is_approved() { "ok" } @else { "bad" } } { (t.code.0) } " " (t.code.message()) }
                            td { (t.merchant_transaction_id.as_deref().unwrap_or("—")) }
                            td { (t.payment_method.as_ref().and_then(|p| p.masked_number.as_deref()).unwrap_or("—")) }
                        }
                    }
                }
            }
        }
    }
}

/// One transaction: its follow-up actions, its related transactions, and the recovery chain it
/// belongs to with each attempt's retry decision.
pub async fn transaction(
    State(st): State<AppState>,
    Session(s): Session,
    Path(id): Path<String>,
    Query(m): Query<PageQuery>,
) -> Response {
    let notice = flash(m.msg.as_deref()).map_or(Notice::None, Notice::Done);
    transaction_page(&st, &s, &id, notice).await
}

/// The transaction page, with what an action just did or why it was refused (answered with
/// the refusal's status).
pub async fn transaction_page(
    st: &AppState,
    s: &PortalSession,
    id: &str,
    notice: Notice,
) -> Response {
    let t = match st.engine.transaction(&s.tenant, id).await {
        Ok(t) => t,
        Err(e) => return engine_failure(e),
    };
    let chain = match st.engine.recovery_attempts(&s.tenant, id).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let events = match st.engine.gateway_events(&s.tenant, id).await {
        Ok(ev) => ev,
        Err(e) => return engine_failure(e),
    };
    let can = match st.engine.follow_up_offers(&s.tenant, id).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let children = match st.engine.follow_ups_of(&s.tenant, id).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let original = match &t.original_id {
        Some(o) => match st.engine.transaction(&s.tenant, o).await {
            Ok(o) => Some(o),
            Err(EngineError::NotFound) => None,
            Err(e) => return engine_failure(e),
        },
        None => None,
    };
    let field = |k: &str, v: Option<String>| -> Markup {
        html! { dt { (k) } dd { (v.unwrap_or_else(|| "—".into())) } }
    };
    let body = html! {
        @if let Notice::Refused(_, why) = &notice {
            p class="error" role="alert" { (why) }
        }
        dl class="facts" {
            (field("Transaction id", Some(t.id.clone())))
            (field("Type", Some(t.txn_type.as_str().into())))
            (field("Result", Some(format!("{} {}", t.code.0, t.code.message()))))
            (field("Amount", Some(super::follow_ups::in_currency(&t, t.amount))))
            (field("Captured", Some(super::follow_ups::in_currency(&t, t.captured_amount))))
            (field("Refunded", Some(super::follow_ups::in_currency(&t, t.refunded_amount))))
            (field("Voided", Some(if t.voided { "yes".into() } else { "no".into() })))
            (field("merchantTransactionId", t.merchant_transaction_id.clone()))
            (field("Order id", t.order_id.clone()))
            (field("Customer id", t.customer_id.clone()))
            (field("Created", Some(when(t.created_at))))
            (field("Gateway", t.gateway_token.clone()))
            (field("Gateway transaction id", t.gateway_transaction_id.clone()))
            @if t.result.gateway_code.is_some() || t.result.gateway_message.is_some() {
                (field("Gateway code", t.result.gateway_code.clone()))
                (field("Gateway message", t.result.gateway_message.clone()))
            }
            @if t.result.avs_code.is_some() {
                (field("AVS result", t.result.avs_code.as_ref().map(|c| with_message(c, t.result.avs_message.as_deref()))))
            }
            @if t.result.cvv_code.is_some() {
                (field("CVV result", t.result.cvv_code.as_ref().map(|c| with_message(c, t.result.cvv_message.as_deref()))))
            }
            (field("Card", t.payment_method.as_ref().and_then(|p| p.masked_number.clone())))
            (field("Retry count", Some(t.retry_count.to_string())))
            (field("Next retry", t.retry_date.map(when)))
            (field("Retry decision", t.result.retry_explanation.as_deref().map(explanation_words)))
            @if let Some(o) = &t.original_id {
                dt { "Original" } dd { a href={ "/portal/transactions/" (o) } { (o) } }
            }
        }
        (follow_ups::actions(s, &t, &can))
        (follow_ups::related(original.as_ref(), &children))
        @if !events.is_empty() {
            h2 { "Gateway events" }
            ol class="timeline" aria-label="Events the gateway sent, oldest first" {
                @for e in &events {
                    li class=(if e.kind.starts_with("chargeback") || e.kind.ends_with("failed") { "bad" } else { "ok" }) {
                        (when(e.received_at)) " — " strong { (e.kind.replace('_', " ")) }
                        " (" code { (e.gateway_kind) } ")"
                        @if let Some(a) = e.amount {
                            " · " (money(a)) " " (e.currency.clone().unwrap_or_default())
                        }
                        @if let Some(r) = &e.reason { " · " (r) }
                    }
                }
            }
        }
        h2 { "Recovery chain" }
        @if chain.is_empty() {
            p { "This transaction is not part of a recovery chain." }
        } @else {
            ol class="timeline" aria-label="Attempts, oldest first" {
                @for a in &chain {
                    li class=(if a.code.is_approved() { "ok" } else { "bad" }) {
                        a href={ "/portal/transactions/" (a.id) } { (when(a.created_at)) }
                        " — attempt " (a.retry_count + 1) ": " (a.code.0) " " (a.code.message())
                        @if let Some(r) = a.retry_date {
                            " · next retry " (when(r))
                        }
                        @if let Some(x) = &a.result.retry_explanation {
                            br; small { (explanation_words(x)) }
                        }
                    }
                }
            }
        }
    };
    let done = match notice {
        Notice::Done(m) => Some(m),
        _ => None,
    };
    let mut resp = page(s, "transactions", "Transaction", done, body);
    if let Notice::Refused(status, _) = notice {
        *resp.status_mut() = status;
    }
    resp
}

/// "M — Match" from a result code and its message.
fn with_message(code: &str, message: Option<&str>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!("{code} — {m}"),
        _ => code.to_string(),
    }
}

pub async fn payment_methods(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    let rows = match st
        .engine
        .payment_methods(
            &s.tenant,
            q.after.as_deref().filter(|a| !a.is_empty()),
            true,
            PAGE,
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let next = (rows.len() as i64 == PAGE)
        .then(|| {
            rows.last()
                .map(|p| format!("/portal/payment-methods?after={}", p.id))
        })
        .flatten();
    let body = html! {
        div class="scroll" {
            table {
                thead {
                    tr {
                        th scope="col" { "Created" }
                        th scope="col" { "Payment method" }
                        th scope="col" { "Card" }
                        th scope="col" { "Expiry" }
                        th scope="col" { "Holder" }
                        th scope="col" { "State" }
                        th scope="col" { span class="sr-only" { "Actions" } }
                    }
                }
                tbody {
                    @if rows.is_empty() {
                        tr { td colspan="7" { "No payment methods." } }
                    }
                    @for p in &rows { (pm_row(&s, p)) }
                }
            }
        }
        @if let Some(n) = next {
            p { a href=(n) rel="next" { "Older payment methods →" } }
        }
    };
    page(
        &s,
        "payment-methods",
        "Payment methods",
        flash(q.msg.as_deref()),
        body,
    )
}

fn pm_row(s: &PortalSession, p: &PaymentMethod) -> Markup {
    let redacted = p.is_redacted();
    html! {
        tr {
            td { (when(p.created_at)) }
            td { code { (p.id) } }
            td { (p.card_type.as_deref().unwrap_or("")) " " (p.masked_number.as_deref().unwrap_or("—")) }
            td { (p.expiry_month.as_deref().unwrap_or("")) "/" (p.expiry_year.as_deref().unwrap_or("")) }
            td { (p.holder.full_name.as_deref().unwrap_or("")) }
            td { (p.storage_state.as_str()) }
            td {
                @if !redacted {
                    form method="post" action={ "/portal/payment-methods/" (p.id) "/redact" } class="inline" {
                        (csrf_field(s))
                        button type="submit" class="danger" aria-label={ "Redact " (p.id) } { "Redact…" }
                    }
                }
            }
        }
    }
}

/// Removes the card data for good (the FlexPay redact call), after the confirmation step.
pub async fn redact(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted<Confirmation>,
) -> Response {
    if !f.given() {
        let pm = match st.engine.payment_method(&s.tenant, &id).await {
            Ok(pm) => pm,
            Err(e) => return engine_failure(e),
        };
        let card = format!(
            "{} {}",
            pm.card_type.as_deref().unwrap_or("card"),
            pm.masked_number.as_deref().unwrap_or("")
        );
        return ask(
            &s,
            Ask {
                section: "payment-methods",
                title: "Redact this payment method?",
                what: html! {
                    p { "The " (card.trim()) " stored as " code { (pm.id) } " will be redacted." }
                    p { "Its card number and security code are erased for good: it cannot be charged again, and this cannot be undone." }
                },
                action: &format!("/portal/payment-methods/{id}/redact"),
                fields: &[],
                button: "Redact the payment method",
                back: "/portal/payment-methods",
            },
        );
    }
    match st.engine.redact_payment_method(&s.tenant, &id).await {
        Ok(Ok(_)) => Redirect::to("/portal/payment-methods?msg=redacted").into_response(),
        Ok(Err(_)) => engine_failure(EngineError::NotFound),
        Err(e) => engine_failure(e),
    }
}
