//! The Transaction Details API: `getTransactionDetailsRequest` and
//! `getUnsettledTransactionListRequest` (newest first when sorted by `submitTimeUTC`
//! descending, pages of at most 1000 numbered from 1).

use super::schema::Node;
use super::transactions::decimal;
use super::{App, Txn, messages};
use serde_json::{Value, json};

/// Statuses still in the open batch.
const UNSETTLED: &[&str] = &[
    "authorizedPendingCapture",
    "capturedPendingSettlement",
    "refundPendingSettlement",
    "declined",
    "voided",
];

fn submit_time(t: &Txn) -> String {
    format!(
        "2026-11-30T{:02}:{:02}:{:02}.000Z",
        (t.seq / 3600) % 24,
        (t.seq / 60) % 60,
        t.seq % 60
    )
}

fn amount(minor: i64) -> Value {
    decimal(minor)
        .parse::<f64>()
        .map(Value::from)
        .unwrap_or(Value::Null)
}

fn transaction(t: &Txn) -> Value {
    let mut v = json!({
        "transId": t.id,
        "submitTimeUTC": submit_time(t),
        "submitTimeLocal": submit_time(t).trim_end_matches('Z'),
        "transactionType": t.kind,
        "transactionStatus": t.status,
        "responseCode": t.response_code,
        "responseReasonCode": t.reason,
        "responseReasonDescription": if t.response_code == 1 { "Approval" } else { "Declined" },
        "authCode": t.auth_code,
        "AVSResponse": t.avs,
        "cardCodeResponse": t.cvv,
        "authAmount": amount(t.auth_amount),
        "settleAmount": amount(t.settle_amount),
        "taxExempt": false,
        "payment": {"creditCard": {"cardNumber": format!("XXXX{}", t.last4), "expirationDate": "XXXX", "cardType": "Visa"}},
        "recurringBilling": false,
        "product": "Card Not Present",
        "marketType": "eCommerce",
    });
    if let Some(inv) = &t.invoice {
        v["order"] = json!({"invoiceNumber": inv});
    }
    if let Some(r) = &t.ref_trans_id {
        v["refTransId"] = json!(r);
    }
    if let Some(n) = &t.network_trans_id {
        v["networkTransId"] = json!(n);
    }
    v
}

pub(super) fn details(app: &App, req: &Node) -> Value {
    let Some(id) = req.text_at("transId") else {
        app.control.violation("transId is required");
        return json!({"messages": messages(false, "E00003", "transId is required.")});
    };
    let book = app.ledger.lock();
    match book.txns.iter().find(|t| t.id == id) {
        Some(t) => {
            json!({"transaction": transaction(t), "messages": messages(true, "I00001", "Successful.")})
        }
        None => json!({"messages": messages(false, "E00040", "The record cannot be found.")}),
    }
}

pub(super) fn unsettled(app: &App, req: &Node) -> Value {
    let limit = req
        .text_at("paging/limit")
        .and_then(|l| l.parse::<usize>().ok());
    let offset = req
        .text_at("paging/offset")
        .and_then(|o| o.parse::<usize>().ok());
    let (limit, offset) = match (limit, offset) {
        (None, None) if req.get("paging").is_none() => (1000, 1),
        (Some(l @ 1..=1000), Some(o @ 1..)) => (l, o),
        _ => {
            app.control
                .violation("paging needs limit 1-1000 and offset from 1");
            return json!({"messages": messages(false, "E00003", "paging is invalid.")});
        }
    };
    let descending = req.text_at("sorting/orderDescending").as_deref() == Some("true");
    let book = app.ledger.lock();
    let mut open: Vec<&Txn> = book
        .txns
        .iter()
        .filter(|t| UNSETTLED.contains(&t.status.as_str()))
        .collect();
    if descending {
        open.reverse();
    }
    let total = open.len();
    let page: Vec<Value> = open
        .into_iter()
        .skip((offset - 1) * limit)
        .take(limit)
        .map(|t| {
            let mut item = json!({
                "transId": t.id,
                "submitTimeUTC": submit_time(t),
                "submitTimeLocal": submit_time(t).trim_end_matches('Z'),
                "transactionStatus": t.status,
                "accountType": "Visa",
                "accountNumber": format!("XXXX{}", t.last4),
                "settleAmount": amount(t.settle_amount.max(t.auth_amount)),
                "marketType": "eCommerce",
                "product": "Card Not Present",
            });
            if let Some(inv) = &t.invoice {
                item["invoiceNumber"] = json!(inv);
            }
            if let Some(n) = &t.first_name {
                item["firstName"] = json!(n);
            }
            if let Some(n) = &t.last_name {
                item["lastName"] = json!(n);
            }
            item
        })
        .collect();
    if page.is_empty() {
        return json!({"messages": messages(true, "I00004", "No records found.")});
    }
    json!({"transactions": page, "totalNumInResultSet": total, "messages": messages(true, "I00001", "Successful.")})
}
