//! FlexFactor rescues through live connectors: each attempt is a real payment through the
//! merchant's gateway (a FlexPay transaction numbered per order), capture / refund / cancel move
//! money on it, and a lost answer is asked about before anything else happens.

use super::{Gw, Running, live_merchant_with, staged_sandbox_merchant};
use crate::flexfactor::ff::{evaluate, evaluate_body, get_json, post_json, token_with};
use crate::helpers::*;
use crate::live;
use openflex_gateway_doubles::Fault;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

live!(
    a_live_checkout_rescue_charges_the_card_and_refunds_at_the_gateway,
    a_live_authorization_rescue_is_captured_and_cancelled_at_the_gateway,
    a_gateway_decline_declines_the_order,
    a_lost_rescue_answer_is_settled_by_inquiry_and_charged_once,
    a_late_approval_for_a_cancelled_order_is_given_back,
);

/// The FlexFactor access token of a live merchant with a gateway of `gw`'s type.
async fn live_ff(app: &TestApp, gw: Gw) -> String {
    let (_, m) = live_merchant_with(app, gw).await;
    live_ff_of(app, &m).await
}

/// An evaluate body whose card the gateway double approves.
pub(super) fn rescue(gw: Gw, order: &str, kind: &str) -> Value {
    let (number, month, _) = gw.approved_card();
    let mut body = evaluate_body(order, number);
    body["transactionType"] = json!(kind);
    body["paymentMethod"]["expirationMonth"] = json!(month.parse::<u32>().unwrap());
    body
}

/// An evaluate body the gateway double declines: a generic (soft) decline.
fn declined(gw: Gw, order: &str) -> Value {
    let mut body = rescue(gw, order, "PURCHASE");
    match gw {
        Gw::Stripe => body["paymentMethod"]["cardNumber"] = json!("4000000000000002"),
        // Adyen's test platform takes the refusal reason from the holder name.
        Gw::Adyen => {
            body["billingInformation"]["firstName"] = json!("DECLINED");
            body["billingInformation"]
                .as_object_mut()
                .unwrap()
                .remove("lastName");
        }
        // NMI declines amounts under 1.00; 0.01 is "do not honor".
        Gw::Nmi => body["transaction"]["amount"] = json!(1),
        // Authorize.net's reason card answers the whole-dollar amount as the reason: 2, declined.
        Gw::AuthorizeNet => {
            body["paymentMethod"]["cardNumber"] =
                json!(openflex_gateway_doubles::authorizenet::REASON_CARD);
            body["transaction"]["amount"] = json!(200);
        }
    }
    body
}

pub(super) async fn order(app: &TestApp, bearer: &str, id: &str) -> Value {
    let (status, v) = get_json(app, &format!("/v1/orders/{id}"), bearer).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The FlexPay transaction an order's approved attempt made, read back through FlexPay.
async fn rescue_payment(app: &TestApp, key: &str, o: &Value) -> Value {
    let detail = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "APPROVED")
        .and_then(|e| e["detail"].as_str())
        .unwrap_or_else(|| panic!("no approved attempt: {o}"));
    let id = detail.rsplit(' ').next().unwrap();
    let (status, v) = app.get_as(key, &format!("/v1/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transaction"].clone()
}

fn assert_clean(double: &Running) {
    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}

async fn a_live_checkout_rescue_charges_the_card_and_refunds_at_the_gateway(
    gw: Gw,
    backend: Backend,
) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let (key, m) = live_merchant_with(&app, gw).await;
    let b = live_ff_of(&app, &m).await;

    let (status, v) = evaluate(&app, &b, rescue(gw, "live-cit-1", "PURCHASE")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "APPROVED", "{v}");
    assert_eq!(double.payments(), 1, "one payment at the gateway");
    let id = v["orderId"].as_str().unwrap().to_string();
    let o = order(&app, &b, &id).await;
    assert_eq!(o["capturedAmount"], 1500, "{o}");
    let payment = rescue_payment(&app, &key, &o).await;
    assert_eq!(payment["responseCode"], "10000", "{payment}");
    assert_eq!(payment["transactionType"], "Charge", "{payment}");
    assert_eq!(payment["gatewayType"], gw.gateway_type(), "{payment}");

    double.settle();
    let (_, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        json!({"amountToRefund": 5.25, "refundMessage": "damaged"}),
    )
    .await;
    assert_eq!(v["status"], "SUCCESS", "{v}");
    let held = double
        .money(gateway_id(&payment))
        .expect("the gateway knows the payment");
    assert_eq!(held.refunded, 525, "refunded at the gateway: {held:?}");
    assert_eq!(order(&app, &b, &id).await["refundedAmount"], 525);
    // Over what is left: refused before any gateway call.
    let (_, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/refund"),
        Some(&b),
        json!({"amountToRefund": 20, "refundMessage": "too much"}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["responseCode"].as_str()),
        (Some("FAILED"), Some("2001")),
        "{v}"
    );
    assert_clean(&double);
}

async fn live_ff_of(app: &TestApp, m: &Merchant) -> String {
    token_with(app, &m.raw["flexfactor"]).await
}

fn gateway_id(payment: &Value) -> &str {
    payment["gatewayTransactionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no gateway id: {payment}"))
}

async fn a_live_authorization_rescue_is_captured_and_cancelled_at_the_gateway(
    gw: Gw,
    backend: Backend,
) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let (key, m) = live_merchant_with(&app, gw).await;
    let b = live_ff_of(&app, &m).await;

    let (_, v) = evaluate(&app, &b, rescue(gw, "live-auth-1", "AUTHORIZATION")).await;
    assert_eq!(v["status"], "CAPTUREREQUIRED", "{v}");
    let id = v["orderId"].as_str().unwrap().to_string();
    let payment = rescue_payment(&app, &key, &order(&app, &b, &id).await).await;
    assert_eq!(payment["transactionType"], "Authorize", "{payment}");
    let (_, v) = post_json(
        &app,
        "/v1/capture",
        Some(&b),
        json!({"idempotencyKey": unique_id("cap"), "orderId": id, "amount": 1200, "currency": "USD"}),
    )
    .await;
    assert_eq!(v["status"], "SUCCESS", "{v}");
    let held = double
        .money(gateway_id(&payment))
        .expect("the gateway knows the payment");
    assert_eq!(held.captured, 1200, "captured at the gateway: {held:?}");
    assert_eq!(order(&app, &b, &id).await["statusName"], "COMPLETED");

    let (_, v) = evaluate(&app, &b, rescue(gw, "live-auth-2", "AUTHORIZATION")).await;
    let id2 = v["orderId"].as_str().unwrap().to_string();
    let auth2 = rescue_payment(&app, &key, &order(&app, &b, &id2).await).await;
    let (status, v) = post_json(
        &app,
        &format!("/v1/orders/{id2}/cancel"),
        Some(&b),
        json!({}),
    )
    .await;
    assert_eq!((status, v), (StatusCode::OK, Value::Null));
    assert_eq!(order(&app, &b, &id2).await["statusName"], "CANCELLED");
    let held = double
        .money(gateway_id(&auth2))
        .expect("the gateway knows the payment");
    assert!(held.voided, "voided at the gateway: {held:?}");
    assert_eq!(double.payments(), 2);
    assert_clean(&double);
}

async fn a_gateway_decline_declines_the_order(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let b = live_ff(&app, gw).await;
    let (_, v) = evaluate(&app, &b, declined(gw, "live-declined")).await;
    assert_eq!(v["status"], "DECLINED", "{v}");
    let id = v["orderId"].as_str().unwrap().to_string();
    let o = order(&app, &b, &id).await;
    let attempt = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "attempt")
        .cloned()
        .unwrap_or_else(|| panic!("no attempt event: {o}"));
    assert_eq!(attempt["outcome"], "DECLINED", "{o}");
    assert_eq!(double.payments(), 1);
    // A card sent without its expiry date cannot be charged: declined, no gateway call.
    let mut undated = rescue(gw, "live-undated", "PURCHASE");
    let pm = undated["paymentMethod"].as_object_mut().unwrap();
    pm.remove("expirationMonth");
    pm.remove("expirationYear");
    let (_, v) = evaluate(&app, &b, undated).await;
    assert_eq!(v["status"], "DECLINED", "{v}");
    assert_eq!(double.payments(), 1);
    // A retry of the same order answers its state and charges nothing more.
    let (_, v) = evaluate(&app, &b, declined(gw, "live-declined")).await;
    assert_eq!(v["status"], "DECLINED", "{v}");
    assert_eq!(double.payments(), 1);
    assert_clean(&double);
}

async fn a_lost_rescue_answer_is_settled_by_inquiry_and_charged_once(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let b = live_ff(&app, gw).await;
    double
        .control()
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);
    let (_, v) = evaluate(&app, &b, rescue(gw, "live-lost", "PURCHASE")).await;
    assert_eq!(
        v["status"], "SUBMITTED",
        "an unknown outcome is neither approved nor declined: {v}"
    );
    let id = v["orderId"].as_str().unwrap().to_string();
    assert_eq!(double.payments(), 1, "the gateway took the payment");
    let mut last = Value::Null;
    for _ in 0..150 {
        last = order(&app, &b, &id).await;
        if last["statusName"] != "PROCESSING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["statusName"], "APPROVED", "{last}");
    // The order's sync-MIT style retry answers the approval; no second payment.
    let (_, v) = evaluate(&app, &b, rescue(gw, "live-lost", "PURCHASE")).await;
    assert_eq!(v["status"], "APPROVED", "{v}");
    assert_eq!(double.payments(), 1, "never charged twice");
}

mod managed_mit_staged_in_sandbox {
    use crate::helpers::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_sandbox_merchant_stages_managed_mit_with_a_gateways_test_keys(Backend::Sqlite)
            .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_sandbox_merchant_stages_managed_mit_with_a_gateways_test_keys(Backend::Postgres)
            .await
    }
}

/// A sandbox merchant whose gateway is Stripe with test keys: managed-MIT attempts are real
/// payments, every 6 hours of its test clock; a soft decline is tried again, a hard one ends
/// the order, an approval rescues it.
async fn a_sandbox_merchant_stages_managed_mit_with_a_gateways_test_keys(backend: Backend) {
    let gw = Gw::Stripe;
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let m = staged_sandbox_merchant(&app, gw).await;
    let b = live_ff_of(&app, &m).await;
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let managed = |order: &str, card: &str| {
        let mut body = rescue(gw, order, "PURCHASE");
        body["paymentMethod"]["cardNumber"] = json!(card);
        body["isMIT"] = json!(true);
        body["expiryDateUtc"] = json!(expiry);
        body
    };
    let mut ids = Vec::new();
    for (order, card) in [
        ("mit-ok", "4242424242424242"),
        ("mit-lost", "4000000000009987"),
        ("mit-funds", "4000000000009995"),
    ] {
        let (_, v) = evaluate(&app, &b, managed(order, card)).await;
        assert_eq!(v["status"], "SUBMITTED", "{v}");
        ids.push(v["orderId"].as_str().unwrap().to_string());
    }
    let mut auth = managed("mit-auth", "4242424242424242");
    auth["transactionType"] = json!("AUTHORIZATION");
    let (_, v) = evaluate(&app, &b, auth).await;
    let auth_id = v["orderId"].as_str().unwrap().to_string();
    assert_eq!(
        double.payments(),
        0,
        "managed MIT waits before its first attempt"
    );

    app.advance_clock(&m.merchant_id, 6 * 3600 + 60).await;
    assert_eq!(order(&app, &b, &ids[0]).await["statusName"], "APPROVED");
    assert_eq!(order(&app, &b, &ids[1]).await["statusName"], "DECLINED");
    let funds = order(&app, &b, &ids[2]).await;
    assert_eq!(funds["statusName"], "PROCESSING", "{funds}");
    let authorized = order(&app, &b, &auth_id).await;
    assert_eq!(authorized["statusName"], "CAPTUREREQUIRED", "{authorized}");
    assert_eq!(double.payments(), 4);

    app.advance_clock(&m.merchant_id, 6 * 3600).await;
    assert_eq!(double.payments(), 5, "only the soft decline is tried again");
    app.advance_clock(&m.merchant_id, 2 * 24 * 3600).await;
    let funds = order(&app, &b, &ids[2]).await;
    assert_eq!(funds["statusName"], "EXPIRED", "{funds}");
    let attempts = funds["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "attempt")
        .count();
    assert_eq!(
        double.payments(),
        3 + attempts,
        "one payment per attempt: {funds}"
    );

    // The capture window ends: the authorization is voided at the gateway.
    app.advance_clock(&m.merchant_id, 7 * 24 * 3600).await;
    let expired = order(&app, &b, &auth_id).await;
    assert_eq!(expired["statusName"], "CANCELLED", "{expired}");
    let payment = rescue_payment(&app, &m.api_key, &expired).await;
    let held = double.money(gateway_id(&payment)).unwrap();
    assert!(held.voided, "voided at the gateway: {held:?}");
    assert!(
        double.control().violations().is_empty(),
        "{:?}",
        double.control().violations()
    );
}

/// Refunded in full or, before settlement (Authorize.net voids an unsettled refund), voided.
fn given_back(m: super::Money) -> bool {
    m.refunded == 1500 || m.voided
}

/// The merchant cancels an order while its attempt's answer is lost; the gateway then turns out
/// to have approved it: the money goes back, the order stays cancelled.
async fn a_late_approval_for_a_cancelled_order_is_given_back(gw: Gw, backend: Backend) {
    let double = gw.spawn().await;
    let app = gw.app(backend, &double).await;
    let (key, m) = live_merchant_with(&app, gw).await;
    let b = live_ff_of(&app, &m).await;
    double
        .control()
        .fail_next(Some(gw.payment_path()), Fault::DropAfterProcessing);
    let (_, v) = evaluate(&app, &b, rescue(gw, "live-late", "PURCHASE")).await;
    assert_eq!(v["status"], "SUBMITTED", "{v}");
    let id = v["orderId"].as_str().unwrap().to_string();
    let (status, v) = post_json(
        &app,
        &format!("/v1/orders/{id}/cancel"),
        Some(&b),
        json!({}),
    )
    .await;
    assert_eq!((status, v), (StatusCode::OK, Value::Null));

    let (_, list) = app.get_as(&key, "/v1/transactions").await;
    let attempt = list["transactions"]
        .as_array()
        .and_then(|l| {
            l.iter().find(|t| {
                t["merchantTransactionId"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("ff-"))
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("the rescue attempt is a transaction: {list}"));
    let mut held = None;
    for _ in 0..150 {
        let (_, v) = app
            .get_as(
                &key,
                &format!(
                    "/v1/transactions/{}",
                    attempt["transactionId"].as_str().unwrap()
                ),
            )
            .await;
        if let Some(gid) = v["transaction"]["gatewayTransactionId"].as_str() {
            held = double.money(gid);
            if held.is_some_and(given_back) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = held.expect("the gateway knows the payment");
    assert!(
        given_back(held),
        "the late approval was given back: {held:?}"
    );
    assert_eq!(order(&app, &b, &id).await["statusName"], "CANCELLED");
    assert_eq!(double.payments(), 1);
}
