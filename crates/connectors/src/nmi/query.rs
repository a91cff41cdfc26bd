//! Learning the outcome of a lost call from NMI's Query API.
//!
//! `transact.php` has no idempotency key, so a lost call is never replayed: the connector asks
//! `query.php` what the gateway recorded instead. Sales, authorizations and refunds each create
//! a transaction of their own and carry our attempt id as `orderid`, so the lookup is
//! `order_id=<reference>`; a capture or void acts on the authorization's own transaction (at
//! most once each), so it is looked up by that `transaction_id`. Each operation is recognised by its own `<action>` (`sale`, `auth`,
//! `capture`, `void`, `refund`) and that action's `success` decides; `condition` is read only to
//! notice a transaction NMI itself has not finished (`unknown`, `in_progress`).

use super::answer::{avs, code_of, cvv, non_empty};
use super::wire::QueriedTxn;
use openflex_domain::codes::ResponseCode;
use openflex_domain::money::decimal_to_minor;
use openflex_engine::connector::{ConnectorResult, Operation, Outcome};

/// What the query found for one of our operations.
pub enum Found {
    /// The gateway decided: approved or refused.
    Decided(ConnectorResult),
    /// The gateway has the transaction but has not finished it.
    Pending,
    /// No record of the operation: it never happened.
    Nothing,
}

/// The NMI action types that stand for `op`.
fn action_types(op: Operation) -> &'static [&'static str] {
    match op {
        Operation::Sale => &["sale"],
        Operation::Authorize => &["auth"],
        Operation::Capture => &["capture"],
        Operation::Void => &["void"],
        Operation::Refund => &["refund"],
    }
}

/// Decides from the queried transactions. `order_id` is our reference when the lookup was by
/// order id (transactions under another order id are ignored, should the gateway return more);
/// `amount` (minor units, `exponent` decimals) tells our capture or refund from another; NMI
/// shows action amounts as decimals, compared by value.
pub fn decide(
    op: Operation,
    txns: &[QueriedTxn],
    order_id: Option<&str>,
    transaction_id: Option<&str>,
    amount: i64,
    exponent: u32,
) -> Found {
    let ours = txns.iter().filter(|t| {
        order_id.is_none_or(|o| t.get("order_id") == o)
            && transaction_id.is_none_or(|id| t.get("transaction_id") == id)
    });
    let wanted = action_types(op);
    let mut declined: Option<ConnectorResult> = None;
    let mut pending = false;
    for t in ours {
        let matching = t.actions.iter().filter(|a| {
            a.get("action_type")
                .is_some_and(|k| wanted.contains(&k.as_str()))
                && (op.is_payment()
                    || op == Operation::Void
                    || a.get("amount")
                        .is_none_or(|a| decimal_to_minor(a, exponent) == Ok(amount)))
        });
        let mut any = false;
        for a in matching {
            any = true;
            let success = a.get("success").map(String::as_str) == Some("1");
            let result = from_action(t, a, success, op);
            if success {
                return Found::Decided(result);
            }
            declined = Some(result);
        }
        if !any && matches!(t.get("condition"), "unknown" | "in_progress") {
            pending = true;
        }
    }
    match (declined, pending) {
        (_, true) => Found::Pending,
        (Some(r), false) => Found::Decided(r),
        (None, false) => Found::Nothing,
    }
}

fn from_action(
    t: &QueriedTxn,
    a: &std::collections::HashMap<String, String>,
    success: bool,
    op: Operation,
) -> ConnectorResult {
    let field = |k: &str| a.get(k).map(String::as_str).unwrap_or("");
    let response = if success { "1" } else { "2" };
    let code: ResponseCode = code_of(response, field("response_code"), field("response_text"));
    let (avs_code, avs_message) = if op.is_payment() {
        avs(t.get("avs_response")).unzip()
    } else {
        (None, None)
    };
    let (cvv_code, cvv_message) = if op.is_payment() {
        cvv(t.get("csc_response")).unzip()
    } else {
        (None, None)
    };
    ConnectorResult {
        outcome: Outcome::Decided,
        code,
        avs_code,
        avs_message,
        cvv_code,
        cvv_message,
        gateway_transaction_id: non_empty(t.get("transaction_id")),
        gateway_code: non_empty(field("response_code")).or_else(|| Some(response.to_string())),
        gateway_message: non_empty(field("response_text")),
        network_transaction_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn txn(id: &str, order: &str, condition: &str, actions: &[(&str, &str, &str)]) -> QueriedTxn {
        QueriedTxn {
            fields: HashMap::from([
                ("transaction_id".to_string(), id.to_string()),
                ("order_id".to_string(), order.to_string()),
                ("condition".to_string(), condition.to_string()),
            ]),
            actions: actions
                .iter()
                .map(|(k, amount, success)| {
                    HashMap::from([
                        ("action_type".to_string(), k.to_string()),
                        ("amount".to_string(), amount.to_string()),
                        ("success".to_string(), success.to_string()),
                    ])
                })
                .collect(),
        }
    }

    #[test]
    fn the_matching_action_decides() {
        let t = [txn(
            "7",
            "ref",
            "pendingsettlement",
            &[("sale", "5.00", "1")],
        )];
        let Found::Decided(r) = decide(Operation::Sale, &t, Some("ref"), None, 500, 2) else {
            panic!("decided")
        };
        assert!(r.code.is_approved());
        assert_eq!(r.gateway_transaction_id.as_deref(), Some("7"));
        let t = [txn("8", "ref", "failed", &[("sale", "0.50", "0")])];
        let Found::Decided(r) = decide(Operation::Sale, &t, Some("ref"), None, 50, 2) else {
            panic!("decided")
        };
        assert!(!r.code.is_approved());
        assert!(matches!(
            decide(Operation::Sale, &t, Some("other"), None, 50, 2),
            Found::Nothing
        ));
        let t = [txn("9", "ref", "unknown", &[])];
        assert!(matches!(
            decide(Operation::Sale, &t, Some("ref"), None, 100, 2),
            Found::Pending
        ));
        let t = [txn(
            "9",
            "",
            "pending",
            &[("auth", "10.00", "1"), ("capture", "4.00", "1")],
        )];
        assert!(matches!(
            decide(Operation::Capture, &t, None, Some("9"), 400, 2),
            Found::Decided(_)
        ));
        assert!(matches!(
            decide(Operation::Void, &t, None, Some("9"), 1000, 2),
            Found::Nothing
        ));
    }
}
