//! Authorize.net's JSON API (`POST /xml/v1/request.api`, the root key names the call):
//! `createTransactionRequest` (authCapture, authOnly, priorAuthCapture, void, refund),
//! `getTransactionDetailsRequest`, `getUnsettledTransactionListRequest` and
//! `authenticateTestRequest` (credentials only). Answers start with a
//! UTF-8 byte-order mark, like the real API's, and follow the shape of the captured answers in
//! the reference pack converted to JSON (arrays for `message`, `messages`, `errors`).
//!
//! Requests are checked like the gateway's schema validation does ([`schema`]): keys in
//! schema order, no unknown keys, `refId` / `invoiceNumber` at most 20 characters, a decimal
//! `amount`; the credentials must be [`API_LOGIN_ID`] / [`TRANSACTION_KEY`] (else E00007).
//! Breaches are recorded as violations and answered as the gateway does.
//!
//! Outcomes follow Authorize.net's sandbox triggers (developer.authorize.net "Testing Guide":
//! test cards, and zip / card-code triggers, whose table is quoted here from a public
//! restatement of the guide):
//! - any Luhn-valid card of 13 to 16 digits approves (4111111111111111, 5424000000000015, ...);
//!   another number → reason 6 (invalid card), an expiry in the past → reason 8;
//! - billing zip 46282 → responseCode 2, reason 2 (general bank decline);
//! - AVS from the zip: 46201 A, 46203 E, 46204 G, 46205 N, 46206 P, 46207 R, 46208 S,
//!   46209 U, 46211 W, 46214 X, 46217 Z; other zips Y, no zip B;
//! - card code 900 M, 901 N, 902 S, 903 U, 904 P; other codes M, none P;
//! - card 4222222222222 answers the response reason code equal to the whole-dollar amount
//!   (a long-standing test-card behaviour, reported in agiliq/merchant issue #20; not in the
//!   current guide): $295.00 → 295 (partial approval on a prepaid card: the insufficient-funds
//!   row), $2.00 → 2 (do not honor / generic), $4.00 → 4 (pick up card: lost / stolen),
//!   $6.00 → 6 (invalid card), $19.00 → 19 (processor unavailable), $57.00 → 57 (processing
//!   error), $44.00 → 44 (card code mismatch).
//!
//! State: transactions by transId with their status (`authorizedPendingCapture`,
//! `capturedPendingSettlement`, `settledSuccessfully`, `voided`, `refundPendingSettlement`,
//! `declined`), captured and refunded amounts; [`Ledger::settle`] runs the nightly batch (refunds
//! need a settled payment, reason 54 otherwise). Approved card payments carry a
//! `networkTransId`; a payment flagged `isSubsequentAuth` must name one the double issued.
//! Payment profile `900000001` / `800000001` is a stored Visa 4111111111111111.

mod schema;

use crate::{Control, Double, serve};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use schema::Node;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const API_LOGIN_ID: &str = "5KP3u95bQpv";
pub const TRANSACTION_KEY: &str = "4Ktq966gC55GAX7S";
/// The card whose whole-dollar amount picks the decline reason.
pub const REASON_CARD: &str = "4222222222222";
pub const PROFILE: (&str, &str) = ("900000001", "800000001");

#[derive(Debug, Clone)]
struct Txn {
    id: String,
    kind: String,
    status: String,
    response_code: u8,
    reason: u16,
    auth_code: String,
    avs: String,
    cvv: String,
    /// Minor units.
    auth_amount: i64,
    settle_amount: i64,
    refunded: i64,
    invoice: Option<String>,
    last4: String,
    ref_trans_id: Option<String>,
    network_trans_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    seq: u64,
}

#[derive(Default)]
struct Book {
    txns: Vec<Txn>,
    next: u64,
}

/// The double's state, for tests and the benchmark.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<Book>>);

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sales and authorizations the gateway holds (approved or declined).
    pub fn payments(&self) -> usize {
        self.lock()
            .txns
            .iter()
            .filter(|t| {
                matches!(
                    t.kind.as_str(),
                    "authCaptureTransaction" | "authOnlyTransaction"
                )
            })
            .count()
    }

    /// The nightly batch: captured payments and refunds settle.
    pub fn settle(&self) {
        for t in &mut self.lock().txns {
            match t.status.as_str() {
                "capturedPendingSettlement" => t.status = "settledSuccessfully".into(),
                "refundPendingSettlement" => t.status = "refundSettledSuccessfully".into(),
                _ => {}
            }
        }
    }

    /// A transaction's status, captured (settle) amount and refunded amount (minor units).
    pub fn transaction(&self, trans_id: &str) -> Option<(String, i64, i64)> {
        self.lock()
            .txns
            .iter()
            .find(|t| t.id == trans_id)
            .map(|t| (t.status.clone(), t.settle_amount, t.refunded))
    }
}

#[derive(Clone)]
struct App {
    control: Control,
    ledger: Ledger,
}

pub async fn spawn() -> Double {
    start().await.0
}

/// The double and its ledger.
pub async fn start() -> (Double, Ledger) {
    let (router, control, ledger) = app();
    (serve(router, control).await, ledger)
}

/// The double's routes, its control and its ledger, to serve on any address.
pub fn app() -> (Router, Control, Ledger) {
    let control = Control::default();
    let ledger = Ledger::default();
    let state = App {
        control: control.clone(),
        ledger: ledger.clone(),
    };
    let router = Router::new()
        .route("/xml/v1/request.api", post(handle))
        .with_state(state);
    (router, control, ledger)
}

/// A JSON answer with the byte-order mark the real API prepends.
fn answer(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=utf-8")],
        format!("\u{feff}{v}"),
    )
        .into_response()
}

fn messages(ok: bool, code: &str, text: &str) -> Value {
    json!({"resultCode": if ok { "Ok" } else { "Error" }, "message": [{"code": code, "text": text}]})
}

fn call_error(app: &App, code: &str, text: &str, violation: bool) -> Response {
    if violation {
        app.control.violation(format!("{code}: {text}"));
    }
    answer(json!({"messages": messages(false, code, text)}))
}

async fn handle(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return call_error(
            &app,
            "E00003",
            "Content-Type must be application/json.",
            true,
        );
    }
    let text = String::from_utf8_lossy(&body);
    let root: Node = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
        Ok(n) => n,
        Err(_) => return call_error(&app, "E00003", "The request could not be parsed.", true),
    };
    let Node::Object(entries) = &root else {
        return call_error(&app, "E00003", "The root element is missing.", true);
    };
    let [(name, req)] = entries.as_slice() else {
        return call_error(
            &app,
            "E00003",
            "Exactly one root element is expected.",
            true,
        );
    };
    if let Some(why) = schema::breach(name, req) {
        return call_error(&app, "E00003", &why, true);
    }
    let login = req.text_at("merchantAuthentication/name");
    let key = req.text_at("merchantAuthentication/transactionKey");
    if login.as_deref() != Some(API_LOGIN_ID) || key.as_deref() != Some(TRANSACTION_KEY) {
        // Wrong credentials are what an authentication test exists to catch, not a breach.
        return call_error(
            &app,
            "E00007",
            "User authentication failed due to invalid authentication values.",
            name != "authenticateTestRequest",
        );
    }
    if req.text_at("refId").is_some_and(|r| r.chars().count() > 20) {
        return call_error(&app, "E00003", "refId is longer than 20 characters.", true);
    }
    let ref_id = req.text_at("refId");
    let mut out = match name.as_str() {
        "createTransactionRequest" => match req.get("transactionRequest") {
            Some(tr) => transactions::create(&app, tr),
            None => return call_error(&app, "E00003", "transactionRequest is required.", true),
        },
        "authenticateTestRequest" => json!({"messages": messages(true, "I00001", "Successful.")}),
        "getTransactionDetailsRequest" => lookups::details(&app, req),
        "getUnsettledTransactionListRequest" => lookups::unsettled(&app, req),
        other => {
            return call_error(&app, "E00003", &format!("Unknown method {other}."), true);
        }
    };
    if let (Some(r), Value::Object(map)) = (ref_id, &mut out) {
        map.insert("refId".into(), Value::String(r));
    }
    answer(out)
}

mod lookups;
mod transactions;
