//! Adyen standard notifications. A delivery is a batch of `NotificationRequestItem`s, each
//! signed on its own: Base64(HMAC-SHA256(hex-decoded key, `pspReference:originalReference:
//! merchantAccountCode:merchantReference:value:currency:eventCode:success`)) in
//! `additionalData.hmacSignature`. An item whose signature fails is not applied; the others
//! are. Adyen has no event id: `pspReference:eventCode:success` is the key it documents for
//! recognising a notification sent again. The answer Adyen expects is `[accepted]`.

use crate::signature::{hmac_sha256, same};
use base64::Engine as _;
use openflex_engine::connector::{EventKind, GatewayEvent, WebhookBatch, WebhookRefusal};
use serde::Deserialize;
use std::collections::HashMap;

pub const ACK: &str = "[accepted]";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    notification_items: Vec<Wrapper>,
}

#[derive(Deserialize)]
struct Wrapper {
    #[serde(rename = "NotificationRequestItem")]
    item: Item,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    additional_data: HashMap<String, serde_json::Value>,
    amount: Option<Amount>,
    event_code: String,
    #[serde(default)]
    merchant_account_code: String,
    #[serde(default)]
    merchant_reference: String,
    #[serde(default)]
    original_reference: String,
    psp_reference: String,
    #[serde(default)]
    reason: String,
    success: String,
}

#[derive(Deserialize)]
struct Amount {
    currency: String,
    value: i64,
}

/// The string an item's signature covers.
fn signing_string(i: &Item) -> String {
    let (value, currency) = i
        .amount
        .as_ref()
        .map(|a| (a.value.to_string(), a.currency.as_str()))
        .unwrap_or_default();
    [
        i.psp_reference.as_str(),
        &i.original_reference,
        &i.merchant_account_code,
        &i.merchant_reference,
        &value,
        currency,
        &i.event_code,
        &i.success,
    ]
    .join(":")
}

/// The signature of `text` under `key` (the key's bytes, already hex-decoded).
pub fn sign(key: &[u8], text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, &[text.as_bytes()]))
}

fn verified(i: &Item, key: &[u8]) -> bool {
    let Some(sent) = i
        .additional_data
        .get("hmacSignature")
        .and_then(|v| v.as_str())
    else {
        return false;
    };
    same(sign(key, &signing_string(i)).as_bytes(), sent.as_bytes())
}

/// Verifies every item of `body` under `key` and reads those that pass.
pub fn read(body: &[u8], key: &[u8]) -> Result<WebhookBatch, WebhookRefusal> {
    // serde's message quotes the offending value, which may be anything the sender put there:
    // the refusal (answered and logged) names the format only.
    let n: Notification = serde_json::from_slice(body).map_err(|_| {
        WebhookRefusal::Malformed("adyen: not a standard notification (JSON)".into())
    })?;
    let total = n.notification_items.len();
    let events: Vec<GatewayEvent> = n
        .notification_items
        .into_iter()
        .map(|w| w.item)
        .filter(|i| verified(i, key))
        .map(event)
        .collect();
    if events.is_empty() && total > 0 {
        return Err(WebhookRefusal::BadSignature(
            "no notification item carries a valid hmacSignature for the gateway's hmacKey".into(),
        ));
    }
    Ok(WebhookBatch {
        refused: total - events.len(),
        events,
        ack: ACK,
    })
}

fn event(i: Item) -> GatewayEvent {
    let success = i.success.eq_ignore_ascii_case("true");
    let kind = match (i.event_code.as_str(), success) {
        ("AUTHORISATION", true) => EventKind::PaymentApproved,
        ("AUTHORISATION", false) => EventKind::PaymentDeclined,
        ("CAPTURE", true) => EventKind::Captured,
        ("CAPTURE", false) | ("CAPTURE_FAILED", _) => EventKind::CaptureFailed,
        ("CANCELLATION" | "CANCEL_OR_REFUND", true) => EventKind::Cancelled,
        ("CANCELLATION" | "CANCEL_OR_REFUND", false) => EventKind::CancelFailed,
        ("REFUND", true) => EventKind::Refunded,
        ("REFUND", false) | ("REFUND_FAILED" | "REFUNDED_REVERSED", _) => EventKind::RefundFailed,
        ("CHARGEBACK" | "NOTIFICATION_OF_CHARGEBACK", _) => EventKind::Chargeback,
        ("CHARGEBACK_REVERSED", _) => EventKind::ChargebackReversed,
        _ => EventKind::Other,
    };
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    GatewayEvent {
        id: format!("{}:{}:{}", i.psp_reference, i.event_code, i.success),
        kind,
        gateway_kind: i.event_code,
        gateway_transaction_id: some(i.psp_reference),
        original_gateway_transaction_id: some(i.original_reference),
        reference: some(i.merchant_reference),
        amount: i.amount.as_ref().map(|a| a.value),
        currency: i.amount.map(|a| a.currency.to_ascii_uppercase()),
        success,
        reason: some(i.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adyen-node-api-library test key (NOTES.md, "Webhooks … and HMAC").
    const KEY: &str = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

    fn key() -> Vec<u8> {
        data_encoding::HEXUPPER.decode(KEY.as_bytes()).unwrap()
    }

    #[test]
    fn the_official_vector_signs_as_adyen_does() {
        assert_eq!(
            sign(
                &key(),
                "pspReference:originalReference:merchantAccount:reference:1000:EUR:EVENT:true"
            ),
            "ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc="
        );
    }

    /// The spec example `webhooks-v1__post-CAPTURE-capture.json` with its signature.
    fn capture(signature: &str) -> String {
        format!(
            r#"{{"live":"false","notificationItems":[{{"NotificationRequestItem":{{
            "additionalData":{{"hmacSignature":"{signature}"}},
            "amount":{{"currency":"EUR","value":1000}},"eventCode":"CAPTURE",
            "eventDate":"2021-01-01T01:00:00+01:00","merchantAccountCode":"YOUR_MERCHANT_ACCOUNT",
            "merchantReference":"YOUR_MERCHANT_REFERENCE","originalReference":"9913140798220028",
            "paymentMethod":"visa","pspReference":"QFQTPCQ8HXSKGK82","reason":"","success":"true"}}}}]}}"#
        )
    }

    #[test]
    fn the_spec_capture_example_verifies_and_reads() {
        let batch = read(
            capture("BvmL5Bg2erNQj8JiZPEXl/hnWiwBuQ2VZAWyvaO7r5Q=").as_bytes(),
            &key(),
        )
        .unwrap();
        assert_eq!(batch.refused, 0);
        assert_eq!(batch.ack, "[accepted]");
        let e = &batch.events[0];
        assert_eq!(e.kind, EventKind::Captured);
        assert_eq!(e.id, "QFQTPCQ8HXSKGK82:CAPTURE:true");
        assert_eq!(
            e.gateway_transaction_id.as_deref(),
            Some("QFQTPCQ8HXSKGK82")
        );
        assert_eq!(
            e.original_gateway_transaction_id.as_deref(),
            Some("9913140798220028")
        );
        assert_eq!(e.reference.as_deref(), Some("YOUR_MERCHANT_REFERENCE"));
        assert_eq!((e.amount, e.currency.as_deref()), (Some(1000), Some("EUR")));
    }

    #[test]
    fn a_tampered_item_or_another_key_is_refused() {
        let tampered = capture("BvmL5Bg2erNQj8JiZPEXl/hnWiwBuQ2VZAWyvaO7r5Q=")
            .replace("\"value\":1000", "\"value\":1");
        assert!(matches!(
            read(tampered.as_bytes(), &key()),
            Err(WebhookRefusal::BadSignature(_))
        ));
        let good = capture("BvmL5Bg2erNQj8JiZPEXl/hnWiwBuQ2VZAWyvaO7r5Q=");
        assert!(matches!(
            read(good.as_bytes(), b"another key"),
            Err(WebhookRefusal::BadSignature(_))
        ));
        assert!(matches!(
            read(b"[accepted]", &key()),
            Err(WebhookRefusal::Malformed(_))
        ));
    }

    #[test]
    fn a_malformed_body_is_refused_without_echoing_it() {
        let body = br#"{"live":"false","notificationItems":"4111111111111111"}"#;
        let Err(WebhookRefusal::Malformed(why)) = read(body, &key()) else {
            panic!("a malformed notification is refused");
        };
        assert!(!why.contains("4111"), "{why}");
    }

    #[test]
    fn in_a_batch_only_the_item_with_a_bad_signature_is_left_out() {
        let good = capture("BvmL5Bg2erNQj8JiZPEXl/hnWiwBuQ2VZAWyvaO7r5Q=");
        let v: serde_json::Value = serde_json::from_str(&good).unwrap();
        let item = v["notificationItems"][0].clone();
        let mut forged = item.clone();
        forged["NotificationRequestItem"]["eventCode"] = "CAPTURE_FAILED".into();
        let batch = serde_json::json!({"live": "false", "notificationItems": [forged, item]});
        let read = read(batch.to_string().as_bytes(), &key()).unwrap();
        assert_eq!(read.refused, 1);
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.events[0].kind, EventKind::Captured);
    }

    #[test]
    fn event_codes_map_to_kinds() {
        let mut item: Item = serde_json::from_value(serde_json::json!({
            "eventCode": "REFUND_FAILED", "pspReference": "P", "success": "true"
        }))
        .unwrap();
        assert_eq!(event_of(&item), EventKind::RefundFailed);
        for (code, success, kind) in [
            ("AUTHORISATION", "false", EventKind::PaymentDeclined),
            ("CAPTURE_FAILED", "true", EventKind::CaptureFailed),
            ("REFUND", "false", EventKind::RefundFailed),
            ("REFUNDED_REVERSED", "true", EventKind::RefundFailed),
            ("CANCEL_OR_REFUND", "true", EventKind::Cancelled),
            ("NOTIFICATION_OF_CHARGEBACK", "true", EventKind::Chargeback),
            ("CHARGEBACK_REVERSED", "true", EventKind::ChargebackReversed),
            ("REPORT_AVAILABLE", "true", EventKind::Other),
        ] {
            item.event_code = code.into();
            item.success = success.into();
            assert_eq!(event_of(&item), kind, "{code} {success}");
        }
    }

    fn event_of(i: &Item) -> EventKind {
        event(Item {
            additional_data: HashMap::new(),
            amount: None,
            event_code: i.event_code.clone(),
            merchant_account_code: String::new(),
            merchant_reference: String::new(),
            original_reference: String::new(),
            psp_reference: i.psp_reference.clone(),
            reason: String::new(),
            success: i.success.clone(),
        })
        .kind
    }
}
