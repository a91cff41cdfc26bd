//! Capture, void and refund of a FlexPay transaction from its page, and the "Related" list that
//! links a transaction with the follow-ups made of it.
//!
//! Why the page asks the engine what to offer: the lifecycle rules (docs/flexpay.md §5) decide
//! what a transaction still allows, and the same rules decide the follow-up itself, so the page
//! never offers what the API would refuse for the transaction's state. An amount past what
//! remains is still the engine's to refuse, and the refusal is shown as one.
//!
//! The confirmation page carries a merchantTransactionId minted when it is shown, so pressing
//! Confirm twice makes one follow-up: the engine refuses the id's second use and the portal
//! opens the follow-up the first press made.

use super::confirm::{Ask, ask};
use super::payments::transaction_page;
use super::{Posted, engine_failure, problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_domain::lifecycle::Offers;
use openflex_domain::money::{decimal_to_minor, minor_to_decimal};
use openflex_engine::model::Transaction;
use openflex_engine::payments::{FollowUpKind, FollowUpRequest};
use openflex_engine::portal::PortalSession;
use serde::Deserialize;

/// The longest reason a refund takes.
const REASON_MAX: usize = 200;

/// What the transaction page says above its facts.
pub enum Notice {
    None,
    Done(&'static str),
    Refused(StatusCode, Markup),
}

/// An amount in the transaction's currency ("$12.50 USD"), or a dash when it has none.
pub fn in_currency(t: &Transaction, minor: i64) -> String {
    super::money_or_dash(minor, t.currency.as_deref())
}

fn exponent(t: &Transaction) -> u32 {
    super::exponent_of(t.currency.as_deref().unwrap_or(""))
}

fn result_words(t: &Transaction) -> String {
    if t.pending {
        "awaiting the gateway".into()
    } else {
        format!("{} {}", t.code.0, t.code.message())
    }
}

/// The forms for the follow-ups the transaction allows, amounts filled with all that remains.
pub fn actions(s: &PortalSession, t: &Transaction, can: &Offers) -> Markup {
    let currency = t.currency.as_deref().unwrap_or("");
    let post = |action: &str| format!("/portal/transactions/{}/{action}", t.id);
    let exp = exponent(t);
    html! {
        h2 { "Actions" }
        @if can.capture.is_some() || can.void || can.refund.is_some() {
            section class="actions" aria-label="Actions" {
                @if let Some(left) = can.capture {
                    form method="post" action=(post("capture")) class="inline" {
                        (super::csrf_field(s))
                        label for="capture-amount" { "Capture amount (" (currency) ")" }
                        input id="capture-amount" name="amount" inputmode="decimal" value=(minor_to_decimal(left, exp));
                        button type="submit" { "Capture…" }
                    }
                }
                @if let Some(left) = can.refund {
                    form method="post" action=(post("refund")) class="inline" {
                        (super::csrf_field(s))
                        label for="refund-amount" { "Refund amount (" (currency) ")" }
                        input id="refund-amount" name="amount" inputmode="decimal" value=(minor_to_decimal(left, exp));
                        label for="refund-reason" { "Reason (optional)" }
                        input id="refund-reason" name="reason" maxlength=(REASON_MAX);
                        button type="submit" { "Refund…" }
                    }
                }
                @if can.void {
                    form method="post" action=(post("void")) class="inline" {
                        (super::csrf_field(s))
                        button type="submit" class="danger" { "Void…" }
                    }
                }
            }
        } @else {
            p class="hint" { "No capture, void or refund is possible on this transaction now." }
        }
    }
}

/// The transaction's original (for a follow-up) and the follow-ups made of it.
pub fn related(original: Option<&Transaction>, children: &[Transaction]) -> Markup {
    html! {
        h2 { "Related" }
        @if let Some(o) = original {
            p {
                "Made of the " (o.txn_type.as_str().to_lowercase()) " "
                a href={ "/portal/transactions/" (o.id) } { (o.id) }
                " (" (in_currency(o, o.amount)) ", " (result_words(o)) ", " (super::when(o.created_at)) ")."
            }
        }
        @if children.is_empty() {
            @if original.is_none() {
                p { "No capture, void or refund was made of this transaction." }
            }
        } @else {
            div class="scroll" tabindex="0" {
                table aria-label="Captures, voids and refunds of this transaction" {
                    thead {
                        tr {
                            th scope="col" { "Created" }
                            th scope="col" { "Type" }
                            th scope="col" class="num" { "Amount" }
                            th scope="col" { "Result" }
                            th scope="col" { "Reason" }
                        }
                    }
                    tbody {
                        @for c in children {
                            tr {
                                td { a href={ "/portal/transactions/" (c.id) } { (super::at(c.created_at)) } }
                                td { (c.txn_type.as_str()) }
                                td class="num" { (in_currency(c, c.amount)) }
                                td { span class={ "code " @if c.code.is_approved() { "ok" } @else { "bad" } } { (result_words(c)) } }
                                td { (c.details.reason.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    mtid: String,
    #[serde(flatten)]
    confirm: super::confirm::Confirmation,
}

/// The words of each follow-up: its noun, and its flash once approved.
fn words(kind: FollowUpKind) -> (&'static str, &'static str) {
    match kind {
        FollowUpKind::Capture => ("capture", "follow-up-captured"),
        FollowUpKind::Void => ("void", "follow-up-voided"),
        FollowUpKind::Refund => ("refund", "follow-up-refunded"),
    }
}

/// A merchantTransactionId the confirmation page minted (`portal-` and the engine's id).
fn minted(mtid: &str) -> bool {
    mtid.len() <= 64
        && mtid
            .strip_prefix("portal-")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Capture, void or refund, after the confirmation step. A refusal is answered with the
/// transaction page again, saying why; an approval opens the new follow-up's page.
pub async fn follow_up(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted(s, f): Posted<FollowUpForm>,
) -> Response {
    let kind = match action.as_str() {
        "capture" => FollowUpKind::Capture,
        "void" => FollowUpKind::Void,
        "refund" => FollowUpKind::Refund,
        _ => {
            return problem(
                StatusCode::NOT_FOUND,
                "There is no such transaction action.",
            );
        }
    };
    let (noun, done) = words(kind);
    let t = match st.engine.transaction(&s.tenant, &id).await {
        Ok(t) => t,
        Err(e) => return engine_failure(e),
    };
    let refuse = |status: StatusCode, why: String| {
        transaction_page(&st, &s, &id, Notice::Refused(status, html! { (why) }))
    };
    let amount = match kind {
        FollowUpKind::Void => 0,
        _ => match decimal_to_minor(f.amount.trim(), exponent(&t)) {
            Ok(a) if a > 0 => a,
            _ => {
                let why = format!(
                    "{} amount: enter an amount in {} greater than zero, such as 12.34.",
                    if kind == FollowUpKind::Capture {
                        "Capture"
                    } else {
                        "Refund"
                    },
                    t.currency
                        .as_deref()
                        .unwrap_or("the transaction's currency")
                );
                return refuse(StatusCode::BAD_REQUEST, why).await;
            }
        },
    };
    let reason = f.reason.trim();
    if reason.chars().count() > REASON_MAX {
        let why = format!("Reason: at most {REASON_MAX} characters.");
        return refuse(StatusCode::BAD_REQUEST, why).await;
    }
    let reason = (kind == FollowUpKind::Refund && !reason.is_empty()).then(|| crate::nfc(reason));
    if !f.confirm.given() {
        let can = match st.engine.follow_up_offers(&s.tenant, &id).await {
            Ok(c) => c,
            Err(e) => return engine_failure(e),
        };
        let offered = match kind {
            FollowUpKind::Capture => can.capture.is_some(),
            FollowUpKind::Void => can.void,
            FollowUpKind::Refund => can.refund.is_some(),
        };
        if !offered {
            let why = format!("A {noun} is not possible on this transaction now.");
            return refuse(StatusCode::CONFLICT, why).await;
        }
        let mtid = format!("portal-{}", st.engine.stamp(&s.tenant).0);
        return ask_follow_up(&s, &t, kind, &f.amount, amount, reason.as_deref(), &mtid);
    }
    let mtid = if minted(&f.mtid) {
        f.mtid.clone()
    } else {
        format!("portal-{}", st.engine.stamp(&s.tenant).0)
    };
    let req = FollowUpRequest {
        kind,
        original_id: t.id.clone(),
        merchant_transaction_id: mtid.clone(),
        amount,
        disable_customer_recovery: false,
        reason,
    };
    match st.engine.follow_up(&s.tenant, req).await {
        Err(e) => engine_failure(e),
        Ok(Ok(n)) if n.code.is_approved() || n.pending => {
            let msg = if n.pending { "follow-up-pending" } else { done };
            Redirect::to(&format!("/portal/transactions/{}?msg={msg}", n.id)).into_response()
        }
        Ok(Ok(n)) => {
            let why = html! {
                "The " (noun) " was refused: " (n.code.0) " " (n.code.message()) ". "
                a href={ "/portal/transactions/" (n.id) } { "The refused " (noun) }
                " is listed under Related."
            };
            transaction_page(&st, &s, &id, Notice::Refused(StatusCode::CONFLICT, why)).await
        }
        Ok(Err(r)) if r.code == openflex_domain::codes::ResponseCode::MTID_TAKEN => {
            match st.engine.transaction_by_mtid(&s.tenant, &mtid).await {
                Ok(n) if n.original_id.as_deref() == Some(t.id.as_str()) => {
                    Redirect::to(&format!("/portal/transactions/{}", n.id)).into_response()
                }
                Ok(_) | Err(openflex_engine::EngineError::NotFound) => {
                    let why = format!("The {noun} was refused: {}.", r.detail);
                    refuse(StatusCode::CONFLICT, why).await
                }
                Err(e) => engine_failure(e),
            }
        }
        Ok(Err(r)) => {
            let why = format!("The {noun} was refused: {}.", r.detail);
            refuse(StatusCode::CONFLICT, why).await
        }
    }
}

/// The confirmation step, stating the action, the amount and the transaction.
fn ask_follow_up(
    s: &PortalSession,
    t: &Transaction,
    kind: FollowUpKind,
    typed: &str,
    amount: i64,
    reason: Option<&str>,
    mtid: &str,
) -> Response {
    let back = format!("/portal/transactions/{}", t.id);
    let post = format!("/portal/transactions/{}/{}", t.id, words(kind).0);
    let of = html! {
        "the " (t.txn_type.as_str().to_lowercase()) " " code { (t.id) }
        " of " (in_currency(t, t.amount))
        @if let Some(m) = &t.merchant_transaction_id { " (merchantTransactionId " code { (m) } ")" }
    };
    let (title, what, button) = match kind {
        FollowUpKind::Capture => (
            "Capture this authorization?",
            html! {
                p { strong { (in_currency(t, amount)) } " of " (of) " will be captured." }
                p { "An authorization is captured once: what is not captured now is released." }
            },
            "Capture",
        ),
        FollowUpKind::Void => (
            "Void this transaction?",
            html! {
                p { (of) " will be voided: " strong { (in_currency(t, t.amount)) } " is not taken from the payer." }
                p { "A void cannot be undone." }
            },
            "Void",
        ),
        FollowUpKind::Refund => (
            "Refund this transaction?",
            html! {
                p { strong { (in_currency(t, amount)) } " of " (of) " will be refunded to the payer." }
                p {
                    "Refunded so far " (in_currency(t, t.refunded_amount)) ". A refund cannot be undone."
                    @if let Some(r) = reason { " Reason: " (r) }
                }
            },
            "Refund",
        ),
    };
    let mut fields = vec![("mtid", mtid)];
    if kind != FollowUpKind::Void {
        fields.push(("amount", typed.trim()));
    }
    if let Some(r) = reason {
        fields.push(("reason", r));
    }
    ask(
        s,
        Ask {
            section: "transactions",
            title,
            what,
            action: &post,
            fields: &fields,
            button,
            back: &back,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::minted;

    #[test]
    fn only_minted_ids_are_reused() {
        assert!(minted("portal-01JABCDEF"));
        assert!(!minted("portal-"));
        assert!(!minted("someone-else"));
        assert!(!minted("portal-a b"));
        assert!(!minted(&format!("portal-{}", "a".repeat(60))));
    }
}
