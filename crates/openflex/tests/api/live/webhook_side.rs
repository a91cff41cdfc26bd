//! The gateway's side of a webhook test, shared by the webhook test files: a gateway double
//! holding the money, the server pointed at it, a gateway whose settings hold the webhook
//! secret, and deliveries signed with that secret by the gateway's own algorithm
//! (Stripe-Signature, Adyen's per-item HMAC) — so what reaches the server is what the gateway
//! would send, and only the test decides what the gateway says.

use super::{Gw, staged_sandbox_merchant_with};
use crate::helpers::*;
use openflex_connectors::{adyen, stripe};
use openflex_engine::{Clock, SystemClock};
use openflex_gateway_doubles::Double;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

pub(super) const STRIPE_SECRET: &str = "whsec_openflex_e2e_secret";
/// The adyen-node-api-library test key.
pub(super) const ADYEN_KEY: &str =
    "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

/// Whose gateway receives the webhooks.
#[derive(Clone, Copy)]
pub(super) enum Owner {
    /// A new live merchant.
    Live,
    /// The merchant the portal's user belongs to, given live credentials: its live
    /// transactions show in the portal.
    PortalUser,
    /// A new sandbox merchant whose only gateway is the live type with test keys: FlexFactor
    /// rescues through it for real, and its FlexFactor webhooks may go to this machine over
    /// plain HTTP (a live endpoint must be HTTPS).
    StagedSandbox,
}

/// A gateway double with the handles to fail a modification on it, and the server pointed at
/// it.
pub(super) struct Side {
    pub gw: Gw,
    pub double: Double,
    pub stripe: Option<openflex_gateway_doubles::stripe::Stripe>,
    pub adyen: Option<openflex_gateway_doubles::adyen::Ledger>,
    pub app: TestApp,
    pub merchant: Merchant,
    /// The merchant's FlexPay key.
    pub key: String,
    /// The gateway's token: its webhook URL is `/gateways/{token}/webhook`.
    pub token: String,
}

/// A gateway's settings with its webhook secret.
fn with_secret(gw: Gw) -> Value {
    let mut settings = gw.settings();
    match gw {
        Gw::Stripe => settings["webhookSecret"] = json!(STRIPE_SECRET),
        _ => settings["hmacKey"] = json!(ADYEN_KEY),
    }
    settings
}

impl Side {
    /// A new live merchant's gateway, on the system clock.
    pub async fn start(gw: Gw, backend: Backend) -> Self {
        Self::start_with(gw, backend, Owner::Live, Arc::new(SystemClock)).await
    }

    pub async fn start_with(gw: Gw, backend: Backend, owner: Owner, clock: Arc<dyn Clock>) -> Self {
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
        let app = spawn_app_on(
            backend,
            |c| match gw {
                Gw::Stripe => c.gateway_base_urls.stripe = Some(url),
                _ => c.gateway_base_urls.adyen = Some(format!("{url}/v71")),
            },
            clock,
        )
        .await;
        let (merchant, token) = match owner {
            Owner::Live => {
                let m = app.new_merchant("live").await;
                let token = create_gateway(&app, &m.api_key, gw, with_secret(gw)).await;
                (m, token)
            }
            Owner::PortalUser => {
                let issued = app.issue(&app.merchant_id, "live").await;
                let m = Merchant {
                    merchant_id: app.merchant_id.clone(),
                    api_key: issued["flexpay"]["apiKey"].as_str().unwrap().to_string(),
                    raw: issued,
                };
                let token = create_gateway(&app, &m.api_key, gw, with_secret(gw)).await;
                (m, token)
            }
            Owner::StagedSandbox => staged_sandbox_merchant_with(&app, gw, with_secret(gw)).await,
        };
        Self {
            gw,
            double,
            stripe,
            adyen,
            app,
            key: merchant.api_key.clone(),
            merchant,
            token,
        }
    }

    /// The Adyen double's ledger (Adyen tests only).
    pub fn ledger(&self) -> &openflex_gateway_doubles::adyen::Ledger {
        self.adyen.as_ref().expect("an Adyen double")
    }

    /// Payments (sales and authorizations) the gateway holds.
    pub fn payments(&self) -> usize {
        match (&self.stripe, &self.adyen) {
            (Some(st), _) => st.payments().len(),
            (_, Some(l)) => l.payment_count(),
            _ => unreachable!(),
        }
    }

    /// A FlexPay card charge the double approves.
    pub async fn pay(&self, mtid: &str, amount: i64) -> Value {
        self.payment("charge", mtid, amount).await
    }

    /// A FlexPay card authorization the double approves.
    pub async fn authorize(&self, mtid: &str, amount: i64) -> Value {
        self.payment("authorize", mtid, amount).await
    }

    async fn payment(&self, op: &str, mtid: &str, amount: i64) -> Value {
        let (number, month, cvv) = self.gw.approved_card();
        let mut body = card_payment(mtid, amount);
        let pm = &mut body["transaction"]["paymentMethod"];
        pm["creditCardNumber"] = json!(number);
        pm["expiryMonth"] = json!(month);
        pm["expiryYear"] = json!("2030");
        pm["cvv"] = json!(cvv);
        let (status, v) = self
            .app
            .post_as(&self.key, &format!("/v1/gateways/{op}"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["transaction"].clone()
    }

    pub async fn txn(&self, id: &str) -> Value {
        let (_, v) = self
            .app
            .get_as(&self.key, &format!("/v1/transactions/{id}"))
            .await;
        v["transaction"].clone()
    }

    pub async fn events(&self, id: &str) -> Vec<Value> {
        let (status, v) = self
            .app
            .get_as(&self.key, &format!("/v1/transactions/{id}/gateway-events"))
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["gatewayEvents"].as_array().cloned().unwrap_or_default()
    }

    /// Posts `ev` signed with the configured secret (`forged`: signed, then altered).
    pub async fn deliver(&self, token: &str, ev: &Ev<'_>, forged: bool) -> (StatusCode, String) {
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

    /// Delivers `ev` to this side's gateway and asserts the gateway's acknowledgement.
    pub async fn deliver_ok(&self, ev: &Ev<'_>) {
        let (status, body) = self.deliver(&self.token, ev, false).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, self.ack());
    }

    /// The gateway's event names for what the tests send.
    pub fn kind(&self, what: What) -> &'static str {
        match (self.gw, what) {
            (Gw::Stripe, What::Chargeback) => "charge.dispute.created",
            (Gw::Stripe, What::ChargebackReversed) => "charge.dispute.closed",
            (Gw::Stripe, What::Approved) => "payment_intent.succeeded",
            (Gw::Stripe, What::RefundFailed) => "charge.refund.updated",
            (_, What::Chargeback) => "CHARGEBACK",
            (_, What::ChargebackReversed) => "CHARGEBACK_REVERSED",
            (_, What::Approved) => "AUTHORISATION",
            (_, What::RefundFailed) => "REFUND_FAILED",
        }
    }

    /// The body the gateway expects back from a delivery it may stop retrying.
    pub fn ack(&self) -> &'static str {
        match self.gw {
            Gw::Stripe => "",
            _ => adyen::webhook::ACK,
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum What {
    Chargeback,
    ChargebackReversed,
    Approved,
    RefundFailed,
}

/// What a delivery says, in either gateway's terms.
#[derive(Clone, Copy)]
pub(super) struct Ev<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    /// The gateway's id of the object (PaymentIntent, refund, dispute, pspReference).
    pub gateway_id: &'a str,
    /// The payment the object belongs to (a refund's or dispute's PaymentIntent, a
    /// modification's originalReference).
    pub original: Option<&'a str>,
    /// Our attempt id, as the gateway echoes it.
    pub reference: Option<&'a str>,
    pub amount: i64,
    pub status: &'a str,
    pub reason: &'a str,
    /// Adyen's `success`: false when the operation the notification reports failed.
    pub success: bool,
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
    let success = if ev.success { "true" } else { "false" };
    let signed = format!(
        "{psp}:{original}:OpenflexECOM:{reference}:{}:USD:{}:{success}",
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
        "success": success,
    }}]})
}

pub(super) async fn create_gateway(app: &TestApp, key: &str, gw: Gw, settings: Value) -> String {
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

pub(super) fn gateway_id(t: &Value) -> String {
    t["gatewayTransactionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no gatewayTransactionId in {t}"))
        .to_string()
}
