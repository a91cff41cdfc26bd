//! A double of NMI's Payment API (`POST /transact.php`, form-encoded both ways) and Query API
//! (`POST /query.php`, form in, XML out), answering with bodies shaped like the captured
//! ActiveMerchant transcripts (`response=1&responsetext=SUCCESS&authcode=123456&…`).
//!
//! **Checks.** Every request must be `application/x-www-form-urlencoded` and carry the double's
//! [`SECURITY_KEY`] (otherwise `Authentication Failed`, as NMI answers). Variables outside the
//! documented set of an operation are recorded as violations (NMI itself ignores them, so the
//! answer is unaffected: a typo would silently drop data). Missing or malformed required
//! variables are violations answered `response=3` / `response_code=300`, with NMI's texts where
//! the transcripts show them (`Invalid Credit Card Number`, `Invalid Transaction ID specified`,
//! `Only transactions pending settlement can be voided`, each with a `REFID:`).
//! Merchant-initiated payments (`initiated_by=merchant&stored_credential_indicator=used`) must
//! name an `initial_transaction_id` the double approved.
//!
//! **Outcomes** (deterministic; NMI test mode approves every valid card, e.g. `4111111111111111`
//! exp `10/25`, and declines amounts under 1.00):
//! - amount ≥ 1.00: approved (`response=1`, `response_code=100`), except 4.00–4.61 below;
//! - amount under 1.00: declined (`response=2`); the cents pick the `response_code` 2xx when NMI
//!   publishes one (0.02 → 202 insufficient funds, 0.01 → 201 do not honor, 0.50/0.51/0.52/0.53
//!   → 250 pick up / 251 lost / 252 stolen / 253 fraud, 0.23 → 223 expired, 0.25 → 225 CVV,
//!   0.21 → 221 no such issuer, …), any other cents → 200 `DECLINE`;
//! - amounts 4.00–4.61 whose cents are a published 4xx code: `response=3` with `response_code`
//!   4xx (4.00 → 400 processor error, 4.20/4.21 → 420/421 issuer communication error, 4.10 →
//!   410 merchant configuration, …);
//! - a card number failing the Luhn check: `response=3`, `Invalid Credit Card Number`, 300.
//!
//! The cents conventions are this double's own (NMI documents only "under 1.00 declines"); AVS is
//! `Y` for `address1=888` + `zip=77777`, `Z` for that ZIP alone, else `N`; CVV `999` gives `M`,
//! any other `N` (NMI's test-mode conventions, as third parties report them).
//!
//! **State.** Transactions by id with their actions (sale, auth, capture, void, refund); a
//! capture or void acts on its authorization's transaction, a refund is a transaction of its own
//! under the `orderid` it was sent with, as NMI's Query API shows them. Customer vault records
//! (`customer_vault=add_customer`) can be charged by `customer_vault_id`. Refunds are allowed
//! before settlement (the double never settles) up to the captured amount; there is no
//! duplicate-transaction window.

use crate::{Control, Double, serve};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The only `security_key` the double accepts.
pub const SECURITY_KEY: &str = "nmi-double-security-key-0123456789";

/// The double's state, for tests.
#[derive(Clone, Default)]
pub struct Nmi(Arc<Mutex<Book>>);

#[derive(Default)]
struct Book {
    next_id: u64,
    txns: Vec<Txn>,
    vault: HashMap<String, (String, String)>,
}

#[derive(Debug, Clone)]
struct Txn {
    id: String,
    order_id: String,
    /// `sale`, `auth` or `refund`.
    kind: &'static str,
    condition: &'static str,
    /// Thousandths of the currency unit.
    amount: i64,
    captured: i64,
    refunded: i64,
    currency: String,
    avs: String,
    cvv: String,
    authcode: String,
    original: Option<String>,
    actions: Vec<Action>,
}

#[derive(Debug, Clone)]
struct Action {
    kind: &'static str,
    amount: String,
    success: bool,
    text: String,
    code: String,
}

/// What a test may read about one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnView {
    pub id: String,
    pub order_id: String,
    pub kind: String,
    pub condition: String,
    /// Decimal amounts as NMI shows them.
    pub amount: String,
    pub captured: String,
    pub refunded: String,
}

impl Nmi {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sales and authorizations the double holds (approved or declined).
    pub fn payments(&self) -> usize {
        self.book()
            .txns
            .iter()
            .filter(|t| t.kind != "refund")
            .count()
    }

    pub fn transaction(&self, id: &str) -> Option<TxnView> {
        self.book()
            .txns
            .iter()
            .find(|t| t.id == id)
            .map(|t| TxnView {
                id: t.id.clone(),
                order_id: t.order_id.clone(),
                kind: t.kind.to_string(),
                condition: t.condition.to_string(),
                amount: decimal(t.amount),
                captured: decimal(t.captured),
                refunded: decimal(t.refunded),
            })
    }

    /// Adds a customer vault record (as `customer_vault=add_customer` does) and returns its id.
    pub fn add_vault_customer(&self, ccnumber: &str, ccexp: &str) -> String {
        let mut b = self.book();
        b.next_id += 1;
        let id = format!("{}", 256806849 + b.next_id);
        b.vault
            .insert(id.clone(), (ccnumber.to_string(), ccexp.to_string()));
        id
    }
}

/// Starts the double.
pub async fn spawn() -> Double {
    spawn_with_state().await.0
}

/// Starts the double and returns a handle on its state.
pub async fn spawn_with_state() -> (Double, Nmi) {
    let control = Control::default();
    let nmi = Nmi::default();
    let router = Router::new()
        .route("/transact.php", post(transact))
        .route("/query.php", post(query))
        .with_state((control.clone(), nmi.clone()));
    (serve(router, control).await, nmi)
}

type St = State<(Control, Nmi)>;

const COMMON: &[&str] = &["security_key", "type", "username", "password"];
const PAYMENT: &[&str] = &[
    "amount",
    "currency",
    "orderid",
    "orderdescription",
    "payment",
    "ccnumber",
    "ccexp",
    "cvv",
    "customer_vault_id",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "company",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "email",
    "ipaddress",
    "customer_id",
    "initiated_by",
    "stored_credential_indicator",
    "initial_transaction_id",
    "billing_method",
    "dup_seconds",
    "processor_id",
    "tax",
    "ponumber",
    "customer_vault",
];
const CAPTURE: &[&str] = &[
    "transactionid",
    "amount",
    "orderid",
    "currency",
    "tracking_number",
    "shipping_carrier",
];
const VOID: &[&str] = &["transactionid", "payment", "void_reason"];
const REFUND: &[&str] = &["transactionid", "amount", "orderid", "currency", "payment"];
const QUERY: &[&str] = &[
    "security_key",
    "order_id",
    "transaction_id",
    "condition",
    "action_type",
    "start_date",
    "end_date",
    "report_type",
    "username",
    "password",
];

fn form(control: &Control, headers: &HeaderMap, body: &str) -> Vec<(String, String)> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        control.violation(format!("nmi: content-type {ct:?} is not a form"));
    }
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn check_known(control: &Control, f: &[(String, String)], allowed: &[&[&str]], what: &str) {
    for (k, _) in f {
        if !allowed.iter().any(|set| set.contains(&k.as_str())) {
            control.violation(format!("nmi {what}: undocumented variable {k}"));
        }
    }
}

/// A `transact.php` answer, in the transcripts' order.
struct Reply<'a> {
    response: u8,
    text: String,
    authcode: &'a str,
    id: &'a str,
    avs: &'a str,
    cvv: &'a str,
    orderid: &'a str,
    kind: &'a str,
    code: String,
    vault: Option<&'a str>,
}

impl Reply<'_> {
    fn into_response(self) -> Response {
        let esc = |s: &str| {
            s.replace('%', "%25")
                .replace('&', "%26")
                .replace('=', "%3D")
        };
        let mut body = format!(
            "response={}&responsetext={}&authcode={}&transactionid={}&avsresponse={}&cvvresponse={}&orderid={}&type={}&response_code={}",
            self.response,
            esc(&self.text),
            esc(self.authcode),
            esc(self.id),
            esc(self.avs),
            esc(self.cvv),
            esc(self.orderid),
            esc(self.kind),
            esc(&self.code),
        );
        if let Some(v) = self.vault {
            body.push_str(&format!("&customer_vault_id={}", esc(v)));
        }
        ([("content-type", "text/html; charset=UTF-8")], body).into_response()
    }
}

fn error(text: &str, orderid: &str, kind: &str, refid: u64) -> Response {
    let text = format!("{text} REFID:{}", 3161855545 + refid);
    Reply {
        response: 3,
        text,
        authcode: "",
        id: "",
        avs: "",
        cvv: "",
        orderid,
        kind,
        code: "300".into(),
        vault: None,
    }
    .into_response()
}

/// `12.34` → thousandths; `None` when not a plain decimal amount.
fn parse_amount(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 12 || frac.len() > 3 {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f = frac.to_string();
    while f.len() < 3 {
        f.push('0');
    }
    Some(int.parse::<i64>().ok()? * 1000 + f.parse::<i64>().ok()?)
}

fn decimal(thousandths: i64) -> String {
    format!("{}.{:02}", thousandths / 1000, (thousandths % 1000) / 10)
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The outcome the double's conventions give an amount (see the module doc).
fn outcome(amount: i64) -> (u8, &'static str, &'static str) {
    let cents = (amount % 1000) / 10;
    if amount < 1000 {
        let (code, text) = match cents {
            1 => ("201", "Do Not Honor"),
            2 => ("202", "Insufficient funds"),
            3 => ("203", "Over limit"),
            4 => ("204", "Transaction not allowed"),
            20 => ("220", "Incorrect payment information"),
            21 => ("221", "No such card issuer"),
            22 => ("222", "No card number on file with issuer"),
            23 => ("223", "Expired card"),
            24 => ("224", "Invalid expiration date"),
            25 => ("225", "Invalid card security code"),
            40 => ("240", "Call issuer for further information"),
            50 => ("250", "Pick up card"),
            51 => ("251", "Lost card"),
            52 => ("252", "Stolen card"),
            53 => ("253", "Fraudulent card"),
            60 => ("260", "Declined with further instructions available"),
            61 => ("261", "Declined-Stop all recurring payments"),
            62 => ("262", "Declined-Stop this recurring program"),
            63 => ("263", "Declined-Update cardholder data available"),
            64 => ("264", "Declined-Retry in a few days"),
            _ => ("200", "DECLINE"),
        };
        return (2, code, text);
    }
    if amount / 1000 == 4 {
        let hit = match cents {
            0 => Some(("400", "Transaction error returned by processor")),
            10 => Some(("410", "Invalid merchant configuration")),
            11 => Some(("411", "Merchant account is inactive")),
            20 => Some(("420", "Communication error")),
            21 => Some(("421", "Communication error with issuer")),
            30 => Some(("430", "Duplicate transaction at processor")),
            40 => Some(("440", "Processor format error")),
            41 => Some(("441", "Invalid transaction information")),
            60 => Some(("460", "Processor feature not available")),
            61 => Some(("461", "Unsupported card type")),
            _ => None,
        };
        if let Some((code, text)) = hit {
            return (3, code, text);
        }
    }
    (1, "100", "SUCCESS")
}

async fn transact(State((control, nmi)): St, headers: HeaderMap, body: String) -> Response {
    let f = form(&control, &headers, &body);
    let refid = {
        let mut b = nmi.book();
        b.next_id += 1;
        b.next_id
    };
    let kind = get(&f, "type");
    let orderid = get(&f, "orderid");
    if get(&f, "security_key") != SECURITY_KEY {
        control.violation("nmi: missing or wrong security_key");
        return Reply {
            response: 3,
            text: "Authentication Failed".into(),
            authcode: "",
            id: "",
            avs: "",
            cvv: "",
            orderid,
            kind,
            code: "300".into(),
            vault: None,
        }
        .into_response();
    }
    if get(&f, "customer_vault") == "add_customer" && kind.is_empty() {
        check_known(&control, &f, &[COMMON, PAYMENT], "add_customer");
        let (cc, exp) = (get(&f, "ccnumber"), get(&f, "ccexp"));
        if !card_ok(cc, exp) {
            control.violation("nmi add_customer: invalid card");
            return error("Invalid Credit Card Number", orderid, "", refid);
        }
        let id = nmi.add_vault_customer(cc, exp);
        return Reply {
            response: 1,
            text: "Customer Added".into(),
            authcode: "",
            id: "",
            avs: "",
            cvv: "",
            orderid,
            kind: "",
            code: "100".into(),
            vault: Some(&id),
        }
        .into_response();
    }
    match kind {
        "sale" | "auth" => payment(&control, &nmi, &f, refid),
        "capture" | "void" | "refund" => follow_up(&control, &nmi, &f, refid),
        other => {
            control.violation(format!("nmi: unsupported type {other:?}"));
            error("Invalid Transaction Type", orderid, other, refid)
        }
    }
}

fn card_ok(cc: &str, exp: &str) -> bool {
    let month = exp.get(..2).and_then(|m| m.parse::<u8>().ok());
    (13..=19).contains(&cc.len())
        && cc.bytes().all(|b| b.is_ascii_digit())
        && luhn(cc)
        && exp.len() == 4
        && exp.bytes().all(|b| b.is_ascii_digit())
        && month.is_some_and(|m| (1..=12).contains(&m))
}

fn payment(control: &Control, nmi: &Nmi, f: &[(String, String)], refid: u64) -> Response {
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

fn follow_up(control: &Control, nmi: &Nmi, f: &[(String, String)], refid: u64) -> Response {
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

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn query(State((control, nmi)): St, headers: HeaderMap, body: String) -> Response {
    let f = form(&control, &headers, &body);
    check_known(&control, &f, &[QUERY], "query");
    let xml = |body: String| ([("content-type", "text/xml; charset=UTF-8")], body).into_response();
    if get(&f, "security_key") != SECURITY_KEY {
        control.violation("nmi query: missing or wrong security_key");
        return xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nm_response>\n\t<error_response>Invalid Security Key REFID:3161856100</error_response>\n</nm_response>\n".into());
    }
    let (order, txid) = (get(&f, "order_id"), get(&f, "transaction_id"));
    let b = nmi.book();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nm_response>\n");
    for t in b
        .txns
        .iter()
        .filter(|t| (order.is_empty() || t.order_id == order) && (txid.is_empty() || t.id == txid))
    {
        out.push_str("\t<transaction>\n");
        let mut field =
            |k: &str, v: &str| out.push_str(&format!("\t\t<{k}>{}</{k}>\n", xml_escape(v)));
        field("transaction_id", &t.id);
        field("partial_payment_id", "");
        field("platform_id", "");
        field("transaction_type", "cc");
        field("condition", t.condition);
        field("order_id", &t.order_id);
        field("authorization_code", &t.authcode);
        field("cc_number", "4xxxxxxxxxxx1111");
        field("avs_response", &t.avs);
        field("csc_response", &t.cvv);
        field("currency", &t.currency);
        field(
            "original_transaction_id",
            t.original.as_deref().unwrap_or(""),
        );
        for a in &t.actions {
            out.push_str("\t\t<action>\n");
            let mut af =
                |k: &str, v: &str| out.push_str(&format!("\t\t\t<{k}>{}</{k}>\n", xml_escape(v)));
            af("amount", &a.amount);
            af("action_type", a.kind);
            af("date", "20261130120000");
            af("success", if a.success { "1" } else { "0" });
            af("source", "api");
            af("response_text", &a.text);
            af("batch_id", "0");
            af("response_code", &a.code);
            out.push_str("\t\t</action>\n");
        }
        out.push_str("\t</transaction>\n");
    }
    out.push_str("</nm_response>\n");
    xml(out)
}
