//! Gateway webhooks end to end: the test configures the gateway's webhook secret, signs each
//! delivery with it by the gateway's own algorithm (Stripe-Signature, Adyen's per-item HMAC)
//! and posts it to `/gateways/{token}/webhook`; the gateway doubles hold the money.

use super::Gw;
use crate::flexpay::lifecycle::{assert_code, follow_as, id_of};
use crate::helpers::*;
use openflex_connectors::{adyen, stripe};
use openflex_gateway_doubles::{Double, Fault};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::live!([stripe: Stripe, adyen: Adyen];
    a_chargeback_is_recorded_once_and_unverified_deliveries_are_refused,
    a_lost_answer_is_settled_by_a_webhook,
    a_refund_failure_gives_the_refundable_amount_back,
);

const STRIPE_SECRET: &str = "whsec_openflex_e2e_secret";
/// The adyen-node-api-library test key.
const ADYEN_KEY: &str = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

/// A gateway double with the handle to fail a refund on it, and the server pointed at it.
struct Side {
    gw: Gw,
    double: Double,
    stripe: Option<openflex_gateway_doubles::stripe::Stripe>,
    adyen: Option<openflex_gateway_doubles::adyen::Ledger>,
    app: TestApp,
    key: String,
    token: String,
}

impl Side {
    async fn start(gw: Gw, backend: Backend) -> Self {
        let (double, stripe, adyen) = match gw {
            Gw::Stripe => {
                let (d, s) = openflex_gateway_doubles::stripe::spawn_with_state().await;
                (d, Some(s), None)
            }
            _ => {
                let (d, l) = openflex_gateway_doubles::adyen::spawn_with_ledger().await;
                (d, None, Some(l))
            }
        };
        let url = double.url.clone();
        let app = spawn_app_with(backend, |c| match gw {
            Gw::Stripe => c.gateway_base_urls.stripe = Some(url),
            _ => c.gateway_base_urls.adyen = Some(format!("{url}/v71")),
        })
        .await;
        let m = app.new_merchant("live").await;
        let mut settings = gw.settings();
        match gw {
            Gw::Stripe => settings["webhookSecret"] = json!(STRIPE_SECRET),
            _ => settings["hmacKey"] = json!(ADYEN_KEY),
        }
        let token = create_gateway(&app, &m.api_key, gw, settings).await;
        Self {
            gw,
            double,
            stripe,
            adyen,
            app,
            key: m.api_key,
            token,
        }
    }

    async fn pay(&self, mtid: &str, amount: i64) -> Value {
        let (number, month, cvv) = self.gw.approved_card();
        let mut body = card_payment(mtid, amount);
        let pm = &mut body["transaction"]["paymentMethod"];
        pm["creditCardNumber"] = json!(number);
        pm["expiryMonth"] = json!(month);
        pm["expiryYear"] = json!("2030");
        pm["cvv"] = json!(cvv);
        let (status, v) = self
            .app
            .post_as(&self.key, "/v1/gateways/charge", body)
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["transaction"].clone()
    }

    async fn txn(&self, id: &str) -> Value {
        let (_, v) = self
            .app
            .get_as(&self.key, &format!("/v1/transactions/{id}"))
            .await;
        v["transaction"].clone()
    }

    async fn events(&self, id: &str) -> Vec<Value> {
        let (status, v) = self
            .app
            .get_as(&self.key, &format!("/v1/transactions/{id}/gateway-events"))
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["gatewayEvents"].as_array().cloned().unwrap_or_default()
    }

    /// Posts `ev` signed with the configured secret (`forged`: signed, then altered).
    async fn deliver(&self, token: &str, ev: &Ev<'_>, forged: bool) -> (StatusCode, String) {
        let (mut body, header) = match self.gw {
            Gw::Stripe => {
                let body = stripe_body(ev).to_string();
                let t = time::OffsetDateTime::now_utc().unix_timestamp();
                let sig = stripe::webhook::signature(STRIPE_SECRET, t, body.as_bytes());
                (body, Some(format!("t={t},v1={sig}")))
            }
            _ => (adyen_body(ev).to_string(), None),
        };
        if forged {
            body = body.replace(&ev.amount.to_string(), "1");
        }
        let mut req = self
            .app
            .client
            .post(self.app.url(&format!("/gateways/{token}/webhook")))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(h) = header {
            req = req.header("Stripe-Signature", h);
        }
        let resp = req.send().await.expect("webhook delivery");
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// The gateway's event names for what the tests send.
    fn kind(&self, what: What) -> &'static str {
        match (self.gw, what) {
            (Gw::Stripe, What::Chargeback) => "charge.dispute.created",
            (Gw::Stripe, What::Approved) => "payment_intent.succeeded",
            (Gw::Stripe, What::RefundFailed) => "charge.refund.updated",
            (_, What::Chargeback) => "CHARGEBACK",
            (_, What::Approved) => "AUTHORISATION",
            (_, What::RefundFailed) => "REFUND_FAILED",
        }
    }

    fn ack(&self) -> &'static str {
        match self.gw {
            Gw::Stripe => "",
            _ => "[accepted]",
        }
    }
}

#[derive(Clone, Copy)]
enum What {
    Chargeback,
    Approved,
    RefundFailed,
}

/// What a delivery says, in either gateway's terms.
struct Ev<'a> {
    id: &'a str,
    kind: &'a str,
    /// The gateway's id of the object (PaymentIntent, refund, pspReference).
    gateway_id: &'a str,
    /// The payment a refund acts on.
    original: Option<&'a str>,
    /// Our attempt id, as the gateway echoes it.
    reference: Option<&'a str>,
    amount: i64,
    status: &'a str,
    reason: &'a str,
}

fn stripe_body(ev: &Ev<'_>) -> Value {
    let mut object = json!({
        "id": ev.gateway_id,
        "amount": ev.amount,
        "amount_received": ev.amount,
        "currency": "usd",
        "status": ev.status,
        "payment_intent": ev.original.unwrap_or(ev.gateway_id),
        "reason": ev.reason,
        "failure_reason": ev.reason,
        "metadata": {},
    });
    if let Some(r) = ev.reference {
        object["metadata"]["openflex_reference"] = json!(r);
    }
    json!({"id": ev.id, "object": "event", "type": ev.kind, "livemode": false,
        "data": {"object": object}})
}

fn adyen_body(ev: &Ev<'_>) -> Value {
    let (psp, original, reference) = (
        ev.gateway_id,
        ev.original.unwrap_or(""),
        ev.reference.unwrap_or(""),
    );
    let signed = format!(
        "{psp}:{original}:OpenflexECOM:{reference}:{}:USD:{}:true",
        ev.amount, ev.kind
    );
    let key = (0..ADYEN_KEY.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&ADYEN_KEY[i..i + 2], 16).unwrap())
        .collect::<Vec<_>>();
    json!({"live": "false", "notificationItems": [{"NotificationRequestItem": {
        "additionalData": {"hmacSignature": adyen::webhook::sign(&key, &signed)},
        "amount": {"currency": "USD", "value": ev.amount},
        "eventCode": ev.kind,
        "eventDate": "2030-01-01T01:00:00+01:00",
        "merchantAccountCode": "OpenflexECOM",
        "merchantReference": reference,
        "originalReference": original,
        "pspReference": psp,
        "reason": ev.reason,
        "success": "true",
    }}]})
}

async fn create_gateway(app: &TestApp, key: &str, gw: Gw, settings: Value) -> String {
    let (status, v) = app
        .post_as(
            key,
            "/v1/gateways",
            json!({"gateway": {"name": gw.gateway_type(), "gatewayType": gw.gateway_type(),
                "settings": settings}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["gateway"]["gatewayToken"]
        .as_str()
        .expect("gatewayToken")
        .to_string()
}

fn gateway_id(t: &Value) -> String {
    t["gatewayTransactionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no gatewayTransactionId in {t}"))
        .to_string()
}

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
    let payments = match (&s.stripe, &s.adyen) {
        (Some(st), _) => st.payments().len(),
        (_, Some(l)) => l.payment_count(),
        _ => unreachable!(),
    };
    assert_eq!(payments, 1, "charged once");
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
