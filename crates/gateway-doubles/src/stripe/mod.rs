//! A Stripe double for the PaymentIntents API: form-encoded requests with bracket nesting, Basic
//! (or Bearer) auth with a test secret key, JSON answers shaped like Stripe's, and Stripe's
//! idempotency: the first answer under an `Idempotency-Key` is stored (a decline or a 500
//! included) and replayed with `Idempotent-Replayed: true`; the same key with other parameters
//! is refused with `idempotency_error`; a request refused by validation stores nothing.
//!
//! Outcomes follow Stripe's documented test cards (docs.stripe.com/testing), any other
//! Luhn-valid number approves:
//!
//! | card | answer | category |
//! |---|---|---|
//! | 4242424242424242 | succeeded / requires_capture | approval |
//! | 4000000000000010 | approved, address checks `fail` | approval, AVS N |
//! | 4000000000009995 | 402 `card_declined` / `insufficient_funds` | insufficient funds |
//! | 4000000000000002 | 402 `card_declined` / `generic_decline` | do not honor / generic |
//! | 4000000000009987 | 402 `card_declined` / `lost_card` | hard: lost |
//! | 4000000000009979 | 402 `card_declined` / `stolen_card` | hard: stolen |
//! | 4100000000000019 | 402 `card_declined` / `fraudulent` (outcome `blocked`) | hard: fraud |
//! | 4000000000000069 | 402 `expired_card` | invalid card (expired) |
//! | 4000000000000127 | 402 `incorrect_cvc` | CVV |
//! | 4000000000000119 | 402 `processing_error` | issuer unavailable / processing error |
//!
//! `pm_card_visa` and the other `pm_card_…` test PaymentMethods stand for the matching card;
//! customers `cus_test_default` (invoice default `pm_card_visa`), `cus_test_source` (legacy
//! `default_source`) and `cus_test_empty` (no card) exist. Keys containing `revoked` get a 401.

mod bodies;
mod ops;

use crate::{Control, Double, serve};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A payment the double holds, as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    /// `metadata[openflex_reference]`.
    pub reference: Option<String>,
    pub amount: i64,
    pub status: String,
    pub captured: i64,
    pub refunded: i64,
    pub off_session: bool,
    pub setup_future_usage: Option<String>,
    /// `payment_method_options[card][mit_exemption][network_transaction_id]` as received.
    pub mit_network_transaction_id: Option<String>,
    /// The network transaction id the double gave the approved charge.
    pub network_transaction_id: Option<String>,
}

struct Intent {
    id: String,
    charge: String,
    amount: i64,
    currency: String,
    manual: bool,
    status: &'static str,
    capturable: i64,
    received: i64,
    refunded: i64,
    customer: Option<String>,
    pm: String,
    number: String,
    exp: (u32, u32),
    checks: [Option<&'static str>; 3],
    ntid: Option<String>,
    metadata: Vec<(String, String)>,
    off_session: bool,
    setup_future_usage: Option<String>,
    mit_ntid: Option<String>,
    failure: Option<(&'static str, Option<&'static str>, &'static str)>,
    cancellation_reason: Option<String>,
    created: i64,
}

struct Stored {
    path: String,
    params: Vec<(String, String)>,
    status: u16,
    body: String,
}

#[derive(Default)]
struct Ledger {
    intents: Vec<Intent>,
    refunds: usize,
    keys: HashMap<String, Stored>,
    seq: u64,
    search_hidden: bool,
    stored_500_next: bool,
}

impl Ledger {
    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!(
            "{prefix}_3Ofx{:020}",
            self.seq.wrapping_mul(7_919) + self.seq
        )
    }

    fn intent(&mut self, id: &str) -> Option<&mut Intent> {
        self.intents.iter_mut().find(|i| i.id == id)
    }
}

/// The test's handle on the double's state.
#[derive(Clone, Default)]
pub struct Stripe(Arc<Mutex<Ledger>>);

impl Stripe {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every PaymentIntent, oldest first.
    pub fn payments(&self) -> Vec<Payment> {
        self.lock()
            .intents
            .iter()
            .map(|i| Payment {
                id: i.id.clone(),
                reference: meta(&i.metadata, "openflex_reference"),
                amount: i.amount,
                status: i.status.to_string(),
                captured: i.received,
                refunded: i.refunded,
                off_session: i.off_session,
                setup_future_usage: i.setup_future_usage.clone(),
                mit_network_transaction_id: i.mit_ntid.clone(),
                network_transaction_id: i.ntid.clone(),
            })
            .collect()
    }

    /// PaymentIntents carrying `reference` in their metadata.
    pub fn payments_with_reference(&self, reference: &str) -> Vec<Payment> {
        let mut v = self.payments();
        v.retain(|p| p.reference.as_deref() == Some(reference));
        v
    }

    /// How many refunds were made.
    pub fn refund_count(&self) -> usize {
        self.lock().refunds
    }

    /// A refund of `amount` on PaymentIntent `id` failed after Stripe accepted it (Stripe then
    /// sends `charge.refund.updated` with status `failed`): the amount is refundable again.
    pub fn fail_refund(&self, id: &str, amount: i64) {
        if let Some(i) = self.lock().intent(id) {
            i.refunded = (i.refunded - amount).max(0);
        }
    }

    /// Search finds nothing while hidden, as Stripe's lagging index does right after a write.
    pub fn hide_from_search(&self, hidden: bool) {
        self.lock().search_hidden = hidden;
    }

    /// The next POST fails with a 500 *after* its idempotency key was recorded, so replays of
    /// it get the same 500 (Stripe stores 500s once execution began).
    pub fn store_server_error_next(&self) {
        self.lock().stored_500_next = true;
    }
}

fn meta(metadata: &[(String, String)], key: &str) -> Option<String> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[derive(Clone)]
struct Shared {
    stripe: Stripe,
    control: Control,
}

/// A Stripe double on a loopback port.
pub async fn spawn() -> Double {
    spawn_with_state().await.0
}

/// A Stripe double and the handle on its payments.
pub async fn spawn_with_state() -> (Double, Stripe) {
    let (router, control, stripe) = app();
    (serve(router, control).await, stripe)
}

/// The double's routes, its control and its payments, to serve on any address.
pub fn app() -> (Router, Control, Stripe) {
    let stripe = Stripe::default();
    let control = Control::default();
    let shared = Shared {
        stripe: stripe.clone(),
        control: control.clone(),
    };
    let router = Router::new().fallback(handle).with_state(shared);
    (router, control, stripe)
}

/// An answer: status, JSON body, and whether Stripe would store it under the key.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
    pub store: bool,
}

impl Answer {
    pub(super) fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            store: true,
        }
    }

    /// A request-level refusal (validation): Stripe does not store it under the key.
    pub(super) fn invalid(code: &str, message: &str, param: Option<&str>) -> Self {
        Self {
            status: 400,
            body: bodies::error("invalid_request_error", Some(code), message, param),
            store: false,
        }
    }

    /// A refusal after execution began (state errors): stored.
    pub(super) fn refused(code: &str, message: &str, param: Option<&str>) -> Self {
        Self {
            store: true,
            ..Self::invalid(code, message, param)
        }
    }
}

fn respond(status: u16, body: &str, key: Option<&str>, replayed: bool) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("request-id", "req_double")
        .header("stripe-version", "2024-06-20");
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    if replayed {
        b = b.header("idempotent-replayed", "true");
    }
    b.body(Body::from(body.to_string())).expect("a response")
}

fn json_response(a: &Answer) -> Response<Body> {
    respond(a.status, &a.body.to_string(), None, false)
}

/// The secret key from `Authorization`, or why it is refused.
fn api_key(headers: &HeaderMap) -> Result<String, &'static str> {
    use base64::Engine;
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization header")?;
    let key = if let Some(b) = value.strip_prefix("Basic ") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|_| "Basic credentials are not base64")?;
        let text = String::from_utf8(raw).map_err(|_| "Basic credentials are not UTF-8")?;
        let (user, password) = text.split_once(':').ok_or("Basic credentials lack ':'")?;
        if !password.is_empty() {
            return Err("the Basic password must be empty (the key is the user name)");
        }
        user.to_string()
    } else if let Some(k) = value.strip_prefix("Bearer ") {
        k.trim().to_string()
    } else {
        return Err("Authorization is neither Basic nor Bearer");
    };
    if key.starts_with("sk_test_") || key.starts_with("rk_test_") {
        Ok(key)
    } else {
        Err("not a test secret key")
    }
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let key = match api_key(&headers) {
        Ok(k) => k,
        Err(why) => {
            s.control.violation(format!("stripe auth: {why}"));
            return unauthorized("");
        }
    };
    if key.contains("revoked") {
        return unauthorized(&key);
    }
    match headers.get("stripe-version").and_then(|v| v.to_str().ok()) {
        Some(v) if is_api_version(v) => {}
        other => s.control.violation(format!(
            "stripe: Stripe-Version missing or malformed: {other:?}"
        )),
    }
    let path = uri.path().to_string();
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if method == Method::GET {
        let a = ops::get(&s.stripe, &path, &query);
        return json_response(&a);
    }
    if method != Method::POST {
        return json_response(&unrecognized(&method, &path));
    }
    let form_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        s.control
            .violation("stripe: POST body is not application/x-www-form-urlencoded");
        return json_response(&Answer::invalid(
            "parameter_unknown",
            "Stripe expects a form-encoded body.",
            None,
        ));
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let idem = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(idem) = idem.filter(|k| !k.is_empty() && k.len() <= 255) else {
        s.control
            .violation("stripe: money-moving POST without a valid Idempotency-Key");
        let a = ops::post(&s, &path, &params);
        return json_response(&a);
    };
    let mut sorted = params.clone();
    sorted.sort();
    if let Some(stored) = s.stripe.lock().keys.get(&idem) {
        if stored.path == path && stored.params == sorted {
            return respond(stored.status, &stored.body, Some(&idem), true);
        }
        let message = format!(
            "Keys for idempotent requests can only be used with the same parameters they were \
             first used with. Try using a key other than '{idem}' if you meant to execute a \
             different request."
        );
        let e = bodies::error("idempotency_error", None, &message, None);
        return respond(400, &e.to_string(), Some(&idem), false);
    }
    let a = if std::mem::take(&mut s.stripe.lock().stored_500_next) {
        Answer {
            status: 500,
            body: bodies::error(
                "api_error",
                None,
                "An unknown error occurred while processing the request.",
                None,
            ),
            store: true,
        }
    } else {
        ops::post(&s, &path, &params)
    };
    let text = a.body.to_string();
    if a.store {
        s.stripe.lock().keys.insert(
            idem.clone(),
            Stored {
                path,
                params: sorted,
                status: a.status,
                body: text.clone(),
            },
        );
    }
    respond(a.status, &text, Some(&idem), false)
}

fn unauthorized(key: &str) -> Response<Body> {
    let shown = if key.len() > 12 {
        format!("{}****{}", &key[..8], &key[key.len() - 4..])
    } else {
        "****".to_string()
    };
    let e = bodies::error(
        "invalid_request_error",
        None,
        &format!("Invalid API Key provided: {shown}"),
        None,
    );
    respond(401, &e.to_string(), None, false)
}

fn is_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

pub(super) fn unrecognized(method: &Method, path: &str) -> Answer {
    Answer {
        status: 404,
        ..Answer::invalid(
            "resource_missing",
            &format!("Unrecognized request URL ({method}: {path})."),
            None,
        )
    }
}
