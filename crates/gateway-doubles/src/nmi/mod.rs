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

mod ops;
mod query;
mod rules;

use crate::{Control, Double, serve};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ops::{follow_up, payment};
use query::query;
use rules::{card_ok, decimal};
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
    let (router, control, nmi) = app();
    (serve(router, control).await, nmi)
}

/// The double's routes, its control and its state, to serve on any address.
pub fn app() -> (Router, Control, Nmi) {
    let control = Control::default();
    let nmi = Nmi::default();
    let router = Router::new()
        .route("/transact.php", post(transact))
        .route("/query.php", post(query))
        .with_state((control.clone(), nmi.clone()));
    (router, control, nmi)
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
