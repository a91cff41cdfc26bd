//! The Flexiti endpoints a purchase flow touches besides the ledger's money moves: driver's
//! licence capture, i18n and terms, the widget, account closing, both lists, and the
//! operator's customer and plan management.

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    drivers_licence_prefills_an_application,
    i18n_and_terms_in_both_languages,
    widget_sessions_carry_a_page_token,
    closing_an_account_releases_its_holds,
    lists_filter_and_page,
    operators_manage_customers_and_plans,
);

const ONTARIO: &str = "@\n\x1e\rANSI 636012090002DL00410278ZO03190008DLDAQS1234-56789-05215\n\
    DCAG\nDCBNONE\nDCDNONE\nDBA20300215\nDCSSMITH\nDACJOHN\nDADWILLIAM\nDBD20250301\n\
    DBB19850215\nDBC1\nDAYBRO\nDAU178 cm\nDAG123  MAIN ST\nDAITORONTO\nDAJON\n\
    DAKM5V 2T6    \nDCFFA1234567\nDCGCAN\nDDEN\nDDFN\nDDGN\r";

async fn drivers_licence_prefills_an_application(app: TestApp) {
    let fx = Fx::customer(&app).await;
    let (s, v) = fx
        .post(
            "/customers/driverslicense",
            json!({"barcode_data": ONTARIO}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["first_name"], "John");
    assert_eq!(v["last_name"], "Smith");
    assert_eq!(v["dob"], "1985-02-15");
    assert_eq!(v["province"], "ON");
    assert_eq!(v["postal_code"], "M5V2T6");
    assert_eq!(v["govid_type"], "CADL");
    assert_eq!(v["govid_number_masked"], "*************5215");
    assert!(!v.to_string().contains("S1234-56789"));
    let r = fx
        .post(
            "/customers/driverslicense",
            json!({"barcode_data": "hello S1234-56789"}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    assert_eq!(r.1["field_errors"][0]["param"], "barcode_data");
    assert!(r.1["field_errors"][0].get("value").is_none());
}

async fn i18n_and_terms_in_both_languages(app: TestApp) {
    let fx = Fx::customer(&app).await;
    let (s, en) = fx.get("/i18n").await;
    assert_eq!(s, StatusCode::OK, "{en}");
    let (_, fr) = fx.get("/i18n?lang=fr").await;
    assert_eq!(
        (en["lang"].clone(), fr["lang"].clone()),
        (json!("en"), json!("fr"))
    );
    let keys = |v: &Value| {
        v["strings"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&en), keys(&fr));
    assert!(keys(&en).len() >= 25);
    assert_ne!(en["strings"], fr["strings"]);
    let (s, t_en) = fx.get("/terms-and-conditions").await;
    assert_eq!(s, StatusCode::OK);
    let (_, t_fr) = fx.get("/terms-and-conditions?lang=fr").await;
    assert_ne!(t_en["terms_and_conditions"], t_fr["terms_and_conditions"]);
    assert_eq!(t_en["version"], t_fr["version"]);
    // POST is accepted for i18n too (the vendor's scope list names it so).
    let (s, _) = fx.send(Method::POST, "/i18n", Some(json!({})), &[]).await;
    assert_eq!(s, StatusCode::OK);
}

/// The URL's token opens that session's page only: it is no API bearer token (docs/flexiti.md
/// "Widget (W1)"; it was one before the page existed).
async fn widget_sessions_carry_a_page_token(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (s, w) = fx
        .post(
            "/widget/init",
            json!({"flow": "purchase", "lang": "fr",
            "customer_identification": {"account_number": JANE, "account_type": "consumer"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let url = w["redirection_url"].as_str().unwrap();
    let marker = format!("/flexiti/widget/{}/", fx.client_id);
    let rest = &url[url.find(&marker).expect("widget path") + marker.len()..];
    let token = &rest[..40];
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{url}");
    assert!(
        url.contains("lang=fr")
            && url.contains(&format!(
                "widget_session_id={}",
                w["widget_session_id"].as_str().unwrap()
            ))
    );
    let widget = Fx {
        app: &app,
        client_id: fx.client_id.clone(),
        token: token.into(),
        version: V251,
    };
    let r = widget
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "250.00"}),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    let r = fx
        .post(
            "/widget/init",
            json!({"flow": "purchase", "customer_identification": {}}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    let r = fx
        .post(
            "/widget/init",
            json!({"flow": "purchase", "customer_identification": {"account_number": "99999999"}}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx.post("/widget/init", json!({"flow": "apply", "customer_identification": {"personal_information": {"first_name": "A", "last_name": "B", "dob": "1990-01-01", "postal_code": "M5V2T6"}}})).await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    // GET calculate-interest with the amount in the query.
    let (s, v) = fx
        .get(&format!("/accounts/{JANE}/calculate-interest?amount=60.00"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["amount"], json!(60.0));
}

async fn closing_an_account_releases_its_holds(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (_, a) = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "100.00", "auto_capture": false}),
        )
        .await;
    let id = a["authorization_id"].as_i64().unwrap();
    let (_, b) = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "50.00", "auto_capture": false}),
        )
        .await;
    let partly = b["authorization_id"].as_i64().unwrap();
    fx.post(
        &format!("/authorization/{partly}/capture"),
        json!({"amount": "20.00"}),
    )
    .await;
    let customer = Fx::customer(&app).await;
    let (s, v) = customer
        .post(&format!("/accounts/{JANE}/close"), json!({}))
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!({})));
    let (_, v) = fx.get(&format!("/authorization/{id}")).await;
    assert_eq!(v["authorization_status"], "released");
    let (_, v) = fx.get(&format!("/authorization/{partly}")).await;
    assert_eq!(v["authorization_status"], "closed");
    let r = fx
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_error(&r, StatusCode::CONFLICT, "user_not_active");
    let r = customer
        .post(&format!("/accounts/{JANE}/close"), json!({}))
        .await;
    assert_error(&r, StatusCode::CONFLICT, "user_not_active");
    let (_, list) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}/flexiti/customers", app.merchant_id),
            None,
        )
        .await;
    let jane = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountNumber"] == JANE)
        .unwrap();
    assert_eq!(
        (
            jane["held"].clone(),
            jane["balance"].clone(),
            jane["status"].clone()
        ),
        (json!("0.00"), json!("20.00"), json!("C"))
    );
}

async fn lists_filter_and_page(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let mut ids = Vec::new();
    for (account, amount, location) in [
        (JANE, "10.00", "00-12345"),
        (JANE, "20.00", "00-00001"),
        (BEA, "30.00", "00-12345"),
        (JANE, "40.00", "00-12345"),
        (BEA, "50.00", "00-00001"),
    ] {
        pin(&fx, account, &format!("req-{amount}")).await;
        let (s, v) = fx
            .post("/authorization", json!({"account_number": account, "amount": amount, "auto_capture": amount != "20.00",
                "verification_code": "2222", "request_id": format!("req-{amount}"), "external_location_id": location, "external_employee_id": "E"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        ids.push(v["authorization_id"].as_i64().unwrap());
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (s, v) = fx
            .get(&format!("/authorizations?page_size=2&page_number={page}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["total_count"].clone(), v["total_pages"].clone()),
            (json!(5), json!(3))
        );
        seen.extend(
            v["authorizations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["authorization_id"].as_i64().unwrap()),
        );
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    let (_, v) = fx
        .get(&format!(
            "/authorizations?account_number={JANE}&authorization_status=opened"
        ))
        .await;
    assert_eq!(v["total_count"], 1);
    assert_eq!(v["authorizations"][0]["amount"], "20.00");
    let (_, v) = fx
        .get("/authorizations?external_location_id=00-12345&transaction_type=regular_purchase")
        .await;
    assert_eq!(v["total_count"], 3);
    let (_, v) = fx
        .get("/authorizations?creation_date_from=2000-01-01&creation_date_to=2000-12-31")
        .await;
    assert_eq!(v["total_count"], 0);
    let r = fx.get("/authorizations?page_size=101").await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    let r = fx.get("/authorizations?authorization_status=pending").await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    // Captures per store and per authorization.
    let (s, v) = fx.get("/captures?external_location_id=00-12345").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total_count"], 3);
    let (_, v) = fx
        .get(&format!("/captures?authorization_id={}", ids[4]))
        .await;
    assert_eq!(v["total_count"], 1);
    assert_eq!(v["captures"][0]["amount"], "50.00");
    assert_eq!(v["captures"][0]["remaining_capture_amount"], "50.00");
    // Another merchant sees none of it.
    let other = app.new_merchant("sandbox").await;
    let (oid, osecret) = (
        other.raw["flexiti"]["clientId"]
            .as_str()
            .unwrap()
            .to_string(),
        other.raw["flexiti"]["clientSecret"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let (s, t) = token_form(&app, &[("client_id", &oid), ("client_secret", &osecret)]).await;
    assert_eq!(s, StatusCode::OK);
    let them = Fx {
        app: &app,
        client_id: oid,
        token: t["access_token"].as_str().unwrap().into(),
        version: V25,
    };
    let (_, v) = them.get("/authorizations").await;
    assert_eq!(v["total_count"], 0);
    let r = them.get(&format!("/authorization/{}", ids[0])).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
}

async fn operators_manage_customers_and_plans(app: TestApp) {
    let base = format!("/admin/merchants/{}/flexiti", app.merchant_id);
    let (s, list) = app
        .admin(Method::GET, &format!("{base}/customers"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 9);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|a| a["vccNumber"].as_str().is_some_and(|v| v.len() == 16))
    );
    let (s, created) = app
        .admin(
            Method::POST,
            &format!("{base}/customers"),
            Some(
                json!({"firstName": "Opal", "lastName": "Op", "dob": "1970-07-07",
            "postalCode": "K1A 0B1", "province": "ON", "riskRating": "M", "creditLimit": 150000}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let vcc_number = created["vccNumber"].as_str().unwrap().to_string();
    let account = created["accountNumber"].as_str().unwrap().to_string();
    let (_, list) = app
        .admin(Method::GET, &format!("{base}/customers"), None)
        .await;
    let again = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountNumber"] == account.as_str())
        .unwrap();
    assert!(again.get("vccNumber").is_none(), "shown once: {again}");
    let fx = Fx::merchant(&app).await;
    let (s, v) = fx
        .get(&format!("/customers/lookup?vcc_number={vcc_number}"))
        .await;
    assert_eq!(
        (s, v["account_number"].clone()),
        (StatusCode::OK, json!(account)),
        "{v}"
    );
    let (s, _) = fx
        .post(
            "/authorization",
            json!({"account_number": account, "amount": "1000.00", "auto_capture": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .admin(
            Method::PATCH,
            &format!("{base}/customers/{account}"),
            Some(json!({"creditLimit": 99999})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .admin(
            Method::PATCH,
            &format!("{base}/customers/{account}"),
            Some(json!({"status": "F", "creditLimit": 200000})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["availableCredit"], "1000.00");
    let r = fx
        .get(&format!("/customers/lookup?account_number={account}"))
        .await;
    assert_error(&r, StatusCode::CONFLICT, "user_not_able_to_purchase");
    let (s, _) = app
        .admin(
            Method::PATCH,
            &format!("{base}/customers/0000"),
            Some(json!({"status": "N"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = app
        .admin(
            Method::POST,
            &format!("{base}/customers"),
            Some(json!({"firstName": "", "lastName": "X", "dob": "x",
        "postalCode": "A", "province": "ON", "riskRating": "M", "creditLimit": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // Plans: an invalid list is refused whole; a valid one replaces what quotes offer.
    let (s, v) = app.admin(Method::PUT, &format!("{base}/plans"), Some(json!([{"planId": 7, "name": "x", "category": "deferred", "aprBp": 7000, "terms": [6]}]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app.admin(Method::PUT, &format!("{base}/plans"), Some(json!([{"planId": 7, "name": "Seven", "category": "equal_billing", "aprBp": 1200, "terms": [12, 18]}]))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, q) = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "1200.00"}),
        )
        .await;
    let plans = q["promotional_purchase"].as_array().unwrap();
    assert_eq!(plans.len(), 1, "{q}");
    assert_eq!(plans[0]["plan_id"], 7);
    assert_eq!(plans[0]["terms"][0]["apr"], json!(0.12));
    let r = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "100.00", "auto_capture": true,
        "financing_option": {"transaction_type": "promotional_purchase", "plan_id": 2, "term": 6}}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "plan_term_not_available");
}
