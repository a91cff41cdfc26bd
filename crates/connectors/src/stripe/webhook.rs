//! Stripe webhook events: `Stripe-Signature: t=…,v1=…` is HMAC-SHA256 with the endpoint's
//! signing secret (`whsec_…`, not the API key) over `{t}.{raw body}`; several `v1` values may
//! be sent while a secret is being rolled, and one matching is enough. The timestamp must be
//! within five minutes of now (Stripe's own libraries' default), so a captured delivery cannot
//! be replayed later.

use crate::signature::{hmac_sha256, same};
use openflex_engine::connector::{EventKind, GatewayEvent, WebhookBatch, WebhookRefusal};
use serde_json::Value;
use time::OffsetDateTime;

/// How far a signature's timestamp may be from now.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The `v1` signature of `body` sent at unix time `t`: lowercase hex of HMAC-SHA256 with the
/// secret's UTF-8 bytes over `{t}.{body}`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&hmac_sha256(
        secret.as_bytes(),
        &[t.to_string().as_bytes(), b".", body],
    ))
}

/// Checks `header` against `body`.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: OffsetDateTime,
) -> Result<(), WebhookRefusal> {
    let bad = |why: &str| WebhookRefusal::BadSignature(format!("Stripe-Signature: {why}"));
    let header = header.ok_or_else(|| bad("the header is missing"))?;
    let mut t = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v),
            _ => {}
        }
    }
    let t = t.ok_or_else(|| bad("no timestamp"))?;
    if v1.is_empty() {
        return Err(bad("no v1 signature"));
    }
    let expected = signature(secret, t, body);
    if !v1.iter().any(|v| same(v.as_bytes(), expected.as_bytes())) {
        return Err(bad("no signature matches the webhook secret"));
    }
    if (now.unix_timestamp() - t).abs() > TOLERANCE_SECONDS {
        return Err(bad("the timestamp is outside the tolerance"));
    }
    Ok(())
}

/// Reads a verified event body.
pub fn parse(body: &[u8]) -> Result<WebhookBatch, WebhookRefusal> {
    let malformed = |why: &str| WebhookRefusal::Malformed(format!("stripe event: {why}"));
    let v: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    let id = text(&v, "/id").ok_or_else(|| malformed("id is missing"))?;
    let kind_name = text(&v, "/type").ok_or_else(|| malformed("type is missing"))?;
    let o = v
        .pointer("/data/object")
        .filter(|o| o.is_object())
        .ok_or_else(|| malformed("data.object is missing"))?;
    let pi = text(o, "/payment_intent");
    let status = text(o, "/status").unwrap_or("");
    let (kind, gateway_id, original) = match kind_name {
        "payment_intent.succeeded" => (EventKind::PaymentApproved, text(o, "/id"), None),
        "payment_intent.payment_failed" => (EventKind::PaymentDeclined, text(o, "/id"), None),
        "payment_intent.canceled" => (EventKind::Cancelled, text(o, "/id"), None),
        "charge.captured" => (EventKind::Captured, pi, None),
        "charge.refunded" => (EventKind::Refunded, pi, None),
        "charge.refund.updated" => (
            match status {
                "failed" | "canceled" => EventKind::RefundFailed,
                "succeeded" => EventKind::Refunded,
                _ => EventKind::Other,
            },
            text(o, "/id"),
            pi,
        ),
        "charge.dispute.created" => (EventKind::Chargeback, pi, None),
        "charge.dispute.closed" if status == "won" => (EventKind::ChargebackReversed, pi, None),
        "charge.dispute.closed" => (EventKind::Chargeback, pi, None),
        _ => (EventKind::Other, text(o, "/id"), None),
    };
    let amount = match kind {
        EventKind::Captured => int(o, "/amount_captured"),
        EventKind::Refunded if kind_name == "charge.refunded" => int(o, "/amount_refunded"),
        EventKind::PaymentApproved => int(o, "/amount_received").or_else(|| int(o, "/amount")),
        _ => int(o, "/amount"),
    };
    let reason = match kind {
        EventKind::PaymentDeclined => text(o, "/last_payment_error/decline_code")
            .or_else(|| text(o, "/last_payment_error/code")),
        EventKind::RefundFailed => text(o, "/failure_reason"),
        EventKind::Chargeback | EventKind::ChargebackReversed => text(o, "/reason"),
        EventKind::Cancelled => text(o, "/cancellation_reason"),
        _ => None,
    };
    let success = !matches!(
        kind,
        EventKind::PaymentDeclined | EventKind::RefundFailed | EventKind::Chargeback
    );
    Ok(WebhookBatch {
        events: vec![GatewayEvent {
            id: id.to_string(),
            kind,
            gateway_kind: kind_name.to_string(),
            gateway_transaction_id: gateway_id.map(str::to_string),
            original_gateway_transaction_id: original.map(str::to_string),
            reference: text(o, "/metadata/openflex_reference").map(str::to_string),
            amount,
            currency: text(o, "/currency").map(str::to_ascii_uppercase),
            success,
            reason: reason.map(str::to_string),
        }],
        refused: 0,
        ack: "",
    })
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &str =
        r#"{"id":"evt_test_webhook","object":"event","type":"payment_intent.succeeded"}"#;
    /// NOTES.md "Webhook signature" test vector.
    const HEADER: &str =
        "t=1700000000,v1=130dc37d5a27b1b232a61e4f2ff00ed245f498112c11e8b747aff3d0fb754056";

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap()
    }

    #[test]
    fn the_notes_test_vector_verifies() {
        assert_eq!(
            verify(Some(HEADER), BODY.as_bytes(), SECRET, at(1_700_000_000)),
            Ok(())
        );
        assert_eq!(
            verify(Some(HEADER), BODY.as_bytes(), SECRET, at(1_700_000_299)),
            Ok(())
        );
    }

    #[test]
    fn an_old_or_future_timestamp_is_refused() {
        for now in [1_700_000_301, 1_699_999_699] {
            assert!(matches!(
                verify(Some(HEADER), BODY.as_bytes(), SECRET, at(now)),
                Err(WebhookRefusal::BadSignature(m)) if m.contains("tolerance")
            ));
        }
    }

    #[test]
    fn a_tampered_body_another_secret_or_no_header_is_refused() {
        let tampered = BODY.replace("succeeded", "payment_failed");
        let now = at(1_700_000_000);
        for (header, body, secret) in [
            (Some(HEADER), tampered.as_str(), SECRET),
            (Some(HEADER), BODY, "whsec_other"),
            (None, BODY, SECRET),
            (Some("t=1700000000"), BODY, SECRET),
            (Some("v1=130dc37d"), BODY, SECRET),
        ] {
            assert!(matches!(
                verify(header, body.as_bytes(), secret, now),
                Err(WebhookRefusal::BadSignature(_))
            ));
        }
    }

    #[test]
    fn the_webhook_secret_setting_is_checked_when_present() {
        use openflex_engine::connector::Connector;
        let c = super::super::StripeConnector::new(&crate::ConnectorConfig::default());
        let with = |w: serde_json::Value| {
            let v = serde_json::json!({"secretKey": "sk_test_abcdefgh", "webhookSecret": w});
            let v = openflex_engine::connector::ConnectorSettings::from_json(v.to_string());
            c.check_settings(Some(&v.unwrap()))
        };
        assert_eq!(with(serde_json::Value::Null), Ok(()));
        assert_eq!(with("whsec_abcdefgh".into()), Ok(()));
        assert!(with("sk_test_abcdefgh".into()).is_err_and(|e| e.contains("webhookSecret")));
        assert!(with(7.into()).is_err_and(|e| e.contains("webhookSecret")));
    }

    #[test]
    fn one_matching_v1_among_several_is_enough() {
        let header = "t=1700000000,v1=00112233,v0=abc,\
            v1=130dc37d5a27b1b232a61e4f2ff00ed245f498112c11e8b747aff3d0fb754056";
        assert_eq!(
            verify(Some(header), BODY.as_bytes(), SECRET, at(1_700_000_000)),
            Ok(())
        );
    }

    #[test]
    fn events_are_read_into_kinds_with_their_payment() {
        let refund = br#"{"id":"evt_1","type":"charge.refund.updated","data":{"object":{
            "id":"re_1","object":"refund","amount":500,"currency":"usd","payment_intent":"pi_1",
            "status":"failed","failure_reason":"expired_or_canceled_card",
            "metadata":{"openflex_reference":"01REF"}}}}"#;
        let e = &parse(refund).unwrap().events[0];
        assert_eq!(e.kind, EventKind::RefundFailed);
        assert_eq!(e.gateway_transaction_id.as_deref(), Some("re_1"));
        assert_eq!(e.original_gateway_transaction_id.as_deref(), Some("pi_1"));
        assert_eq!(e.reference.as_deref(), Some("01REF"));
        assert_eq!((e.amount, e.currency.as_deref()), (Some(500), Some("USD")));
        assert_eq!(e.reason.as_deref(), Some("expired_or_canceled_card"));

        let dispute = br#"{"id":"evt_2","type":"charge.dispute.created","data":{"object":{
            "id":"dp_1","object":"dispute","amount":1500,"currency":"eur","charge":"ch_1",
            "payment_intent":"pi_9","reason":"fraudulent","status":"needs_response"}}}"#;
        let e = &parse(dispute).unwrap().events[0];
        assert_eq!(e.kind, EventKind::Chargeback);
        assert_eq!(e.gateway_transaction_id.as_deref(), Some("pi_9"));
        assert_eq!(e.reason.as_deref(), Some("fraudulent"));

        let won = String::from_utf8_lossy(dispute)
            .replace("charge.dispute.created", "charge.dispute.closed")
            .replace("needs_response", "won");
        assert_eq!(
            parse(won.as_bytes()).unwrap().events[0].kind,
            EventKind::ChargebackReversed
        );
        assert!(matches!(
            parse(b"{\"id\":\"evt\"}"),
            Err(WebhookRefusal::Malformed(_))
        ));
    }
}
