//! Machine words (status names, reason families, job states) as a person reads them.
//!
//! Why one mapping: the wire keeps its exact codes (`CAPTUREREQUIRED`, `lost_stolen_fraud`),
//! which clients compare; the portal shows people words, and every page asks this function so
//! the same code never reads two ways.

use openflex_domain::financing::AccountStatus;

/// Plain words for a status or reason code; an unknown one is de-shouted and de-underscored.
pub fn status_words(code: &str) -> String {
    let known = match code {
        "CAPTUREREQUIRED" => "Capture required",
        "lost_stolen_fraud" => "Lost, stolen or fraud",
        "cvv_avs" => "Security code or address mismatch",
        "do_not_honor" => "Do not honor",
        "insufficient_funds" => "Insufficient funds",
        "cardholder_limit" => "Over the cardholder's limit",
        "issuer_unavailable" => "Issuer unavailable",
        "expired_card" => "Expired card",
        "invalid_card" => "Invalid card",
        "generic" => "Declined, no reason given",
        "merchant" => "Merchant configuration",
        "RefundOnly" => "Refunds only",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let spaced = code.replace('_', " ").to_lowercase();
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A Flexiti account status as a name and what it means for the customer.
pub fn account_status_words(st: AccountStatus) -> (&'static str, &'static str) {
    match st {
        AccountStatus::Normal => (
            "Normal",
            "In good standing; the only status that may make purchases.",
        ),
        AccountStatus::AuthProhibited => (
            "Arrears",
            "A payment is overdue; purchases are refused until a payment clears the arrears.",
        ),
        AccountStatus::Frozen => ("Frozen", "Locked by Flexiti; purchases are refused."),
        AccountStatus::ChargedOff => (
            "Charged off",
            "The debt was written off as a loss; the account can no longer be used.",
        ),
        AccountStatus::Closed => ("Closed", "The account is closed; purchases are refused."),
    }
}

/// A retry explanation with its reason family (written `(lost_stolen_fraud)` for the API) in
/// plain words.
pub fn explanation_words(text: &str) -> String {
    match (text.find('('), text.find(')')) {
        (Some(open), Some(close))
            if close > open + 1
                && text[open + 1..close]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_') =>
        {
            format!(
                "{}({}){}",
                &text[..open],
                status_words(&text[open + 1..close]).to_lowercase(),
                &text[close + 1..]
            )
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(status_words("CAPTUREREQUIRED"), "Capture required");
        assert_eq!(status_words("lost_stolen_fraud"), "Lost, stolen or fraud");
        assert_eq!(status_words("CANCELLED"), "Cancelled");
        assert_eq!(status_words("delivered"), "Delivered");
        assert_eq!(status_words("PENDING_REVIEW"), "Pending review");
        assert_eq!(status_words(""), "");
        assert_eq!(
            explanation_words("20005 (lost_stolen_fraud) is a Hard outcome"),
            "20005 (lost, stolen or fraud) is a Hard outcome"
        );
        assert_eq!(
            explanation_words("retry at 09:00 (UTC)"),
            "retry at 09:00 (UTC)"
        );
    }

    #[test]
    fn every_account_status_has_its_own_words() {
        let names: Vec<&str> = ["N", "A", "F", "Z", "C"]
            .iter()
            .map(|c| account_status_words(AccountStatus::parse(c).unwrap()).0)
            .collect();
        assert_eq!(
            names,
            ["Normal", "Arrears", "Frozen", "Charged off", "Closed"]
        );
    }
}
