//! Stripe's answer bodies, shaped like the stored API fixtures (`fixtures3.json`) and ActiveMerchant
//! transcripts, and the documented test cards that decide outcomes.

use serde_json::{Value, json};

/// What a test card does, per docs.stripe.com/testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CardOutcome {
    Approve,
    /// Approve, with the address checks failing (AVS mismatch).
    ApproveAddressFail,
    /// Decline: `error.code`, `error.decline_code`, message.
    Decline(&'static str, Option<&'static str>, &'static str),
}

pub(super) fn card_outcome(number: &str) -> CardOutcome {
    use CardOutcome::*;
    const DECLINED: &str = "Your card was declined.";
    match number {
        "4000000000000002" => Decline("card_declined", Some("generic_decline"), DECLINED),
        "4000000000009995" => Decline(
            "card_declined",
            Some("insufficient_funds"),
            "Your card has insufficient funds.",
        ),
        "4000000000009987" => Decline("card_declined", Some("lost_card"), DECLINED),
        "4000000000009979" => Decline("card_declined", Some("stolen_card"), DECLINED),
        "4100000000000019" => Decline("card_declined", Some("fraudulent"), DECLINED),
        "4000000000000069" => Decline(
            "expired_card",
            Some("expired_card"),
            "Your card has expired.",
        ),
        "4000000000000127" => Decline(
            "incorrect_cvc",
            Some("incorrect_cvc"),
            "Your card's security code is incorrect.",
        ),
        "4000000000000119" => Decline(
            "processing_error",
            Some("processing_error"),
            "An error occurred while processing your card. Try again in a little bit.",
        ),
        "4000000000000010" => ApproveAddressFail,
        _ => Approve,
    }
}

/// Stripe's documented test PaymentMethods (`pm_card_…`): the card number they stand for.
pub(super) fn test_payment_method(pm: &str) -> &'static str {
    match pm {
        "pm_card_chargeDeclined" | "pm_card_visa_chargeDeclined" => "4000000000000002",
        "pm_card_chargeDeclinedInsufficientFunds" => "4000000000009995",
        "pm_card_chargeDeclinedLostCard" => "4000000000009987",
        "pm_card_chargeDeclinedStolenCard" => "4000000000009979",
        "pm_card_chargeDeclinedFraudulent" => "4100000000000019",
        "pm_card_chargeDeclinedExpiredCard" => "4000000000000069",
        "pm_card_chargeDeclinedProcessingError" => "4000000000000119",
        _ => "4242424242424242",
    }
}

/// The brand Stripe reports for a test number.
pub(super) fn brand(number: &str) -> &'static str {
    match number.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5') | Some(b'2') => "mastercard",
        Some(b'3') => "amex",
        Some(b'6') => "discover",
        _ => "unknown",
    }
}

pub(super) fn error(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    let mut e = json!({"type": kind, "message": message});
    if let Some(c) = code {
        e["code"] = json!(c);
        e["doc_url"] = json!(format!(
            "https://stripe.com/docs/error-codes/{}",
            c.replace('_', "-")
        ));
    }
    if let Some(p) = param {
        e["param"] = json!(p);
    }
    json!({"error": e})
}

/// The charge object of a PaymentIntent (`latest_charge` when expanded).
pub(super) struct ChargeFacts<'a> {
    pub id: &'a str,
    pub intent: &'a str,
    pub pm: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub captured: i64,
    pub refunded: i64,
    pub paid: bool,
    pub number: &'a str,
    pub exp: (u32, u32),
    pub checks: [Option<&'a str>; 3],
    pub ntid: Option<&'a str>,
    pub failure: Option<(&'a str, Option<&'a str>, &'a str)>,
    pub created: i64,
}

pub(super) fn charge(c: &ChargeFacts<'_>) -> Value {
    let last4 = &c.number[c.number.len().saturating_sub(4)..];
    let outcome = match c.failure {
        None => json!({
            "advice_code": null, "network_advice_code": null, "network_decline_code": null,
            "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
            "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"}),
        Some((_, reason, _)) => {
            let blocked = reason == Some("fraudulent");
            json!({
                "advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": if blocked { "not_sent_to_network" } else { "declined_by_network" },
                "reason": reason, "risk_level": if blocked { "highest" } else { "normal" },
                "seller_message": if blocked { "Stripe blocked this payment as too risky." }
                    else { "The bank did not return any further details with this decline." },
                "type": if blocked { "blocked" } else { "issuer_declined" }})
        }
    };
    json!({
        "id": c.id,
        "object": "charge",
        "amount": c.amount,
        "amount_captured": c.captured,
        "amount_refunded": c.refunded,
        "balance_transaction": if c.captured > 0 { json!(format!("txn_{}", &c.id[3..])) } else { Value::Null },
        "captured": c.captured > 0,
        "created": c.created,
        "currency": c.currency,
        "failure_code": c.failure.map(|f| f.0),
        "failure_message": c.failure.map(|f| f.2),
        "livemode": false,
        "metadata": {},
        "outcome": outcome,
        "paid": c.paid,
        "payment_intent": c.intent,
        "payment_method": c.pm,
        "payment_method_details": {
            "card": {
                "amount_authorized": if c.paid { json!(c.amount) } else { Value::Null },
                "authorization_code": if c.paid { json!("123456") } else { Value::Null },
                "brand": brand(c.number),
                "checks": {
                    "address_line1_check": c.checks[0],
                    "address_postal_code_check": c.checks[1],
                    "cvc_check": c.checks[2]
                },
                "country": "US",
                "exp_month": c.exp.0,
                "exp_year": c.exp.1,
                "fingerprint": "AOB934RVNwzk6xtn",
                "funding": "credit",
                "last4": last4,
                "network": brand(c.number),
                "network_transaction_id": c.ntid,
                "three_d_secure": null,
                "wallet": null
            },
            "type": "card"
        },
        "refunded": c.refunded > 0 && c.refunded == c.captured,
        "status": if c.failure.is_some() { "failed" } else { "succeeded" }
    })
}

pub(super) fn refund(
    id: &str,
    intent: &str,
    charge: &str,
    amount: i64,
    currency: &str,
    created: i64,
) -> Value {
    json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": format!("txn_{}", &id[3..]),
        "charge": charge,
        "created": created,
        "currency": currency,
        "destination_details": {"card": {"reference_status": "pending", "type": "refund"}, "type": "card"},
        "metadata": {},
        "payment_intent": intent,
        "reason": null,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null
    })
}

pub(super) fn search_result(data: Vec<Value>) -> Value {
    json!({
        "object": "search_result",
        "data": data,
        "has_more": false,
        "next_page": null,
        "url": "/v1/payment_intents/search"
    })
}
