//! Reading Stripe's answers. The HTTP status says who decided: 200 is a PaymentIntent or refund
//! whose `status` tells the outcome; 402 is a card decline whose `error` carries the issuer's
//! reason; 400/401/403/404 are refusals of the request itself; 409 on an idempotency key means
//! the first call is still running and 5xx means Stripe may have acted, so both stay unknown.
//! Codes are mapped only through the domain's Stripe table, most specific field first
//! (`decline_code`, then `code`, then `type`), because `card_declined` alone says nothing.

use crate::wire;
use openflex_domain::ResponseCode;
use openflex_domain::decline::classify;
use openflex_domain::gateway_codes::{CodeField, map};
use openflex_engine::connector::{ConnectorResult, Operation, VerifyResult};
use serde_json::Value;

/// How to read an answer: what the call was.
#[derive(Debug, Clone, Copy)]
pub(super) enum Read {
    Payment(Operation),
    Capture,
    Void,
    Refund,
    /// A read-only call made before the payment (the customer's default card).
    Lookup,
}

/// The message of an answer that says the payment is still being processed.
pub(super) const PROCESSING: &str = "Stripe is still processing the payment";

pub(super) fn sent(read: Read, sent: wire::Sent) -> ConnectorResult {
    match sent {
        wire::Sent::Answered { status, body } => self::read(read, status, &body),
        wire::Sent::NotSent(why) => wire::not_sent(why),
        wire::Sent::Lost(why) => ConnectorResult::unknown(why),
    }
}

pub(super) fn read(read: Read, status: u16, body: &str) -> ConnectorResult {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    match (status, parsed) {
        (200, Some(v)) => match read {
            Read::Payment(op) => intent(op, &v),
            Read::Capture => follow_up(&v, &["succeeded"]),
            Read::Void => follow_up(&v, &["canceled"]),
            Read::Refund => refund(&v),
            Read::Lookup => approved_without_details(),
        },
        (200, None) => ConnectorResult::unknown("Stripe's answer could not be read"),
        (409, v) if error_code(v.as_ref()) == Some("idempotency_key_in_use") => {
            ConnectorResult::unknown("Stripe is still processing the first call with this key")
        }
        (401 | 403, _) => by_status(status),
        (500..=599, _) => {
            ConnectorResult::unknown(format!("Stripe answered HTTP {status}; it may have acted"))
        }
        (_, Some(v)) if v.get("error").is_some_and(Value::is_object) => error(status, &v["error"]),
        (404 | 429, _) => by_status(status),
        _ => ConnectorResult::unknown(format!(
            "Stripe answered HTTP {status} with a body that could not be read"
        )),
    }
}

/// The answer to the balance read of "test connection". A 401 is Stripe's word on a wrong or
/// revoked key, a 403 on a restricted key without the balance permission; both are refusals in
/// Stripe's own message (the key it quotes masked again here).
pub(super) fn verified(sent: wire::Sent) -> VerifyResult {
    let (status, body) = match sent {
        wire::Sent::Answered { status, body } => (status, body),
        wire::Sent::NotSent(why) | wire::Sent::Lost(why) => return VerifyResult::Unavailable(why),
    };
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    match (status, parsed) {
        (200, Some(v)) if text(&v, "/object") == Some("balance") => {
            VerifyResult::Accepted(format!(
                "Stripe accepted the secret key ({} mode): the account's balance was read; \
                 nothing was charged.",
                if v["livemode"] == Value::Bool(true) {
                    "live"
                } else {
                    "test"
                }
            ))
        }
        (500..=599, _) => VerifyResult::Unavailable(format!(
            "Stripe answered HTTP {status}; try again in a moment"
        )),
        (_, Some(v)) if v.get("error").is_some_and(Value::is_object) => {
            let e = &v["error"];
            let kind = text(e, "/code")
                .or_else(|| text(e, "/type"))
                .unwrap_or("error");
            let message = text(e, "/message").map(scrub).unwrap_or_default();
            VerifyResult::Refused(format!(
                "Stripe refused the key (HTTP {status}, {kind}): {message}"
            ))
        }
        _ => VerifyResult::Unavailable(format!(
            "Stripe answered HTTP {status} with a body that is not its API's"
        )),
    }
}

fn approved_without_details() -> ConnectorResult {
    ConnectorResult::refused(ResponseCode::APPROVED)
}

fn error_code(v: Option<&Value>) -> Option<&str> {
    v?.get("error")?.get("code")?.as_str()
}

pub(super) fn is_idempotency_error(body: &str) -> bool {
    serde_json::from_str::<Value>(body).is_ok_and(|v| {
        v.pointer("/error/type").and_then(Value::as_str) == Some("idempotency_error")
    })
}

fn by_status(status: u16) -> ConnectorResult {
    let status = status.to_string();
    ConnectorResult {
        gateway_code: Some(status.clone()),
        gateway_message: Some(format!("Stripe answered HTTP {status}")),
        ..ConnectorResult::refused(map(CodeField::StripeHttpStatus, &status).code)
    }
}

/// A refusal decided before Stripe (nothing to send, nothing sent).
pub(super) fn refusal(why: &str) -> ConnectorResult {
    ConnectorResult {
        gateway_message: Some(why.to_string()),
        ..ConnectorResult::refused(ResponseCode::VALIDATION_ERROR)
    }
}

/// The gateway's settings are unusable: a merchant configuration error, like Stripe's 401.
pub(super) fn config_refusal(why: String) -> ConnectorResult {
    ConnectorResult {
        gateway_message: Some(why),
        ..ConnectorResult::refused(map(CodeField::StripeHttpStatus, "401").code)
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// A Stripe `error` object (HTTP 4xx) read as a decided refusal.
fn error(status: u16, e: &Value) -> ConnectorResult {
    let fields = [
        ("decline_code", CodeField::StripeDeclineCode),
        ("code", CodeField::StripeErrorCode),
        ("type", CodeField::StripeErrorType),
    ];
    let picked = fields
        .iter()
        .find_map(|(name, field)| Some((text(e, &format!("/{name}"))?, *field)));
    let (gateway_code, mut code) = match picked {
        Some((c, field)) => (c.to_string(), mapped(field, c)),
        None => (
            status.to_string(),
            mapped(CodeField::StripeHttpStatus, &status.to_string()),
        ),
    };
    // The network's "never try again" outranks a reason the issuer lets us retry.
    if let Some(advice) = text(e, "/advice_code") {
        let a = mapped(CodeField::StripeAdviceCode, advice);
        if classify(code).retryable && !classify(a).retryable {
            code = a;
        }
    }
    let pi = e.get("payment_intent").filter(|p| p.is_object());
    let mut r = ConnectorResult {
        gateway_code: Some(gateway_code),
        gateway_message: text(e, "/message").map(scrub),
        gateway_transaction_id: pi.and_then(|p| text(p, "/id")).map(str::to_string),
        ..ConnectorResult::refused(code)
    };
    if let Some(charge) = pi
        .and_then(|p| p.get("latest_charge"))
        .filter(|c| c.is_object())
    {
        checks(&mut r, charge);
    }
    r
}

fn mapped(field: CodeField, code: &str) -> ResponseCode {
    let m = map(field, code);
    if !m.listed {
        tracing::warn!(
            gateway = "stripe",
            ?field,
            code,
            "Stripe code not in the table"
        );
    }
    m.code
}

/// A PaymentIntent answered by a create-and-confirm (or its replay, retrieve or search).
fn intent(op: Operation, pi: &Value) -> ConnectorResult {
    let status = text(pi, "/status").unwrap_or("");
    let id = text(pi, "/id").map(str::to_string);
    let charge = pi.get("latest_charge").filter(|c| c.is_object());
    let mut r = match status {
        "succeeded" | "requires_capture" => {
            let wanted = if op == Operation::Authorize {
                "requires_capture"
            } else {
                "succeeded"
            };
            if status != wanted {
                tracing::warn!(
                    gateway = "stripe",
                    status,
                    "PaymentIntent in an unexpected state"
                );
            }
            let mut r = ConnectorResult::refused(ResponseCode::APPROVED);
            r.gateway_message = charge
                .and_then(|c| text(c, "/outcome/seller_message"))
                .map(scrub);
            r.network_transaction_id = charge
                .and_then(|c| text(c, "/payment_method_details/card/network_transaction_id"))
                .map(str::to_string);
            r
        }
        "processing" => ConnectorResult::unknown(PROCESSING),
        "requires_action" => ConnectorResult {
            gateway_message: Some("Stripe asks for cardholder authentication (3DS)".into()),
            ..ConnectorResult::refused(mapped(
                CodeField::StripeDeclineCode,
                "authentication_required",
            ))
        },
        _ => match pi.get("last_payment_error").filter(|e| e.is_object()) {
            Some(e) => error(402, e),
            None => ConnectorResult::refused(mapped(CodeField::StripeOutcomeType, status)),
        },
    };
    if r.gateway_code.is_none() {
        r.gateway_code = Some(status.to_string());
    }
    r.gateway_transaction_id = id;
    if let Some(c) = charge {
        checks(&mut r, c);
    }
    r
}

/// A capture or cancel answered with the PaymentIntent: approved when it reached `expected`.
fn follow_up(pi: &Value, expected: &[&str]) -> ConnectorResult {
    let status = text(pi, "/status").unwrap_or("");
    let code = if expected.contains(&status) {
        ResponseCode::APPROVED
    } else {
        mapped(
            CodeField::StripeErrorCode,
            "payment_intent_unexpected_state",
        )
    };
    ConnectorResult {
        gateway_transaction_id: text(pi, "/id").map(str::to_string),
        gateway_code: Some(status.to_string()),
        ..ConnectorResult::refused(code)
    }
}

/// A refund object: `pending` counts as accepted (Stripe finishes it asynchronously).
fn refund(v: &Value) -> ConnectorResult {
    let status = text(v, "/status").unwrap_or("");
    let code = match status {
        "succeeded" | "pending" | "requires_action" => ResponseCode::APPROVED,
        _ => match text(v, "/failure_reason") {
            Some(reason) => mapped(CodeField::StripeErrorCode, reason),
            None => mapped(CodeField::StripeOutcomeType, status),
        },
    };
    ConnectorResult {
        gateway_transaction_id: text(v, "/id").map(str::to_string),
        gateway_code: Some(status.to_string()),
        ..ConnectorResult::refused(code)
    }
}

/// A search result: the first PaymentIntent with our reference, or still unknown.
pub(super) fn search_hit(read: Read, body: &str) -> ConnectorResult {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return ConnectorResult::unknown("Stripe's search answer could not be read");
    };
    let op = match read {
        Read::Payment(op) => op,
        _ => Operation::Sale,
    };
    match v
        .get("data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
    {
        Some(pi) => intent(op, pi),
        None => ConnectorResult::unknown(
            "Stripe's search does not show the payment yet (its index lags); ask again later",
        ),
    }
}

/// `invoice_settings.default_payment_method`, else `default_source`, as an id.
pub(super) fn default_payment_method(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    [
        "/invoice_settings/default_payment_method",
        "/default_source",
    ]
    .iter()
    .filter_map(|p| v.pointer(p))
    .find_map(|x| x.as_str().or_else(|| text(x, "/id")).map(str::to_string))
}

/// AVS and CVV letters from `payment_method_details.card.checks` of a charge.
fn checks(r: &mut ConnectorResult, charge: &Value) {
    let c = |name: &str| {
        text(
            charge,
            &format!("/payment_method_details/card/checks/{name}"),
        )
    };
    let (line1, postal) = (c("address_line1_check"), c("address_postal_code_check"));
    let avs = match (line1, postal) {
        (None | Some("unchecked"), None | Some("unchecked")) => None,
        (Some("pass"), Some("pass")) => Some(("Y", "Street address and postal code match.")),
        (Some("pass"), Some("fail")) => {
            Some(("A", "Street address matches, postal code does not."))
        }
        (Some("fail"), Some("pass")) => {
            Some(("Z", "Postal code matches, street address does not."))
        }
        (Some("pass"), _) => Some(("B", "Street address matches, postal code not verified.")),
        (_, Some("pass")) => Some(("P", "Postal code matches, street address not verified.")),
        (Some("fail"), _) | (_, Some("fail")) => {
            Some(("N", "Street address and postal code do not match."))
        }
        _ => Some(("U", "Address information is unavailable.")),
    };
    if let Some((code, message)) = avs {
        r.avs_code = Some(code.into());
        r.avs_message = Some(message.into());
    }
    let cvv = match c("cvc_check") {
        Some("pass") => Some(("M", "CVV matches.")),
        Some("fail") => Some(("N", "CVV does not match.")),
        Some("unavailable") => Some(("U", "The issuer could not check the CVV.")),
        Some("unchecked") => Some(("P", "The CVV was not processed.")),
        _ => None,
    };
    if let Some((code, message)) = cvv {
        r.cvv_code = Some(code.into());
        r.cvv_message = Some(message.into());
    }
}

/// Stripe's message without anything that could be a card number, a key or an echoed value.
fn scrub(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            let digits = word.chars().filter(char::is_ascii_digit).count();
            let keyish = ["sk_", "rk_", "pk_"].iter().any(|p| word.contains(p));
            if digits >= 4 || keyish {
                "[hidden]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflex_engine::connector::Outcome;

    #[test]
    fn declines_read_the_most_specific_code() {
        let body = r#"{"error":{"type":"card_error","code":"card_declined",
            "decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#;
        let r = read(Read::Payment(Operation::Sale), 402, body);
        assert_eq!(r.code, ResponseCode(20023));
        assert_eq!(r.gateway_code.as_deref(), Some("insufficient_funds"));
        let body = r#"{"error":{"type":"invalid_request_error","code":"parameter_unknown"}}"#;
        assert_eq!(read(Read::Capture, 400, body).code, ResponseCode(30016));
        let body = r#"{"error":{"type":"api_error"}}"#;
        assert_eq!(read(Read::Refund, 400, body).code, ResponseCode(20046));
    }

    #[test]
    fn advice_never_retry_wins_over_a_soft_reason() {
        let body = r#"{"error":{"type":"card_error","code":"card_declined",
            "decline_code":"generic_decline","advice_code":"do_not_try_again"}}"#;
        let r = read(Read::Payment(Operation::Sale), 402, body);
        assert!(!classify(r.code).retryable);
    }

    #[test]
    fn server_errors_and_busy_keys_are_unknown() {
        let op = Read::Payment(Operation::Sale);
        assert!(read(op, 500, "{}").is_unknown());
        assert!(read(op, 503, "oops").is_unknown());
        let busy = r#"{"error":{"type":"idempotency_error","code":"idempotency_key_in_use"}}"#;
        assert!(read(op, 409, busy).is_unknown());
        assert!(read(op, 402, "<html>").is_unknown());
        assert_eq!(read(op, 401, "").code, ResponseCode(30096));
        assert_eq!(read(op, 429, "").outcome, Outcome::Decided);
    }

    #[test]
    fn scrub_hides_numbers_and_keys() {
        let s = scrub("Invalid API Key provided: sk_test_****abcd for 4242424242424242");
        assert!(!s.contains("sk_test") && !s.contains("4242"), "{s}");
        assert_eq!(scrub("Your card was declined."), "Your card was declined.");
    }

    #[test]
    fn avs_letters() {
        let charge = serde_json::json!({"payment_method_details": {"card": {"checks": {
            "address_line1_check": "pass", "address_postal_code_check": "fail",
            "cvc_check": "pass"}}}});
        let mut r = ConnectorResult::refused(ResponseCode::APPROVED);
        checks(&mut r, &charge);
        assert_eq!(r.avs_code.as_deref(), Some("A"));
        assert_eq!(r.cvv_code.as_deref(), Some("M"));
    }
}
