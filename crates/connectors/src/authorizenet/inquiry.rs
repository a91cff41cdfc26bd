//! Learning what Authorize.net did with an attempt whose answer was lost. The gateway has no
//! idempotency key, and resending a payment to provoke its duplicate check (reason 11) would
//! charge the card if the first one never arrived, so an inquiry only reads:
//! - a sale, authorization or refund is looked up by its invoice number (our short reference)
//!   in `getUnsettledTransactionList`, newest first, then read in full with
//!   `getTransactionDetails` (the list does not carry AVS, card-code or network ids);
//! - a capture or void keeps the authorization's transId, so that transaction's status says
//!   whether it happened.
//!
//! Not in the unsettled list means never received: an inquiry runs minutes after the lost
//! answer, long before the nightly settlement moves a transaction out of that list. Each call
//! needs the Transaction Details API enabled on the account (E00011 otherwise), and that error
//! leaves the outcome unknown rather than guessing.

use super::answer::{self, text};
use super::request::*;
use super::{AuthorizeNetConnector, Called, Settings, short_reference};
use crate::wire;
use openflex_domain::codes::ResponseCode;
use openflex_engine::connector::{ConnectorResult, Operation};
use serde_json::Value;

/// Statuses of a captured payment not yet settled: refunds are refused, voids still work.
pub const UNSETTLED_CAPTURE: &[&str] = &["capturedPendingSettlement"];

/// Statuses in which a prior-auth capture has happened.
const CAPTURED: &[&str] = &[
    "capturedPendingSettlement",
    "settledSuccessfully",
    "pendingFinalSettlement",
    "pendingSettlement",
    "refundPendingSettlement",
    "refundSettledSuccessfully",
];

/// Page size of the list call (its maximum) and how many pages an inquiry reads.
const PAGE: u32 = 1000;
const PAGES: u32 = 5;

pub struct Found {
    pub transaction: Value,
    pub status: String,
    pub settle_amount: Option<String>,
    pub last_four: Option<String>,
}

pub enum Details {
    Found(Found),
    /// The gateway has no such transaction (E00040): a decided refusal.
    Missing(ConnectorResult),
    /// The read itself failed (not sent, lost, refused for another reason).
    Failed(ConnectorResult),
}

pub async fn details(c: &AuthorizeNetConnector, s: &Settings, trans_id: &str) -> Details {
    let body = GetTransactionDetails {
        request: GetTransactionDetailsRequest {
            merchant_authentication: s.auth(),
            trans_id,
        },
    };
    let v = match c.call(s, &body).await {
        Called::Done(r) => return Details::Failed(r),
        Called::Body(v) => v,
    };
    let env = answer::envelope(&v);
    if !env.ok {
        let refused = answer::refused_call(&env);
        return if env.code.as_deref() == Some("E00040") {
            Details::Missing(refused)
        } else {
            Details::Failed(refused)
        };
    }
    let t = v.get("transaction").cloned().unwrap_or(Value::Null);
    let card_number = text(t.pointer("/payment/creditCard/cardNumber"));
    Details::Found(Found {
        status: text(t.get("transactionStatus")).unwrap_or_default(),
        settle_amount: text(t.get("settleAmount")),
        last_four: card_number
            .filter(|n| n.len() >= 4)
            .map(|n| n[n.len() - 4..].to_string())
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit())),
        transaction: t,
    })
}

/// The outcome of a sale, authorization or refund, found by its invoice number. A refund
/// that was sent as a void (full refund of an unsettled payment) is found on `original`.
pub async fn by_invoice(
    c: &AuthorizeNetConnector,
    s: &Settings,
    reference: &str,
    original: Option<&str>,
) -> ConnectorResult {
    let invoice = short_reference(reference);
    let mut exhausted = false;
    let mut hit = None;
    for page in 1..=PAGES {
        let body = GetUnsettledTransactionList {
            request: GetUnsettledTransactionListRequest {
                merchant_authentication: s.auth(),
                sorting: Sorting {
                    order_by: "submitTimeUTC",
                    order_descending: true,
                },
                paging: Paging {
                    limit: PAGE,
                    offset: page,
                },
            },
        };
        let v = match c.call(s, &body).await {
            Called::Done(r) => return still_unknown(r),
            Called::Body(v) => v,
        };
        let env = answer::envelope(&v);
        if !env.ok {
            return still_unknown(answer::refused_call(&env));
        }
        let items = match v.get("transactions") {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        hit = items
            .iter()
            .find(|t| text(t.get("invoiceNumber")).as_deref() == Some(invoice.as_str()))
            .and_then(|t| text(t.get("transId")));
        if hit.is_some() {
            break;
        }
        if items.len() < PAGE as usize {
            exhausted = true;
            break;
        }
    }
    if let Some(trans_id) = hit {
        return match details(c, s, &trans_id).await {
            Details::Found(f) => answer::result(answer::details(&f.transaction)),
            Details::Missing(r) | Details::Failed(r) => still_unknown(r),
        };
    }
    if !exhausted {
        return ConnectorResult::unknown(format!(
            "invoice {invoice} not among the newest unsettled authorizenet transactions"
        ));
    }
    if let Some(original) = original {
        match details(c, s, original).await {
            Details::Found(f) if f.status == "voided" => {
                return approved(original, "voided");
            }
            Details::Found(_) | Details::Missing(_) => {}
            Details::Failed(r) => return still_unknown(r),
        }
    }
    wire::not_sent(format!(
        "authorizenet has no transaction with invoice number {invoice}"
    ))
}

/// The outcome of a capture or void, read from the authorization's status.
pub async fn follow_up(
    c: &AuthorizeNetConnector,
    s: &Settings,
    operation: Operation,
    original: &str,
) -> ConnectorResult {
    let found = match details(c, s, original).await {
        Details::Found(f) => f,
        Details::Missing(r) => return r,
        Details::Failed(r) => return still_unknown(r),
    };
    let done = match operation {
        Operation::Capture => CAPTURED.contains(&found.status.as_str()),
        _ => found.status == "voided",
    };
    if done {
        approved(original, &found.status)
    } else {
        wire::not_sent(format!(
            "the authorizenet {} did not happen: the transaction is {}",
            operation.as_str(),
            found.status
        ))
    }
}

fn approved(trans_id: &str, status: &str) -> ConnectorResult {
    ConnectorResult {
        gateway_transaction_id: Some(trans_id.to_string()),
        gateway_code: Some(status.to_string()),
        ..ConnectorResult::refused(ResponseCode::APPROVED)
    }
}

/// A lookup that did not answer leaves the attempt's outcome unknown.
fn still_unknown(r: ConnectorResult) -> ConnectorResult {
    let why = r
        .gateway_message
        .unwrap_or_else(|| "the authorizenet lookup failed".into());
    ConnectorResult::unknown(format!("inquiry: {why}"))
}
