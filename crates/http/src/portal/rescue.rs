//! FlexFactor rescue orders in the portal: history, attempts, capture/cancel/refund.

use super::confirm::{Ask, ask};
use super::transactions::{date, pill};
use super::words::status_words;
use super::{
    PageQuery, Posted, Session, csrf_field, engine_failure, flash, page, pretty, problem, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use openflex_domain::money::{Currency, decimal_to_minor, minor_to_decimal};
use openflex_domain::rescue::{Action, OrderState};
use openflex_domain::status;
use openflex_engine::flexfactor::{Order, OrderOutcome, OrderRef, OrderRefusal, OrderSearch};
use openflex_engine::portal::PortalSession;
use serde::Deserialize;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrdersQuery {
    q: String,
    from: String,
    to: String,
    page: i64,
}

impl OrdersQuery {
    /// This list's link at `page`, the filters kept.
    fn link(&self, page: i64) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", self.q.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ] {
            if !v.is_empty() {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("page", &page.to_string());
        format!("/portal/orders?{}", ser.finish())
    }
}

/// Rescue orders newest first, 50 a page (Newer and Older, with the count of matches), by an
/// order id or text and a creation date range; each row leads with its status pill.
pub async fn orders(
    State(st): State<AppState>,
    Session(s): Session,
    Query(f): Query<OrdersQuery>,
) -> Response {
    let page_no = f.page.clamp(0, 10_000);
    let dates = date("Created from", f.from.trim())
        .and_then(|from| date("Created to", f.to.trim()).map(|to| (from, to)));
    let (from, to) = match dates {
        Ok(d) => d,
        Err(bad) => {
            let body = html! {
                p class="error" role="alert" { (bad.field) ": " (bad.why) }
                (order_filters(&f))
            };
            let mut resp = page(&s, "orders", "Rescue orders", None, body);
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            return resp;
        }
    };
    let q = OrderSearch {
        text: Some(f.q.trim().to_string()).filter(|t| !t.is_empty()),
        created_from: from.map(|d| d.midnight().assume_utc()),
        created_until: to.map(|d| {
            d.midnight().assume_utc() + time::Duration::days(1) - time::Duration::microseconds(1)
        }),
        descending: true,
        offset: page_no * PAGE,
        limit: PAGE,
        ..OrderSearch::default()
    };
    let (rows, total) = match st.engine.ff_orders(&s.tenant, &q).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let more = (page_no + 1) * PAGE < total;
    let body = html! {
        (order_filters(&f))
        p role="status" { (total) " matching orders." }
        div class="scroll" tabindex="0" role="region" aria-label="Rescue orders" {
            table {
                thead { tr {
                    th scope="col" { "Status" } th scope="col" { "Created" } th scope="col" { "Order" } th scope="col" { "Rescue state" }
                    th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Captured" } th scope="col" class="num" { "Refunded" }
                } }
                tbody {
                    @if rows.is_empty() { tr { td colspan="7" { "No orders." } } }
                    @for o in &rows {
                        tr {
                            td { (pill(status::of_order(o.state, o.captured_amount, o.refunded_amount))) }
                            td { a href={ "/portal/orders/" (o.id) } { (when(o.created_at)) } }
                            td { (o.external_order_id) }
                            td { (status_words(o.state.name())) }
                            td class="num" { (in_currency(o, o.amount)) }
                            td class="num" { (in_currency(o, o.captured_amount)) }
                            td class="num" { (in_currency(o, o.refunded_amount)) }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if page_no > 0 { a rel="prev" href=(f.link(page_no - 1)) { "← Newer orders" } }
            @if more { a rel="next" href=(f.link(page_no + 1)) { "Older orders →" } }
        }
    };
    page(&s, "orders", "Rescue orders", None, body)
}

fn order_filters(f: &OrdersQuery) -> maud::Markup {
    html! {
        form method="get" action="/portal/orders" class="filters" role="search" {
            div class="field" { label for="q" { "Order id or text" } input id="q" name="q" type="search" value=(f.q.trim()); }
            div class="field" { label for="from" { "Created from" } input id="from" name="from" type="date" value=(f.from.trim()); }
            div class="field" { label for="to" { "Created to" } input id="to" name="to" type="date" value=(f.to.trim()); }
            button type="submit" { "Find" }
        }
    }
}

pub async fn order(
    State(st): State<AppState>,
    Session(s): Session,
    Path(id): Path<String>,
    Query(m): Query<PageQuery>,
) -> Response {
    match st.engine.ff_order(&s.tenant, &id).await {
        Ok(o) => order_page(&s, &o, Notice::of(flash(m.msg.as_deref()))),
        Err(e) => engine_failure(e),
    }
}

/// What the order page says above its facts: an action that went through, or one that was
/// refused and why (with the status the page is answered with).
enum Notice<'a> {
    None,
    Done(&'a str),
    Refused(StatusCode, String),
}

impl<'a> Notice<'a> {
    fn of(done: Option<&'a str>) -> Self {
        done.map_or(Self::None, Self::Done)
    }
}

/// Which actions an order's state allows, by the engine's own rules ([`OrderState::can`]),
/// and only while there is money left to move: nothing on a cancelled order, only a refund
/// (of what is left) on a completed one.
struct Offers {
    capture: bool,
    refund: bool,
    cancel: bool,
}

fn offers(o: &Order) -> Offers {
    Offers {
        capture: o.state.can(Action::Capture) && o.authorized_amount > o.captured_amount,
        refund: o.state.can(Action::Refund) && o.captured_amount > o.refunded_amount,
        cancel: o.state.can(Action::Cancel) && o.state != OrderState::Cancelled,
    }
}

/// An amount of the order's currency ("$12.50 USD").
fn in_currency(o: &Order, minor: i64) -> String {
    super::in_currency(minor, &o.currency)
}

fn order_page(s: &PortalSession, o: &Order, notice: Notice<'_>) -> Response {
    let can = offers(o);
    let exp = super::exponent_of(&o.currency);
    let body = html! {
        @if let Notice::Refused(_, why) = &notice {
            p class="error" role="alert" { (why) }
        }
        dl class="facts" {
            dt { "Order" } dd { (o.external_order_id) }
            dt { "Order session key" } dd { code { (o.id) } }
            dt { "Status" } dd { (status_words(o.state.name())) }
            dt { "Flow" } dd { (o.flow.as_str()) }
            dt { "Type" } dd { (o.transaction_type) }
            dt { "Amount" } dd { (in_currency(o, o.amount)) }
            dt { "Authorized" } dd { (in_currency(o, o.authorized_amount)) }
            dt { "Captured" } dd { (in_currency(o, o.captured_amount)) }
            dt { "Refunded" } dd { (in_currency(o, o.refunded_amount)) }
            dt { "Created" } dd { (when(o.created_at)) }
            dt { "Updated" } dd { (when(o.updated_at)) }
            @if let Some(d) = o.expiry_date { dt { "Rescue window ends" } dd { (when(d)) } }
            @if let Some(d) = o.capture_deadline { dt { "Capture by" } dd { (when(d)) } }
        }
        @if can.capture || can.refund || can.cancel {
            section class="actions" aria-label="Actions" {
                @if can.capture {
                    form method="post" action={ "/portal/orders/" (o.id) "/capture" } class="inline" {
                        (csrf_field(s))
                        label for="capture-amount" { "Capture amount (" (o.currency) ")" }
                        input id="capture-amount" name="amount" inputmode="decimal" value=(minor_to_decimal(o.authorized_amount - o.captured_amount, exp));
                        button type="submit" { "Capture" }
                    }
                }
                @if can.refund {
                    form method="post" action={ "/portal/orders/" (o.id) "/refund" } class="inline" {
                        (csrf_field(s))
                        label for="refund-amount" { "Refund amount (" (o.currency) ")" }
                        input id="refund-amount" name="amount" inputmode="decimal" value=(minor_to_decimal(o.captured_amount - o.refunded_amount, exp));
                        button type="submit" { "Refund…" }
                    }
                }
                @if can.cancel {
                    form method="post" action={ "/portal/orders/" (o.id) "/cancel" } class="inline" {
                        (csrf_field(s))
                        button type="submit" class="danger" { "Cancel order…" }
                    }
                }
            }
        } @else {
            p class="hint" { "No action is possible on an order whose status is " (status_words(o.state.name())) "." }
        }
        h2 { "Status history and attempts" }
        ol class="timeline" {
            @for e in &o.events {
                li class=(if e.outcome.eq_ignore_ascii_case("approved") || e.outcome.eq_ignore_ascii_case("ok") { "ok" } else { "" }) {
                    (when(e.created_at)) " — " strong { (e.kind) } " · " (status_words(&e.outcome))
                    @if let Some(a) = e.amount { " · " (in_currency(o, a)) }
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
    let done = match notice {
        Notice::Done(m) => Some(m),
        _ => None,
    };
    let mut resp = page(s, "orders", "Rescue order", done, body);
    if let Notice::Refused(status, _) = notice {
        *resp.status_mut() = status;
    }
    resp
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    amount: String,
    #[serde(flatten)]
    confirm: super::confirm::Confirmation,
}

/// Capture, or (after the confirmation step) refund or cancel. A refusal is answered with the
/// order page again, saying why, and the order as it now stands.
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
    let confirmed = f.confirm.given();
    let amount = match action.as_str() {
        "capture" | "refund" => match decimal_to_minor(f.amount.trim(), currency.exponent()) {
            Ok(a) => a,
            Err(_) => {
                let why = format!(
                    "{} amount: enter an amount in {} such as 12.34.",
                    if action == "capture" {
                        "Capture"
                    } else {
                        "Refund"
                    },
                    o.currency
                );
                return order_page(&s, &o, Notice::Refused(StatusCode::BAD_REQUEST, why));
            }
        },
        "cancel" => 0,
        _ => return problem(StatusCode::NOT_FOUND, "There is no such order action."),
    };
    if !confirmed && action != "capture" {
        return ask_order(&s, &o, &action, &f.amount, amount);
    }
    let result = match action.as_str() {
        "capture" => {
            st.engine
                .ff_capture(&s.tenant, &o.id, amount, &currency, None)
                .await
        }
        "refund" => {
            st.engine
                .ff_refund(&s.tenant, &o.id, amount, Some("portal"), None)
                .await
        }
        _ => {
            st.engine
                .ff_cancel(&s.tenant, OrderRef::Id(&o.id), None)
                .await
        }
    };
    let reason = match result {
        Ok(Some(OrderOutcome::Done { .. })) => {
            let msg = match action.as_str() {
                "capture" => "captured",
                "refund" => "refunded",
                _ => "cancelled",
            };
            return Redirect::to(&format!("/portal/orders/{}?msg={msg}", o.id)).into_response();
        }
        Ok(Some(OrderOutcome::Failed { reason })) => reason,
        Ok(None) => return problem(StatusCode::NOT_FOUND, "Not found."),
        Err(e) => return engine_failure(e),
    };
    let now = match st.engine.ff_order(&s.tenant, &id).await {
        Ok(o) => o,
        Err(e) => return engine_failure(e),
    };
    let why = format!(
        "The {} was refused: {}",
        match action.as_str() {
            "capture" => "capture",
            "refund" => "refund",
            _ => "cancellation",
        },
        refusal_words(&now, &reason)
    );
    order_page(&s, &now, Notice::Refused(StatusCode::CONFLICT, why))
}

/// The confirmation step of a refund or a cancellation, saying what will move.
fn ask_order(s: &PortalSession, o: &Order, action: &str, typed: &str, amount: i64) -> Response {
    let back = format!("/portal/orders/{}", o.id);
    let post = format!("/portal/orders/{}/{action}", o.id);
    if action == "refund" {
        return ask(
            s,
            Ask {
                section: "orders",
                title: "Refund this order?",
                what: html! {
                    p { strong { (in_currency(o, amount)) } " of order " (o.external_order_id) " will be refunded to the payer." }
                    p {
                        "Captured " (in_currency(o, o.captured_amount)) ", refunded so far "
                        (in_currency(o, o.refunded_amount)) ". A refund cannot be undone."
                    }
                },
                action: &post,
                fields: &[("amount", typed.trim())],
                button: "Refund",
                back: &back,
            },
        );
    }
    let what = if o.state == OrderState::CaptureRequired {
        format!(
            "Its authorization of {} is voided: nothing can be captured afterwards.",
            in_currency(o, o.authorized_amount - o.captured_amount)
        )
    } else {
        format!(
            "Its rescue stops: the payer is not charged the {}.",
            in_currency(o, o.amount)
        )
    };
    ask(
        s,
        Ask {
            section: "orders",
            title: "Cancel this order?",
            what: html! {
                p { "Order " (o.external_order_id) " (" (in_currency(o, o.amount)) ") will be cancelled." }
                p { (what) " This cannot be undone." }
            },
            action: &post,
            fields: &[],
            button: "Cancel the order",
            back: &back,
        },
    )
}

/// Why the engine refused, in the portal's words and the order's currency.
fn refusal_words(o: &Order, r: &OrderRefusal) -> String {
    let state = |st: OrderState| status_words(st.name());
    match r {
        OrderRefusal::NotCancellable(st) => format!(
            "an order whose status is {} cannot be cancelled; refund captured money instead.",
            state(*st)
        ),
        OrderRefusal::NotCapturable(st) => format!(
            "only an order whose status is Capture required can be captured; this one is {}.",
            state(*st)
        ),
        OrderRefusal::CaptureCurrency { order, requested } => format!(
            "the order was authorized in {order}, not {}.",
            requested.code()
        ),
        OrderRefusal::CaptureAmount { amount, authorized } => format!(
            "{} is not between zero and the {} authorized.",
            in_currency(o, *amount),
            in_currency(o, *authorized)
        ),
        OrderRefusal::ChangedMeanwhile => {
            "the order changed meanwhile; its status below is the current one.".into()
        }
        OrderRefusal::NotRefundable(st) => format!(
            "an order whose status is {} cannot be refunded.",
            state(*st)
        ),
        OrderRefusal::OverRefund {
            amount, refundable, ..
        } => format!(
            "{} is more than the {} left to refund.",
            in_currency(o, *amount),
            in_currency(o, *refundable)
        ),
        OrderRefusal::Gateway { detail, .. } => format!("the gateway declined it: {detail}"),
    }
}
