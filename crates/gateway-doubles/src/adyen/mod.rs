//! A double of Adyen's Checkout API v71 (`/payments`, `/payments/{pspReference}/captures`,
//! `/cancels`, `/refunds`, and `/paymentMethods`, which "test connection" calls), served under
//! `/v71` like `checkout-test.adyen.com/v71`: point the connector's API root at [`api_root`].
//!
//! It checks what Adyen checks: the `X-API-Key` header, a JSON body that validates against the
//! official OpenAPI schemas ([`schema`]; any error is a violation and a 422 `ServiceError` with
//! errorCode 702), card number (Luhn, errorCode 101) and CVC length (errorCode 103). It also
//! records a violation when a request lacks the `Idempotency-Key` openflex always sends, or labels
//! a merchant-initiated payment (`recurringProcessingModel` Subscription/UnscheduledCardOnFile)
//! without `shopperInteraction: ContAuth`.
//!
//! Outcomes follow Adyen's test platform: card `4111111111111111`, expiry 03/2030, CVC 737
//! (7373 for 34/37 cards) approves; another expiry or CVC is a generic refusal ("DECLINED").
//! The refusal reason is forced through `paymentMethod.holderName`, as Adyen documents
//! ("Testing result codes and refusal reasons"), e.g. `NOT_ENOUGH_BALANCE` (12, insufficient
//! funds), `DECLINED` (2, generic / do not honor), `BLOCK_CARD` (5) and `ACQUIRER_FRAUD` (14)
//! (hard: lost/stolen/fraud), `CARD_EXPIRED` (6), `INVALID_CARD_NUMBER` (8, invalid card),
//! `ISSUER_UNAVAILABLE` (9), `ERROR` (4, processing error, resultCode Error), `PENDING`
//! (resultCode Received); `FRAUD` (20), `CVC_DECLINED` (24), `ISSUER_SUSPECTED_FRAUD` (31) and
//! the withdrawal limits are recalled from the same table. `"<NAME> : <raw>"` also sets
//! `additionalData.refusalReasonRaw` to `<raw>`, as Adyen's test platform does. AVS: a
//! billing postal code `00000` gives avsResult 2 (neither matches), any other 7 (both match),
//! no address 5 (no data). Approved card payments carry `additionalData.networkTxReference`.
//!
//! Modifications are asynchronous at Adyen (`201 received`, then a webhook). Where the real
//! platform would accept and later send CAPTURE_FAILED / REFUND_FAILED / a failed
//! CANCELLATION, this double refuses at once with a 422 ServiceError: errorCode 137 "Invalid
//! amount specified" for amounts over what remains, errorCode 10 "You are not allowed to
//! perform this action" for a state that does not allow it, and 167 for an unknown
//! pspReference. Only one capture is allowed per authorisation (Adyen's default). A test
//! makes a received modification fail later through the [`Ledger`] (`fail_capture`,
//! `fail_cancel`, `fail_refund`), then sends the notification Adyen would.
//!
//! Credentials: [`REJECTED_API_KEY`] is answered 401, as Adyen answers a revoked key; any
//! request for [`FOREIGN_MERCHANT_ACCOUNT`] is answered 403 with errorCode 901 "Invalid
//! Merchant Account", as Adyen answers a merchant account the key may not act for.
//! `/paymentMethods` moves nothing, so it is the one call that may come without an
//! `Idempotency-Key`.
//!
//! Idempotency: an `Idempotency-Key` seen before with the same path and body answers the stored
//! answer; with another path or body, a 422 with errorCode 704 (a conflict), without processing.

mod schema;

use crate::{Control, Double, serve};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use schema::Body;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An API key the double answers 401 to, as Adyen does to a revoked key.
pub const REJECTED_API_KEY: &str = "rejected-api-key";

/// A merchant account no API key of the double may act for (403, errorCode 901).
pub const FOREIGN_MERCHANT_ACCOUNT: &str = "NotYourMerchantECOM";

/// The connector's API root for this double (`…/v71`).
pub fn api_root(double: &Double) -> String {
    format!("{}/v71", double.url)
}

/// What the double holds, for tests and the benchmark.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<State>>);

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Payments created (approved or refused), each once whatever the replays.
    pub fn payment_count(&self) -> usize {
        self.lock().payments.len()
    }

    /// A refund of `value` on payment `psp` failed after Adyen received it (Adyen then sends
    /// REFUND_FAILED): the amount is refundable again.
    pub fn fail_refund(&self, psp: &str, value: i64) {
        if let Some(p) = self.lock().payments.get_mut(psp) {
            p.refunded = (p.refunded - value).max(0);
        }
    }

    /// The capture of payment `psp` failed after Adyen received it (Adyen then sends
    /// CAPTURE_FAILED, or CAPTURE with success false): the authorisation can be captured again.
    pub fn fail_capture(&self, psp: &str) {
        if let Some(p) = self.lock().payments.get_mut(psp) {
            p.captured = 0;
        }
    }

    /// The cancellation of payment `psp` failed after Adyen received it (Adyen then sends
    /// CANCELLATION with success false): the authorisation stands.
    pub fn fail_cancel(&self, psp: &str) {
        if let Some(p) = self.lock().payments.get_mut(psp) {
            p.cancelled = false;
        }
    }

    /// The (authorised, captured, refunded, cancelled) state of a payment by pspReference.
    pub fn amounts(&self, psp: &str) -> Option<(i64, i64, i64, bool)> {
        self.lock()
            .payments
            .get(psp)
            .map(|p| (p.authorised, p.captured, p.refunded, p.cancelled))
    }
}

#[derive(Default)]
struct State {
    payments: HashMap<String, Payment>,
    /// Idempotency key → (path, body, status, answer).
    keys: HashMap<String, (String, String, u16, String)>,
    counter: u64,
}

struct Payment {
    merchant: String,
    currency: String,
    /// Amount authorised (0 when refused).
    authorised: i64,
    captured: i64,
    refunded: i64,
    cancelled: bool,
    manual_capture: bool,
}

/// Starts a double.
pub async fn spawn() -> Double {
    spawn_with_ledger().await.0
}

/// Starts a double and returns its ledger too.
pub async fn spawn_with_ledger() -> (Double, Ledger) {
    let (router, control, ledger) = app();
    (serve(router, control).await, ledger)
}

/// The double's routes, its control and its ledger, to serve on any address.
pub fn app() -> (Router, Control, Ledger) {
    let control = Control::default();
    let ledger = Ledger::default();
    let (c, l) = (control.clone(), ledger.clone());
    let router = Router::new().fallback(move |method, uri, headers, body| {
        let (c, l) = (c.clone(), l.clone());
        async move { handle(&c, &l, method, uri, headers, body) }
    });
    (router, control, ledger)
}

fn error(status: u16, code: &str, message: &str, error_type: &str) -> (u16, Value) {
    let body = json!({"status": status, "errorCode": code, "message": message,
        "errorType": error_type});
    (status, body)
}

fn reply((status, body): (u16, Value), key: Option<&str>) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response();
    if let Some(k) = key.and_then(|k| k.parse().ok()) {
        r.headers_mut().insert("idempotency-key", k);
    }
    r
}

fn handle(
    control: &Control,
    ledger: &Ledger,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let path = uri.path().to_string();
    let Some(route) = route(&path) else {
        control.violation(format!("adyen: no such endpoint {method} {path}"));
        return reply(error(404, "000", "Not found", "internal"), None);
    };
    if method != Method::POST {
        control.violation(format!("adyen: {method} {path} (only POST exists)"));
        return reply(error(405, "000", "Method not allowed", "validation"), None);
    }
    match header("x-api-key") {
        None | Some("") => {
            control.violation("adyen: X-API-Key header missing");
            return reply(
                error(
                    401,
                    "000",
                    "HTTP Status Response - Unauthorized",
                    "security",
                ),
                None,
            );
        }
        Some(REJECTED_API_KEY) => {
            return reply(
                error(
                    401,
                    "000",
                    "HTTP Status Response - Unauthorized",
                    "security",
                ),
                None,
            );
        }
        Some(_) => {}
    }
    if !header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        control.violation("adyen: Content-Type is not application/json");
        return reply(
            error(422, "702", "Unexpected input: not JSON", "validation"),
            None,
        );
    }
    let key = header("idempotency-key").map(str::to_string);
    match key.as_deref() {
        None if matches!(route, Route::PaymentMethods) => {}
        None => control.violation("adyen: Idempotency-Key header missing"),
        Some(k) if k.is_empty() || k.len() > 64 => {
            control.violation("adyen: Idempotency-Key must be 1 to 64 characters");
            return reply(
                error(422, "702", "Invalid Idempotency-Key", "validation"),
                None,
            );
        }
        Some(_) => {}
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(k) = key.as_deref() {
        let stored = ledger.lock().keys.get(k).cloned();
        if let Some((p, b, status, answer)) = stored {
            if p == path && b == text {
                let body = serde_json::from_str(&answer).unwrap_or(Value::Null);
                return reply((status, body), Some(k));
            }
            return reply(
                error(
                    422,
                    "704",
                    "request already processed or in progress",
                    "validation",
                ),
                Some(k),
            );
        }
    }
    let Ok(body) = serde_json::from_str::<Value>(&text) else {
        control.violation("adyen: body is not JSON");
        return reply(
            error(422, "702", "Unexpected input: not JSON", "validation"),
            None,
        );
    };
    let errors = route.schema().errors(&body);
    if !errors.is_empty() {
        for e in &errors {
            control.violation(format!("adyen: {e}"));
        }
        return reply(error(422, "702", &errors[0], "validation"), None);
    }
    if body.get("merchantAccount").and_then(Value::as_str) == Some(FOREIGN_MERCHANT_ACCOUNT) {
        return reply(
            error(403, "901", "Invalid Merchant Account", "security"),
            None,
        );
    }
    let answer = {
        let mut state = ledger.lock();
        match &route {
            Route::PaymentMethods => payment_methods(),
            Route::Payments => payment(control, &mut state, &body),
            Route::Modification(psp, action) => {
                modification(control, &mut state, psp, *action, &body)
            }
        }
    };
    if let Some(k) = key.as_deref() {
        ledger
            .lock()
            .keys
            .insert(k.to_string(), (path, text, answer.0, answer.1.to_string()));
    }
    reply(answer, key.as_deref())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Capture,
    Cancel,
    Refund,
}

enum Route {
    PaymentMethods,
    Payments,
    Modification(String, Action),
}

impl Route {
    fn schema(&self) -> Body {
        match self {
            Self::PaymentMethods => Body::PaymentMethods,
            Self::Payments => Body::Payment,
            Self::Modification(_, Action::Capture) => Body::Capture,
            Self::Modification(_, Action::Cancel) => Body::Cancel,
            Self::Modification(_, Action::Refund) => Body::Refund,
        }
    }
}

fn route(path: &str) -> Option<Route> {
    if path == "/v71/paymentMethods" {
        return Some(Route::PaymentMethods);
    }
    let rest = path.strip_prefix("/v71/payments")?;
    if rest.is_empty() {
        return Some(Route::Payments);
    }
    let (psp, action) = rest.strip_prefix('/')?.split_once('/')?;
    let action = match action {
        "captures" => Action::Capture,
        "cancels" => Action::Cancel,
        "refunds" => Action::Refund,
        _ => return None,
    };
    Some(Route::Modification(psp.to_string(), action))
}

/// The merchant account's payment methods: cards only, as a card-only test account shows.
fn payment_methods() -> (u16, Value) {
    (
        200,
        json!({"paymentMethods": [{
            "brands": ["visa", "mc", "amex", "discover", "jcb", "diners"],
            "name": "Cards",
            "type": "scheme",
        }]}),
    )
}

/// Adyen's pspReference: 16 characters, digits and a final letter.
fn next_psp(state: &mut State) -> String {
    state.counter += 1;
    let letter = (b'A' + (state.counter % 26) as u8) as char;
    format!("99{:013}{letter}", state.counter)
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    (12..=19).contains(&digits.len()) && sum % 10 == 0
}

/// Adyen's test refusal triggers: holder name → (resultCode, refusalReasonCode, refusalReason).
fn forced(name: &str) -> Option<(&'static str, Option<&'static str>, &'static str)> {
    Some(match name {
        "DECLINED" => ("Refused", Some("2"), "Refused"),
        "REFERRAL" => ("Refused", Some("3"), "Referral"),
        "ERROR" => ("Error", Some("4"), "Acquirer Error"),
        "BLOCK_CARD" => ("Refused", Some("5"), "Blocked Card"),
        "CARD_EXPIRED" => ("Refused", Some("6"), "Expired Card"),
        "INVALID_AMOUNT" => ("Refused", Some("7"), "Invalid Amount"),
        "INVALID_CARD_NUMBER" => ("Refused", Some("8"), "Invalid Card Number"),
        "ISSUER_UNAVAILABLE" => ("Refused", Some("9"), "Issuer Unavailable"),
        "NOT_SUPPORTED" => ("Refused", Some("10"), "Not supported"),
        "NOT_3D_AUTHENTICATED" => ("Refused", Some("11"), "3D Not Authenticated"),
        "NOT_ENOUGH_BALANCE" => ("Refused", Some("12"), "Not enough balance"),
        "PENDING" => ("Received", None, ""),
        "ACQUIRER_FRAUD" => ("Refused", Some("14"), "Acquirer Fraud"),
        "CANCELLED" => ("Cancelled", Some("15"), "Cancelled"),
        "SHOPPER_CANCELLED" => ("Cancelled", Some("16"), "Shopper Cancelled"),
        "FRAUD" => ("Refused", Some("20"), "FRAUD"),
        "CVC_DECLINED" => ("Refused", Some("24"), "CVC Declined"),
        "WITHDRAWAL_AMOUNT_EXCEEDED" => ("Refused", Some("28"), "Withdrawal amount exceeded"),
        "WITHDRAWAL_COUNT_EXCEEDED" => ("Refused", Some("29"), "Withdrawal count exceeded"),
        "ISSUER_SUSPECTED_FRAUD" => ("Refused", Some("31"), "Issuer Suspected Fraud"),
        _ => return None,
    })
}

fn payment(control: &Control, state: &mut State, body: &Value) -> (u16, Value) {
    let method = &body["paymentMethod"];
    if text(method, "type") != Some("scheme") {
        control.violation("adyen: paymentMethod.type is not scheme");
        return error(422, "702", "Unsupported payment method", "validation");
    }
    let interaction = text(body, "shopperInteraction");
    let model = text(body, "recurringProcessingModel");
    if matches!(model, Some("Subscription" | "UnscheduledCardOnFile"))
        && interaction != Some("ContAuth")
    {
        control
            .violation("adyen: a merchant-initiated payment without shopperInteraction ContAuth");
    }
    if interaction == Some("ContAuth") && model.is_none() {
        control.violation("adyen: shopperInteraction ContAuth without recurringProcessingModel");
    }
    if body.get("storePaymentMethod") == Some(&Value::Bool(true))
        && text(body, "shopperReference").is_none()
    {
        control.violation("adyen: storePaymentMethod without shopperReference");
    }
    let token = text(method, "storedPaymentMethodId");
    let mut approved = true;
    let mut additional = Map::new();
    if let Some(token) = token {
        if text(body, "shopperReference").is_none() {
            return error(
                422,
                "702",
                "Required field 'shopperReference' is not provided.",
                "validation",
            );
        }
        if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
            return error(422, "702", "Invalid storedPaymentMethodId", "validation");
        }
    } else {
        let (Some(number), Some(month), Some(year)) = (
            text(method, "number"),
            text(method, "expiryMonth"),
            text(method, "expiryYear"),
        ) else {
            control.violation("adyen: a card without number, expiryMonth or expiryYear");
            return error(
                422,
                "702",
                "Required card fields are not provided.",
                "validation",
            );
        };
        if !luhn(number) {
            return error(422, "101", "Invalid card number", "validation");
        }
        let amex = number.starts_with("34") || number.starts_with("37");
        let cvc = text(method, "cvc");
        if cvc.is_some_and(|c| {
            c.len() != if amex { 4 } else { 3 } || !c.chars().all(|d| d.is_ascii_digit())
        }) {
            return error(
                422,
                "103",
                "The length of the CVC code is not correct for the given card number",
                "validation",
            );
        }
        if month.len() != 2 || year.len() != 4 {
            control.violation("adyen: expiryMonth must be MM and expiryYear YYYY");
        }
        let cvc_result = match cvc {
            None => "6 No CVC/CVV provided",
            Some(c) if c == if amex { "7373" } else { "737" } => "1 Matches",
            Some(_) => {
                approved = false;
                "2 Does not match"
            }
        };
        additional.insert("cvcResult".into(), cvc_result.into());
        if (month, year) != ("03", "2030") {
            approved = false;
        }
        let avs = match body
            .get("billingAddress")
            .and_then(|a| text(a, "postalCode"))
        {
            None => "5 No AVS data provided",
            Some("00000") => "2 Neither postal code nor address match",
            Some(_) => "7 Both postal code and address match",
        };
        additional.insert("avsResult".into(), avs.into());
    }
    let holder = text(method, "holderName").unwrap_or("");
    let (trigger, raw) = match holder.split_once(" : ") {
        Some((name, raw)) => (name.trim(), Some(raw.trim())),
        None => (holder.trim(), None),
    };
    let (result, reason_code, reason) = match forced(trigger) {
        Some(f) => f,
        None if approved => ("Authorised", None, ""),
        None => ("Refused", Some("2"), "Refused"),
    };
    let psp = next_psp(state);
    let amount = body["amount"]["value"].as_i64().unwrap_or(0);
    let manual = body
        .get("additionalData")
        .and_then(|a| text(a, "manualCapture"))
        == Some("true");
    let authorised = if result == "Authorised" { amount } else { 0 };
    state.payments.insert(
        psp.clone(),
        Payment {
            merchant: text(body, "merchantAccount").unwrap_or("").to_string(),
            currency: text(&body["amount"], "currency").unwrap_or("").to_string(),
            authorised,
            captured: if manual { 0 } else { authorised },
            refunded: 0,
            cancelled: false,
            manual_capture: manual,
        },
    );
    let mut answer = Map::new();
    if result == "Authorised" {
        additional.insert(
            "authCode".into(),
            format!("{:06}", state.counter % 1_000_000).into(),
        );
        additional.insert("refusalReasonRaw".into(), "AUTHORISED".into());
        if token.is_none() {
            let ntid = format!("{:015}", 858_435_661_000_000 + state.counter);
            additional.insert("networkTxReference".into(), ntid.into());
        }
        if let Some(m) = model {
            additional.insert("recurringProcessingModel".into(), m.into());
        }
    } else if let Some(code) = reason_code {
        additional.insert(
            "refusalReasonRaw".into(),
            raw.map_or_else(|| reason.to_uppercase(), str::to_string)
                .into(),
        );
        answer.insert("refusalReason".into(), reason.into());
        answer.insert("refusalReasonCode".into(), code.into());
    }
    answer.insert("additionalData".into(), Value::Object(additional));
    answer.insert("pspReference".into(), psp.into());
    answer.insert("resultCode".into(), result.into());
    answer.insert("merchantReference".into(), body["reference"].clone());
    (200, Value::Object(answer))
}

fn modification(
    control: &Control,
    state: &mut State,
    psp: &str,
    action: Action,
    body: &Value,
) -> (u16, Value) {
    let own = next_psp(state);
    let Some(p) = state.payments.get_mut(psp) else {
        return error(
            422,
            "167",
            "Original pspReference required for this operation",
            "validation",
        );
    };
    if text(body, "merchantAccount") != Some(p.merchant.as_str()) {
        control.violation("adyen: merchantAccount differs from the payment's");
        return error(403, "901", "Invalid Merchant Account", "security");
    }
    let amount = body.get("amount").map(|a| {
        (
            a["value"].as_i64().unwrap_or(0),
            text(a, "currency").unwrap_or("").to_string(),
        )
    });
    if let Some((_, currency)) = &amount
        && *currency != p.currency
    {
        return error(
            422,
            "702",
            "Currency differs from the payment's",
            "validation",
        );
    }
    let value = amount.as_ref().map_or(0, |a| a.0);
    let not_allowed = || {
        error(
            422,
            "10",
            "You are not allowed to perform this action",
            "validation",
        )
    };
    let invalid_amount = || error(422, "137", "Invalid amount specified", "validation");
    match action {
        Action::Capture => {
            if p.authorised == 0 || p.cancelled || !p.manual_capture || p.captured > 0 {
                return not_allowed();
            }
            if value <= 0 || value > p.authorised {
                return invalid_amount();
            }
            p.captured = value;
        }
        Action::Cancel => {
            if p.authorised == 0 || p.cancelled || p.captured > 0 {
                return not_allowed();
            }
            p.cancelled = true;
        }
        Action::Refund => {
            if p.captured == 0 {
                return not_allowed();
            }
            if value <= 0 || p.refunded + value > p.captured {
                return invalid_amount();
            }
            p.refunded += value;
        }
    }
    let mut answer = json!({
        "merchantAccount": p.merchant,
        "paymentPspReference": psp,
        "pspReference": own,
        "status": "received",
    });
    if let Some(reference) = body.get("reference") {
        answer["reference"] = reference.clone();
    }
    if let Some(a) = body.get("amount") {
        answer["amount"] = a.clone();
    }
    (201, answer)
}
