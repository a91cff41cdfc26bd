//! Payments (sale, auth) and follow-ups (capture, void, refund) against the double's book.

use super::rules::{card_ok, decimal, outcome, parse_amount};
use super::*;

pub(super) fn payment(
    control: &Control,
    nmi: &Nmi,
    f: &[(String, String)],
    refid: u64,
) -> Response {
    let kind: &'static str = if get(f, "type") == "sale" {
        "sale"
    } else {
        "auth"
    };
    let orderid = get(f, "orderid");
    check_known(control, f, &[COMMON, PAYMENT], kind);
    let Some(amount) = parse_amount(get(f, "amount")) else {
        control.violation(format!("nmi {kind}: amount missing or malformed"));
        return error("Invalid amount", orderid, kind, refid);
    };
    let currency = get(f, "currency");
    let iso = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
    if !currency.is_empty() && !iso {
        control.violation(format!("nmi {kind}: currency {currency:?} is not ISO 4217"));
        return error("Invalid Currency", orderid, kind, refid);
    }
    let vault_id = get(f, "customer_vault_id");
    let (cc, exp) = if vault_id.is_empty() {
        (get(f, "ccnumber").to_string(), get(f, "ccexp").to_string())
    } else {
        match nmi.book().vault.get(vault_id) {
            Some(c) => c.clone(),
            None => {
                control.violation(format!("nmi {kind}: unknown customer_vault_id"));
                return error("Invalid Customer Vault Id", orderid, kind, refid);
            }
        }
    };
    if vault_id.is_empty() && !matches!(get(f, "payment"), "" | "creditcard") {
        control.violation(format!("nmi {kind}: payment must be creditcard"));
    }
    if !card_ok(&cc, &exp) {
        control.violation(format!("nmi {kind}: card number or ccexp (MMYY) invalid"));
        return error("Invalid Credit Card Number", orderid, kind, refid);
    }
    let (by, indicator) = (
        get(f, "initiated_by"),
        get(f, "stored_credential_indicator"),
    );
    let initial = get(f, "initial_transaction_id");
    if !matches!(by, "" | "customer" | "merchant") || !matches!(indicator, "" | "stored" | "used") {
        control.violation(format!(
            "nmi {kind}: bad initiated_by / stored_credential_indicator"
        ));
        return error("Invalid stored credential values", orderid, kind, refid);
    }
    if by.is_empty() != indicator.is_empty() {
        control.violation(format!(
            "nmi {kind}: initiated_by and stored_credential_indicator go together"
        ));
    }
    if by == "merchant" && indicator == "used" {
        let known = nmi
            .book()
            .txns
            .iter()
            .any(|t| t.id == initial && t.actions.first().is_some_and(|a| a.success));
        if !known {
            control.violation(format!(
                "nmi {kind}: MIT without a known initial_transaction_id"
            ));
            return error("Invalid initial_transaction_id", orderid, kind, refid);
        }
    } else if !initial.is_empty() {
        control.violation(format!(
            "nmi {kind}: initial_transaction_id only goes with a subsequent MIT"
        ));
    }
    let (response, code, text) = outcome(amount);
    if response == 3 {
        return Reply {
            response,
            text: format!("{text} REFID:{}", 3161855545 + refid),
            authcode: "",
            id: "",
            avs: "",
            cvv: "",
            orderid,
            kind,
            code: code.into(),
            vault: None,
        }
        .into_response();
    }
    let zip_ok = get(f, "zip") == "77777";
    let avs = match (get(f, "address1") == "888", zip_ok) {
        (true, true) => "Y",
        (false, true) => "Z",
        _ => "N",
    };
    let cvv = match get(f, "cvv") {
        "" => "",
        "999" => "M",
        _ => "N",
    };
    let approved = response == 1;
    let mut b = nmi.book();
    let id = format!("{}", 2762757839 + refid);
    let authcode = if approved { "123456" } else { "" };
    b.txns.push(Txn {
        id: id.clone(),
        order_id: orderid.to_string(),
        kind,
        condition: match (approved, kind) {
            (false, _) => "failed",
            (true, "sale") => "pendingsettlement",
            (true, _) => "pending",
        },
        amount,
        captured: if approved && kind == "sale" {
            amount
        } else {
            0
        },
        refunded: 0,
        currency: if currency.is_empty() {
            "USD".into()
        } else {
            currency.into()
        },
        avs: avs.into(),
        cvv: cvv.into(),
        authcode: authcode.into(),
        original: None,
        actions: vec![Action {
            kind,
            amount: decimal(amount),
            success: approved,
            text: text.into(),
            code: code.into(),
        }],
    });
    drop(b);
    Reply {
        response,
        text: text.into(),
        authcode,
        id: &id,
        avs,
        cvv,
        orderid,
        kind,
        code: code.into(),
        vault: None,
    }
    .into_response()
}

pub(super) fn follow_up(
    control: &Control,
    nmi: &Nmi,
    f: &[(String, String)],
    refid: u64,
) -> Response {
    let kind: &'static str = match get(f, "type") {
        "capture" => "capture",
        "void" => "void",
        _ => "refund",
    };
    let allowed = match kind {
        "capture" => CAPTURE,
        "void" => VOID,
        _ => REFUND,
    };
    check_known(control, f, &[COMMON, allowed], kind);
    let orderid = get(f, "orderid");
    let txid = get(f, "transactionid");
    let raw_amount = get(f, "amount");
    let amount = if raw_amount.is_empty() {
        None
    } else {
        parse_amount(raw_amount)
    };
    if !raw_amount.is_empty() && amount.is_none() {
        control.violation(format!("nmi {kind}: amount malformed"));
        return error("Invalid amount", orderid, kind, refid);
    }
    let mut b = nmi.book();
    let Some(at) = b
        .txns
        .iter()
        .position(|t| t.id == txid && t.kind != "refund")
    else {
        drop(b);
        return error("Invalid Transaction ID specified", orderid, kind, refid);
    };
    let t = &mut b.txns[at];
    let ok = |t: &mut Txn, amount: i64, text: &str| {
        t.actions.push(Action {
            kind,
            amount: decimal(amount),
            success: true,
            text: text.into(),
            code: "100".into(),
        });
    };
    match kind {
        "capture" => {
            let amount = amount.unwrap_or(t.amount);
            if t.kind != "auth" || t.condition != "pending" {
                drop(b);
                return error(
                    "A capture requires that the existing transaction be an AUTH",
                    orderid,
                    kind,
                    refid,
                );
            }
            if amount > t.amount || amount <= 0 {
                drop(b);
                return error(
                    "The specified amount exceeds the authorization amount",
                    orderid,
                    kind,
                    refid,
                );
            }
            t.captured = amount;
            t.condition = "pendingsettlement";
            ok(t, amount, "SUCCESS");
            let (id, avs, authcode) = (t.id.clone(), t.avs.clone(), t.authcode.clone());
            drop(b);
            Reply {
                response: 1,
                text: "SUCCESS".into(),
                authcode: &authcode,
                id: &id,
                avs: &avs,
                cvv: "",
                orderid: "",
                kind,
                code: "100".into(),
                vault: None,
            }
            .into_response()
        }
        "void" => {
            if !matches!(t.condition, "pending" | "pendingsettlement") || t.refunded > 0 {
                drop(b);
                return error(
                    "Only transactions pending settlement can be voided",
                    "",
                    kind,
                    refid,
                );
            }
            t.condition = "canceled";
            let amount = t.amount;
            ok(t, amount, "Transaction Void Successful");
            let (id, authcode, order) = (t.id.clone(), t.authcode.clone(), t.order_id.clone());
            drop(b);
            Reply {
                response: 1,
                text: "Transaction Void Successful".into(),
                authcode: &authcode,
                id: &id,
                avs: "",
                cvv: "",
                orderid: &order,
                kind,
                code: "100".into(),
                vault: None,
            }
            .into_response()
        }
        _ => {
            let balance = t.captured - t.refunded;
            let amount = amount.unwrap_or(balance);
            if t.condition != "pendingsettlement" || amount <= 0 || amount > balance {
                drop(b);
                return error(
                    "Refund amount may not exceed the transaction balance",
                    orderid,
                    kind,
                    refid,
                );
            }
            t.refunded += amount;
            let (original, currency) = (t.id.clone(), t.currency.clone());
            let id = format!("{}", 2762823772 + refid);
            b.txns.push(Txn {
                id: id.clone(),
                order_id: orderid.to_string(),
                kind: "refund",
                condition: "pendingsettlement",
                amount,
                captured: 0,
                refunded: 0,
                currency,
                avs: String::new(),
                cvv: String::new(),
                authcode: String::new(),
                original: Some(original),
                actions: vec![Action {
                    kind: "refund",
                    amount: decimal(amount),
                    success: true,
                    text: "SUCCESS".into(),
                    code: "100".into(),
                }],
            });
            drop(b);
            Reply {
                response: 1,
                text: "SUCCESS".into(),
                authcode: "",
                id: &id,
                avs: "",
                cvv: "",
                orderid: "",
                kind,
                code: "100".into(),
                vault: None,
            }
            .into_response()
        }
    }
}
