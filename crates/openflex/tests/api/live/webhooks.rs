//! Gateway webhooks end to end: the test configures the gateway's webhook secret, signs each
//! delivery with it by the gateway's own algorithm (Stripe-Signature, Adyen's per-item HMAC)
//! and posts it to `/gateways/{token}/webhook`; the gateway doubles hold the money. The harness
//! is in `webhook_side.rs`; more events in `webhook_events.rs`.

use super::Gw;
use super::webhook_side::{Ev, Side, What, create_gateway, gateway_id};
use crate::flexpay::lifecycle::{assert_code, follow_as, id_of};
use crate::helpers::*;
use openflex_gateway_doubles::Fault;
use reqwest::StatusCode;
use serde_json::json;

crate::live!([stripe: Stripe, adyen: Adyen];
    a_chargeback_is_recorded_once_and_unverified_deliveries_are_refused,
    a_lost_answer_is_settled_by_a_webhook,
    a_refund_failure_gives_the_refundable_amount_back,
);

async fn a_chargeback_is_recorded_once_and_unverified_deliveries_are_refused(
    gw: Gw,
    backend: Backend,
) {
    let s = Side::start(gw, backend).await;
    let t = s.pay("cb-1", 1500).await;
    assert_code(&t, "10000");
    let (id, psp) = (id_of(&t), gateway_id(&t));
    let ev = Ev {
        id: "evt_chargeback_1",
        kind: s.kind(What::Chargeback),
        gateway_id: &psp,
        original: None,
        reference: Some(&id),
        amount: 1500,
        status: "needs_response",
        reason: "fraudulent",
        success: true,
    };

    let (status, body) = s.deliver("01NOSUCHGATEWAY00000000000", &ev, false).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s.deliver(&s.token, &ev, true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        s.events(&id).await.is_empty(),
        "a forged event is not applied"
    );

    for _ in 0..2 {
        let (status, body) = s.deliver(&s.token, &ev, false).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, s.ack());
    }
    let events = s.events(&id).await;
    assert_eq!(events.len(), 1, "redelivered, recorded once: {events:?}");
    assert_eq!(events[0]["kind"], "chargeback", "{events:?}");
    assert_eq!(events[0]["amount"], 1500, "{events:?}");
    assert_eq!(events[0]["reason"], "fraudulent", "{events:?}");
    assert_eq!(events[0]["gatewayEventType"], s.kind(What::Chargeback));
    assert_code(&s.txn(&id).await, "10000");

    // A gateway whose settings hold no webhook secret verifies nothing, so applies nothing.
    let bare = create_gateway(&s.app, &s.key, gw, gw.settings()).await;
    let (status, body) = s.deliver(&bare, &ev, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body.contains("webhookSecret") || body.contains("hmacKey"),
        "{body}"
    );
}

async fn a_lost_answer_is_settled_by_a_webhook(gw: Gw, backend: Backend) {
    let s = Side::start(gw, backend).await;
    s.double
        .control
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);
    let first = s.pay("lost-wh", 1500).await;
    assert_eq!(first["responseCode"], "20039", "{first}");
    let id = id_of(&first);
    // The attempt has no gateway id yet: the event names it by our reference.
    let ev = Ev {
        id: "evt_lost_1",
        kind: s.kind(What::Approved),
        gateway_id: match gw {
            Gw::Stripe => "pi_notyetknown",
            _ => "NOTYETKNOWN00000",
        },
        original: None,
        reference: Some(&id),
        amount: 1500,
        status: "succeeded",
        reason: "",
        success: true,
    };
    let (status, body) = s.deliver(&s.token, &ev, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Settled by the webhook's inquiry — normally before the inquiry job's first run, 2 s
    // after the charge; on a machine slow enough for the job to win, the event finds the
    // attempt settled and is recorded against it. Either way: approved, charged once.
    let settled = s.txn(&id).await;
    assert_code(&settled, "10000");
    assert!(!gateway_id(&settled).is_empty());
    let events = s.events(&id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(events[0]["outcome"].as_str(), Some("settled" | "recorded")),
        "{events:?}"
    );
    assert_eq!(s.payments(), 1, "charged once");
}

async fn a_refund_failure_gives_the_refundable_amount_back(gw: Gw, backend: Backend) {
    let s = Side::start(gw, backend).await;
    let t = s.pay("rf-1", 1500).await;
    assert_code(&t, "10000");
    let (id, psp) = (id_of(&t), gateway_id(&t));
    let refund = follow_as(&s.app, &s.key, "refund", &id, "rf-refund-1", Some(1500)).await;
    assert_code(&refund, "10000");
    let refund_id = id_of(&refund);
    let refund_gw = gateway_id(&refund);
    // Nothing is left to refund until the gateway reports the refund failed.
    let (_, early) = s
        .app
        .post_as(
            &s.key,
            &format!("/v1/transactions/{id}/refund"),
            json!({"transaction": {"merchantTransactionId": "rf-refund-early", "amount": 1500}}),
        )
        .await;
    assert_ne!(early["transaction"]["transactionStatus"], 1, "{early}");

    match (&s.stripe, &s.adyen) {
        (Some(st), _) => st.fail_refund(&psp, 1500),
        (_, Some(l)) => l.fail_refund(&psp, 1500),
        _ => unreachable!(),
    }
    let ev = Ev {
        id: "evt_refund_failed_1",
        kind: s.kind(What::RefundFailed),
        gateway_id: &refund_gw,
        original: Some(&psp),
        reference: Some(&refund_id),
        amount: 1500,
        status: "failed",
        reason: "expired_or_canceled_card",
        success: true,
    };
    for _ in 0..2 {
        let (status, body) = s.deliver(&s.token, &ev, false).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let failed = s.txn(&refund_id).await;
    assert_code(&failed, "30059");

    let again = follow_as(&s.app, &s.key, "refund", &id, "rf-refund-2", Some(1500)).await;
    assert_code(&again, "10000");
    let events = s.events(&refund_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "follow_up_failed", "{events:?}");
}
