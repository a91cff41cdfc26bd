//! Reading Adyen's answers. A refusal is an HTTP 200 with `resultCode: Refused`, not an error;
//! HTTP errors carry a `ServiceError`. Codes go through the domain's Adyen table, most precise
//! field first, so that retry behaviour is decided there and not here.

use crate::wire::{Sent, not_sent, scrub};
use openflex_domain::codes::{CodeClass, ResponseCode};
use openflex_domain::gateway_codes::{CodeField, lookup, map};
use openflex_engine::connector::{ConnectorResult, Outcome, VerifyResult};
use serde::Deserialize;
use std::collections::HashMap;

/// What the call was, for reading its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    /// `/payments`: 200 with a `resultCode`.
    Payment,
    /// `/captures`, `/cancels`, `/refunds`: 201 with `status: received`.
    Modification,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentResponse {
    psp_reference: Option<String>,
    result_code: String,
    refusal_reason: Option<String>,
    refusal_reason_code: Option<String>,
    #[serde(default)]
    additional_data: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModificationResponse {
    psp_reference: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceError {
    error_code: Option<String>,
    error_type: Option<String>,
    message: Option<String>,
    psp_reference: Option<String>,
}

/// Adyen's error code for a key whose first request is still in flight or differs from the
/// replay (recalled from Adyen's idempotency docs; the double answers it the same way).
const IDEMPOTENCY_CONFLICT: &str = "704";

/// Reads one answer. `secrets` are request values no message may echo (card number, CVC).
/// `inquiry` is true when the call replays an earlier one under the same `Idempotency-Key`.
pub(super) fn read(call: Call, sent: Sent, secrets: &[&str], inquiry: bool) -> ConnectorResult {
    let (status, body) = match sent {
        Sent::Answered { status, body } => (status, body),
        Sent::NotSent(why) => return not_sent(why),
        Sent::Lost(why) => return ConnectorResult::unknown(why),
    };
    match (call, status) {
        (Call::Payment, 200) => match serde_json::from_str::<PaymentResponse>(&body) {
            Ok(p) => payment(p, secrets),
            Err(_) => ConnectorResult::unknown("adyen answered a body that is not a payment"),
        },
        (Call::Modification, 200 | 201) => {
            match serde_json::from_str::<ModificationResponse>(&body) {
                Ok(m) if m.status == "received" => ConnectorResult {
                    gateway_transaction_id: Some(m.psp_reference),
                    gateway_code: Some(m.status),
                    gateway_message: Some("received; the final result follows by webhook".into()),
                    ..ConnectorResult::refused(map(CodeField::AdyenHttpStatus, "201").code)
                },
                _ => ConnectorResult::unknown("adyen answered a body that is not a modification"),
            }
        }
        _ => service_error(status, &body, secrets, inquiry),
    }
}

fn payment(p: PaymentResponse, secrets: &[&str]) -> ConnectorResult {
    let ad = &p.additional_data;
    let code = if p.result_code == "Authorised" {
        map(CodeField::AdyenResultCode, &p.result_code).code
    } else {
        decline_code(&p)
    };
    let (avs_code, avs_message) = ad.get("avsResult").map(|r| avs(r)).unzip();
    let (cvv_code, cvv_message) = ad.get("cvcResult").map(|r| cvc(r)).unzip();
    let message = p
        .refusal_reason
        .as_deref()
        .map(|reason| match ad.get("refusalReasonRaw") {
            Some(raw) if raw != "AUTHORISED" => format!("{reason} ({raw})"),
            _ => reason.to_string(),
        })
        .map(|m| scrub(&m, secrets));
    ConnectorResult {
        outcome: Outcome::Decided,
        avs_code: avs_code.flatten(),
        avs_message: avs_message.flatten(),
        cvv_code: cvv_code.flatten(),
        cvv_message: cvv_message.flatten(),
        gateway_transaction_id: p.psp_reference.clone(),
        gateway_code: Some(match &p.refusal_reason_code {
            Some(c) if code != ResponseCode::APPROVED => format!("{} {c}", p.result_code),
            _ => p.result_code.clone(),
        }),
        gateway_message: message,
        network_transaction_id: ad.get("networkTxReference").cloned(),
        ..ConnectorResult::refused(code)
    }
}

/// Adyen's refusal reason code first; the issuer's raw answer or Adyen's inferred reason when
/// the reason is only "Refused" / "Declined Non Generic"; and a Mastercard advice code that
/// says "do not try again" overrides anything softer, as the network requires.
fn decline_code(p: &PaymentResponse) -> ResponseCode {
    let ad = &p.additional_data;
    let refusal = p
        .refusal_reason_code
        .as_deref()
        .filter(|_| matches!(p.result_code.as_str(), "Refused" | "Error"));
    let mut code = match refusal {
        Some(r) => mapped(CodeField::AdyenRefusalReasonCode, r),
        None => mapped(CodeField::AdyenResultCode, &p.result_code),
    };
    if refusal.is_none_or(|r| matches!(r, "2" | "27")) {
        let precise = [
            (CodeField::AdyenRefusalReasonRaw, "refusalReasonRaw"),
            (
                CodeField::AdyenInferredRefusalReason,
                "inferredRefusalReason",
            ),
        ]
        .into_iter()
        .find_map(|(field, key)| lookup(field, ad.get(key)?).map(|e| e.flexpay))
        .filter(|c| !c.is_approved());
        if let Some(precise) = precise {
            code = precise;
        }
    }
    if let Some(advice) = ad.get("merchantAdviceCode")
        && let Some(e) = lookup(CodeField::AdyenMerchantAdviceCode, advice)
        && e.flexpay.class() == CodeClass::Hard
        && code.class() != CodeClass::Hard
    {
        code = e.flexpay;
    }
    code
}

fn mapped(field: CodeField, code: &str) -> ResponseCode {
    let m = map(field, code);
    if !m.listed {
        tracing::warn!(
            gateway = "adyen",
            field = field.list_name(),
            code,
            "unlisted code"
        );
    }
    m.code
}

/// A `ServiceError` (or a bare HTTP error). A 5xx may have come after Adyen acted, so it is an
/// unknown outcome unless Adyen says it rejected the input. During an inquiry, an idempotency
/// conflict means Adyen holds a different request under our key: still unknown (the webhook
/// will settle it), never "not seen".
fn service_error(status: u16, body: &str, secrets: &[&str], inquiry: bool) -> ConnectorResult {
    let err = serde_json::from_str::<ServiceError>(body).ok();
    let error_code = err.as_ref().and_then(|e| e.error_code.clone());
    let error_type = err.as_ref().and_then(|e| e.error_type.clone());
    let validation = error_type.as_deref() == Some("validation");
    if status >= 500 && !validation {
        return ConnectorResult::unknown(format!("adyen answered HTTP {status}"));
    }
    if !(400..600).contains(&status) {
        return ConnectorResult::unknown(format!("adyen answered an unexpected HTTP {status}"));
    }
    if inquiry && error_code.as_deref() == Some(IDEMPOTENCY_CONFLICT) {
        return ConnectorResult::unknown(
            "adyen holds a different request under this reference; its webhook will tell",
        );
    }
    // Authentication and permission errors carry the generic errorCode "000": the status says
    // more. Otherwise the error code, then its type, then the status.
    let by_status = matches!(status, 401 | 403);
    let code = error_code
        .as_deref()
        .filter(|_| !by_status)
        .and_then(|c| lookup(CodeField::AdyenErrorCode, c))
        .or_else(|| {
            error_type
                .as_deref()
                .filter(|_| !by_status)
                .and_then(|t| lookup(CodeField::AdyenErrorType, t))
        })
        .map(|e| e.flexpay)
        .unwrap_or_else(|| mapped(CodeField::AdyenHttpStatus, &status.to_string()));
    let message = err
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .map(|m| scrub(m, secrets))
        .unwrap_or_else(|| format!("HTTP {status}"));
    ConnectorResult {
        gateway_transaction_id: err.and_then(|e| e.psp_reference),
        gateway_code: Some(error_code.unwrap_or_else(|| status.to_string())),
        gateway_message: Some(message),
        ..ConnectorResult::refused(code)
    }
}

/// The answer to "test connection"'s `/paymentMethods`. 401 is Adyen's word on the API key,
/// 403 on a merchant account the key may not act for (errorCode 901 "Invalid Merchant
/// Account"); a 5xx says nothing about either.
pub(super) fn verified(sent: Sent, merchant: &str, secrets: &[&str]) -> VerifyResult {
    let (status, body) = match sent {
        Sent::Answered { status, body } => (status, body),
        Sent::NotSent(why) | Sent::Lost(why) => return VerifyResult::Unavailable(why),
    };
    if status == 200 {
        let methods = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("paymentMethods")?.as_array().map(Vec::len));
        return match methods {
            Some(n) => VerifyResult::Accepted(format!(
                "Adyen accepted the API key for merchant account {merchant} ({n} payment \
                 method{} enabled); nothing was charged.",
                if n == 1 { "" } else { "s" }
            )),
            None => VerifyResult::Unavailable(
                "adyen answered a body that is not a list of payment methods".into(),
            ),
        };
    }
    if status >= 500 {
        return VerifyResult::Unavailable(format!(
            "adyen answered HTTP {status}; try again in a moment"
        ));
    }
    let err = serde_json::from_str::<ServiceError>(&body).ok();
    let message = err
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .map(|m| scrub(m, secrets))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code = err
        .and_then(|e| e.error_code)
        .map(|c| format!(", errorCode {c}"))
        .unwrap_or_default();
    let what = match status {
        401 => "Adyen refused the API key",
        403 => "Adyen refused the merchant account for this API key",
        _ => "Adyen refused the request",
    };
    VerifyResult::Refused(format!("{what} (HTTP {status}{code}): {message}"))
}

/// Adyen's `avsResult` ("7 Both postal code and address match") as a Visa AVS letter.
fn avs(result: &str) -> (Option<String>, Option<String>) {
    let (number, text) = split_result(result);
    let letter = match number {
        "7" | "20" | "24" => "Y",
        "1" | "9" | "12" | "21" | "25" => "A",
        "6" | "14" | "15" | "19" | "23" => "Z",
        "2" | "10" | "13" | "16" | "17" | "22" | "26" => "N",
        "4" => "S",
        _ => "U",
    };
    (Some(letter.into()), Some(text.into()))
}

/// Adyen's `cvcResult` ("1 Matches") as FlexPay's CVV letter.
fn cvc(result: &str) -> (Option<String>, Option<String>) {
    let (number, text) = split_result(result);
    let letter = match number {
        "1" => "M",
        "2" | "4" => "N",
        "3" | "6" => "P",
        _ => "U",
    };
    (Some(letter.into()), Some(text.into()))
}

fn split_result(result: &str) -> (&str, &str) {
    let result = result.trim();
    match result.split_once(' ') {
        Some((n, text)) => (n, text.trim()),
        None => (result, result),
    }
}

/// Adyen's messages name fields, not values, but a message is never trusted to.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avs_and_cvc_results_read_as_letters() {
        assert_eq!(
            avs("7 Both postal code and address match").0.as_deref(),
            Some("Y")
        );
        assert_eq!(
            avs("2 Neither postal code nor address match").0.as_deref(),
            Some("N")
        );
        assert_eq!(
            avs("4 AVS not supported for this card type").0.as_deref(),
            Some("S")
        );
        assert_eq!(cvc("1 Matches"), (Some("M".into()), Some("Matches".into())));
        assert_eq!(cvc("2 Does not match").0.as_deref(), Some("N"));
        assert_eq!(cvc("6 No CVC/CVV provided").0.as_deref(), Some("P"));
    }

    #[test]
    fn a_hard_merchant_advice_code_wins_over_a_generic_refusal() {
        let body = r#"{"pspReference":"8514775559925128","resultCode":"Refused",
            "refusalReason":"Refused","refusalReasonCode":"2",
            "additionalData":{"merchantAdviceCode":"03 : Do not try again"}}"#;
        let r = read(
            Call::Payment,
            Sent::Answered {
                status: 200,
                body: body.into(),
            },
            &[],
            false,
        );
        assert_eq!(r.code.class(), CodeClass::Hard);
    }

    #[test]
    fn messages_never_echo_secrets() {
        assert_eq!(
            scrub("bad 4111111111111111", &["4111111111111111"]),
            "bad [masked]"
        );
    }
}
