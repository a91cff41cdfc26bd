//! What follows a live gateway's answer: declines mapped to FlexPay codes and retried as the
//! retry policy says (never a hard decline), merchant-initiated payments labelled with the card's
//! network transaction id, and a cascade from a gateway in trouble to another.

use super::{Gw, live_merchant, staged_sandbox_merchant};
use crate::flexpay::lifecycle::assert_code;
use crate::helpers::*;
use crate::live;
use reqwest::StatusCode;
use serde_json::{Value, json};

live!(
    declines_map_and_only_soft_ones_get_a_retry_date,
    a_merchant_initiated_payment_carries_the_network_transaction_id,
);

/// A card payment the double answers as `outcome` says.
fn payment(gw: Gw, mtid: &str, outcome: Outcome) -> Value {
    let (number, month, cvv) = gw.approved_card();
    let mut body = card_payment(mtid, 1500);
    let t = &mut body["transaction"];
    t["paymentMethod"]["creditCardNumber"] = json!(number);
    t["paymentMethod"]["expiryMonth"] = json!(month);
    t["paymentMethod"]["cvv"] = json!(cvv);
    let soft = outcome == Outcome::InsufficientFunds;
    match (gw, outcome) {
        (_, Outcome::Approved) => {}
        (Gw::Stripe, _) => {
            let card = if soft {
                "4000000000009995"
            } else {
                "4000000000009987"
            };
            t["paymentMethod"]["creditCardNumber"] = json!(card);
        }
        // Adyen's test platform takes the refusal reason from the holder name, as
        // "<REASON> : <raw acquirer code>" (51 insufficient funds, 41 lost card).
        (Gw::Adyen, _) => {
            let (reason, raw) = if soft {
                ("NOT_ENOUGH_BALANCE", ": 51")
            } else {
                ("BLOCK_CARD", ": 41")
            };
            t["paymentMethod"]["firstName"] = json!(reason);
            t["paymentMethod"]["lastName"] = json!(raw);
        }
        // NMI declines amounts under 1.00, the cents picking the code: 202 insufficient
        // funds, 251 lost card.
        (Gw::Nmi, _) => t["amount"] = json!(if soft { 2 } else { 51 }),
        // Authorize.net's reason card answers the whole-dollar amount as the reason code:
        // 295 partial approval on a prepaid card (insufficient funds), 4 pick up card.
        (Gw::AuthorizeNet, _) => {
            t["paymentMethod"]["creditCardNumber"] =
                json!(openflex_gateway_doubles::authorizenet::REASON_CARD);
            t["amount"] = json!(if soft { 29500 } else { 400 });
        }
    }
    body
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Approved,
    InsufficientFunds,
    LostCard,
}

async fn charge(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, v) = app.post_as(key, "/v1/gateways/charge", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transaction"].clone()
}

async fn declines_map_and_only_soft_ones_get_a_retry_date(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let key = live_merchant(&app, gw).await;

    let soft = charge(
        &app,
        &key,
        payment(gw, "soft-1", Outcome::InsufficientFunds),
    )
    .await;
    assert_eq!(soft["responseCode"], "20023", "insufficient funds: {soft}");
    assert_eq!(soft["transactionStatus"], 2, "{soft}");
    assert!(
        soft["retryDate"].is_string(),
        "a soft decline is retried: {soft}"
    );
    assert!(
        soft["response"]["gatewayCode"].is_string(),
        "the gateway's own code is kept: {soft}"
    );

    let hard = charge(&app, &key, payment(gw, "hard-1", Outcome::LostCard)).await;
    assert_eq!(hard["transactionStatus"], 2, "{hard}");
    let why = hard["retryExplanation"].as_str().unwrap_or_default();
    assert!(
        why.contains("lost_stolen_fraud") && why.contains("do not allow to retry"),
        "a lost / picked-up card is a hard decline: {hard}"
    );
    assert_eq!(hard["retryDate"], Value::Null, "never retried: {hard}");
    // A retry of the hard decline is refused before the gateway sees it.
    let before = double.payments();
    let mut retry = payment(gw, "hard-2", Outcome::LostCard);
    retry["transaction"]["retryCount"] = json!(1);
    retry["transaction"]["referenceData"] = hard["referenceData"].clone();
    let (_, v) = app.post_as(&key, "/v1/gateways/charge", retry).await;
    assert_ne!(v["transaction"]["responseCode"], "10000", "{v}");
    assert_eq!(double.payments(), before, "the gateway is not asked again");
    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}

async fn a_merchant_initiated_payment_carries_the_network_transaction_id(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let key = live_merchant(&app, gw).await;
    let first = charge(&app, &key, payment(gw, "cit-1", Outcome::Approved)).await;
    assert_code(&first, "10000");
    let pm = first["paymentMethod"]["paymentMethodId"]
        .as_str()
        .expect("the card is retained")
        .to_string();

    // The rebill: the vaulted card without its CVV, the customer absent.
    let rebill = charge(&app, &key, token_payment("mit-1", 1500, &pm)).await;
    assert_code(&rebill, "10000");
    let sent = double
        .control()
        .requests_to(gw.payment_path())
        .last()
        .cloned()
        .expect("the rebill reached the gateway");
    let body = sent.body;
    let first_id = first["gatewayTransactionId"].as_str().unwrap_or_default();
    match gw {
        Gw::Stripe => {
            assert!(body.contains("off_session=true"), "{body}");
            assert!(
                body.contains("mit_exemption%5D%5Bnetwork_transaction_id%5D=")
                    || body.contains("mit_exemption][network_transaction_id]="),
                "{body}"
            );
        }
        Gw::Adyen => {
            assert!(
                body.contains(r#""shopperInteraction":"ContAuth""#),
                "{body}"
            );
            assert!(body.contains(r#""networkPaymentReference":""#), "{body}");
        }
        Gw::Nmi => {
            assert!(body.contains("initiated_by=merchant"), "{body}");
            assert!(
                body.contains(&format!("initial_transaction_id={first_id}")),
                "the first CIT's id: {body}"
            );
        }
        Gw::AuthorizeNet => {
            assert!(body.contains(r#""isSubsequentAuth":true"#), "{body}");
            assert!(body.contains(r#""originalNetworkTransId":""#), "{body}");
        }
    }
    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}

mod cascade {
    use crate::helpers::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_retry_cascades_from_a_gateway_in_trouble_to_another(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_retry_cascades_from_a_gateway_in_trouble_to_another(Backend::Postgres).await
    }
}

/// NMI answers "issuer communication error"; the retry goes to the merchant's Stripe gateway,
/// which approves: one payment at each.
async fn a_retry_cascades_from_a_gateway_in_trouble_to_another(backend: Backend) {
    let nmi = Gw::Nmi.spawn().await;
    let stripe = Gw::Stripe.spawn().await;
    let (nmi_url, stripe_url) = (nmi.double.url.clone(), stripe.double.url.clone());
    let app = spawn_app_with(backend, |c| {
        c.gateway_base_urls.nmi = Some(nmi_url);
        c.gateway_base_urls.stripe = Some(stripe_url);
    })
    .await;
    let key = live_merchant(&app, Gw::Nmi).await;
    let (status, v) = app
        .post_as(
            &key,
            "/v1/gateways",
            json!({"gateway": {"name": "stripe", "gatewayType": "stripe",
                "settings": Gw::Stripe.settings()}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, list) = app.get_as(&key, "/v1/gateways").await;
    let nmi_token = list["gateways"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["gatewayType"] == "nmi"))
        .and_then(|g| g["gatewayToken"].as_str())
        .unwrap_or_else(|| panic!("{list}"))
        .to_string();

    let mut first = payment(Gw::Stripe, "cascade-1", Outcome::Approved);
    // 4.20 at NMI: 420, issuer communication error (this double's convention).
    first["transaction"]["amount"] = json!(420);
    first["transaction"]["gatewayToken"] = json!(nmi_token);
    let declined = charge(&app, &key, first).await;
    assert_eq!(declined["gatewayType"], "nmi", "{declined}");
    assert_eq!(declined["transactionStatus"], 2, "{declined}");
    assert!(declined["retryDate"].is_string(), "{declined}");
    assert!(
        declined["assignedGatewayToken"].is_string()
            && declined["assignedGatewayToken"] != json!(nmi_token),
        "the retry is assigned another gateway: {declined}"
    );

    let mut retry = payment(Gw::Stripe, "cascade-2", Outcome::Approved);
    retry["transaction"]["amount"] = json!(420);
    retry["transaction"]["retryCount"] = json!(1);
    retry["transaction"]["referenceData"] = declined["referenceData"].clone();
    let approved = charge(&app, &key, retry).await;
    assert_code(&approved, "10000");
    assert_eq!(approved["gatewayType"], "stripe", "{approved}");
    assert_eq!(nmi.control().requests_to(Gw::Nmi.payment_path()).len(), 1);
    assert_eq!(stripe.payments(), 1);
}

mod scheduler_mode {
    use crate::helpers::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::scheduler_mode_retries_go_through_the_connector(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::scheduler_mode_retries_go_through_the_connector(Backend::Postgres).await
    }
}

/// In scheduler mode the server's own retry of a processing error is a merchant-initiated
/// payment through the same connector, at the time the policy chose.
async fn scheduler_mode_retries_go_through_the_connector(backend: Backend) {
    let gw = Gw::Stripe;
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let m = staged_sandbox_merchant(&app, gw).await;
    let (status, v) = app
        .admin(
            reqwest::Method::PUT,
            &format!("/admin/merchants/{}/retry-policy", m.merchant_id),
            Some(json!({"schedulerMode": true, "maxRetries": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut body = payment(gw, "sched-1", Outcome::Approved);
    // Stripe's test card for `processing_error`: issuer or processor trouble, retried in hours.
    body["transaction"]["paymentMethod"]["creditCardNumber"] = json!("4000000000000119");
    let first = charge(&app, &m.api_key, body).await;
    assert_eq!(first["transactionStatus"], 2, "{first}");
    assert!(first["retryDate"].is_string(), "{first}");
    assert_eq!(double.payments(), 1);

    let clock = app.advance_clock(&m.merchant_id, 6 * 3600).await;
    assert!(
        clock["ran"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "flexpay_scheduled_retry"),
        "{clock}"
    );
    assert_eq!(double.payments(), 2, "the retry reached the gateway");
    let retry = double
        .control()
        .requests_to(gw.payment_path())
        .last()
        .cloned()
        .unwrap();
    assert!(
        retry.body.contains("off_session=true"),
        "a retry is merchant-initiated: {}",
        retry.body
    );
    assert!(
        !retry.body.contains("cvc"),
        "no CVV is kept for a retry: {}",
        retry.body
    );
}
