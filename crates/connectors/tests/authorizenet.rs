//! The Authorize.net connector against its double: every operation, each decline category,
//! stored credentials, lost answers and their inquiries, and that card data never reaches logs.

mod support;

use openflex_connectors::authorizenet::{AuthorizeNetConnector, short_reference};
use openflex_connectors::{BaseUrls, ConnectorConfig};
use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::{Family, classify};
use openflex_engine::connector::{
    Billing, CardData, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, Outcome, PriorTxn, StoredCredential, VerifyResult,
};
use openflex_gateway_doubles::authorizenet::{
    self as double, API_LOGIN_ID, Ledger, PROFILE, REASON_CARD, TRANSACTION_KEY,
};
use openflex_gateway_doubles::{Double, Fault};
use serde_json::{Value, json};
use std::time::Duration;

const VISA: &str = "4111111111111111";

struct Env {
    double: Double,
    ledger: Ledger,
    conn: AuthorizeNetConnector,
    settings: ConnectorSettings,
}

fn connector(url: String) -> AuthorizeNetConnector {
    AuthorizeNetConnector::new(&ConnectorConfig {
        base_urls: BaseUrls {
            authorizenet: Some(url),
            ..BaseUrls::default()
        },
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(3),
    })
}

fn settings() -> ConnectorSettings {
    settings_of(
        json!({"apiLoginId": API_LOGIN_ID, "transactionKey": TRANSACTION_KEY, "environment": "sandbox"}),
    )
}

/// Settings as a dialect hands them to the engine.
fn settings_of(v: Value) -> ConnectorSettings {
    ConnectorSettings::from_json(v.to_string()).unwrap()
}

async fn env() -> Env {
    let (double, ledger) = double::start().await;
    let conn = connector(format!("{}/xml/v1/request.api", double.url));
    Env {
        double,
        ledger,
        conn,
        settings: settings(),
    }
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

fn request<'a>(
    op: Operation,
    reference: &'a str,
    amount: i64,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation: op,
        reference,
        amount,
        currency: "USD",
        instrument: None,
        billing: Billing::default(),
        stored_credential: StoredCredential {
            initiator: Initiator::Customer,
            stores_card: false,
            network_transaction_id: None,
        },
        original: None,
        settings: Some(settings),
    }
}

fn on<'a>(req: ConnectorRequest<'a>, trans_id: &'a str, amount: i64) -> ConnectorRequest<'a> {
    ConnectorRequest {
        original: Some(PriorTxn {
            gateway_transaction_id: trans_id,
            amount,
        }),
        ..req
    }
}

fn billing(zip: &'static str) -> Billing<'static> {
    Billing {
        first_name: Some("Ada"),
        last_name: Some("Lovelace"),
        address1: Some("1 Main St"),
        city: Some("Bellevue"),
        state: Some("WA"),
        postal_code: Some(zip),
        country: Some("US"),
        email: Some("ada@example.com"),
        ip: Some("203.0.113.7"),
    }
}

async fn sale(
    e: &Env,
    reference: &str,
    pan: &str,
    amount: i64,
    zip: &'static str,
) -> ConnectorResult {
    let c = card(pan, Some("123"));
    let req = ConnectorRequest {
        instrument: Some(Instrument::Card(&c)),
        billing: billing(zip),
        ..request(Operation::Sale, reference, amount, &e.settings)
    };
    e.conn.process(req).await
}

fn approved(r: &ConnectorResult) -> String {
    assert_eq!(r.outcome, Outcome::Decided, "{r:?}");
    assert!(r.code.is_approved(), "{r:?}");
    r.gateway_transaction_id.clone().expect("a transId")
}

fn last_body(e: &Env) -> Value {
    let reqs = e.double.control.requests();
    let body = &reqs.last().expect("a request").body;
    serde_json::from_str(body).expect("JSON")
}

#[tokio::test]
async fn a_sale_approves_with_avs_cvv_and_a_network_id() {
    let e = env().await;
    let r = sale(&e, "01JDQ7Z5V3K8M2N4P6R8T0W2Y4", VISA, 1050, "98004").await;
    let id = approved(&r);
    assert_eq!(r.code, ResponseCode::APPROVED);
    assert_eq!(r.avs_code.as_deref(), Some("Y"));
    assert_eq!(r.cvv_code.as_deref(), Some("M"));
    assert!(r.avs_message.is_some() && r.cvv_message.is_some());
    assert!(r.network_transaction_id.is_some());
    assert_eq!(r.gateway_code.as_deref(), Some("1"));
    let sent = last_body(&e);
    let tr = &sent["createTransactionRequest"]["transactionRequest"];
    assert_eq!(tr["amount"], "10.50");
    assert_eq!(tr["transactionType"], "authCaptureTransaction");
    assert_eq!(tr["payment"]["creditCard"]["expirationDate"], "2030-12");
    assert_eq!(tr["order"]["invoiceNumber"], "Z5V3K8M2N4P6R8T0W2Y4");
    assert_eq!(
        sent["createTransactionRequest"]["refId"],
        "Z5V3K8M2N4P6R8T0W2Y4"
    );
    let header = e.double.control.requests()[0]
        .header("content-type")
        .map(str::to_string);
    assert_eq!(header.as_deref(), Some("application/json"));
    assert_eq!(
        e.ledger.transaction(&id).map(|t| t.0),
        Some("capturedPendingSettlement".into())
    );
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn authorize_then_a_partial_capture_then_a_void() {
    let e = env().await;
    let c = card(VISA, Some("123"));
    let auth = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            ..request(Operation::Authorize, "AUTH1", 10_000, &e.settings)
        })
        .await;
    let id = approved(&auth);
    let cap = e
        .conn
        .process(on(
            request(Operation::Capture, "CAP1", 6_000, &e.settings),
            &id,
            10_000,
        ))
        .await;
    assert_eq!(approved(&cap), id);
    assert_eq!(
        e.ledger.transaction(&id),
        Some(("capturedPendingSettlement".into(), 6_000, 0))
    );

    let auth2 = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            ..request(Operation::Authorize, "AUTH2", 2_500, &e.settings)
        })
        .await;
    let id2 = approved(&auth2);
    let void = e
        .conn
        .process(on(
            request(Operation::Void, "VOID2", 2_500, &e.settings),
            &id2,
            2_500,
        ))
        .await;
    approved(&void);
    assert_eq!(
        e.ledger.transaction(&id2).map(|t| t.0),
        Some("voided".into())
    );
    let over = e
        .conn
        .process(on(
            request(Operation::Capture, "CAP2", 9_000, &e.settings),
            &id2,
            2_500,
        ))
        .await;
    assert!(!over.code.is_approved(), "{over:?}");
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn two_partial_refunds_then_an_over_refund_is_refused() {
    let e = env().await;
    let id = approved(&sale(&e, "SALE3", VISA, 10_000, "98004").await);
    e.ledger.settle();
    for (n, reference) in ["REF3A", "REF3B"].into_iter().enumerate() {
        let r = e
            .conn
            .process(on(
                request(Operation::Refund, reference, 3_000, &e.settings),
                &id,
                10_000,
            ))
            .await;
        let refund_id = approved(&r);
        assert_ne!(refund_id, id);
        assert_eq!(
            e.ledger.transaction(&id).map(|t| t.2),
            Some(3_000 * (n as i64 + 1))
        );
    }
    let sent = last_body(&e);
    let card = &sent["createTransactionRequest"]["transactionRequest"]["payment"]["creditCard"];
    assert_eq!(card["cardNumber"], "1111");
    assert_eq!(card["expirationDate"], "XXXX");
    let over = e
        .conn
        .process(on(
            request(Operation::Refund, "REF3C", 5_000, &e.settings),
            &id,
            10_000,
        ))
        .await;
    assert_eq!(over.outcome, Outcome::Decided);
    assert!(!over.code.is_approved());
    assert_eq!(over.gateway_code.as_deref(), Some("55"));
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn a_full_refund_of_an_unsettled_sale_is_a_void() {
    let e = env().await;
    let id = approved(&sale(&e, "SALE4", VISA, 4_000, "98004").await);
    let req = on(
        request(Operation::Refund, "REF4", 4_000, &e.settings),
        &id,
        4_000,
    );
    approved(&e.conn.process(req).await);
    assert_eq!(
        e.ledger.transaction(&id).map(|t| t.0),
        Some("voided".into())
    );
    let req = on(
        request(Operation::Refund, "REF4", 4_000, &e.settings),
        &id,
        4_000,
    );
    approved(&e.conn.inquire(req).await);
    let partial = on(
        request(Operation::Refund, "REF4B", 1_000, &e.settings),
        &id,
        4_000,
    );
    let sale2 = approved(&sale(&e, "SALE4B", VISA, 4_000, "98004").await);
    let partial = on(partial, &sale2, 4_000);
    let r = e.conn.process(partial).await;
    assert_eq!(r.gateway_code.as_deref(), Some("54"), "{r:?}");
    assert!(e.double.control.violations().is_empty());
}

#[tokio::test]
async fn each_decline_category_maps_to_its_family() {
    let e = env().await;
    let cases: [(&str, i64, &str, Family, bool); 8] = [
        (VISA, 1_000, "46282", Family::DoNotHonor, true),
        (
            REASON_CARD,
            29_500,
            "98004",
            Family::InsufficientFunds,
            true,
        ),
        (REASON_CARD, 400, "98004", Family::LostStolenFraud, false),
        (REASON_CARD, 600, "98004", Family::InvalidCard, false),
        (REASON_CARD, 1_900, "98004", Family::IssuerUnavailable, true),
        (REASON_CARD, 5_700, "98004", Family::IssuerUnavailable, true),
        (REASON_CARD, 4_400, "98004", Family::CvvAvs, false),
        (
            "4111111111111112",
            1_000,
            "98004",
            Family::InvalidCard,
            false,
        ),
    ];
    for (i, (pan, amount, zip, family, retryable)) in cases.into_iter().enumerate() {
        let r = sale(&e, &format!("DECL{i}"), pan, amount, zip).await;
        assert_eq!(r.outcome, Outcome::Decided);
        let c = classify(r.code);
        assert_eq!(
            (c.family, c.retryable),
            (family, retryable),
            "{pan} {amount}: {r:?}"
        );
    }
    let insufficient = sale(&e, "DECLX", REASON_CARD, 29_500, "98004").await;
    assert_eq!(insufficient.code, ResponseCode(20023));
    assert_eq!(insufficient.gateway_code.as_deref(), Some("295"));
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn a_gateway_token_pays_with_the_payment_profile() {
    let e = env().await;
    let token = format!("{}/{}", PROFILE.0, PROFILE.1);
    let r = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::GatewayToken(&token)),
            ..request(Operation::Sale, "TOKEN1", 2_000, &e.settings)
        })
        .await;
    approved(&r);
    let tr = &last_body(&e)["createTransactionRequest"]["transactionRequest"];
    assert_eq!(tr["profile"]["customerProfileId"], PROFILE.0);
    assert_eq!(tr["processingOptions"]["isStoredCredentials"], true);
    let unknown = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::GatewayToken("1/2")),
            ..request(Operation::Sale, "TOKEN2", 2_000, &e.settings)
        })
        .await;
    assert_eq!(unknown.outcome, Outcome::Decided);
    assert!(!unknown.code.is_approved());
    assert_eq!(unknown.gateway_code.as_deref(), Some("E00040"));
    assert!(e.double.control.violations().is_empty());
}

#[tokio::test]
async fn a_merchant_initiated_payment_sends_the_network_id() {
    let e = env().await;
    let c = card(VISA, Some("123"));
    let first = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            stored_credential: StoredCredential {
                initiator: Initiator::Customer,
                stores_card: true,
                network_transaction_id: None,
            },
            ..request(Operation::Sale, "CIT1", 1_500, &e.settings)
        })
        .await;
    approved(&first);
    let tr = &last_body(&e)["createTransactionRequest"]["transactionRequest"];
    assert_eq!(
        tr["processingOptions"],
        json!({"isFirstSubsequentAuth": true})
    );
    let ntid = first.network_transaction_id.clone().expect("a network id");
    let stored = card(VISA, None);
    let mit = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&stored)),
            stored_credential: StoredCredential {
                initiator: Initiator::Merchant,
                stores_card: false,
                network_transaction_id: Some(&ntid),
            },
            ..request(Operation::Sale, "MIT1", 1_500, &e.settings)
        })
        .await;
    approved(&mit);
    let tr = &last_body(&e)["createTransactionRequest"]["transactionRequest"];
    assert_eq!(tr["processingOptions"], json!({"isSubsequentAuth": true}));
    assert_eq!(
        tr["subsequentAuthInformation"]["originalNetworkTransId"],
        ntid.as_str()
    );
    assert!(tr["payment"]["creditCard"].get("cardCode").is_none());
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn settings_are_checked_field_by_field() {
    let e = env().await;
    let check = |v: Value| e.conn.check_settings(Some(&settings_of(v)));
    assert_eq!(
        check(json!({"transactionKey": "k"})),
        Err("apiLoginId is required".into())
    );
    assert_eq!(
        check(json!({"apiLoginId": "a"})),
        Err("transactionKey is required".into())
    );
    assert_eq!(
        check(json!({"apiLoginId": "a", "transactionKey": "k", "environment": "live"})),
        Err("environment must be \"sandbox\" or \"production\"".into())
    );
    assert!(check(json!({"apiLoginId": "a", "transactionKey": 5})).is_err());
    assert!(check(json!({"apiLoginId": "a", "transactionKey": "k", "signatureKey": "s"})).is_ok());
    assert!(e.conn.check_settings(None).is_err());
    let wrong = settings_of(json!({"apiLoginId": API_LOGIN_ID, "transactionKey": "not-the-key"}));
    let c = card(VISA, None);
    let r = e
        .conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            ..request(Operation::Sale, "BADKEY", 1_000, &wrong)
        })
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(r.gateway_code.as_deref(), Some("E00007"));
    assert!(!classify(r.code).retryable);
}

#[tokio::test]
async fn a_lost_sale_answer_is_unknown_then_found_by_inquiry() {
    let e = env().await;
    e.double.control.fail_next(None, Fault::DropAfterProcessing);
    let lost = sale(&e, "LOST1", VISA, 7_700, "98004").await;
    assert_eq!(lost.outcome, Outcome::Unknown, "{lost:?}");
    assert_eq!(e.ledger.payments(), 1);
    let c = card(VISA, Some("123"));
    let again = ConnectorRequest {
        instrument: Some(Instrument::Card(&c)),
        billing: billing("98004"),
        ..request(Operation::Sale, "LOST1", 7_700, &e.settings)
    };
    let found = e.conn.inquire(again).await;
    let id = approved(&found);
    assert_eq!(e.ledger.payments(), 1, "the inquiry charged nothing");
    assert_eq!(e.ledger.transaction(&id).map(|t| t.1), Some(7_700));
    assert!(found.network_transaction_id.is_some());
    assert_eq!(found.avs_code.as_deref(), Some("Y"));
    assert!(
        e.double.control.violations().is_empty(),
        "{:?}",
        e.double.control.violations()
    );
}

#[tokio::test]
async fn a_lost_capture_and_a_lost_void_are_read_from_the_authorization() {
    let e = env().await;
    let c = card(VISA, Some("123"));
    let auth = |r: &'static str| ConnectorRequest {
        instrument: Some(Instrument::Card(&c)),
        ..request(Operation::Authorize, r, 5_000, &e.settings)
    };
    let id = approved(&e.conn.process(auth("AUTH5")).await);
    e.double.control.fail_next(None, Fault::DropAfterProcessing);
    let cap = on(
        request(Operation::Capture, "CAP5", 5_000, &e.settings),
        &id,
        5_000,
    );
    assert!(e.conn.process(cap).await.is_unknown());
    let cap = on(
        request(Operation::Capture, "CAP5", 5_000, &e.settings),
        &id,
        5_000,
    );
    assert_eq!(approved(&e.conn.inquire(cap).await), id);
    let void = on(
        request(Operation::Void, "VOID5", 5_000, &e.settings),
        &id,
        5_000,
    );
    let never = e.conn.inquire(void).await;
    assert_eq!(never.outcome, Outcome::Decided);
    assert_eq!(never.code, ResponseCode(20046));
    assert!(e.double.control.violations().is_empty());
}

#[tokio::test]
async fn a_refund_is_found_again_by_its_invoice_number() {
    let e = env().await;
    let id = approved(&sale(&e, "SALE6", VISA, 6_000, "98004").await);
    e.ledger.settle();
    let refund = e
        .conn
        .process(on(
            request(Operation::Refund, "REF6", 2_000, &e.settings),
            &id,
            6_000,
        ))
        .await;
    let refund_id = approved(&refund);
    let again = on(
        request(Operation::Refund, "REF6", 2_000, &e.settings),
        &id,
        6_000,
    );
    assert_eq!(approved(&e.conn.inquire(again).await), refund_id);
    e.double.control.fail_next(None, Fault::DropAfterProcessing);
    let lost_read = e
        .conn
        .process(on(
            request(Operation::Refund, "REF6B", 1_000, &e.settings),
            &id,
            6_000,
        ))
        .await;
    assert_eq!(
        lost_read.outcome,
        Outcome::Decided,
        "only the read was lost"
    );
    assert_eq!(lost_read.code, ResponseCode(20046));
    assert_eq!(e.ledger.transaction(&id).map(|t| t.2), Some(2_000));
}

#[tokio::test]
async fn server_errors_and_malformed_answers_are_unknown() {
    let e = env().await;
    e.double.control.fail_next(None, Fault::ServerError(500));
    assert!(sale(&e, "ERR1", VISA, 1_000, "98004").await.is_unknown());
    e.double.control.fail_next(None, Fault::Malformed);
    assert!(sale(&e, "ERR2", VISA, 1_000, "98004").await.is_unknown());
    e.double
        .control
        .fail_next(None, Fault::Slow(Duration::from_secs(5)));
    assert!(sale(&e, "ERR3", VISA, 1_000, "98004").await.is_unknown());
}

#[tokio::test]
async fn a_closed_port_is_a_decided_system_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "http://{}/xml/v1/request.api",
        listener.local_addr().expect("addr")
    );
    drop(listener);
    let conn = connector(url);
    let s = settings();
    let c = card(VISA, None);
    let r = conn
        .process(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            ..request(Operation::Sale, "CLOSED", 1_000, &s)
        })
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert_eq!(r.code, ResponseCode(20046));
}

#[tokio::test]
async fn an_inquiry_for_a_payment_never_seen_is_decided_and_not_approved() {
    let e = env().await;
    approved(&sale(&e, "OTHER", VISA, 1_000, "98004").await);
    let c = card(VISA, None);
    let r = e
        .conn
        .inquire(ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            ..request(Operation::Sale, "NEVERSENT", 1_000, &e.settings)
        })
        .await;
    assert_eq!(r.outcome, Outcome::Decided);
    assert!(!r.code.is_approved());
    assert_eq!(r.code, ResponseCode(20046));
    assert_eq!(e.ledger.payments(), 1);
    assert!(e.double.control.violations().is_empty());
}

#[tokio::test]
async fn long_references_are_shortened_the_same_way_twice() {
    assert_eq!(short_reference("01JDQ7Z5V3K8M2N4P6R8T0W2Y4").len(), 20);
    assert!(short_reference("a reference with spaces that is long").len() <= 20);
}

#[tokio::test]
async fn card_data_and_keys_never_reach_the_logs() {
    let e = env().await;
    let pan = "5424000000000015";
    let capture = support::capture();
    let r = {
        let c = card(pan, Some("938"));
        let mit_free = ConnectorRequest {
            instrument: Some(Instrument::Card(&c)),
            billing: billing("98004"),
            ..request(Operation::Sale, "LEAK1", 1_234, &e.settings)
        };
        e.conn.process(mit_free).await
    };
    approved(&r);
    let logs = capture.text();
    assert!(
        logs.contains("gateway request"),
        "debug logs were captured: {logs}"
    );
    assert!(!logs.contains(pan) && !logs.contains("\"938\"") && !logs.contains(TRANSACTION_KEY));
    assert!(!logs.contains("2030-12"), "the expiry is masked too");
    let text = format!("{r:?}");
    assert!(!text.contains(pan) && !text.contains(TRANSACTION_KEY));
}

#[tokio::test]
async fn the_double_refuses_what_the_gateway_refuses() {
    let e = env().await;
    let url = format!("{}/xml/v1/request.api", e.double.url);
    let client = reqwest::Client::new();
    let post = |body: &'static str, content_type: &'static str| {
        client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let out_of_order = r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"5KP3u95bQpv","transactionKey":"4Ktq966gC55GAX7S"},"transactionRequest":{"amount":"1.00","transactionType":"authCaptureTransaction"}}}"#;
    let answer = post(out_of_order, "application/json")
        .await
        .expect("answered");
    let text = answer.text().await.expect("a body");
    assert!(
        text.starts_with('\u{feff}'),
        "answers start with a byte-order mark"
    );
    let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).expect("JSON");
    assert_eq!(v["messages"]["resultCode"], "Error");
    assert_eq!(v["messages"]["message"][0]["code"], "E00003");
    post("{}", "text/plain").await.expect("answered");
    assert_eq!(e.double.control.violations().len(), 2);

    let c = card(VISA, None);
    let mit_without_id = ConnectorRequest {
        instrument: Some(Instrument::Card(&c)),
        stored_credential: StoredCredential {
            initiator: Initiator::Merchant,
            stores_card: false,
            network_transaction_id: None,
        },
        ..request(Operation::Sale, "MITNOID", 1_000, &e.settings)
    };
    approved(&e.conn.process(mit_without_id).await);
    let violations = e.double.control.violations();
    assert!(
        violations[2].contains("originalNetworkTransId"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn test_connection_authenticates_and_words_refused_credentials() {
    let e = env().await;
    let ok = e.conn.verify(Some(&e.settings)).await;
    assert!(
        matches!(&ok, VerifyResult::Accepted(m) if m.contains("(sandbox) accepted") && m.contains("nothing was charged")),
        "{ok:?}"
    );
    let asked = e.double.control.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    let body = asked[0].body.trim_start_matches('\u{feff}');
    let sent: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        sent,
        json!({"authenticateTestRequest": {"merchantAuthentication": {
            "name": API_LOGIN_ID, "transactionKey": TRANSACTION_KEY}}})
    );
    assert_eq!(e.ledger.payments(), 0, "nothing was charged");

    let wrong = json!({"apiLoginId": API_LOGIN_ID, "transactionKey": "WrongKey4242", "environment": "sandbox"});
    let refused = e.conn.verify(Some(&settings_of(wrong))).await;
    let VerifyResult::Refused(why) = &refused else {
        panic!("{refused:?}")
    };
    assert!(
        why.contains("E00007") && why.contains("User authentication failed"),
        "{why}"
    );
    assert!(!why.contains("WrongKey4242"), "{why}");
    assert_eq!(e.double.control.violations(), Vec::<String>::new());
}
