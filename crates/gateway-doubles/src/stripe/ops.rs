//! The double's endpoints: create-and-confirm, capture, cancel, refund, retrieve, search, the
//! customer read and the balance read, each validating its parameters the way Stripe
//! documents them.

use super::bodies::{self, CardOutcome, ChargeFacts};
use super::{Answer, Intent, Ledger, Shared, Stripe, meta, unrecognized};
use axum::http::Method;
use serde_json::{Value, json};

type Params = [(String, String)];

fn one<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn expands(p: &Params, what: &str) -> bool {
    p.iter()
        .any(|(k, v)| (k == "expand[]" || k.starts_with("expand[")) && v == what)
}

/// Parameter names each endpoint accepts; `*` ends a prefix.
const CREATE: &[&str] = &[
    "amount",
    "currency",
    "confirm",
    "capture_method",
    "payment_method_types[*",
    "metadata[*",
    "expand[*",
    "payment_method",
    "customer",
    "setup_future_usage",
    "off_session",
    "description",
    "statement_descriptor",
    "receipt_email",
    "payment_method_data[type]",
    "payment_method_data[card][number]",
    "payment_method_data[card][exp_month]",
    "payment_method_data[card][exp_year]",
    "payment_method_data[card][cvc]",
    "payment_method_data[billing_details][name]",
    "payment_method_data[billing_details][email]",
    "payment_method_data[billing_details][phone]",
    "payment_method_data[billing_details][address][*",
    "payment_method_options[card][mit_exemption][network_transaction_id]",
];
const CAPTURE: &[&str] = &["amount_to_capture", "expand[*", "metadata[*"];
const CANCEL: &[&str] = &["cancellation_reason", "expand[*"];
const REFUND: &[&str] = &[
    "payment_intent",
    "charge",
    "amount",
    "reason",
    "metadata[*",
    "expand[*",
];

fn unknown_param(p: &Params, allowed: &[&str]) -> Option<Answer> {
    let bad = p.iter().map(|(k, _)| k).find(|k| {
        !allowed.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => k.starts_with(prefix) && k.ends_with(']'),
            None => k == a,
        })
    })?;
    Some(Answer::invalid(
        "parameter_unknown",
        &format!("Received unknown parameter: {bad}"),
        Some(bad),
    ))
}

fn positive(p: &Params, key: &str, required: bool) -> Result<Option<i64>, Answer> {
    match one(p, key) {
        None if required => Err(Answer::invalid(
            "parameter_missing",
            &format!("Missing required param: {key}."),
            Some(key),
        )),
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=99_999_999).contains(&n) => Ok(Some(n)),
            _ => Err(Answer::invalid(
                "parameter_invalid_integer",
                &format!("Invalid positive integer for {key}."),
                Some(key),
            )),
        },
    }
}

/// The refusal of a parameter the endpoint does not know, recorded as a violation.
fn checked(s: &Shared, p: &Params, allowed: &[&str]) -> Option<Answer> {
    let refusal = unknown_param(p, allowed)?;
    s.control
        .violation(format!("stripe: {}", refusal.body["error"]["message"]));
    Some(refusal)
}

pub(super) fn post(s: &Shared, path: &str, p: &Params) -> Answer {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["v1", "payment_intents"] => create(s, p),
        ["v1", "payment_intents", id, "capture"] => {
            checked(s, p, CAPTURE).unwrap_or_else(|| capture(&s.stripe, id, p))
        }
        ["v1", "payment_intents", id, "cancel"] => {
            checked(s, p, CANCEL).unwrap_or_else(|| cancel(&s.stripe, id, p))
        }
        ["v1", "refunds"] => checked(s, p, REFUND).unwrap_or_else(|| refund(&s.stripe, p)),
        _ => unrecognized(&Method::POST, path),
    }
}

pub(super) fn get(stripe: &Stripe, path: &str, q: &Params) -> Answer {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["v1", "payment_intents", "search"] => search(stripe, q),
        ["v1", "payment_intents", id] => {
            let l = stripe.lock();
            match l.intents.iter().find(|i| i.id == *id) {
                Some(i) => Answer::ok(intent_json(i, expands(q, "latest_charge"))),
                None => missing("payment_intent", id),
            }
        }
        ["v1", "customers", id] => customer(id),
        ["v1", "balance"] => match unknown_param(q, &["expand[*"]) {
            Some(refusal) => refusal,
            None => balance(stripe),
        },
        _ => unrecognized(&Method::GET, path),
    }
}

/// `GET /v1/balance`: what the account's payments left it, per currency, all of it still
/// `pending` (the double never pays out), as Stripe shapes the balance object.
fn balance(stripe: &Stripe) -> Answer {
    let mut by_currency: Vec<(String, i64)> = Vec::new();
    for i in &stripe.lock().intents {
        let net = i.received - i.refunded;
        match by_currency.iter_mut().find(|(c, _)| *c == i.currency) {
            Some((_, sum)) => *sum += net,
            None => by_currency.push((i.currency.clone(), net)),
        }
    }
    if by_currency.is_empty() {
        by_currency.push(("usd".into(), 0));
    }
    let funds = |pending: bool| -> Vec<Value> {
        by_currency
            .iter()
            .map(|(c, sum)| {
                let amount = if pending { *sum } else { 0 };
                json!({"amount": amount, "currency": c, "source_types": {"card": amount}})
            })
            .collect()
    };
    Answer::ok(json!({
        "object": "balance",
        "available": funds(false),
        "pending": funds(true),
        "livemode": false,
    }))
}

fn missing(kind: &str, id: &str) -> Answer {
    Answer {
        status: 404,
        ..Answer::invalid(
            "resource_missing",
            &format!("No such {kind}: '{id}'"),
            Some("id"),
        )
    }
}

/// The seeded customers' default cards: (invoice default payment method, default source).
fn customer_defaults(id: &str) -> Option<(Option<&'static str>, Option<&'static str>)> {
    match id {
        "cus_test_default" => Some((Some("pm_card_visa"), None)),
        "cus_test_source" => Some((None, Some("card_1OfxLegacySource000000"))),
        "cus_test_empty" => Some((None, None)),
        _ => None,
    }
}

fn customer(id: &str) -> Answer {
    let Some((pm, source)) = customer_defaults(id) else {
        return missing("customer", id);
    };
    Answer::ok(json!({
        "id": id, "object": "customer", "balance": 0, "created": 1_700_000_000,
        "currency": "usd", "default_source": source, "delinquent": false, "description": null,
        "email": "jenny.rosen@example.com",
        "invoice_settings": {"custom_fields": null, "default_payment_method": pm, "footer": null,
            "rendering_options": null},
        "livemode": false, "metadata": {}, "name": "Jenny Rosen"
    }))
}

fn card_error(i: &Intent, pm: Value) -> Answer {
    let (code, decline, message) = i.failure.expect("a declined intent");
    let mut e = bodies::error("card_error", Some(code), message, None);
    let err = &mut e["error"];
    err["charge"] = json!(i.charge);
    if let Some(d) = decline {
        err["decline_code"] = json!(d);
    }
    err["payment_intent"] = intent_json(i, true);
    err["payment_method"] = pm;
    err["request_log_url"] = json!("https://dashboard.stripe.com/test/logs/req_double");
    Answer {
        status: 402,
        body: e,
        store: true,
    }
}

fn payment_method_json(id: &str, number: &str, exp: (u32, u32)) -> Value {
    json!({"id": id, "object": "payment_method", "type": "card", "livemode": false,
        "card": {"brand": bodies::brand(number), "last4": &number[number.len() - 4..],
            "exp_month": exp.0, "exp_year": exp.1, "country": "US", "funding": "credit"}})
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card-data refusal: `error.code` and Stripe's message.
type CardDataError = (&'static str, &'static str);

/// The card of a `payment_method_data` request: number, expiry, whether a cvc came, or the
/// 402 Stripe gives.
fn raw_card(p: &Params) -> Result<(String, (u32, u32), bool), CardDataError> {
    let number = one(p, "payment_method_data[card][number]").unwrap_or("");
    if number.len() < 12
        || number.len() > 19
        || !number.bytes().all(|b| b.is_ascii_digit())
        || !luhn(number)
    {
        return Err(("incorrect_number", "Your card number is incorrect."));
    }
    let month = one(p, "payment_method_data[card][exp_month]").and_then(|m| m.parse().ok());
    let Some(month) = month.filter(|m| (1..=12).contains(m)) else {
        return Err((
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
        ));
    };
    let year = one(p, "payment_method_data[card][exp_year]").and_then(|y| y.parse().ok());
    let Some(year) = year.filter(|y| (2000..=2100).contains(y)) else {
        return Err((
            "invalid_expiry_year",
            "Your card's expiration year is invalid.",
        ));
    };
    let cvc = one(p, "payment_method_data[card][cvc]");
    if let Some(c) = cvc
        && !((3..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(("invalid_cvc", "Your card's security code is invalid."));
    }
    Ok((number.to_string(), (month, year), cvc.is_some()))
}

fn create(s: &Shared, p: &Params) -> Answer {
    if let Some(a) = checked(s, p, CREATE) {
        return a;
    }
    let amount = match positive(p, "amount", true) {
        Ok(a) => a.unwrap_or(0),
        Err(a) => return a,
    };
    let currency = one(p, "currency").unwrap_or("");
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Answer::invalid(
            "parameter_invalid_string",
            "Invalid currency.",
            Some("currency"),
        );
    }
    if one(p, "confirm") != Some("true") {
        s.control
            .violation("stripe: PaymentIntent not confirmed in the create call");
    }
    let manual = match one(p, "capture_method").unwrap_or("automatic") {
        "automatic" | "automatic_async" => false,
        "manual" => true,
        _ => {
            return Answer::invalid(
                "parameter_invalid_string",
                "Invalid capture_method.",
                Some("capture_method"),
            );
        }
    };
    let off_session = match one(p, "off_session") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Answer::invalid(
                "parameter_invalid_boolean",
                "Invalid boolean: off_session",
                Some("off_session"),
            );
        }
    };
    let mit_ntid = one(
        p,
        "payment_method_options[card][mit_exemption][network_transaction_id]",
    );
    if mit_ntid.is_some() && !off_session {
        s.control
            .violation("stripe: mit_exemption network_transaction_id without off_session=true");
        return Answer::invalid(
            "parameter_invalid_empty",
            "mit_exemption is only allowed for off-session payments.",
            Some("payment_method_options[card][mit_exemption]"),
        );
    }
    let sfu = one(p, "setup_future_usage");
    if sfu.is_some_and(|v| v != "off_session" && v != "on_session") {
        return Answer::invalid(
            "parameter_invalid_string",
            "Invalid setup_future_usage.",
            Some("setup_future_usage"),
        );
    }
    let customer = one(p, "customer");
    if let Some(c) = customer
        && customer_defaults(c).is_none()
    {
        return missing("customer", c);
    }
    let has_data = p.iter().any(|(k, _)| k.starts_with("payment_method_data["));
    let pm_param = one(p, "payment_method");
    let mut l = s.stripe.lock();
    let created = 1_700_000_000 + i64::try_from(l.seq).unwrap_or(0);
    let (pm, number, exp, cvc_sent, card_err) = match (has_data, pm_param) {
        (true, Some(_)) | (false, None) => {
            s.control
                .violation("stripe: exactly one of payment_method_data / payment_method is needed");
            return Answer::invalid(
                "parameter_missing",
                "You must provide exactly one of payment_method or payment_method_data.",
                Some("payment_method"),
            );
        }
        (true, None) => {
            if one(p, "payment_method_data[type]") != Some("card") {
                return Answer::invalid(
                    "parameter_missing",
                    "Missing required param: payment_method_data[type].",
                    Some("payment_method_data[type]"),
                );
            }
            let pm = l.next_id("pm");
            match raw_card(p) {
                Ok((n, e, c)) => (pm, n, e, c, None),
                Err(err) => (pm, "4242424242424242".into(), (12, 2030), false, Some(err)),
            }
        }
        (false, Some(pm)) => {
            let ok = pm.starts_with("pm_") || (pm.starts_with("card_") && customer.is_some());
            if !ok {
                return missing("PaymentMethod", pm);
            }
            (
                pm.to_string(),
                bodies::test_payment_method(pm).to_string(),
                (12, 2030),
                false,
                None,
            )
        }
    };
    let outcome = match card_err {
        Some((code, message)) => CardOutcome::Decline(code, Some(code), message),
        None => bodies::card_outcome(&number),
    };
    let billing = |k: &str| {
        one(
            p,
            &format!("payment_method_data[billing_details][address][{k}]"),
        )
    };
    let address_fail = outcome == CardOutcome::ApproveAddressFail;
    let check = |sent: bool| match (sent, address_fail) {
        (false, _) => None,
        (true, false) => Some("pass"),
        (true, true) => Some("fail"),
    };
    let failure = match outcome {
        CardOutcome::Decline(code, decline, message) => Some((code, decline, message)),
        _ => None,
    };
    let approved = failure.is_none();
    let ntid = approved.then(|| format!("{:015}", 100_000_000_000_000 + l.seq * 7_654_321));
    let intent = Intent {
        id: l.next_id("pi"),
        charge: l.next_id("ch"),
        amount,
        currency: currency.to_string(),
        manual,
        status: match (approved, manual) {
            (false, _) => "requires_payment_method",
            (true, true) => "requires_capture",
            (true, false) => "succeeded",
        },
        capturable: if approved && manual { amount } else { 0 },
        received: if approved && !manual { amount } else { 0 },
        refunded: 0,
        customer: customer.map(str::to_string),
        pm: pm.clone(),
        number,
        exp,
        checks: [
            check(billing("line1").is_some()),
            check(billing("postal_code").is_some()),
            cvc_sent.then_some("pass"),
        ],
        ntid,
        metadata: p
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                Some((key.to_string(), v.clone()))
            })
            .collect(),
        off_session,
        setup_future_usage: sfu.map(str::to_string),
        mit_ntid: mit_ntid.map(str::to_string),
        failure,
        cancellation_reason: None,
        created,
    };
    let answer = if approved {
        Answer::ok(intent_json(&intent, expands(p, "latest_charge")))
    } else {
        card_error(&intent, payment_method_json(&pm, &intent.number, exp))
    };
    l.intents.push(intent);
    answer
}

fn unexpected_state(i: &Intent, action: &str, allowed: &str) -> Answer {
    Answer::refused(
        "payment_intent_unexpected_state",
        &format!(
            "This PaymentIntent could not be {action} because it has a status of {}. Only a \
             PaymentIntent with one of the following statuses may be {action}: {allowed}.",
            i.status
        ),
        None,
    )
}

fn capture(stripe: &Stripe, id: &str, p: &Params) -> Answer {
    let amount = match positive(p, "amount_to_capture", false) {
        Ok(a) => a,
        Err(a) => return a,
    };
    let mut l = stripe.lock();
    let Some(i) = l.intent(id) else {
        return missing("payment_intent", id);
    };
    if i.status != "requires_capture" {
        return unexpected_state(i, "captured", "requires_capture");
    }
    let amount = amount.unwrap_or(i.capturable);
    if amount > i.capturable {
        return Answer::refused(
            "amount_too_large",
            "The amount_to_capture must be less than or equal to the amount_capturable.",
            Some("amount_to_capture"),
        );
    }
    i.received = amount;
    i.capturable = 0;
    i.status = "succeeded";
    Answer::ok(intent_json(i, expands(p, "latest_charge")))
}

fn cancel(stripe: &Stripe, id: &str, p: &Params) -> Answer {
    let reason = one(p, "cancellation_reason");
    let reasons = [
        "duplicate",
        "fraudulent",
        "requested_by_customer",
        "abandoned",
    ];
    if reason.is_some_and(|r| !reasons.contains(&r)) {
        return Answer::invalid(
            "parameter_invalid_string",
            "Invalid cancellation_reason.",
            Some("cancellation_reason"),
        );
    }
    let mut l = stripe.lock();
    let Some(i) = l.intent(id) else {
        return missing("payment_intent", id);
    };
    let cancellable = [
        "requires_payment_method",
        "requires_capture",
        "requires_confirmation",
        "requires_action",
        "processing",
    ];
    if !cancellable.contains(&i.status) {
        return unexpected_state(i, "canceled", &cancellable.join(", "));
    }
    i.status = "canceled";
    i.capturable = 0;
    i.cancellation_reason = reason.map(str::to_string);
    Answer::ok(intent_json(i, expands(p, "latest_charge")))
}

fn refund(stripe: &Stripe, p: &Params) -> Answer {
    let amount = match positive(p, "amount", false) {
        Ok(a) => a,
        Err(a) => return a,
    };
    let Some(id) = one(p, "payment_intent") else {
        return Answer::invalid(
            "parameter_missing",
            "Missing required param: payment_intent.",
            Some("payment_intent"),
        );
    };
    let mut l: std::sync::MutexGuard<'_, Ledger> = stripe.lock();
    let re = l.next_id("re");
    let Some(i) = l.intent(id) else {
        return missing("payment_intent", id);
    };
    if i.status != "succeeded" || i.received == 0 {
        return Answer::refused(
            "charge_not_refundable",
            "This PaymentIntent has no successful charge to refund.",
            Some("payment_intent"),
        );
    }
    let left = i.received - i.refunded;
    if left == 0 {
        return Answer::refused(
            "charge_already_refunded",
            &format!("Charge {} has already been refunded.", i.charge),
            None,
        );
    }
    let amount = amount.unwrap_or(left);
    if amount > left {
        return Answer::refused(
            "amount_too_large",
            "Refund amount is greater than unrefunded amount on charge.",
            Some("amount"),
        );
    }
    i.refunded += amount;
    let body = bodies::refund(&re, &i.id, &i.charge, amount, &i.currency, i.created);
    l.refunds += 1;
    Answer::ok(body)
}

/// Only `metadata['<key>']:'<value>'` is understood, the one query the connector makes.
fn search(stripe: &Stripe, q: &Params) -> Answer {
    let query = one(q, "query").unwrap_or("");
    let parsed = query
        .strip_prefix("metadata['")
        .and_then(|r| r.split_once("']:'"))
        .and_then(|(k, v)| Some((k, v.strip_suffix('\'')?)));
    let Some((key, value)) = parsed else {
        return Answer::invalid(
            "parameter_invalid_string",
            "The search query could not be parsed.",
            Some("query"),
        );
    };
    let l = stripe.lock();
    let data = if l.search_hidden {
        Vec::new()
    } else {
        l.intents
            .iter()
            .filter(|i| meta(&i.metadata, key).as_deref() == Some(value))
            .map(|i| intent_json(i, expands(q, "data.latest_charge")))
            .collect()
    };
    Answer::ok(bodies::search_result(data))
}

pub(super) fn intent_json(i: &Intent, expand: bool) -> Value {
    let latest = if expand {
        bodies::charge(&ChargeFacts {
            id: &i.charge,
            intent: &i.id,
            pm: &i.pm,
            amount: i.amount,
            currency: &i.currency,
            captured: i.received,
            refunded: i.refunded,
            paid: i.failure.is_none(),
            number: &i.number,
            exp: i.exp,
            checks: i.checks,
            ntid: i.ntid.as_deref(),
            failure: i.failure,
            created: i.created,
        })
    } else {
        json!(i.charge)
    };
    let metadata: serde_json::Map<String, Value> = i
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let last_error = i.failure.map(|(code, decline, message)| {
        json!({"charge": i.charge, "code": code, "decline_code": decline, "message": message,
            "payment_method": {"id": i.pm, "object": "payment_method", "type": "card"},
            "type": "card_error"})
    });
    json!({
        "id": i.id,
        "object": "payment_intent",
        "amount": i.amount,
        "amount_capturable": i.capturable,
        "amount_received": i.received,
        "application": null,
        "canceled_at": if i.status == "canceled" { json!(i.created + 60) } else { Value::Null },
        "cancellation_reason": i.cancellation_reason,
        "capture_method": if i.manual { "manual" } else { "automatic" },
        "client_secret": format!("{}_secret_double", i.id),
        "confirmation_method": "automatic",
        "created": i.created,
        "currency": i.currency,
        "customer": i.customer,
        "description": null,
        "last_payment_error": last_error,
        "latest_charge": latest,
        "livemode": false,
        "metadata": metadata,
        "next_action": null,
        "payment_method": i.pm,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "setup_future_usage": i.setup_future_usage,
        "status": i.status
    })
}
