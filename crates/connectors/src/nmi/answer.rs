//! Reading NMI's answers into FlexPay terms.
//!
//! NMI says the same thing three times: `response` (1/2/3), `response_code` (100, 2xx, 3xx,
//! 4xx) and `responsetext`. The domain table has a row for each published value; the connector
//! only chooses which field decides. `response_code` is the most precise, except for the two
//! catch-alls (100 approved, 300 "rejected by gateway, see responsetext"), where a listed
//! `responsetext` says more (a void approval, an invalid card number, a void too late). Whatever
//! wins must agree with `response` about approval — a code table row never turns an NMI decline
//! into an approval or the reverse; when they disagree, `response` alone decides.

use super::wire::Answer;
use openflex_domain::codes::ResponseCode;
use openflex_domain::gateway_codes::{CodeField, lookup, map};
use openflex_engine::connector::{ConnectorResult, Outcome};

/// The FlexPay code for an NMI answer (see the module doc).
pub fn code_of(response: &str, response_code: &str, text: &str) -> ResponseCode {
    let approved = response == "1";
    let agrees = |c: ResponseCode| c.is_approved() == approved;
    let by_text = (!text.is_empty())
        .then(|| lookup(CodeField::NmiResponseText, text))
        .flatten()
        .map(|e| e.flexpay)
        .filter(|c| agrees(*c));
    let text_decides =
        response_code.is_empty() || (matches!(response_code, "100" | "300") && by_text.is_some());
    let chosen = if text_decides {
        by_text
    } else {
        let m = map(CodeField::NmiResponseCode, response_code);
        if !m.listed {
            tracing::warn!(
                gateway = "nmi",
                response_code,
                "NMI response_code missing from the code table"
            );
        }
        Some(m.code).filter(|c| agrees(*c))
    };
    chosen.unwrap_or_else(|| {
        let m = map(CodeField::NmiResponse, response);
        if !m.listed {
            tracing::warn!(gateway = "nmi", response, "unknown NMI response value");
        }
        m.code
    })
}

/// A decided result from a `transact.php` answer.
pub fn result_of(a: &Answer) -> ConnectorResult {
    let code = code_of(&a.response, &a.response_code, &a.responsetext);
    let (avs_code, avs_message) = avs(&a.avsresponse).unzip();
    let (cvv_code, cvv_message) = cvv(&a.cvvresponse).unzip();
    ConnectorResult {
        outcome: Outcome::Decided,
        code,
        avs_code,
        avs_message,
        cvv_code,
        cvv_message,
        gateway_transaction_id: non_empty(&a.transactionid),
        gateway_code: non_empty(&a.response_code).or_else(|| non_empty(&a.response)),
        gateway_message: non_empty(&a.responsetext),
        network_transaction_id: None,
    }
}

pub fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// NMI's AVS result as a FlexPay (Visa-style) letter and a short message. NMI passes the
/// processor's letters through; its numeric cardholder-name variants (1–8) are folded onto the
/// address/ZIP letter they imply, and `0`/`O` (no AVS) onto `U`.
pub fn avs(raw: &str) -> Option<(String, String)> {
    let raw = raw.trim();
    let (letter, message) = match raw {
        "" => return None,
        "X" => ("X", "Exact match, 9-character numeric ZIP."),
        "Y" => ("Y", "Exact match, 5-character numeric ZIP."),
        "D" | "M" => (raw, "Exact match, international."),
        "A" | "B" => (raw, "Address match only."),
        "W" => ("W", "9-character numeric ZIP match only."),
        "Z" | "P" | "L" => (raw, "5-character ZIP match only."),
        "N" | "C" => (raw, "No address or ZIP match."),
        "U" => ("U", "Address unavailable."),
        "G" | "I" => (raw, "Non-U.S. issuer does not participate."),
        "R" => ("R", "Issuer system unavailable."),
        "E" => ("E", "AVS not allowed for this transaction."),
        "S" => ("S", "Service not supported."),
        "0" | "O" => ("U", "AVS not available."),
        "1" | "5" => ("Z", "ZIP matches (cardholder name checked)."),
        "2" | "6" => ("Y", "Address and ZIP match (cardholder name checked)."),
        "3" | "7" => ("A", "Address matches (cardholder name checked)."),
        "4" | "8" => (
            "N",
            "Address and ZIP do not match (cardholder name checked).",
        ),
        _ => ("U", "Unrecognised AVS result."),
    };
    Some((letter.to_string(), message.to_string()))
}

/// NMI's CVV result as FlexPay's M / N / P / U.
pub fn cvv(raw: &str) -> Option<(String, String)> {
    let (letter, message) = match raw.trim() {
        "" => return None,
        "M" => ("M", "CVV2/CVC2 match."),
        "N" => ("N", "CVV2/CVC2 no match."),
        "P" => ("P", "Not processed."),
        "S" => ("P", "Merchant indicated the CVV is not on the card."),
        "U" => ("U", "Issuer not certified or has not provided keys."),
        _ => ("U", "Unrecognised CVV result."),
    };
    Some((letter.to_string(), message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_table_and_never_contradict_response() {
        assert_eq!(code_of("1", "100", "SUCCESS"), ResponseCode(10000));
        assert_eq!(
            code_of("1", "100", "Transaction Void Successful"),
            ResponseCode(10001)
        );
        assert_eq!(code_of("2", "200", "DECLINE"), ResponseCode(20022));
        assert_eq!(code_of("2", "202", "DECLINE"), ResponseCode(20023));
        assert_eq!(code_of("2", "251", "DECLINE"), ResponseCode(30008));
        assert_eq!(
            code_of("3", "300", "Invalid Credit Card Number REFID:3162207528"),
            ResponseCode(30012)
        );
        assert_eq!(
            code_of("3", "300", "Some new text REFID:1"),
            ResponseCode(30016)
        );
        assert_eq!(code_of("2", "100", "SUCCESS"), ResponseCode(20022));
        assert_eq!(code_of("1", "202", ""), ResponseCode(10000));
        assert_eq!(code_of("9", "", ""), ResponseCode(30091));
        assert!(!code_of("2", "299", "").is_approved());
    }

    #[test]
    fn avs_and_cvv_letters() {
        assert_eq!(avs("N").unwrap().0, "N");
        assert_eq!(avs("2").unwrap().0, "Y");
        assert_eq!(avs("O").unwrap().0, "U");
        assert!(avs("").is_none());
        assert_eq!(cvv("M").unwrap().0, "M");
        assert_eq!(cvv("S").unwrap().0, "P");
        assert!(cvv(" ").is_none());
    }
}
