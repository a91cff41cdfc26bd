//! What each kind of gateway event does, end to end through the gateway doubles: a capture or
//! a void the gateway accepted and later reports failed, a chargeback and its reversal, an
//! event about no attempt of ours, the portal's view of the events, a FlexFactor rescue whose
//! lost answer the gateway's webhook settles, and a refund failure reported before the refund
//! itself is settled. Deliveries are signed as the gateway signs them (`webhook_side.rs`);
//! Adyen-only events run on Adyen only. Where it matters who settles an attempt first (the
//! webhook or the inquiry job), the test holds the job back with a lagging clock.

use super::Gw;
use super::flexfactor::{order, rescue};
use super::webhook_side::{Ev, Owner, Side, What, gateway_id};
use crate::flexfactor::ff::{evaluate, token_with};
use crate::flexpay::lifecycle::{assert_code, follow_as, id_of};
use crate::helpers::*;
use crate::platform::portal::Portal;
use crate::receiver::Receiver;
use openflex_engine::Clock;
use openflex_gateway_doubles::Fault;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

crate::live!([adyen: Adyen];
    a_capture_reported_failed_is_declined_and_the_authorization_captured_again,
    a_cancel_reported_failed_is_declined_and_the_authorization_captured,
);

crate::live!([stripe: Stripe, adyen: Adyen];
    a_chargeback_and_its_reversal_are_recorded_in_order,
    an_event_about_no_attempt_is_acknowledged_and_recorded_unmatched,
    the_portal_shows_a_transactions_gateway_events,
    a_lost_rescue_answer_settled_by_webhook_moves_the_order_and_tells_the_merchant,
    a_refund_failure_reported_while_the_refunds_outcome_is_unknown_waits_for_it,
);

/// A capture of `auth_id` the gateway refuses before calling anyone (30079: captured already,
/// 30064: voided).
async fn capture_refused(s: &Side, auth_id: &str, mtid: &str, code: &str) {
    let (status, v) = s
        .app
        .post_as(
            &s.key,
            &format!("/v1/transactions/{auth_id}/capture"),
            json!({"transaction": {"merchantTransactionId": mtid, "amount": 1500}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], code);
}

/// The Adyen notification reporting that the modification `follow_up` (ours, on `auth`)
/// failed.
fn failure<'a>(
    code: &'a str,
    success: bool,
    follow_up: &'a (String, String),
    auth_psp: &'a str,
) -> Ev<'a> {
    Ev {
        id: "",
        kind: code,
        gateway_id: &follow_up.1,
        original: Some(auth_psp),
        reference: Some(&follow_up.0),
        amount: 1500,
        status: "",
        reason: "Insufficient balance on payment",
        success,
    }
}

/// The transaction id and the gateway's id of an approved follow-up.
fn ids(t: &Value) -> (String, String) {
    assert_code(t, "10000");
    (id_of(t), gateway_id(t))
}

/// Adyen accepts a capture (`201 received`) and reports later that it failed — by
/// CAPTURE_FAILED, or by CAPTURE with success false: the capture becomes a decline (30059),
/// the authorization can be captured again, and a redelivery changes nothing.
async fn a_capture_reported_failed_is_declined_and_the_authorization_captured_again(
    gw: Gw,
    backend: Backend,
) {
    let s = Side::start(gw, backend).await;
    let auth = s.authorize("cf-auth", 1500).await;
    assert_code(&auth, "10000");
    let (auth_id, psp) = (id_of(&auth), gateway_id(&auth));
    let mut capture = ids(&follow_as(&s.app, &s.key, "capture", &auth_id, "cf-cap-1", None).await);
    capture_refused(&s, &auth_id, "cf-early", "30079").await;

    for (n, (code, success)) in [("CAPTURE_FAILED", true), ("CAPTURE", false)]
        .into_iter()
        .enumerate()
    {
        s.ledger().fail_capture(&psp);
        let ev = failure(code, success, &capture, &psp);
        s.deliver_ok(&ev).await;
        let failed = s.txn(&capture.0).await;
        assert_code(&failed, "30059");
        assert_eq!(failed["response"]["gatewayCode"], code, "{failed}");
        let events = s.events(&capture.0).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["kind"], "capture_failed", "{events:?}");
        assert_eq!(events[0]["outcome"], "follow_up_failed", "{events:?}");

        let again = follow_as(
            &s.app,
            &s.key,
            "capture",
            &auth_id,
            &format!("cf-cap-{}", n + 2),
            None,
        )
        .await;
        let next = ids(&again);
        let held = s.ledger().amounts(&psp).expect("the payment");
        assert_eq!(held.1, 1500, "captured again at the gateway: {held:?}");

        // The same notification again: acknowledged, nothing changes.
        s.deliver_ok(&ev).await;
        assert_code(&s.txn(&capture.0).await, "30059");
        assert_code(&s.txn(&next.0).await, "10000");
        assert_eq!(s.events(&capture.0).await.len(), 1);
        capture_refused(&s, &auth_id, &format!("cf-twice-{n}"), "30079").await;
        capture = next;
    }
    assert!(
        s.double.control.violations().is_empty(),
        "{:?}",
        s.double.control.violations()
    );
}

/// Adyen accepts a cancel and reports later that it failed (CANCELLATION, success false): the
/// void becomes a decline and the authorization, standing again, is captured.
async fn a_cancel_reported_failed_is_declined_and_the_authorization_captured(
    gw: Gw,
    backend: Backend,
) {
    let s = Side::start(gw, backend).await;
    let auth = s.authorize("vf-auth", 1500).await;
    assert_code(&auth, "10000");
    let (auth_id, psp) = (id_of(&auth), gateway_id(&auth));
    let void = ids(&follow_as(&s.app, &s.key, "void", &auth_id, "vf-void", None).await);
    capture_refused(&s, &auth_id, "vf-early", "30064").await;

    s.ledger().fail_cancel(&psp);
    let ev = failure("CANCELLATION", false, &void, &psp);
    for _ in 0..2 {
        s.deliver_ok(&ev).await;
    }
    let failed = s.txn(&void.0).await;
    assert_code(&failed, "30059");
    let events = s.events(&void.0).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "cancel_failed", "{events:?}");
    assert_eq!(events[0]["outcome"], "follow_up_failed", "{events:?}");

    let capture = follow_as(&s.app, &s.key, "capture", &auth_id, "vf-capture", None).await;
    assert_code(&capture, "10000");
    let held = s.ledger().amounts(&psp).expect("the payment");
    assert_eq!((held.1, held.3), (1500, false), "captured, not cancelled");
}

/// How the gateway names the dispute of payment `payment_id`: Stripe by the dispute's own id
/// and its PaymentIntent (a dispute carries no metadata of the payment); Adyen by the
/// payment's pspReference and merchantReference.
fn disputed<'a>(s: &Side, payment_id: &'a str, ours: &'a str) -> Ev<'a> {
    let stripe = matches!(s.gw, Gw::Stripe);
    Ev {
        id: "evt_dispute_created",
        kind: s.kind(What::Chargeback),
        gateway_id: if stripe {
            "dp_e2e_dispute_1"
        } else {
            payment_id
        },
        original: stripe.then_some(payment_id),
        reference: (!stripe).then_some(ours),
        amount: 700,
        status: "needs_response",
        reason: "fraudulent",
        success: true,
    }
}

/// The dispute's end: Stripe closes it won, Adyen reverses the chargeback.
fn reversed<'a>(s: &Side, dispute: &Ev<'a>) -> Ev<'a> {
    Ev {
        id: "evt_dispute_closed",
        kind: s.kind(What::ChargebackReversed),
        status: "won",
        ..*dispute
    }
}

/// A chargeback then its reversal: both recorded against the payment, in order, with kind,
/// amount and reason; the payment's FlexPay answer does not change.
async fn a_chargeback_and_its_reversal_are_recorded_in_order(gw: Gw, backend: Backend) {
    let s = Side::start(gw, backend).await;
    let t = s.pay("cbr-1", 1500).await;
    assert_code(&t, "10000");
    let (id, psp) = (id_of(&t), gateway_id(&t));
    let before = s.txn(&id).await;

    let dispute = disputed(&s, &psp, &id);
    let reversal = reversed(&s, &dispute);
    s.deliver_ok(&dispute).await;
    s.deliver_ok(&reversal).await;
    // A late redelivery of the chargeback is not a second one.
    s.deliver_ok(&dispute).await;

    let events = s.events(&id).await;
    assert_eq!(events.len(), 2, "{events:?}");
    for (e, kind, gateway_kind) in [
        (&events[0], "chargeback", dispute.kind),
        (&events[1], "chargeback_reversed", reversal.kind),
    ] {
        assert_eq!(e["kind"], kind, "{events:?}");
        assert_eq!(e["gatewayEventType"], gateway_kind, "{events:?}");
        assert_eq!(e["amount"], 700, "{events:?}");
        assert_eq!(e["currencyCode"], "USD", "{events:?}");
        assert_eq!(e["reason"], "fraudulent", "{events:?}");
        assert_eq!(e["outcome"], "recorded", "{events:?}");
    }
    assert_eq!(
        s.txn(&id).await,
        before,
        "the payment's answer is unchanged"
    );
}

/// The value of the `openflex_gateway_webhook_events_total` series with these labels.
async fn events_counted(app: &TestApp, gateway: &str, kind: &str, outcome: &str) -> u64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap();
    let wanted = [("gateway", gateway), ("kind", kind), ("outcome", outcome)];
    text.lines()
        .filter(|l| l.starts_with("openflex_gateway_webhook_events_total{"))
        .filter(|l| {
            wanted
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// A verified event about no attempt of ours (an unknown PaymentIntent or pspReference, a
/// reference that is not ours) is acknowledged as the gateway expects, so the gateway stops
/// retrying, and recorded as unmatched: its redelivery is recognised. No read path lists
/// unmatched events, so the operator's metrics are what shows them.
async fn an_event_about_no_attempt_is_acknowledged_and_recorded_unmatched(
    gw: Gw,
    backend: Backend,
) {
    let s = Side::start(gw, backend).await;
    let t = s.pay("um-1", 1500).await;
    let id = id_of(&t);
    // Every app of this test process counts into one recorder: each backend's run sends an
    // event of its own kind, so the series it reads count its deliveries alone.
    let (kind, counted_as) = match (backend, gw) {
        (Backend::Sqlite, _) => (s.kind(What::Approved), "payment_approved"),
        (Backend::Postgres, Gw::Stripe) => ("customer.created", "other"),
        (Backend::Postgres, _) => ("REPORT_AVAILABLE", "other"),
    };
    let ev = Ev {
        id: "evt_not_ours_1",
        kind,
        gateway_id: match gw {
            Gw::Stripe => "pi_NotOneOfOurs000001",
            _ => "8835000000000001",
        },
        original: None,
        reference: Some("NOTOURS0001"),
        amount: 2500,
        status: "succeeded",
        reason: "",
        success: true,
    };
    let label = gw.gateway_type();
    let unmatched = events_counted(&s.app, label, counted_as, "unmatched").await;
    let duplicates = events_counted(&s.app, label, counted_as, "duplicate").await;
    s.deliver_ok(&ev).await;
    assert_eq!(
        events_counted(&s.app, label, counted_as, "unmatched").await,
        unmatched + 1,
        "counted as unmatched"
    );
    s.deliver_ok(&ev).await;
    assert_eq!(
        events_counted(&s.app, label, counted_as, "duplicate").await,
        duplicates + 1,
        "the redelivery is recognised: the first delivery was recorded"
    );
    assert_eq!(
        events_counted(&s.app, label, counted_as, "unmatched").await,
        unmatched + 1,
        "recorded once"
    );
    assert!(s.events(&id).await.is_empty(), "not attached to a payment");
    assert_code(&s.txn(&id).await, "10000");
}

/// The portal's page of a transaction lists its gateway events, oldest first, with kind,
/// the gateway's name of the event, amount and reason.
async fn the_portal_shows_a_transactions_gateway_events(gw: Gw, backend: Backend) {
    let s = Side::start_with(
        gw,
        backend,
        Owner::PortalUser,
        Arc::new(openflex_engine::SystemClock),
    )
    .await;
    let t = s.pay("portal-cb", 1500).await;
    assert_code(&t, "10000");
    let (id, psp) = (id_of(&t), gateway_id(&t));
    let dispute = disputed(&s, &psp, &id);
    s.deliver_ok(&dispute).await;
    s.deliver_ok(&reversed(&s, &dispute)).await;

    let mut p = Portal::signed_in(&s.app).await;
    let page = p
        .submit("/portal/settings", "/portal/mode", &[("mode", "live")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = p.get(&format!("/portal/transactions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let text = &page.text;
    assert!(text.contains("Gateway events"), "{text}");
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} not on the page: {text}"))
    };
    let first = at("<strong>chargeback</strong>");
    let second = at("<strong>chargeback reversed</strong>");
    assert!(first < second, "oldest first: {text}");
    for needle in [
        format!("<code>{}</code>", s.kind(What::Chargeback)),
        format!("<code>{}</code>", s.kind(What::ChargebackReversed)),
        "7.00 USD".to_string(),
        "fraudulent".to_string(),
    ] {
        at(&needle);
    }
}

/// Real time set back on demand: a job already due soon waits while the clock makes up the
/// difference, so a test can be sure who settles an attempt first.
#[derive(Default)]
struct LaggingClock {
    lag_us: AtomicI64,
}

impl LaggingClock {
    fn set_back(&self, by: Duration) {
        self.lag_us
            .fetch_add(by.as_micros() as i64, Ordering::SeqCst);
    }

    /// Real time again: what waited meanwhile is due.
    fn catch_up(&self) {
        self.lag_us.store(0, Ordering::SeqCst);
    }
}

impl Clock for LaggingClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
            - time::Duration::microseconds(self.lag_us.load(Ordering::SeqCst))
    }
}

async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..150 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 15 s");
}

/// A FlexFactor rescue's gateway answer is lost after the gateway took the payment; the
/// gateway's webhook reporting the approval settles the attempt (by asking the gateway), the
/// order is rescued, the merchant's FlexFactor endpoint is told, and the card is charged once.
/// The merchant stages in sandbox with the gateway's test keys: its endpoint on this machine
/// may be plain HTTP.
async fn a_lost_rescue_answer_settled_by_webhook_moves_the_order_and_tells_the_merchant(
    gw: Gw,
    backend: Backend,
) {
    let clock = Arc::new(LaggingClock::default());
    let s = Side::start_with(gw, backend, Owner::StagedSandbox, clock.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let (status, v) = s
        .app
        .admin(
            Method::POST,
            &format!("/admin/merchants/{}/webhooks", s.merchant.merchant_id),
            Some(json!({"url": receiver.url, "events": ["order.completed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let bearer = token_with(&s.app, &s.merchant.raw["flexfactor"]).await;

    s.double
        .control
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);
    let (_, v) = evaluate(&s.app, &bearer, rescue(gw, "wh-rescue", "PURCHASE")).await;
    assert_eq!(v["status"], "SUBMITTED", "{v}");
    // The inquiry queued with the lost answer (due 2 s later) now waits two minutes more:
    // only the webhook can settle the attempt before the test ends.
    clock.set_back(Duration::from_secs(120));
    let order_id = v["orderId"].as_str().unwrap().to_string();
    assert_eq!(s.payments(), 1, "the gateway took the payment");

    let (_, list) = s.app.get_as(&s.key, "/v1/transactions").await;
    let attempt = list["transactions"]
        .as_array()
        .and_then(|l| {
            l.iter().find(|t| {
                t["merchantTransactionId"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("ff-{order_id}")))
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("the rescue attempt is a transaction: {list}"));
    assert_eq!(attempt["responseCode"], "20039", "{attempt}");
    let attempt_id = id_of(&attempt);

    // The attempt has no gateway id yet: the event names it by our reference.
    s.deliver_ok(&Ev {
        id: "evt_rescue_approved",
        kind: s.kind(What::Approved),
        gateway_id: match gw {
            Gw::Stripe => "pi_notyetknown",
            _ => "NOTYETKNOWN00000",
        },
        original: None,
        reference: Some(&attempt_id),
        amount: 1500,
        status: "succeeded",
        reason: "",
        success: true,
    })
    .await;
    let settled = s.txn(&attempt_id).await;
    assert_code(&settled, "10000");
    let events = s.events(&attempt_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "settled", "{events:?}");

    let o = until("the order's next step", async || {
        let o = order(&s.app, &bearer, &order_id).await;
        (o["statusName"] != "PROCESSING").then_some(o)
    })
    .await;
    assert_eq!(o["statusName"], "APPROVED", "{o}");
    assert_eq!(o["capturedAmount"], 1500, "{o}");

    let got = until("the merchant's notification", async || {
        let got = receiver.received();
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(got.len(), 1, "{got:?}");
    got[0].assert_signed_with(s.merchant.raw["flexfactor"]["webhookKey"].as_str().unwrap());
    let w = got[0].json();
    assert_eq!(w["Event"], "order.completed", "{w}");
    assert_eq!(w["OrderId"], order_id.as_str(), "{w}");
    assert_eq!(w["ExternalOrderId"], "wh-rescue", "{w}");
    assert_eq!(s.payments(), 1, "never charged twice");
    assert!(
        s.double.control.violations().is_empty(),
        "{:?}",
        s.double.control.violations()
    );
}

/// The refund's answer is lost and the gateway cannot tell yet when it reports the refund
/// failed: the failure cannot be applied to a refund not known to be approved, and recorded
/// now it would be lost once the inquiry settles the refund approved. So the delivery is not
/// acknowledged (503) and nothing is recorded; the gateway delivers it again after the inquiry
/// has settled the refund, and then it applies.
async fn a_refund_failure_reported_while_the_refunds_outcome_is_unknown_waits_for_it(
    gw: Gw,
    backend: Backend,
) {
    let clock = Arc::new(LaggingClock::default());
    let s = Side::start_with(gw, backend, Owner::Live, clock.clone()).await;
    let t = s.pay("ru-1", 1500).await;
    assert_code(&t, "10000");
    let (id, psp) = (id_of(&t), gateway_id(&t));
    let refunds = match gw {
        Gw::Stripe => "/v1/refunds",
        _ => "/refunds",
    };
    s.double
        .control
        .fail_next(Some(refunds), Fault::DropAfterProcessing);
    let refund = follow_as(&s.app, &s.key, "refund", &id, "ru-refund", None).await;
    assert_eq!(refund["responseCode"], "20039", "{refund}");
    // The inquiry queued with the lost answer waits; the webhook's own inquiry finds the
    // gateway unable to answer.
    clock.set_back(Duration::from_secs(120));
    s.double
        .control
        .fail_next(Some(refunds), Fault::ServerError(503));
    let refund_id = id_of(&refund);
    match (&s.stripe, &s.adyen) {
        (Some(st), _) => st.fail_refund(&psp, 1500),
        (_, Some(l)) => l.fail_refund(&psp, 1500),
        _ => unreachable!(),
    }
    let ev = Ev {
        id: "evt_refund_failed_unknown",
        kind: s.kind(What::RefundFailed),
        gateway_id: match gw {
            Gw::Stripe => "re_notyetknown",
            _ => "NOTYETKNOWN00001",
        },
        original: Some(&psp),
        reference: Some(&refund_id),
        amount: 1500,
        status: "failed",
        reason: "expired_or_canceled_card",
        success: true,
    };
    let (status, body) = s.deliver(&s.token, &ev, false).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(s.events(&refund_id).await.is_empty(), "nothing recorded");
    assert_eq!(s.txn(&refund_id).await["responseCode"], "20039");

    clock.catch_up();
    let settled = until("the refund's inquiry", async || {
        let r = s.txn(&refund_id).await;
        (r["responseCode"] != "20039").then_some(r)
    })
    .await;
    assert_code(&settled, "10000");
    // The gateway's next try applies.
    s.deliver_ok(&ev).await;
    assert_code(&s.txn(&refund_id).await, "30059");
    let events = s.events(&refund_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "follow_up_failed", "{events:?}");
    let again = follow_as(&s.app, &s.key, "refund", &id, "ru-refund-2", None).await;
    assert_code(&again, "10000");
}
