//! The Adyen connector against the Adyen double (Checkout v71 wire format, schema-checked).

mod support;

use openflex_connectors::adyen::AdyenConnector;
use openflex_connectors::{BaseUrls, ConnectorConfig};
use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::{CodeClass, ResponseCode};
use openflex_domain::decline::{Family, classify};
use openflex_engine::connector::{
    Billing, CardData, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, Outcome, PriorTxn, StoredCredential, VerifyResult,
};
use openflex_gateway_doubles::adyen::{self, FOREIGN_MERCHANT_ACCOUNT, Ledger, REJECTED_API_KEY};
use openflex_gateway_doubles::{Double, Fault};
use serde_json::{Value, json};
use std::time::Duration;

const PAN: &str = "4111111111111111";
const CVV: &str = "737";
const API_KEY: &str = "AQE1hmfxKo3NaxZDw0m_secret_test_key";

struct Setup {
    double: Double,
    ledger: Ledger,
    connector: AdyenConnector,
    settings: ConnectorSettings,
}

async fn setup() -> Setup {
    let (double, ledger) = adyen::spawn_with_ledger().await;
    let connector = connector_at(adyen::api_root(&double));
    Setup {
        double,
        ledger,
        connector,
        settings: settings_of(json!({"apiKey": API_KEY, "merchantAccount": "OpenflexECOM"})),
    }
}

/// Settings as a dialect hands them to the engine.
fn settings_of(v: Value) -> ConnectorSettings {
    ConnectorSettings::from_json(v.to_string()).unwrap()
}

fn connector_at(root: String) -> AdyenConnector {
    AdyenConnector::new(&ConnectorConfig {
        base_urls: BaseUrls {
            adyen: Some(root),
            ..BaseUrls::default()
        },
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
    })
}

fn card(cvv: Option<&str>) -> CardData {
    CardData {
        pan: Secret::new(PAN.to_string()),
        cvv: cvv.map(|c| Secret::new(c.to_string())),
        expiry: Some(Expiry {
            month: 3,
            year: 2030,
        }),
    }
}

fn customer() -> StoredCredential<'static> {
    StoredCredential {
        initiator: Initiator::Customer,
        stores_card: false,
        network_transaction_id: None,
    }
}

fn billing(name: &'static str) -> Billing<'static> {
    Billing {
        first_name: Some(name),
        address1: Some("1 Main Street"),
        city: Some("Springfield"),
        state: Some("IL"),
        postal_code: Some("62701"),
        country: Some("US"),
        email: Some("shopper@example.com"),
        ip: Some("203.0.113.7"),
        ..Billing::default()
    }
}

fn pay<'a>(
    operation: Operation,
    reference: &'a str,
    amount: i64,
    instrument: Instrument<'a>,
    billing: Billing<'a>,
    stored: StoredCredential<'a>,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation,
        reference,
        amount,
        currency: "USD",
        instrument: Some(instrument),
        billing,
        stored_credential: stored,
        original: None,
        settings: Some(settings),
    }
}

fn follow<'a>(
    operation: Operation,
    reference: &'a str,
    amount: i64,
    psp: &'a str,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation,
        reference,
        amount,
        currency: "USD",
        instrument: None,
        billing: Billing::default(),
        stored_credential: StoredCredential {
            initiator: Initiator::Merchant,
            stores_card: false,
            network_transaction_id: None,
        },
        original: Some(PriorTxn {
            gateway_transaction_id: psp,
            amount: 1000,
        }),
        settings: Some(settings),
    }
}

impl Setup {
    async fn sale(&self, reference: &str, name: &'static str) -> ConnectorResult {
        let c = card(Some(CVV));
        let req = pay(
            Operation::Sale,
            reference,
            1000,
            Instrument::Card(&c),
            billing(name),
            customer(),
            &self.settings,
        );
        self.connector.process(req).await
    }

    fn last_body(&self, path: &str) -> Value {
        let r = self.double.control.requests_to(path);
        serde_json::from_str(&r.last().expect("a request").body).expect("JSON")
    }

    fn assert_clean(&self) {
        assert_eq!(self.double.control.violations(), Vec::<String>::new());
    }
}

fn approved(r: &ConnectorResult) {
    assert_eq!(r.outcome, Outcome::Decided, "{r:?}");
    assert_eq!(r.code, ResponseCode::APPROVED, "{r:?}");
}

#[tokio::test]
async fn sale_is_approved_with_avs_cvv_and_network_id() {
    let s = setup().await;
    let r = s.sale("att_sale_1", "Jane").await;
    approved(&r);
    let psp = r.gateway_transaction_id.as_deref().expect("pspReference");
    assert_eq!(psp.len(), 16);
    assert_eq!(r.avs_code.as_deref(), Some("Y"));
    assert_eq!(r.cvv_code.as_deref(), Some("M"));
    assert!(r.network_transaction_id.is_some());
    let sent = &s.double.control.requests_to("/payments")[0];
    assert_eq!(sent.header("x-api-key"), Some(API_KEY));
    assert_eq!(sent.header("idempotency-key"), Some("att_sale_1"));
    let body = s.last_body("/payments");
    assert_eq!(body["reference"], "att_sale_1");
    assert_eq!(body["paymentMethod"]["expiryYear"], "2030");
    assert_eq!(body["shopperInteraction"], "Ecommerce");
    assert!(
        body.get("additionalData").is_none(),
        "a sale is auto-captured"
    );
    assert_eq!(s.ledger.amounts(psp), Some((1000, 1000, 0, false)));
    s.assert_clean();
}

#[tokio::test]
async fn authorize_then_partial_capture() {
    let s = setup().await;
    let c = card(Some(CVV));
    let settings = &s.settings;
    let req = pay(
        Operation::Authorize,
        "att_auth",
        1000,
        Instrument::Card(&c),
        billing("Jane"),
        customer(),
        settings,
    );
    let r = s.connector.process(req).await;
    approved(&r);
    assert_eq!(
        s.last_body("/payments")["additionalData"]["manualCapture"],
        "true"
    );
    let psp = r.gateway_transaction_id.unwrap();
    let cap = s
        .connector
        .process(follow(Operation::Capture, "att_cap", 600, &psp, settings))
        .await;
    approved(&cap);
    assert_eq!(cap.gateway_code.as_deref(), Some("received"));
    assert_eq!(s.ledger.amounts(&psp), Some((1000, 600, 0, false)));
    s.assert_clean();
}

#[tokio::test]
async fn void_cancels_an_authorization() {
    let s = setup().await;
    let c = card(Some(CVV));
    let req = pay(
        Operation::Authorize,
        "att_auth_v",
        1000,
        Instrument::Card(&c),
        Billing::default(),
        customer(),
        &s.settings,
    );
    let psp = s
        .connector
        .process(req)
        .await
        .gateway_transaction_id
        .unwrap();
    let r = s
        .connector
        .process(follow(Operation::Void, "att_void", 1000, &psp, &s.settings))
        .await;
    approved(&r);
    assert!(
        s.double
            .control
            .requests_to(&format!("/payments/{psp}/cancels"))
            .len()
            == 1
    );
    assert_eq!(s.ledger.amounts(&psp), Some((1000, 0, 0, true)));
    s.assert_clean();
}

#[tokio::test]
async fn partial_refunds_then_an_over_refund_is_refused() {
    let s = setup().await;
    let psp = s
        .sale("att_sale_r", "Jane")
        .await
        .gateway_transaction_id
        .unwrap();
    for reference in ["att_ref_1", "att_ref_2"] {
        let r = s
            .connector
            .process(follow(Operation::Refund, reference, 300, &psp, &s.settings))
            .await;
        approved(&r);
    }
    let over = s
        .connector
        .process(follow(
            Operation::Refund,
            "att_ref_3",
            500,
            &psp,
            &s.settings,
        ))
        .await;
    assert_eq!(over.outcome, Outcome::Decided);
    assert!(!over.code.is_approved(), "{over:?}");
    assert_eq!(s.ledger.amounts(&psp), Some((1000, 1000, 600, false)));
    s.assert_clean();
}

#[tokio::test]
async fn declines_map_to_their_families() {
    let s = setup().await;
    let cases: &[(&'static str, Family)] = &[
        ("NOT_ENOUGH_BALANCE", Family::InsufficientFunds),
        ("DECLINED", Family::DoNotHonor),
        ("DECLINED : 05 : Do not honor", Family::DoNotHonor),
        ("ACQUIRER_FRAUD", Family::LostStolenFraud),
        ("BLOCK_CARD", Family::LostStolenFraud),
        ("CARD_EXPIRED", Family::ExpiredCard),
        ("INVALID_CARD_NUMBER", Family::InvalidCard),
        ("ISSUER_UNAVAILABLE", Family::IssuerUnavailable),
        ("ERROR", Family::IssuerUnavailable),
    ];
    for (i, (name, family)) in cases.iter().enumerate() {
        let r = s.sale(&format!("att_decl_{i}"), name).await;
        assert_eq!(r.outcome, Outcome::Decided, "{name}");
        let c = classify(r.code);
        assert_eq!(c.family, *family, "{name}: {r:?}");
        assert!(r.gateway_transaction_id.is_some(), "{name}");
        if *family == Family::LostStolenFraud {
            assert!(!c.retryable, "{name} must never be retried");
            assert_eq!(r.code.class(), CodeClass::Hard);
        }
    }
    let funds = s.sale("att_decl_funds", "NOT_ENOUGH_BALANCE").await;
    assert_eq!(funds.code, ResponseCode(20023));
    assert!(classify(funds.code).retryable);
    s.assert_clean();
}

#[tokio::test]
async fn gateway_token_payment() {
    let s = setup().await;
    let req = pay(
        Operation::Sale,
        "att_tok",
        1000,
        Instrument::GatewayToken("shopper-42:M5N7TQ4TG5PFWR50"),
        Billing::default(),
        customer(),
        &s.settings,
    );
    let r = s.connector.process(req).await;
    approved(&r);
    let body = s.last_body("/payments");
    assert_eq!(
        body["paymentMethod"]["storedPaymentMethodId"],
        "M5N7TQ4TG5PFWR50"
    );
    assert_eq!(body["shopperReference"], "shopper-42");
    assert_eq!(body["shopperInteraction"], "ContAuth");
    assert_eq!(body["recurringProcessingModel"], "CardOnFile");
    s.assert_clean();
}

#[tokio::test]
async fn first_cit_and_mit_carry_the_stored_credential_fields() {
    let s = setup().await;
    let c = card(Some(CVV));
    let first = pay(
        Operation::Sale,
        "att_cit",
        1000,
        Instrument::Card(&c),
        billing("Jane"),
        StoredCredential {
            initiator: Initiator::Customer,
            stores_card: true,
            network_transaction_id: None,
        },
        &s.settings,
    );
    let r = s.connector.process(first).await;
    approved(&r);
    let body = s.last_body("/payments");
    assert_eq!(body["shopperInteraction"], "Ecommerce");
    assert_eq!(body["recurringProcessingModel"], "CardOnFile");
    let ntid = r.network_transaction_id.expect("network transaction id");
    let c = card(None);
    let mit = pay(
        Operation::Sale,
        "att_mit",
        1000,
        Instrument::Card(&c),
        Billing::default(),
        StoredCredential {
            initiator: Initiator::Merchant,
            stores_card: false,
            network_transaction_id: Some(&ntid),
        },
        &s.settings,
    );
    approved(&s.connector.process(mit).await);
    let body = s.last_body("/payments");
    assert_eq!(body["shopperInteraction"], "ContAuth");
    assert_eq!(body["recurringProcessingModel"], "UnscheduledCardOnFile");
    assert_eq!(
        body["paymentMethod"]["networkPaymentReference"],
        ntid.as_str()
    );
    assert!(body["paymentMethod"].get("cvc").is_none());
    s.assert_clean();
}

#[tokio::test]
async fn check_settings_names_the_field() {
    let c = connector_at("http://127.0.0.1:9".into());
    let check = |v: Value| c.check_settings(Some(&settings_of(v)));
    assert_eq!(c.check_settings(None), Err("apiKey is required".into()));
    assert_eq!(
        check(json!({"merchantAccount": "M"})),
        Err("apiKey is required".into())
    );
    assert_eq!(
        check(json!({"apiKey": "k"})),
        Err("merchantAccount is required".into())
    );
    assert!(
        check(json!({"apiKey": "k", "merchantAccount": "M", "liveUrlPrefix": "evil.example/x"}))
            .unwrap_err()
            .contains("liveUrlPrefix")
    );
    assert!(
        check(json!({"apiKey": "k", "merchantAccount": "M", "hmacKey": "xyz"}))
            .unwrap_err()
            .contains("hmacKey")
    );
    assert_eq!(
        check(
            json!({"apiKey": "k", "merchantAccount": "M", "liveUrlPrefix": "1797a841fbb37ca7-AdyenDemo",
            "hmacKey": "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"})
        ),
        Ok(())
    );
}

#[tokio::test]
async fn a_rejected_api_key_is_a_decided_configuration_error() {
    let s = setup().await;
    let settings =
        settings_of(json!({"apiKey": REJECTED_API_KEY, "merchantAccount": "OpenflexECOM"}));
    let c = card(Some(CVV));
    let req = pay(
        Operation::Sale,
        "att_401",
        1000,
        Instrument::Card(&c),
        Billing::default(),
        customer(),
        &settings,
    );
    let r = s.connector.process(req).await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(classify(r.code).family, Family::Merchant, "{r:?}");
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_inquiry_replays_it_once() {
    let s = setup().await;
    s.double
        .control
        .fail_next(Some("/payments"), Fault::DropAfterProcessing);
    let r = s.sale("att_lost", "Jane").await;
    assert_eq!(r.outcome, Outcome::Unknown, "{r:?}");
    assert_eq!(s.ledger.payment_count(), 1);
    let c = card(Some(CVV));
    let again = pay(
        Operation::Sale,
        "att_lost",
        1000,
        Instrument::Card(&c),
        billing("Jane"),
        customer(),
        &s.settings,
    );
    let found = s.connector.inquire(again).await;
    approved(&found);
    assert_eq!(
        s.ledger.payment_count(),
        1,
        "the replay charged nothing twice"
    );
    let calls = s.double.control.requests_to("/payments");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].body, calls[1].body, "the replay is the same body");
    assert_eq!(
        found.gateway_transaction_id.as_deref().map(str::len),
        Some(16)
    );
    // A second inquiry gives the same pspReference again.
    let c = card(Some(CVV));
    let third = pay(
        Operation::Sale,
        "att_lost",
        1000,
        Instrument::Card(&c),
        billing("Jane"),
        customer(),
        &s.settings,
    );
    let again = s.connector.inquire(third).await;
    assert_eq!(again.gateway_transaction_id, found.gateway_transaction_id);
    s.assert_clean();
}

#[tokio::test]
async fn an_inquiry_whose_replay_differs_stays_unknown() {
    let s = setup().await;
    s.double
        .control
        .fail_next(Some("/payments"), Fault::DropAfterProcessing);
    assert!(s.sale("att_cvv_gone", "Jane").await.is_unknown());
    let c = card(None);
    let without_cvv = pay(
        Operation::Sale,
        "att_cvv_gone",
        1000,
        Instrument::Card(&c),
        billing("Jane"),
        customer(),
        &s.settings,
    );
    let r = s.connector.inquire(without_cvv).await;
    assert_eq!(r.outcome, Outcome::Unknown, "{r:?}");
    assert_eq!(s.ledger.payment_count(), 1);
}

#[tokio::test]
async fn server_errors_and_malformed_answers_are_unknown() {
    let s = setup().await;
    s.double
        .control
        .fail_next(Some("/payments"), Fault::ServerError(500));
    assert!(s.sale("att_500", "Jane").await.is_unknown());
    s.double
        .control
        .fail_next(Some("/payments"), Fault::Malformed);
    assert!(s.sale("att_malformed", "Jane").await.is_unknown());
    s.assert_clean();
}

#[tokio::test]
async fn a_closed_port_is_a_decided_system_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let c = connector_at(format!("http://127.0.0.1:{port}/v71"));
    let settings = settings_of(json!({"apiKey": API_KEY, "merchantAccount": "OpenflexECOM"}));
    let cd = card(Some(CVV));
    let req = pay(
        Operation::Sale,
        "att_closed",
        1000,
        Instrument::Card(&cd),
        Billing::default(),
        customer(),
        &settings,
    );
    let r = c.process(req).await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(r.code, ResponseCode(20046));
}

#[tokio::test]
async fn an_inquiry_the_gateway_never_saw_is_decided_once() {
    let s = setup().await;
    let c = card(Some(CVV));
    let req = pay(
        Operation::Sale,
        "att_never",
        1000,
        Instrument::Card(&c),
        billing("DECLINED"),
        customer(),
        &s.settings,
    );
    let r = s.connector.inquire(req).await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert!(!r.code.is_approved(), "{r:?}");
    assert_eq!(s.ledger.payment_count(), 1);
    s.assert_clean();
}

#[tokio::test]
async fn card_data_and_the_api_key_never_reach_the_logs() {
    let s = setup().await;
    let capture = support::capture();
    let ok = s.sale("att_leak", "Jane").await;
    let refused = s.sale("att_leak_2", "DECLINED").await;
    s.double
        .control
        .fail_next(Some("/payments"), Fault::ServerError(500));
    let lost = s.sale("att_leak_3", "Jane").await;
    let logs = capture.text();
    assert!(logs.contains("gateway request"), "debug logs were captured");
    for r in [&ok, &refused, &lost] {
        let text = format!("{r:?}");
        assert!(!text.contains(PAN) && !text.contains(API_KEY), "{text}");
    }
    assert!(!logs.contains(PAN), "PAN in logs");
    assert!(!logs.contains("\"737\""), "CVV in logs");
    assert!(!logs.contains(API_KEY), "API key in logs");
}

#[tokio::test]
async fn the_double_rejects_bodies_the_official_schema_rejects() {
    let s = setup().await;
    let body = json!({
        "amount": {"currency": "USD", "value": 1000},
        "reference": "att_schema",
        "merchantAccount": "OpenflexECOM",
        "returnUrl": "https://example.com/r",
        "paymentMethod": {"type": "scheme", "number": PAN, "expiryMonth": "03",
            "expiryYear": "2030", "cvv": CVV},
    });
    let answer = reqwest::Client::new()
        .post(format!("{}/payments", adyen::api_root(&s.double)))
        .header("X-API-Key", API_KEY)
        .header("Idempotency-Key", "att_schema")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    let error: Value = answer.json().await.unwrap();
    assert_eq!(error["errorCode"], "702");
    assert_eq!(error["errorType"], "validation");
    assert!(!error.to_string().contains(PAN));
    assert!(!s.double.control.violations().is_empty());
    assert_eq!(s.ledger.payment_count(), 0);
}

#[tokio::test]
async fn test_connection_lists_payment_methods_and_words_a_refused_key_or_account() {
    let s = setup().await;
    let ok = s.connector.verify(Some(&s.settings)).await;
    assert!(
        matches!(&ok, VerifyResult::Accepted(m) if m.contains("OpenflexECOM") && m.contains("nothing was charged")),
        "{ok:?}"
    );
    let asked = s.double.control.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        (asked[0].method.as_str(), asked[0].uri.as_str()),
        ("POST", "/v71/paymentMethods")
    );
    assert_eq!(asked[0].header("x-api-key"), Some(API_KEY));
    let body: Value = serde_json::from_str(&asked[0].body).unwrap();
    assert_eq!(body, json!({"merchantAccount": "OpenflexECOM"}));
    assert_eq!(s.double.control.violations(), Vec::<String>::new());
    assert_eq!(s.ledger.payment_count(), 0, "nothing was charged");

    let verify = |settings: Value| {
        let c = &s.connector;
        async move { c.verify(Some(&settings_of(settings))).await }
    };
    let key = verify(json!({"apiKey": REJECTED_API_KEY, "merchantAccount": "OpenflexECOM"})).await;
    assert!(
        matches!(&key, VerifyResult::Refused(m) if m.contains("refused the API key") && m.contains("HTTP 401")),
        "{key:?}"
    );
    let account =
        verify(json!({"apiKey": API_KEY, "merchantAccount": FOREIGN_MERCHANT_ACCOUNT})).await;
    let VerifyResult::Refused(why) = &account else {
        panic!("{account:?}")
    };
    assert!(
        why.contains("HTTP 403") && why.contains("901") && why.contains("Invalid Merchant Account"),
        "{why}"
    );
    assert!(!why.contains(API_KEY));
    let unset = verify(json!({"apiKey": API_KEY})).await;
    assert!(
        matches!(&unset, VerifyResult::Refused(m) if m.contains("merchantAccount is required")),
        "{unset:?}"
    );
    assert_eq!(s.double.control.violations(), Vec::<String>::new());
}
