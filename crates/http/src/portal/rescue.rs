//! FlexFactor rescue orders (history, attempts, capture/cancel/refund) and Flexiti financing
//! (accounts and authorizations) in the portal.

use super::{
    PageQuery, Posted, Session, csrf_field, engine_failure, flash, money, page, pretty, problem,
    when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use openflex_domain::money::{Currency, decimal_to_minor};
use openflex_engine::financing::{FxCaller, Scope};
use openflex_engine::flexfactor::{OrderOutcome, OrderRef};
use openflex_store::{FxListQuery, OrderQuery};
use serde::Deserialize;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct OrdersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: i64,
}

pub async fn orders(
    State(st): State<AppState>,
    Session(s): Session,
    Query(f): Query<OrdersQuery>,
) -> Response {
    let page_no = f.page.clamp(0, 10_000);
    let q = OrderQuery {
        text: Some(f.q.trim().to_string()).filter(|t| !t.is_empty()),
        descending: true,
        offset: page_no * PAGE,
        limit: PAGE,
        ..OrderQuery::default()
    };
    let (rows, total) = match st.engine.ff_orders(&s.tenant, &q).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let more = (page_no + 1) * PAGE < total;
    let body = html! {
        form method="get" action="/portal/orders" class="filters" role="search" {
            label for="q" { "Order id or text" }
            input id="q" name="q" type="search" value=(f.q.trim());
            button type="submit" { "Find" }
        }
        p { (total) " orders." }
        div class="scroll" {
            table {
                thead { tr {
                    th scope="col" { "Created" } th scope="col" { "Order" } th scope="col" { "Status" }
                    th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Captured" } th scope="col" class="num" { "Refunded" }
                } }
                tbody {
                    @if rows.is_empty() { tr { td colspan="6" { "No orders." } } }
                    @for o in &rows {
                        tr {
                            td { a href={ "/portal/orders/" (o.id) } { (when(o.created_at)) } }
                            td { (o.external_order_id) }
                            td { (o.state.name()) }
                            td class="num" { (money(o.amount)) " " (o.currency) }
                            td class="num" { (money(o.captured_amount)) }
                            td class="num" { (money(o.refunded_amount)) }
                        }
                    }
                }
            }
        }
        @if more {
            p { a rel="next" href={ "/portal/orders?page=" (page_no + 1) "&q=" (form_urlencoded::byte_serialize(f.q.trim().as_bytes()).collect::<String>()) } { "Older orders →" } }
        }
    };
    page(&s, "orders", "Rescue orders", None, body)
}

pub async fn order(
    State(st): State<AppState>,
    Session(s): Session,
    Path(id): Path<String>,
    Query(m): Query<PageQuery>,
) -> Response {
    let o = match st.engine.ff_order(&s.tenant, &id).await {
        Ok(o) => o,
        Err(e) => return engine_failure(e),
    };
    let body = html! {
        dl class="facts" {
            dt { "Order" } dd { (o.external_order_id) }
            dt { "Order session key" } dd { code { (o.id) } }
            dt { "Status" } dd { (o.state.name()) }
            dt { "Flow" } dd { (o.flow.as_str()) }
            dt { "Type" } dd { (o.transaction_type) }
            dt { "Amount" } dd { (money(o.amount)) " " (o.currency) }
            dt { "Authorized" } dd { (money(o.authorized_amount)) }
            dt { "Captured" } dd { (money(o.captured_amount)) }
            dt { "Refunded" } dd { (money(o.refunded_amount)) }
            dt { "Created" } dd { (when(o.created_at)) }
            dt { "Updated" } dd { (when(o.updated_at)) }
            @if let Some(d) = o.expiry_date { dt { "Rescue window ends" } dd { (when(d)) } }
            @if let Some(d) = o.capture_deadline { dt { "Capture by" } dd { (when(d)) } }
        }
        section class="actions" aria-label="Actions" {
            form method="post" action={ "/portal/orders/" (o.id) "/capture" } class="inline" {
                (csrf_field(&s))
                label for="capture-amount" { "Capture amount" }
                input id="capture-amount" name="amount" inputmode="decimal" value=(money(o.authorized_amount - o.captured_amount));
                button type="submit" { "Capture" }
            }
            form method="post" action={ "/portal/orders/" (o.id) "/refund" } class="inline" {
                (csrf_field(&s))
                label for="refund-amount" { "Refund amount" }
                input id="refund-amount" name="amount" inputmode="decimal" value=(money(o.captured_amount - o.refunded_amount));
                button type="submit" { "Refund" }
            }
            form method="post" action={ "/portal/orders/" (o.id) "/cancel" } class="inline" {
                (csrf_field(&s))
                button type="submit" class="danger" { "Cancel order" }
            }
        }
        h2 { "Status history and attempts" }
        ol class="timeline" {
            @for e in &o.events {
                li class=(if e.outcome.eq_ignore_ascii_case("approved") || e.outcome.eq_ignore_ascii_case("ok") { "ok" } else { "" }) {
                    (when(e.created_at)) " — " strong { (e.kind) } " · " (e.outcome)
                    @if let Some(a) = e.amount { " · " (money(a)) }
                    @if let Some(g) = &e.gateway_token { " · gateway " code { (g) } }
                    @if let Some(d) = &e.detail { br; small { (d) } }
                }
            }
        }
        details {
            summary { "Payer and details" }
            pre { (pretty(&serde_json::to_value(&o.payer).unwrap_or_default())) }
            pre { (pretty(&serde_json::to_value(&o.details).unwrap_or_default())) }
        }
    };
    page(&s, "orders", "Rescue order", flash(m.msg.as_deref()), body)
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    amount: String,
}

/// Capture, refund or cancel; the outcome lands in the order's history.
pub async fn order_action(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted(s, f): Posted<ActionForm>,
) -> Response {
    let o = match st.engine.ff_order(&s.tenant, &id).await {
        Ok(o) => o,
        Err(e) => return engine_failure(e),
    };
    let Ok(currency) = Currency::parse(&o.currency) else {
        return problem(StatusCode::CONFLICT, "The order's currency is unknown.");
    };
    let amount = || decimal_to_minor(f.amount.trim(), currency.exponent());
    let result = match action.as_str() {
        "capture" => match amount() {
            Ok(a) => st.engine.ff_capture(&s.tenant, &o.id, a, &currency).await,
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "amount: enter an amount such as 12.34.",
                );
            }
        },
        "refund" => match amount() {
            Ok(a) => {
                st.engine
                    .ff_refund(&s.tenant, &o.id, a, Some("portal"))
                    .await
            }
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "amount: enter an amount such as 12.34.",
                );
            }
        },
        "cancel" => st.engine.ff_cancel(&s.tenant, OrderRef::Id(&o.id)).await,
        _ => return problem(StatusCode::NOT_FOUND, "Not found."),
    };
    let msg = match result {
        Ok(Some(OrderOutcome::Done { .. })) => match action.as_str() {
            "capture" => "captured",
            "refund" => "refunded",
            _ => "cancelled",
        },
        Ok(Some(OrderOutcome::Failed { .. })) => "failed",
        Ok(None) => return problem(StatusCode::NOT_FOUND, "Not found."),
        Err(e) => return engine_failure(e),
    };
    Redirect::to(&format!("/portal/orders/{}?msg={msg}", o.id)).into_response()
}

/// Flexiti: the merchant's customer accounts and its latest authorizations with captures.
pub async fn flexiti(State(st): State<AppState>, Session(s): Session) -> Response {
    let accounts = match st
        .engine
        .fx_admin_accounts(&s.tenant.merchant_id, s.tenant.mode)
        .await
    {
        Ok(a) => a,
        Err(e) => return engine_failure(e),
    };
    let caller = FxCaller {
        tenant: s.tenant.clone(),
        client_id: "portal".into(),
        scope: Scope::Merchant,
        merchant_name: s.merchant_name.clone(),
    };
    let q = FxListQuery {
        limit: PAGE,
        ..FxListQuery::default()
    };
    let (auths, total) = match st.engine.fx_authorizations(&caller, &q).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let body = html! {
        h2 { "Accounts" }
        div class="scroll" {
            table {
                thead { tr {
                    th scope="col" { "Account" } th scope="col" { "Customer" } th scope="col" { "Status" } th scope="col" { "Type" }
                    th scope="col" class="num" { "Limit" } th scope="col" class="num" { "Available" } th scope="col" class="num" { "Held" } th scope="col" class="num" { "Balance" }
                } }
                tbody {
                    @if accounts.is_empty() { tr { td colspan="8" { "No accounts." } } }
                    @for a in &accounts {
                        tr {
                            td { (a.account_number) }
                            td { (a.first_name) " " (a.last_name) }
                            td { (a.status) }
                            td { (a.account_type) }
                            td class="num" { (a.credit_limit) }
                            td class="num" { (a.available_credit) }
                            td class="num" { (a.held) }
                            td class="num" { (a.balance) }
                        }
                    }
                }
            }
        }
        h2 { "Authorizations" }
        p { (total) " authorizations; the latest " (auths.len()) " below." }
        div class="scroll" {
            table {
                thead { tr {
                    th scope="col" { "Created" } th scope="col" { "Authorization" } th scope="col" { "Account" } th scope="col" { "Type" }
                    th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Captured" } th scope="col" class="num" { "Released" } th scope="col" { "Status" } th scope="col" { "Captures" }
                } }
                tbody {
                    @if auths.is_empty() { tr { td colspan="9" { "No authorizations." } } }
                    @for a in &auths {
                        tr {
                            td { (when(a.created_at)) }
                            td { (a.id) }
                            td { (a.account_number) }
                            td { (a.transaction_type) }
                            td class="num" { (money(a.amount)) }
                            td class="num" { (money(a.captured_amount)) }
                            td class="num" { (money(a.released_amount)) }
                            td { (a.status) }
                            td { @for c in &a.captures { (c.id) " (" (money(c.amount)) ") " } }
                        }
                    }
                }
            }
        }
    };
    page(&s, "flexiti", "Financing", None, body)
}
