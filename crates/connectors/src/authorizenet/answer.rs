//! Reading Authorize.net answers. Every call answers HTTP 200 with a body that starts with a
//! UTF-8 byte-order mark; the outcome is in the body: `messages.resultCode` says whether the
//! call was processed, `transactionResponse.responseCode` whether the payment was approved,
//! and the response reason code (`errors[].errorCode` or `messages[].code`) why. The details
//! and list calls number some of these fields where `createTransaction` quotes them, so numbers
//! and strings are both read.

use openflex_domain::codes::ResponseCode;
use openflex_domain::gateway_codes::{CodeField, map};
use openflex_engine::connector::ConnectorResult;
use serde_json::Value;

/// A parsed body, or why the answer cannot be trusted (an unknown outcome).
pub fn parse(status: u16, body: &str) -> Result<Value, String> {
    if status >= 500 {
        return Err(format!("authorizenet answered HTTP {status}"));
    }
    let text = body.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(format!(
            "authorizenet answered HTTP {status} with a body that is not its JSON"
        )),
    }
}

/// A field as text, whether the gateway quoted it or not; empty is absent.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A gateway text fit for `gateway_message`. Schema errors (E00003) quote the refused value
/// ("... element is invalid - The value '…' is invalid according to its datatype ..."), which
/// may be a card number or card code: everything from the quote on is dropped.
fn said(v: Option<&Value>) -> Option<String> {
    let t = text(v)?;
    match t.find("The value") {
        Some(at) => Some(t[..at].trim_end_matches([' ', '-']).to_string()),
        None => Some(t),
    }
}

/// `messages.resultCode` and the first `messages.message[]` (code, text).
pub struct Envelope {
    pub ok: bool,
    pub code: Option<String>,
    pub text: Option<String>,
}

pub fn envelope(v: &Value) -> Envelope {
    let messages = &v["messages"];
    let first = first_of(&messages["message"]);
    Envelope {
        ok: text(messages.get("resultCode")).as_deref() == Some("Ok"),
        code: first.and_then(|m| text(m.get("code"))),
        text: first.and_then(|m| said(m.get("text"))),
    }
}

/// The first item of a JSON array (or the object itself, as some serialisers flatten a
/// one-item list).
fn first_of(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(v),
        _ => None,
    }
}

/// A call refused before any transaction was looked at (bad credentials, malformed request):
/// the message code decides.
pub fn refused_call(env: &Envelope) -> ConnectorResult {
    let code = env.code.clone().unwrap_or_else(|| "Error".into());
    let mapped = match &env.code {
        Some(c) => map(CodeField::AuthorizeNetMessageCode, c),
        None => map(CodeField::AuthorizeNetResultCode, "Error"),
    };
    ConnectorResult {
        gateway_code: Some(code),
        gateway_message: env.text.clone(),
        ..ConnectorResult::refused(mapped.code)
    }
}

/// The payment-level facts of a `transactionResponse` or a `getTransactionDetails` transaction.
pub struct Txn {
    pub response_code: Option<String>,
    pub reason_code: Option<String>,
    pub reason_text: Option<String>,
    pub trans_id: Option<String>,
    pub avs: Option<String>,
    pub cvv: Option<String>,
    pub network_trans_id: Option<String>,
}

/// `createTransactionResponse.transactionResponse`.
pub fn transaction_response(tr: &Value) -> Txn {
    let error = first_of(&tr["errors"]);
    let message = first_of(&tr["messages"]);
    let (reason_code, reason_text) = match (error, message) {
        (Some(e), _) => (text(e.get("errorCode")), said(e.get("errorText"))),
        (None, Some(m)) => (text(m.get("code")), said(m.get("description"))),
        (None, None) => (None, None),
    };
    Txn {
        response_code: text(tr.get("responseCode")),
        reason_code,
        reason_text,
        trans_id: text(tr.get("transId")).filter(|t| t != "0"),
        avs: text(tr.get("avsResultCode")),
        cvv: text(tr.get("cvvResultCode")),
        network_trans_id: text(tr.get("networkTransId")),
    }
}

/// `getTransactionDetailsResponse.transaction`.
pub fn details(t: &Value) -> Txn {
    Txn {
        response_code: text(t.get("responseCode")),
        reason_code: text(t.get("responseReasonCode")),
        reason_text: said(t.get("responseReasonDescription")),
        trans_id: text(t.get("transId")).filter(|t| t != "0"),
        avs: text(t.get("AVSResponse")),
        cvv: text(t.get("cardCodeResponse")),
        network_trans_id: text(t.get("networkTransId")),
    }
}

/// The FlexPay result of a transaction. The reason code decides (it is the finer one), except
/// that a reason reading as approved cannot approve a payment whose `responseCode` is not 1: a
/// payment held for review (4) carries reason 1 with a review text.
pub fn result(t: Txn) -> ConnectorResult {
    let response = t.response_code.as_deref().unwrap_or("");
    let by_response = map(CodeField::AuthorizeNetResponseCode, response).code;
    let code = match &t.reason_code {
        Some(reason) => {
            let by_reason = map(CodeField::AuthorizeNetReasonCode, reason).code;
            if by_reason.is_approved() && response != "1" {
                by_response
            } else {
                by_reason
            }
        }
        None => by_response,
    };
    let (avs_code, avs_message) = avs(t.avs.as_deref());
    let (cvv_code, cvv_message) = cvv(t.cvv.as_deref());
    ConnectorResult {
        avs_code,
        avs_message,
        cvv_code,
        cvv_message,
        gateway_transaction_id: t.trans_id,
        gateway_code: t.reason_code.or(t.response_code),
        gateway_message: t.reason_text,
        network_transaction_id: t.network_trans_id,
        ..ConnectorResult::refused(code)
    }
}

/// A `createTransactionResponse`: the transaction's result, or the call's refusal when no
/// transaction was attempted.
pub fn create_result(v: &Value) -> ConnectorResult {
    match v.get("transactionResponse") {
        Some(tr @ Value::Object(_)) if tr.get("responseCode").is_some() => {
            result(transaction_response(tr))
        }
        _ => {
            let env = envelope(v);
            if env.ok {
                // Processed, yet no transaction to read: nothing says it was approved.
                ConnectorResult {
                    gateway_code: env.code,
                    gateway_message: Some("answer without a transactionResponse".into()),
                    ..ConnectorResult::refused(ResponseCode(20046))
                }
            } else {
                refused_call(&env)
            }
        }
    }
}

/// Authorize.net AVS letters as FlexPay's (Visa's). Authorize.net's own `B` (address not
/// provided) and `P` (AVS not applicable) mean something else in Visa's table, so they become
/// `U` and `S`.
fn avs(letter: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(letter) = letter else {
        return (None, None);
    };
    let (code, message) = match letter {
        "A" => ("A", "Street address matches, postal code does not."),
        "B" => ("U", "Address information was not provided."),
        "E" => ("E", "AVS error."),
        "G" => ("G", "Non-U.S. card issuer; AVS not supported."),
        "N" => ("N", "Neither street address nor postal code matches."),
        "P" => ("S", "AVS not applicable to this transaction."),
        "R" => ("R", "AVS unavailable; retry."),
        "S" => ("S", "AVS not supported by the issuer."),
        "U" => ("U", "Address information unavailable."),
        "W" => (
            "W",
            "Nine-digit postal code matches, street address does not.",
        ),
        "X" => ("X", "Street address and nine-digit postal code match."),
        "Y" => ("Y", "Street address and five-digit postal code match."),
        "Z" => (
            "Z",
            "Five-digit postal code matches, street address does not.",
        ),
        _ => ("U", "Unrecognised AVS result."),
    };
    (Some(code.into()), Some(message.into()))
}

/// Authorize.net card-code letters as FlexPay's M / N / P / U.
fn cvv(letter: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(letter) = letter else {
        return (None, None);
    };
    let (code, message) = match letter {
        "M" => ("M", "Card code matches."),
        "N" => ("N", "Card code does not match."),
        "P" => ("P", "Card code not processed."),
        "S" => (
            "U",
            "Card code should be on the card but was not indicated.",
        ),
        _ => ("U", "Card code unavailable."),
    };
    (Some(code.into()), Some(message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_order_mark_is_skipped() {
        let body = "\u{feff}{\"messages\":{\"resultCode\":\"Ok\",\"message\":[{\"code\":\"I00001\",\"text\":\"Successful.\"}]}}";
        let v = parse(200, body).expect("parses");
        let env = envelope(&v);
        assert!(env.ok);
        assert_eq!(env.code.as_deref(), Some("I00001"));
    }

    #[test]
    fn refused_values_are_not_repeated() {
        let v = serde_json::json!({"messages": {"resultCode": "Error", "message": [{"code": "E00003",
            "text": "The 'AnetApi/xml/v1/schema/AnetApiSchema.xsd:cardCode' element is invalid - The value '12345' is invalid according to its datatype 'String' - The actual length is greater than the MaxLength value."}]}});
        let r = create_result(&v);
        let message = r.gateway_message.expect("a message");
        assert!(!message.contains("12345"), "{message}");
        assert!(message.ends_with("element is invalid"), "{message}");
        assert!(!r.code.is_approved());
    }

    #[test]
    fn held_for_review_is_not_approved() {
        let tr = serde_json::json!({"responseCode": "4", "transId": "508141795",
            "messages": [{"code": "1", "description": "Thank you! For security reasons your order is currently being reviewed"}]});
        let r = result(transaction_response(&tr));
        assert!(!r.code.is_approved());
        assert_eq!(r.gateway_transaction_id.as_deref(), Some("508141795"));
    }

    #[test]
    fn already_captured_is_not_approved() {
        let tr = serde_json::json!({"responseCode": "1", "transId": "2214675515",
            "messages": [{"code": "311", "description": "This transaction has already been captured."}]});
        assert!(!result(transaction_response(&tr)).code.is_approved());
    }

    #[test]
    fn unreadable_or_5xx_answers_are_errors() {
        assert!(parse(200, "{\"unterminated").is_err());
        assert!(parse(503, "{}").is_err());
        assert!(parse(200, "[]").is_err());
    }
}
