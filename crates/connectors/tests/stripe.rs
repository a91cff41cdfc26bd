//! The Stripe connector against the Stripe double: approvals, partial captures and refunds,
//! declines by category, tokens, MIT fields, settings, unknown outcomes resolved by replaying
//! under the same idempotency key, and card data never reaching the logs.

mod support;

use openflex_connectors::stripe::StripeConnector;
use openflex_connectors::{BaseUrls, ConnectorConfig};
use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::{CodeClass, ResponseCode};
use openflex_domain::decline::{Family, classify};
use openflex_engine::connector::{
    Billing, CardData, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, Outcome, PriorTxn, StoredCredential, VerifyResult,
};
use openflex_gateway_doubles::stripe::{Stripe, spawn_with_state};
use openflex_gateway_doubles::{Double, Fault};
use std::time::Duration;

const KEY: &str = "sk_test_51OfxDoubleSecretKey0001";
const VISA: &str = "4242424242424242";

fn settings() -> ConnectorSettings {
    settings_of(serde_json::json!({ "secretKey": KEY }))
}

/// Settings as a dialect hands them to the engine.
fn settings_of(v: serde_json::Value) -> ConnectorSettings {
    ConnectorSettings::from_json(v.to_string()).unwrap()
}

fn connector(url: &str) -> StripeConnector {
    StripeConnector::new(&ConnectorConfig {
        base_urls: BaseUrls {
            stripe: Some(url.to_string()),
            ..BaseUrls::default()
        },
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
    })
}

fn card(pan: &str, cvv: Option<&str>) -> CardData {
    CardData {
        pan: Secret::new(pan.to_string()),
        cvv: cvv.map(|c| Secret::new(c.to_string())),
        expiry: Some(Expiry {
            month: 12,
            year: 2030,
        }),
    }
}

fn billing() -> Billing<'static> {
    Billing {
        first_name: Some("Jenny"),
        last_name: Some("Rosen"),
        address1: Some("1 Market St"),
        postal_code: Some("94105"),
        country: Some("US"),
        ..Billing::default()
    }
}

const CIT: StoredCredential<'static> = StoredCredential {
    initiator: Initiator::Customer,
    stores_card: false,
    network_transaction_id: None,
};

fn payment<'a>(
    op: Operation,
    reference: &'a str,
    amount: i64,
    instrument: Instrument<'a>,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation: op,
        reference,
        amount,
        currency: "USD",
        instrument: Some(instrument),
        billing: billing(),
        stored_credential: CIT,
        original: None,
        settings: Some(settings),
    }
}

fn follow<'a>(
    op: Operation,
    reference: &'a str,
    amount: i64,
    id: &'a str,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation: op,
        reference,
        amount,
        currency: "USD",
        instrument: None,
        billing: Billing::default(),
        stored_credential: CIT,
        original: Some(PriorTxn {
            gateway_transaction_id: id,
            amount: 10_000,
        }),
        settings: Some(settings),
    }
}

async fn double() -> (Double, Stripe, StripeConnector) {
    let (d, s) = spawn_with_state().await;
    let c = connector(&d.url);
    (d, s, c)
}

fn assert_clean(d: &Double) {
    assert!(
        d.control.violations().is_empty(),
        "{:?}",
        d.control.violations()
    );
}

#[tokio::test]
async fn sale_is_approved_with_checks_and_network_id() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    let r = c
        .process(payment(
            Operation::Sale,
            "att_sale_1",
            2_500,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(r.code, ResponseCode::APPROVED, "{r:?}");
    let id = r
        .gateway_transaction_id
        .clone()
        .expect("a PaymentIntent id");
    assert!(id.starts_with("pi_"));
    assert_eq!(r.avs_code.as_deref(), Some("Y"));
    assert_eq!(r.cvv_code.as_deref(), Some("M"));
    assert!(r.avs_message.is_some() && r.cvv_message.is_some());
    let held = s.payments_with_reference("att_sale_1");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].status, "succeeded");
    assert_eq!(r.network_transaction_id, held[0].network_transaction_id);
    assert!(r.network_transaction_id.is_some());
    let req = &d.control.requests_to("/v1/payment_intents")[0];
    assert_eq!(req.header("idempotency-key"), Some("att_sale_1"));
    assert_eq!(req.header("stripe-version"), Some("2024-06-20"));
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
    assert!(req.body.contains("capture_method=automatic"));
    assert!(req.body.contains("confirm=true"));
    assert!(!req.body.contains("setup_future_usage"));
    assert_clean(&d);
}

#[tokio::test]
async fn address_mismatch_reads_avs_n() {
    let (d, _s, c) = double().await;
    let set = settings();
    let cd = card("4000000000000010", Some("123"));
    let r = c
        .process(payment(
            Operation::Sale,
            "att_avs",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(r.code.is_approved());
    assert_eq!(r.avs_code.as_deref(), Some("N"));
    assert_clean(&d);
}

#[tokio::test]
async fn authorize_partial_capture_then_partial_refunds_and_over_refund() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    let auth = c
        .process(payment(
            Operation::Authorize,
            "att_auth",
            10_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(auth.code.is_approved(), "{auth:?}");
    let id = auth.gateway_transaction_id.unwrap();
    assert_eq!(s.payments()[0].status, "requires_capture");
    let cap = c
        .process(follow(Operation::Capture, "att_cap", 7_000, &id, &set))
        .await;
    assert!(cap.code.is_approved(), "{cap:?}");
    assert_eq!(cap.gateway_transaction_id.as_deref(), Some(id.as_str()));
    assert_eq!(s.payments()[0].captured, 7_000);
    for (i, reference) in ["att_ref_1", "att_ref_2"].iter().enumerate() {
        let r = c
            .process(follow(Operation::Refund, reference, 3_000, &id, &set))
            .await;
        assert!(r.code.is_approved(), "{i}: {r:?}");
        assert!(r.gateway_transaction_id.unwrap().starts_with("re_"));
    }
    assert_eq!(s.payments()[0].refunded, 6_000);
    let over = c
        .process(follow(Operation::Refund, "att_ref_3", 2_000, &id, &set))
        .await;
    assert_eq!(over.outcome, Outcome::Decided);
    assert!(!over.code.is_approved());
    assert_eq!(s.payments()[0].refunded, 6_000);
    assert_eq!(s.refund_count(), 2);
    let body = &d.control.requests_to("/capture")[0].body;
    assert!(body.contains("amount_to_capture=7000"));
    assert_clean(&d);
}

#[tokio::test]
async fn void_cancels_an_authorization_and_not_twice() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    let auth = c
        .process(payment(
            Operation::Authorize,
            "att_a",
            5_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    let id = auth.gateway_transaction_id.unwrap();
    let v = c
        .process(follow(Operation::Void, "att_v", 5_000, &id, &set))
        .await;
    assert!(v.code.is_approved(), "{v:?}");
    assert_eq!(s.payments()[0].status, "canceled");
    let again = c
        .process(follow(Operation::Void, "att_v2", 5_000, &id, &set))
        .await;
    assert!(!again.code.is_approved());
    assert_eq!(
        again.gateway_code.as_deref(),
        Some("payment_intent_unexpected_state")
    );
    assert_clean(&d);
}

#[tokio::test]
async fn declines_map_to_their_family() {
    let (d, _s, c) = double().await;
    let set = settings();
    let cases = [
        ("4000000000009995", Family::InsufficientFunds, true),
        ("4000000000000002", Family::DoNotHonor, true),
        ("4000000000009987", Family::LostStolenFraud, false),
        ("4000000000009979", Family::LostStolenFraud, false),
        ("4100000000000019", Family::LostStolenFraud, false),
        ("4000000000000069", Family::ExpiredCard, false),
        ("4000000000000127", Family::CvvAvs, false),
        ("4000000000000119", Family::IssuerUnavailable, true),
    ];
    for (i, (pan, family, retryable)) in cases.iter().enumerate() {
        let cd = card(pan, Some("123"));
        let reference = format!("att_decl_{i}");
        let r = c
            .process(payment(
                Operation::Sale,
                &reference,
                1_000,
                Instrument::Card(&cd),
                &set,
            ))
            .await;
        assert_eq!(r.outcome, Outcome::Decided, "{pan}");
        let cl = classify(r.code);
        assert_eq!(cl.family, *family, "{pan}: {r:?}");
        assert_eq!(cl.retryable, *retryable, "{pan}: {r:?}");
        assert!(r.gateway_transaction_id.is_some(), "{pan}");
        assert!(r.network_transaction_id.is_none(), "{pan}");
    }
    let funds = c
        .process(payment(
            Operation::Sale,
            "att_funds",
            1_000,
            Instrument::Card(&card("4000000000009995", None)),
            &set,
        ))
        .await;
    assert_eq!(funds.code, ResponseCode(20023));
    assert_eq!(funds.code.class(), CodeClass::Soft);
    assert_eq!(funds.gateway_code.as_deref(), Some("insufficient_funds"));
    assert_clean(&d);
}

#[tokio::test]
async fn gateway_tokens_pay_with_a_payment_method_or_the_customer_default() {
    let (d, s, c) = double().await;
    let set = settings();
    let pm = c
        .process(payment(
            Operation::Sale,
            "att_pm",
            1_200,
            Instrument::GatewayToken("pm_card_visa"),
            &set,
        ))
        .await;
    assert!(pm.code.is_approved(), "{pm:?}");
    let declined = c
        .process(payment(
            Operation::Sale,
            "att_pm_nsf",
            1_200,
            Instrument::GatewayToken("pm_card_chargeDeclinedInsufficientFunds"),
            &set,
        ))
        .await;
    assert_eq!(declined.code, ResponseCode(20023));
    let cus = c
        .process(payment(
            Operation::Sale,
            "att_cus",
            1_300,
            Instrument::GatewayToken("cus_test_default"),
            &set,
        ))
        .await;
    assert!(cus.code.is_approved(), "{cus:?}");
    let body = &d.control.requests_to("/v1/payment_intents")[2].body;
    assert!(body.contains("customer=cus_test_default"));
    assert!(body.contains("payment_method=pm_card_visa"));
    let legacy = c
        .process(payment(
            Operation::Sale,
            "att_src",
            1_300,
            Instrument::GatewayToken("cus_test_source"),
            &set,
        ))
        .await;
    assert!(legacy.code.is_approved(), "{legacy:?}");
    let none = c
        .process(payment(
            Operation::Sale,
            "att_empty",
            1_300,
            Instrument::GatewayToken("cus_test_empty"),
            &set,
        ))
        .await;
    assert_eq!(none.outcome, Outcome::Decided);
    assert!(!none.code.is_approved());
    assert!(s.payments_with_reference("att_empty").is_empty());
    assert_clean(&d);
}

#[tokio::test]
async fn first_cit_stores_and_mit_sends_the_network_transaction_id() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    let mut first = payment(
        Operation::Sale,
        "att_cit",
        1_000,
        Instrument::Card(&cd),
        &set,
    );
    first.stored_credential = StoredCredential {
        initiator: Initiator::Customer,
        stores_card: true,
        network_transaction_id: None,
    };
    let r = c.process(first).await;
    let ntid = r.network_transaction_id.expect("an NTID to keep");
    assert_eq!(
        s.payments()[0].setup_future_usage.as_deref(),
        Some("off_session")
    );
    let stored = card(VISA, None);
    let mut mit = payment(
        Operation::Sale,
        "att_mit",
        1_000,
        Instrument::Card(&stored),
        &set,
    );
    mit.stored_credential = StoredCredential {
        initiator: Initiator::Merchant,
        stores_card: false,
        network_transaction_id: Some(&ntid),
    };
    let m = c.process(mit).await;
    assert!(m.code.is_approved(), "{m:?}");
    let held = &s.payments_with_reference("att_mit")[0];
    assert!(held.off_session);
    assert_eq!(
        held.mit_network_transaction_id.as_deref(),
        Some(ntid.as_str())
    );
    assert_eq!(held.setup_future_usage, None);
    assert_clean(&d);
}

#[tokio::test]
async fn settings_are_checked() {
    let c = connector("http://127.0.0.1:9");
    assert!(c.check_settings(Some(&settings())).is_ok());
    assert!(
        c.check_settings(Some(&settings_of(
            serde_json::json!({"secretKey": "rk_live_abcdef123456"})
        )))
        .is_ok()
    );
    let err =
        |v: Option<serde_json::Value>| c.check_settings(v.map(settings_of).as_ref()).unwrap_err();
    assert_eq!(err(None), "secretKey is required");
    assert_eq!(err(Some(serde_json::json!({}))), "secretKey is required");
    assert_eq!(
        err(Some(serde_json::json!({"secretKey": ""}))),
        "secretKey is required"
    );
    assert!(err(Some(serde_json::json!({"secretKey": 5}))).contains("secretKey"));
    let public = err(Some(
        serde_json::json!({"secretKey": "pk_test_abcdefghijkl"}),
    ));
    assert!(
        public.contains("secretKey") && !public.contains("pk_test_abc"),
        "{public}"
    );
}

#[tokio::test]
async fn a_revoked_key_is_a_configuration_refusal() {
    let (_d, _s, c) = double().await;
    let set = settings_of(serde_json::json!({"secretKey": "sk_test_revoked_key_0001"}));
    let cd = card(VISA, Some("123"));
    let r = c
        .process(payment(
            Operation::Sale,
            "att_401",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(classify(r.code).family, Family::Merchant, "{r:?}");
    assert!(!r.gateway_message.unwrap_or_default().contains("revoked"));
}

#[tokio::test]
async fn a_dropped_answer_is_unknown_and_inquire_replays_it_once() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    d.control
        .fail_next(Some("/v1/payment_intents"), Fault::DropAfterProcessing);
    let r = c
        .process(payment(
            Operation::Sale,
            "att_drop",
            4_200,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert_eq!(r.outcome, Outcome::Unknown, "{r:?}");
    let q = c
        .inquire(payment(
            Operation::Sale,
            "att_drop",
            4_200,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(q.code.is_approved(), "{q:?}");
    let held = s.payments_with_reference("att_drop");
    assert_eq!(held.len(), 1, "exactly one payment");
    assert_eq!(
        q.gateway_transaction_id.as_deref(),
        Some(held[0].id.as_str())
    );
    assert_eq!(q.network_transaction_id, held[0].network_transaction_id);
    assert_clean(&d);
}

#[tokio::test]
async fn inquiry_without_the_cvv_falls_back_to_search() {
    let (d, s, c) = double().await;
    let set = settings();
    let with_cvv = card(VISA, Some("123"));
    d.control.fail_next(None, Fault::DropAfterProcessing);
    let r = c
        .process(payment(
            Operation::Sale,
            "att_cvv",
            4_300,
            Instrument::Card(&with_cvv),
            &set,
        ))
        .await;
    assert!(r.is_unknown());
    let without = card(VISA, None);
    s.hide_from_search(true);
    let lagging = c
        .inquire(payment(
            Operation::Sale,
            "att_cvv",
            4_300,
            Instrument::Card(&without),
            &set,
        ))
        .await;
    assert!(
        lagging.is_unknown(),
        "no hit is not 'never seen': {lagging:?}"
    );
    s.hide_from_search(false);
    let found = c
        .inquire(payment(
            Operation::Sale,
            "att_cvv",
            4_300,
            Instrument::Card(&without),
            &set,
        ))
        .await;
    assert!(found.code.is_approved(), "{found:?}");
    let held = s.payments_with_reference("att_cvv");
    assert_eq!(held.len(), 1);
    assert_eq!(
        found.gateway_transaction_id.as_deref(),
        Some(held[0].id.as_str())
    );
    assert_eq!(d.control.requests_to("/v1/payment_intents/search").len(), 2);
}

#[tokio::test]
async fn server_errors_and_garbage_are_unknown() {
    let (d, s, c) = double().await;
    let set = settings();
    let cd = card(VISA, Some("123"));
    d.control.fail_next(None, Fault::ServerError(500));
    let r = c
        .process(payment(
            Operation::Sale,
            "att_500",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(r.is_unknown(), "{r:?}");
    d.control.fail_next(None, Fault::Malformed);
    let m = c
        .process(payment(
            Operation::Sale,
            "att_bad",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(m.is_unknown(), "{m:?}");
    let q = c
        .inquire(payment(
            Operation::Sale,
            "att_bad",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(q.code.is_approved(), "{q:?}");
    assert_eq!(s.payments_with_reference("att_bad").len(), 1);
    s.store_server_error_next();
    let stored = c
        .process(payment(
            Operation::Sale,
            "att_s500",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(stored.is_unknown());
    let replayed = c
        .inquire(payment(
            Operation::Sale,
            "att_s500",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert!(
        replayed.is_unknown(),
        "a replayed 500 stays unknown: {replayed:?}"
    );
    assert_clean(&d);
}

#[tokio::test]
async fn a_closed_port_is_a_decided_system_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = connector(&url);
    let set = settings();
    let cd = card(VISA, Some("123"));
    let r = c
        .process(payment(
            Operation::Sale,
            "att_closed",
            1_000,
            Instrument::Card(&cd),
            &set,
        ))
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(r.code, ResponseCode(20046));
}

#[tokio::test]
async fn inquiring_what_stripe_never_saw_decides_without_a_second_charge() {
    let (d, s, c) = double().await;
    let set = settings();
    let declining = card("4000000000000002", Some("123"));
    let q = c
        .inquire(payment(
            Operation::Sale,
            "att_never",
            1_000,
            Instrument::Card(&declining),
            &set,
        ))
        .await;
    assert_eq!(q.outcome, Outcome::Decided);
    assert!(!q.code.is_approved());
    let again = c
        .inquire(payment(
            Operation::Sale,
            "att_never",
            1_000,
            Instrument::Card(&declining),
            &set,
        ))
        .await;
    assert_eq!(again.code, q.code);
    assert_eq!(s.payments_with_reference("att_never").len(), 1);
    let capture = c
        .inquire(follow(
            Operation::Capture,
            "att_never_cap",
            1_000,
            "pi_3OfxUnknown",
            &set,
        ))
        .await;
    assert_eq!(capture.outcome, Outcome::Decided);
    assert!(!capture.code.is_approved());
    assert_clean(&d);
}

#[tokio::test]
async fn card_data_and_the_key_never_reach_the_logs() {
    let (d, _s, c) = double().await;
    let set = settings();
    let cd = card("4000000000009995", Some("987"));
    let ok = card(VISA, Some("987"));
    let (results, logs): (Vec<ConnectorResult>, String) = {
        let logs = support::capture();
        let a = c
            .process(payment(
                Operation::Sale,
                "att_leak",
                1_000,
                Instrument::Card(&ok),
                &set,
            ))
            .await;
        let b = c
            .process(payment(
                Operation::Sale,
                "att_leak2",
                1_000,
                Instrument::Card(&cd),
                &set,
            ))
            .await;
        (vec![a, b], logs.text())
    };
    assert!(logs.contains("gateway request"), "debug logs were captured");
    for secret in [VISA, "4000000000009995", "987", KEY, "sk_test_51Ofx"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
        for r in &results {
            assert!(
                !format!("{r:?}").contains(secret),
                "{secret} leaked into a result"
            );
        }
    }
    assert_clean(&d);
}

#[tokio::test]
async fn the_double_refuses_what_stripe_refuses() {
    let (d, s, _c) = double().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/payment_intents", d.url);
    let post = |key: &str, body: &'static str| {
        http.post(&url)
            .basic_auth(KEY, None::<&str>)
            .header("Stripe-Version", "2024-06-20")
            .header("Idempotency-Key", key.to_string())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let base = "amount=100&currency=usd&confirm=true&payment_method=pm_card_visa";
    let first = post("k1", base).await.unwrap();
    assert_eq!(first.status(), 200);
    let replay = post("k1", base).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let other = post(
        "k1",
        "amount=200&currency=usd&confirm=true&payment_method=pm_card_visa",
    )
    .await
    .unwrap();
    assert_eq!(other.status(), 400);
    let e: serde_json::Value = other.json().await.unwrap();
    assert_eq!(e["error"]["type"], "idempotency_error");
    assert_eq!(s.payments().len(), 1);
    assert_clean(&d);
    let unknown = post(
        "k2",
        "amount=100&currency=usd&confirm=true&payment_method=pm_card_visa&colour=red",
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);
    let e: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(e["error"]["code"], "parameter_unknown");
    assert_eq!(d.control.violations().len(), 1);
    let anonymous = http.post(&url).body(base).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(d.control.violations().len(), 2);
    assert_eq!(s.payments().len(), 1);
}

#[tokio::test]
async fn test_connection_reads_the_balance_and_words_a_refused_key() {
    const REVOKED: &str = "sk_test_revokedKey000000abcd";
    let (d, s, c) = double().await;
    let logs = support::capture();
    let ok = c.verify(Some(&settings())).await;
    assert!(
        matches!(&ok, VerifyResult::Accepted(m) if m.contains("test mode") && m.contains("nothing was charged")),
        "{ok:?}"
    );
    let asked = d.control.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        (asked[0].method.as_str(), asked[0].uri.as_str()),
        ("GET", "/v1/balance")
    );
    assert_clean(&d);
    assert!(s.payments().is_empty(), "nothing was charged");

    let refused = c
        .verify(Some(&settings_of(
            serde_json::json!({ "secretKey": REVOKED }),
        )))
        .await;
    let VerifyResult::Refused(why) = &refused else {
        panic!("{refused:?}")
    };
    assert!(
        why.contains("HTTP 401") && why.contains("Invalid API Key provided"),
        "{why}"
    );
    assert!(!why.contains("abcd") && !why.contains("sk_test"), "{why}");
    let unset = c.verify(None).await;
    assert!(
        matches!(&unset, VerifyResult::Refused(m) if m.contains("secretKey is required")),
        "{unset:?}"
    );
    let nowhere = connector("http://127.0.0.1:9")
        .verify(Some(&settings()))
        .await;
    assert!(
        matches!(nowhere, VerifyResult::Unavailable(_)),
        "{nowhere:?}"
    );
    let logs = logs.text();
    assert!(
        !logs.contains(KEY) && !logs.contains(REVOKED),
        "a key in the logs"
    );
}
