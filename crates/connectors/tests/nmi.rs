//! The NMI connector against the NMI double: every operation, every decline family, the
//! stored-credential fields, lost answers resolved through the Query API, and no card data or
//! key in the logs.

mod support;

use openflex_connectors::ConnectorConfig;
use openflex_connectors::nmi::NmiConnector;
use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::{Family, classify};
use openflex_engine::connector::{
    Billing, CardData, Connector, ConnectorRequest, ConnectorSettings, Initiator, Instrument,
    Operation, Outcome, PriorTxn, StoredCredential, VerifyResult,
};
use openflex_gateway_doubles::nmi::{Nmi, SECURITY_KEY, spawn_with_state};
use openflex_gateway_doubles::{Double, Fault};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const PAN: &str = "4111111111111111";
const CVV: &str = "999";

fn card(pan: &str) -> CardData {
    CardData {
        pan: Secret::new(pan.to_string()),
        cvv: Some(Secret::new(CVV.to_string())),
        expiry: Some(Expiry {
            month: 10,
            year: 2025,
        }),
    }
}

fn settings() -> ConnectorSettings {
    settings_of(serde_json::json!({ "securityKey": SECURITY_KEY }))
}

/// Settings as a dialect hands them to the engine.
fn settings_of(v: serde_json::Value) -> ConnectorSettings {
    ConnectorSettings::from_json(v.to_string()).unwrap()
}

fn reference() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("att_{:06}", N.fetch_add(1, Ordering::Relaxed))
}

fn connector(url: &str) -> NmiConnector {
    let mut config = ConnectorConfig {
        timeout: Duration::from_secs(5),
        ..ConnectorConfig::default()
    };
    config.base_urls.nmi = Some(url.to_string());
    NmiConnector::new(&config)
}

async fn setup() -> (Double, Nmi, NmiConnector) {
    let (double, nmi) = spawn_with_state().await;
    let c = connector(&double.url);
    (double, nmi, c)
}

fn request<'a>(
    operation: Operation,
    reference: &'a str,
    amount: i64,
    instrument: Option<Instrument<'a>>,
    original: Option<PriorTxn<'a>>,
    settings: &'a ConnectorSettings,
) -> ConnectorRequest<'a> {
    ConnectorRequest {
        operation,
        reference,
        amount,
        currency: "USD",
        instrument,
        billing: Billing::default(),
        stored_credential: StoredCredential {
            initiator: Initiator::Customer,
            stores_card: false,
            network_transaction_id: None,
        },
        original,
        settings: Some(settings),
    }
}

fn prior(id: &str, amount: i64) -> Option<PriorTxn<'_>> {
    Some(PriorTxn {
        gateway_transaction_id: id,
        amount,
    })
}

fn body_of(double: &Double, n: usize) -> String {
    double.control.requests()[n].body.clone()
}

#[tokio::test]
async fn sale_is_approved_with_ids_avs_cvv_and_the_stored_credential_fields() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let r = reference();
    let card = card(PAN);
    let mut req = request(
        Operation::Sale,
        &r,
        1_000,
        Some(Instrument::Card(&card)),
        None,
        &s,
    );
    req.billing = Billing {
        first_name: Some("Ada"),
        last_name: Some("Lovelace"),
        address1: Some("888"),
        postal_code: Some("77777"),
        country: Some("US"),
        email: Some("ada@example.com"),
        ip: Some("203.0.113.9"),
        ..Billing::default()
    };
    req.stored_credential.stores_card = true;
    let res = c.process(req).await;
    assert_eq!(res.outcome, Outcome::Decided);
    assert_eq!(res.code, ResponseCode::APPROVED);
    let id = res.gateway_transaction_id.clone().expect("transaction id");
    assert_eq!(res.network_transaction_id.as_deref(), Some(id.as_str()));
    assert_eq!(res.avs_code.as_deref(), Some("Y"));
    assert_eq!(res.cvv_code.as_deref(), Some("M"));
    assert!(res.avs_message.is_some() && res.cvv_message.is_some());
    assert_eq!(res.gateway_code.as_deref(), Some("100"));
    let body = body_of(&double, 0);
    for part in [
        "type=sale",
        "amount=10.00",
        "currency=USD",
        &format!("orderid={r}"),
        "ccexp=1025",
        "first_name=Ada",
        "zip=77777",
        "initiated_by=customer",
        "stored_credential_indicator=stored",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
    assert!(double.control.requests()[0].uri.ends_with("/transact.php"));
    assert_eq!(nmi.payments(), 1);
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn authorize_then_partial_capture() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let auth = c
        .process(request(
            Operation::Authorize,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    assert!(auth.code.is_approved());
    let id = auth.gateway_transaction_id.unwrap();
    assert_eq!(nmi.transaction(&id).unwrap().condition, "pending");
    let r2 = reference();
    let cap = c
        .process(request(
            Operation::Capture,
            &r2,
            400,
            None,
            prior(&id, 1_000),
            &s,
        ))
        .await;
    assert_eq!(cap.code, ResponseCode::APPROVED, "{cap:?}");
    assert_eq!(cap.gateway_transaction_id.as_deref(), Some(id.as_str()));
    let t = nmi.transaction(&id).unwrap();
    assert_eq!(
        (t.captured.as_str(), t.condition.as_str()),
        ("4.00", "pendingsettlement")
    );
    assert!(body_of(&double, 1).contains("type=capture"));
    assert!(body_of(&double, 1).contains(&format!("transactionid={id}")));
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn void_of_an_authorization() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let auth = c
        .process(request(
            Operation::Authorize,
            &r,
            2_500,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    let id = auth.gateway_transaction_id.unwrap();
    let r2 = reference();
    let void = c
        .process(request(
            Operation::Void,
            &r2,
            2_500,
            None,
            prior(&id, 2_500),
            &s,
        ))
        .await;
    assert!(void.code.is_approved(), "{void:?}");
    assert_eq!(nmi.transaction(&id).unwrap().condition, "canceled");
    let again = c
        .process(request(
            Operation::Void,
            &r2,
            2_500,
            None,
            prior(&id, 2_500),
            &s,
        ))
        .await;
    assert_eq!(again.code, ResponseCode(30010));
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn partial_refunds_twice_then_over_refund_is_refused() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let sale = c
        .process(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    let id = sale.gateway_transaction_id.unwrap();
    for _ in 0..2 {
        let rr = reference();
        let refund = c
            .process(request(
                Operation::Refund,
                &rr,
                300,
                None,
                prior(&id, 1_000),
                &s,
            ))
            .await;
        assert_eq!(refund.code, ResponseCode::APPROVED, "{refund:?}");
        assert_ne!(refund.gateway_transaction_id.as_deref(), Some(id.as_str()));
    }
    assert_eq!(nmi.transaction(&id).unwrap().refunded, "6.00");
    let rr = reference();
    let over = c
        .process(request(
            Operation::Refund,
            &rr,
            500,
            None,
            prior(&id, 1_000),
            &s,
        ))
        .await;
    assert_eq!(over.outcome, Outcome::Decided);
    assert!(!over.code.is_approved());
    assert!(!classify(over.code).retryable);
    assert_eq!(nmi.transaction(&id).unwrap().refunded, "6.00");
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn decline_categories_map_through_the_table() {
    let (_double, _nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let cases: &[(i64, Family, bool)] = &[
        (2, Family::InsufficientFunds, true),
        (1, Family::DoNotHonor, true),
        (99, Family::DoNotHonor, true),
        (51, Family::LostStolenFraud, false),
        (52, Family::LostStolenFraud, false),
        (53, Family::LostStolenFraud, false),
        (50, Family::LostStolenFraud, false),
        (21, Family::InvalidCard, false),
        (421, Family::IssuerUnavailable, true),
        (400, Family::IssuerUnavailable, true),
    ];
    for &(amount, family, retryable) in cases {
        let r = reference();
        let res = c
            .process(request(
                Operation::Sale,
                &r,
                amount,
                Some(Instrument::Card(&card)),
                None,
                &s,
            ))
            .await;
        assert_eq!(res.outcome, Outcome::Decided, "{amount}");
        let k = classify(res.code);
        assert_eq!(
            (k.family, k.retryable),
            (family, retryable),
            "{amount}: {res:?}"
        );
    }
    assert_eq!(
        c.process(request(
            Operation::Sale,
            &reference(),
            2,
            Some(Instrument::Card(&card)),
            None,
            &s
        ))
        .await
        .code,
        ResponseCode(20023)
    );
    let bad = self::card("4111111111111112");
    let r = reference();
    let res = c
        .process(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&bad)),
            None,
            &s,
        ))
        .await;
    assert_eq!(res.code, ResponseCode(30012));
    assert!(!classify(res.code).retryable);
    assert!(!res.gateway_message.unwrap().contains("4111"));
}

#[tokio::test]
async fn gateway_token_payment_sends_the_vault_id_only() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let vault = nmi.add_vault_customer(PAN, "1025");
    let r = reference();
    let res = c
        .process(request(
            Operation::Sale,
            &r,
            1_500,
            Some(Instrument::GatewayToken(&vault)),
            None,
            &s,
        ))
        .await;
    assert!(res.code.is_approved(), "{res:?}");
    let body = body_of(&double, 0);
    assert!(body.contains(&format!("customer_vault_id={vault}")));
    assert!(!body.contains("ccnumber") && !body.contains("cvv"));
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn mit_names_the_initial_transaction() {
    let (double, _nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let mut cit = request(
        Operation::Sale,
        &r,
        1_000,
        Some(Instrument::Card(&card)),
        None,
        &s,
    );
    cit.stored_credential.stores_card = true;
    let first = c.process(cit).await;
    let nti = first.network_transaction_id.expect("kept for MIT");
    let r2 = reference();
    let mut mit = request(
        Operation::Sale,
        &r2,
        1_000,
        Some(Instrument::Card(&card)),
        None,
        &s,
    );
    mit.stored_credential = StoredCredential {
        initiator: Initiator::Merchant,
        stores_card: false,
        network_transaction_id: Some(&nti),
    };
    let res = c.process(mit).await;
    assert!(res.code.is_approved(), "{res:?}");
    assert_eq!(res.network_transaction_id, None);
    let body = body_of(&double, 1);
    for part in [
        "initiated_by=merchant",
        "stored_credential_indicator=used",
        &format!("initial_transaction_id={nti}"),
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[test]
fn check_settings_names_the_field() {
    let c = connector("http://127.0.0.1:9");
    assert_eq!(c.gateway_type(), "nmi");
    assert_eq!(
        c.check_settings(None),
        Err("securityKey is required".into())
    );
    assert_eq!(
        c.check_settings(Some(&settings_of(serde_json::json!({"secretKey": "x"})))),
        Err("securityKey is required".into())
    );
    assert!(c.check_settings(Some(&settings())).is_ok());
}

#[tokio::test]
async fn lost_answer_is_unknown_and_inquire_finds_the_one_payment() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    double
        .control
        .fail_next(Some("/transact.php"), Fault::DropAfterProcessing);
    let req = || {
        request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        )
    };
    let lost = c.process(req()).await;
    assert_eq!(lost.outcome, Outcome::Unknown);
    let found = c.inquire(req()).await;
    assert_eq!(found.outcome, Outcome::Decided);
    assert!(found.code.is_approved(), "{found:?}");
    let id = found.gateway_transaction_id.clone().unwrap();
    assert_eq!(nmi.transaction(&id).unwrap().order_id, r);
    assert_eq!(found.network_transaction_id.as_deref(), Some(id.as_str()));
    assert_eq!(found.avs_code.as_deref(), Some("N"));
    assert_eq!(nmi.payments(), 1);
    let q = double.control.requests_to("/query.php");
    assert_eq!(q.len(), 1);
    assert!(q[0].body.contains(&format!("order_id={r}")));
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn lost_decline_and_lost_follow_ups_are_found_too() {
    let (double, _nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    double.control.fail_next(None, Fault::DropAfterProcessing);
    let req = || {
        request(
            Operation::Sale,
            &r,
            2,
            Some(Instrument::Card(&card)),
            None,
            &s,
        )
    };
    assert!(c.process(req()).await.is_unknown());
    let found = c.inquire(req()).await;
    assert_eq!(found.code, ResponseCode(20023), "{found:?}");

    let ra = reference();
    let auth = c
        .process(request(
            Operation::Authorize,
            &ra,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    let id = auth.gateway_transaction_id.unwrap();
    let rc = reference();
    let cap = || request(Operation::Capture, &rc, 700, None, prior(&id, 1_000), &s);
    double.control.fail_next(None, Fault::DropAfterProcessing);
    assert!(c.process(cap()).await.is_unknown());
    let found = c.inquire(cap()).await;
    assert!(found.code.is_approved(), "{found:?}");
    assert_eq!(found.gateway_transaction_id.as_deref(), Some(id.as_str()));

    let rr = reference();
    let refund = || request(Operation::Refund, &rr, 200, None, prior(&id, 1_000), &s);
    double.control.fail_next(None, Fault::DropAfterProcessing);
    assert!(c.process(refund()).await.is_unknown());
    let found = c.inquire(refund()).await;
    assert!(found.code.is_approved(), "{found:?}");
    assert_ne!(found.gateway_transaction_id.as_deref(), Some(id.as_str()));
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn server_error_and_malformed_answers_are_unknown() {
    let (double, _nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    double.control.fail_next(None, Fault::ServerError(500));
    let res = c
        .process(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    assert_eq!(res.outcome, Outcome::Unknown);
    let r2 = reference();
    double.control.fail_next(None, Fault::Malformed);
    let req = || {
        request(
            Operation::Sale,
            &r2,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        )
    };
    assert_eq!(c.process(req()).await.outcome, Outcome::Unknown);
    assert!(c.inquire(req()).await.code.is_approved());
    double
        .control
        .fail_next(Some("/query.php"), Fault::Malformed);
    assert!(c.inquire(req()).await.is_unknown());
}

#[tokio::test]
async fn closed_port_is_a_decided_system_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = connector(&url);
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let res = c
        .process(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    assert_eq!(res.outcome, Outcome::Decided);
    assert_eq!(res.code, ResponseCode(20046));
}

#[tokio::test]
async fn inquire_for_a_payment_never_seen_is_a_decided_refusal() {
    let (double, nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let res = c
        .inquire(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    assert_eq!(res.outcome, Outcome::Decided);
    assert!(!res.code.is_approved());
    assert_eq!(res.code, ResponseCode(20046));
    assert_eq!(nmi.payments(), 0);
    assert!(double.control.requests_to("/transact.php").is_empty());
    assert_eq!(double.control.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn card_data_and_key_never_reach_the_logs() {
    let capture = support::capture();
    let (double, _nmi, c) = setup().await;
    let s = settings();
    let card = card(PAN);
    let r = reference();
    let res = c
        .process(request(
            Operation::Sale,
            &r,
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    assert!(res.code.is_approved());
    double.control.fail_next(None, Fault::ServerError(503));
    let _ = c
        .process(request(
            Operation::Sale,
            &reference(),
            1_000,
            Some(Instrument::Card(&card)),
            None,
            &s,
        ))
        .await;
    let logs = capture.text();
    assert!(
        logs.contains("gateway request"),
        "debug logs captured: {logs}"
    );
    for secret in [PAN, SECURITY_KEY, "cvv=999"] {
        assert!(!logs.contains(secret), "{secret} leaked: {logs}");
    }
    let shown = format!("{res:?}");
    assert!(!shown.contains(PAN) && !shown.contains(SECURITY_KEY));
}

#[tokio::test]
async fn the_double_refuses_a_wrong_key_and_flags_undocumented_variables() {
    let (double, nmi, _c) = setup().await;
    let http = reqwest::Client::new();
    let body = http
        .post(format!("{}/transact.php", double.url))
        .form(&[
            ("security_key", "wrong"),
            ("type", "sale"),
            ("amount", "1.00"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.starts_with("response=3&responsetext=Authentication Failed"),
        "{body}"
    );
    let body = http
        .post(format!("{}/transact.php", double.url))
        .form(&[
            ("security_key", SECURITY_KEY),
            ("type", "sale"),
            ("amount", "1.00"),
            ("ccnumber", PAN),
            ("ccexp", "1025"),
            ("card_number", PAN),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.starts_with("response=1&responsetext=SUCCESS&authcode=123456"),
        "{body}"
    );
    assert_eq!(nmi.payments(), 1);
    let v = double.control.violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[1].contains("card_number"));
}

#[tokio::test]
async fn test_connection_queries_for_nothing_and_words_a_refused_key() {
    let (double, nmi, c) = setup().await;
    let ok = c.verify(Some(&settings())).await;
    assert!(
        matches!(&ok, VerifyResult::Accepted(m) if m.contains("security key") && m.contains("nothing was charged")),
        "{ok:?}"
    );
    let asked = double.control.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].uri, "/query.php");
    for pair in [
        "order_id=openflex-connection-test",
        "start_date=20000101000000",
        "end_date=20000101000000",
    ] {
        assert!(asked[0].body.contains(pair), "{pair} in {}", asked[0].body);
    }
    assert_eq!(double.control.violations(), Vec::<String>::new());
    assert_eq!(nmi.payments(), 0, "nothing was charged");

    let refused = c
        .verify(Some(&settings_of(
            serde_json::json!({"securityKey": "wrong-key-5555"}),
        )))
        .await;
    let VerifyResult::Refused(why) = &refused else {
        panic!("{refused:?}")
    };
    assert!(why.contains("Invalid Security Key"), "{why}");
    assert!(!why.contains("wrong-key-5555"), "{why}");
    let unset = c.verify(None).await;
    assert!(
        matches!(&unset, VerifyResult::Refused(m) if m.contains("securityKey is required")),
        "{unset:?}"
    );
}
