//! Every error code the Flexiti documentation lists is reachable, with its HTTP status, the
//! `{url, message, error}` body, and a French message under `lang=fr`: here the codes of
//! tokens, bearer and input, customers and applications (`flexiti_errors_money.rs` has the rest).

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    token_errors,
    bearer_and_input_errors,
    customer_errors,
    application_errors,
);

async fn token_errors(app: TestApp) {
    let (id, secret) = creds(&app);
    let r = token_form(&app, &[("client_id", &id), ("client_secret", "wrong")]).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_client");
    let r = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "magic"),
        ],
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    let r = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "password"),
        ],
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let r = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", "00"),
        ],
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
    let r = token_form(&app, &[("client_id", &id)]).await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let fe = r.1["field_errors"].as_array().unwrap();
    assert!(
        fe.iter()
            .any(|f| f["param"] == "client_secret" && f.get("value").is_none()),
        "{}",
        r.1
    );
    let r = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "admin"),
        ],
    )
    .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    // HTTP Basic and a refresh that rotates the pair.
    let resp = app
        .client
        .post(app.url(&format!("{V25}/oauth/token")))
        .basic_auth(&id, Some(&secret))
        .header("x-reference-id", "r")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let first: Value = resp.json().await.unwrap();
    assert_eq!(first["token_type"], "bearer");
    assert_eq!(first["expires_in"], 1200);
    assert_eq!(first["access_token"].as_str().unwrap().len(), 40);
    let refresh = first["refresh_token"].as_str().unwrap();
    let (s, second) = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    let r = token_form(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
    let old = Fx {
        app: &app,
        client_id: id.clone(),
        token: first["access_token"].as_str().unwrap().into(),
        version: V25,
    };
    let r = old
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    let new = Fx {
        app: &app,
        client_id: id,
        token: second["access_token"].as_str().unwrap().into(),
        version: V251,
    };
    let (s, v) = new
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn bearer_and_input_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let path = fx.path(&format!("/customers/lookup?account_number={JANE}"));
    let resp = app
        .client
        .get(app.url(&path))
        .header("x-reference-id", "r")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .get(app.url(&path))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), CONFLICT);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "wrong_inputs");
    assert_eq!(v["field_errors"][0]["param"], "x-reference-id");
    assert_eq!(v["url"], path.split('?').next().unwrap());
    let r = fx
        .get(&format!("/customers/lookup?account_number={JANE}&lang=de"))
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    // French messages.
    let en = fx.get("/customers/lookup?account_number=99999999").await;
    let fr = fx
        .get("/customers/lookup?account_number=99999999&lang=fr")
        .await;
    assert_error(&en, StatusCode::NOT_FOUND, "not_found");
    assert_error(&fr, StatusCode::NOT_FOUND, "not_found");
    assert_ne!(en.1["message"], fr.1["message"]);
    // Unreadable body, unknown route.
    let resp = app
        .client
        .post(app.url(&fx.path("/authorization")))
        .bearer_auth(&fx.token)
        .header("x-reference-id", "r")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "general_error"
    );
    let r = fx.get("/no/such/thing").await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
}

async fn customer_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let r = fx
        .get("/customers/search?first_name=No&last_name=Body&dob=1990-01-01")
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx
        .get("/customers/search?first_name=Jane&dob=1990-13-01")
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let params: Vec<_> = r.1["field_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["param"].clone())
        .collect();
    assert_eq!(params, vec![json!("last_name"), json!("dob")]);
    let (s, v) = fx
        .get("/customers/search?first_name=JANE&last_name=doe&dob=1985-04-12")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["account_number"], JANE);
    assert_eq!(v[0]["credit_limit"], "10000.00");
    for (account, code) in [
        (CORA, "user_not_active"),
        (ALEX, "user_not_able_to_purchase"),
        (FRAN, "user_not_able_to_purchase"),
        (ZED, "user_not_able_to_purchase"),
    ] {
        let r = fx
            .get(&format!("/customers/lookup?account_number={account}"))
            .await;
        assert_error(&r, CONFLICT, code);
    }
    let r = fx.post(&format!("/account/{CORA}/verify"), json!({})).await;
    assert_error(&r, CONFLICT, "user_not_active");
    let r = fx
        .get(&format!(
            "/customers/lookup?account_number={JANE}&customer_id=100001"
        ))
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let (s, v) = fx
        .get(&format!("/customers/lookup?vcc_number={}", vcc(JANE)))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["account_number"], JANE);
    let r = fx
        .post(&format!("/account/{NOAH}/verify"), json!({"format": "sms"}))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "sms_not_valid_phone");
    let r = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"format": "merchant_override"}),
        )
        .await;
    assert_error(&r, CONFLICT, "merchant_override_is_not_allowed");
    let r = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"format": "security_question", "security_qid": 2, "security_answer": "flexiti"}),
        )
        .await;
    assert_error(&r, CONFLICT, "piw_mismatch");
    let r = fx.post(&format!("/account/{JANE}/verify"), json!({"format": "security_question", "security_qid": 1, "security_answer": "Secret-Wrong-Answer"})).await;
    assert_error(&r, CONFLICT, "secret_answer_mismatch");
    assert!(!r.1.to_string().contains("Secret-Wrong-Answer"));
    let (s, v) = fx.post(&format!("/account/{JANE}/verify"), json!({"format": "security_question", "security_qid": 1, "security_answer": " FLEXITI "})).await;
    assert_eq!(
        (s, v["verification_code"].clone()),
        (StatusCode::OK, json!(2222))
    );
    let r = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"vcc_number": vcc(SAM)}),
        )
        .await;
    assert_error(&r, CONFLICT, "vcc_account_mismatch");
    let r = fx
        .post(&format!("/account/{JANE}/verify"), json!({"format": "fax"}))
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let r = fx
        .post(
            "/accounts/99999999/calculate-interest",
            json!({"amount": "10.00"}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "1.001"}),
        )
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let r = fx
        .post(
            "/merchants/login",
            json!({"merchant_username": "x", "merchant_password": "y"}),
        )
        .await;
    assert_error(&r, CONFLICT, "authentication_failure");
    let (id, secret) = creds(&app);
    let (s, v) = fx
        .post(
            "/merchants/login",
            json!({"merchant_username": id, "merchant_password": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v.to_string().contains(&secret));
    // Quotes: the vendor's example and Québec's fee waiver.
    let (_, q) = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": 60}),
        )
        .await;
    let p4 = q["promotional_purchase"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan_id"] == 4)
        .unwrap();
    assert_eq!(p4["terms"][0]["term_amount"], json!(20.33));
    assert_eq!(p4["terms"][0]["apr"], json!(0.0999));
    assert_eq!(p4["terms"][0]["fees"][0]["amount"], "49.99");
    assert_eq!(q["customer"]["category_type"], "preferred");
    let (_, q) = fx
        .post(
            &format!("/accounts/{JEAN}/calculate-interest"),
            json!({"amount": "600.00"}),
        )
        .await;
    let plans: Vec<_> = q["promotional_purchase"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plan_id"].clone())
        .collect();
    assert_eq!(
        plans,
        vec![json!(2), json!(3), json!(4)],
        "no deferred plan in QC"
    );
    assert!(
        q["promotional_purchase"][1]["terms"][0]["fees"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no admin fee in QC"
    );
}

async fn application_errors(app: TestApp) {
    let fx = Fx::customer(&app).await;
    let applicant = |last: &str| {
        json!({"first_name": "Ann", "last_name": last, "dob": "1991-03-04", "email": "ann@example.com", "phone_number": "4165550142",
            "address_1": "1 Bay St", "city": "Toronto", "province": "ON", "postal_code": "M5J 2N8", "tos_agreement": true,
            "annual_income": "80000.00", "govid_number": "G-SECRET-123"})
    };
    let r = fx.post("/apply", applicant("Decline")).await;
    assert_error(&r, CONFLICT, "application_declined");
    let r = fx.post("/apply", applicant("Timeout")).await;
    assert_error(&r, CONFLICT, "application_create_error");
    let (s, v) = fx.post("/apply", applicant("Pending")).await;
    assert_eq!(
        (s, v["application_status"].clone()),
        (StatusCode::OK, json!("pending")),
        "{v}"
    );
    let r = fx
        .post(
            "/apply",
            merge(applicant("Lee"), json!({"tos_agreement": false})),
        )
        .await;
    assert_error(&r, CONFLICT, "tos_agreement_required");
    let r = fx
        .post(
            "/apply",
            merge(applicant("Lee"), json!({"external_location_id": "nowhere"})),
        )
        .await;
    assert_error(&r, CONFLICT, "external_location_id_not_found");
    let r = fx
        .post(
            "/apply",
            merge(applicant("Lee"), json!({"widget_session_id": "unknown"})),
        )
        .await;
    assert_error(&r, CONFLICT, "not_verified");
    let r = fx
        .post(
            "/apply",
            merge(
                applicant("Lee"),
                json!({"email": "ann@", "postal_code": "12", "province": "XX"}),
            ),
        )
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    assert_eq!(r.1["field_errors"].as_array().unwrap().len(), 3, "{}", r.1);
    let (s, v) = fx.post("/apply", applicant("Lee")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["credit_limit"], "8000.00");
    assert_eq!(v["risk_rating"], "M");
    let card = v["vcc_number"].as_str().unwrap();
    assert!(openflex_domain::card::luhn_valid(card));
    assert_eq!(v["card_ending_in"], card[12..]);
    let r = fx.post("/apply", applicant("Lee")).await;
    assert_error(&r, CONFLICT, "customer_already_exists");
    // The widget flow: what apply sends must match what init was told.
    let (s, w) = fx
        .post("/widget/init", json!({"flow": "apply", "tos_agreement": true,
            "customer_identification": {"personal_information": {"first_name": "Bo", "last_name": "Ray", "dob": "1980-01-01", "postal_code": "M5J2N8"}}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    // The page is served at a path (a `#/widget/` fragment never reaches a server).
    assert!(
        w["redirection_url"]
            .as_str()
            .unwrap()
            .contains("/flexiti/widget/")
    );
    let sid = w["widget_session_id"].as_str().unwrap();
    let bo = |last: &str| {
        merge(
            applicant(last),
            json!({"first_name": "Bo", "dob": "1980-01-01", "widget_session_id": sid}),
        )
    };
    let r = fx.post("/apply", bo("Rae")).await;
    assert_error(&r, CONFLICT, "not_verified");
    let (s, v) = fx.post("/apply", bo("Ray")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Business accounts are refused once the merchant only permits consumers.
    let (s, _) = app
        .admin(
            Method::PUT,
            &format!("/admin/merchants/{}/flexiti/settings", app.merchant_id),
            Some(json!({"accountTypes": ["consumer"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = fx
        .post(
            "/apply",
            merge(applicant("Kim"), json!({"account_type": "business"})),
        )
        .await;
    assert_error(&r, CONFLICT, "account_type_not_permitted");
}
