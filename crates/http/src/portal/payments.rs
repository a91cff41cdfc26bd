//! FlexPay in the portal: a transaction with its recovery chain, follow-up
//! actions and related transactions (`follow_ups`), and the vault's payment methods (the
//! transaction list is `transactions`).

use super::confirm::{Ask, Confirmation, ask};
use super::follow_ups::{self, Notice};
use super::recovery_panel;
use super::words::explanation_words;
use super::{
    PageQuery, Posted, Session, at, at_exact, csrf_field, engine_failure, flash, money_or_dash,
    page, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_engine::EngineError;
use openflex_engine::model::PaymentMethod;
use openflex_engine::portal::PortalSession;

const PAGE: i64 = 50;

pub(super) fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

pub(super) fn percent(v: i64) -> String {
    format!("{}.{}%", v / 10, v % 10)
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
            @if let Some(o) = &t.original_id {
                dt { "Original" } dd { a href={ "/portal/transactions/" (o) } { (o) } }
            }
        }
        (recovery_panel::panel(&t, &chain, &s.tenant.retry_policy, st.engine.now_for(&s.tenant)))
        (follow_ups::actions(s, &t, &can))
        (follow_ups::related(original.as_ref(), &children))
        @if !events.is_empty() {
            h2 { "Gateway events" }
            ol class="timeline" aria-label="Events the gateway sent, oldest first" {
                @for e in &events {
                    li class=(if e.kind.starts_with("chargeback") || e.kind.ends_with("failed") { "bad" } else { "ok" }) {
                        (at_exact(e.received_at)) " — " strong { (e.kind.replace('_', " ")) }
                        " (" code { (e.gateway_kind) } ")"
                        @if let Some(a) = e.amount {
                            " · " (money_or_dash(a, e.currency.as_deref()))
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
                        a href={ "/portal/transactions/" (a.id) } { (at_exact(a.created_at)) }
                        " — attempt " (a.retry_count + 1) ": " (a.code.0) " " (a.code.message())
                        " · " (money_or_dash(a.amount, a.currency.as_deref()))
                        @if let Some(r) = a.retry_date {
                            " · next retry " (at(r))
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
            td { (at(p.created_at)) }
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
