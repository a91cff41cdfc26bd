//! Every error code the Flexiti documentation lists is reachable, with its HTTP status, the
//! `{url, message, error}` body, and a French message under `lang=fr`.

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
    purchase_errors,
    ledger_errors,
    transaction_errors,
    settings_driven_errors,
);

const CONFLICT: StatusCode = StatusCode::CONFLICT;

fn store(request_id: &str) -> Value {
    json!({"request_id": request_id, "external_location_id": "00-12345", "external_employee_id": "E-1"})
}

fn merge(mut a: Value, b: Value) -> Value {
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

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
    assert!(
        w["redirection_url"]
            .as_str()
            .unwrap()
            .contains("/#/widget/")
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

async fn purchase_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let buy = |account: &str| json!({"account_number": account, "amount": "100.00", "auto_capture": false});
    let promo = |plan: Value, term: Value| {
        json!({"account_number": JANE, "amount": "100.00", "auto_capture": true,
        "financing_option": {"transaction_type": "promotional_purchase", "plan_id": plan, "term": term}})
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            buy("99999999"),
            StatusCode::NOT_FOUND,
            "customer_identity_not_found",
        ),
        (
            merge(buy(JANE), json!({"vcc_number": "5299990999999999"})),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            merge(buy(JANE), json!({"vcc_number": vcc(SAM)})),
            CONFLICT,
            "vcc_account_mismatch",
        ),
        (buy(CORA), CONFLICT, "user_not_active"),
        (buy(ALEX), CONFLICT, "user_not_able_to_purchase"),
        (
            merge(
                buy(JANE),
                json!({"external_location_id": "99-99999", "request_id": "r", "external_employee_id": "e"}),
            ),
            CONFLICT,
            "external_location_id_not_found",
        ),
        (promo(Value::Null, json!(6)), CONFLICT, "plan_term_not_set"),
        (promo(json!(2), Value::Null), CONFLICT, "plan_term_not_set"),
        (
            promo(json!(99), json!(6)),
            CONFLICT,
            "plan_term_not_available",
        ),
        (
            promo(json!(2), json!(7)),
            CONFLICT,
            "plan_term_not_available",
        ),
        (
            merge(buy(SAM), json!({"amount": "1000.01"})),
            CONFLICT,
            "credit_exceeded",
        ),
        (
            json!({"account_number": JANE, "amount": "abc", "reference": "x".repeat(41)}),
            CONFLICT,
            "wrong_inputs",
        ),
    ];
    for (body, status, code) in cases {
        let r = fx.post("/authorization", body.clone()).await;
        assert_error(&r, status, code);
        assert!(
            !r.1.to_string().contains(&vcc(SAM)),
            "card numbers are never echoed"
        );
    }
    let r = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "abc", "reference": "x".repeat(41)}),
        )
        .await;
    assert_eq!(
        r.1["field_errors"].as_array().unwrap().len(),
        3,
        "amount, auto_capture, reference: {}",
        r.1
    );
    // Plan 4 is for ratings L and M only: Sam (H) cannot use it.
    let r = fx
        .post(
            "/authorization",
            merge(promo(json!(4), json!(3)), json!({"account_number": SAM})),
        )
        .await;
    assert_error(&r, CONFLICT, "plan_term_not_available");
    // In store: the PIN rules.
    let instore = |code: Option<i64>, req: &str| {
        let mut b = merge(buy(JANE), store(req));
        if let Some(c) = code {
            b["verification_code"] = json!(c);
        }
        b
    };
    let r = fx
        .post(
            "/authorization",
            merge(buy(JANE), json!({"external_location_id": "00-12345"})),
        )
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let r = fx.post("/authorization", instore(None, "r1")).await;
    assert_error(&r, CONFLICT, "verification_code_required");
    pin(&fx, JANE, "r1").await;
    let r = fx.post("/authorization", instore(Some(1111), "r1")).await;
    assert_error(&r, CONFLICT, "wrong_verification_code");
    let r = fx.post("/authorization", instore(Some(2222), "r2")).await;
    assert_error(&r, CONFLICT, "not_verified");
    let (s, v) = fx.post("/authorization", instore(Some(2222), "r1")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = fx.post("/authorization", instore(Some(2222), "r1")).await;
    assert_error(&r, CONFLICT, "wrong_verification_code");
    // Five wrong codes burn the account's live PINs: guessing 4 digits is not an option.
    pin(&fx, JANE, "r9").await;
    for _ in 0..5 {
        let r = fx.post("/authorization", instore(Some(1234), "r9")).await;
        assert_error(&r, CONFLICT, "wrong_verification_code");
    }
    let r = fx.post("/authorization", instore(Some(2222), "r9")).await;
    assert_error(&r, CONFLICT, "wrong_verification_code");
    pin(&fx, JANE, "r10").await;
    let (s, v) = fx.post("/authorization", instore(Some(2222), "r10")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A PIN lives 15 minutes of the merchant's clock.
    pin(&fx, JANE, "r11").await;
    app.advance_clock(&app.merchant_id, 15 * 60 + 1).await;
    let r = fx.post("/authorization", instore(Some(2222), "r11")).await;
    assert_error(&r, CONFLICT, "wrong_verification_code");
}

async fn ledger_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (_, a) = fx
        .post("/authorization", json!({"account_number": JANE, "amount": "300.00", "auto_capture": false,
            "financing_option": {"transaction_type": "promotional_purchase", "plan_id": 2, "term": 6}}))
        .await;
    let id = a["authorization_id"].as_i64().unwrap();
    let r = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "300.01"}),
        )
        .await;
    assert_error(&r, CONFLICT, "authorization_amount_exceeded");
    let r = fx
        .post(
            "/authorization/123456789012345/capture",
            json!({"amount": "1.00"}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx
        .post("/authorization/abc/capture", json!({"amount": "1.00"}))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx
        .post(&format!("/authorization/{id}/capture"), json!({}))
        .await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let (s, c) = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "200.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let cap = c["capture_id"].as_i64().unwrap();
    let (s, rel) = fx
        .post(&format!("/authorization/{id}/release"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{rel}");
    assert_eq!(
        (
            rel["released_amount"].clone(),
            rel["authorization_status"].clone()
        ),
        (json!("100.00"), json!("closed"))
    );
    let r = fx
        .post(&format!("/authorization/{id}/release"), json!({}))
        .await;
    assert_error(&r, CONFLICT, "authorization_not_open");
    let ret = format!("/authorization/{id}/capture/{cap}/return");
    let r = fx
        .post(&ret, json!({"full_return": false, "amount": "200.01"}))
        .await;
    assert_error(&r, CONFLICT, "capture_amount_exceeded");
    let r = fx.post(&ret, json!({"full_return": true, "external_location_id": "00-12345", "external_employee_id": "00000-TRAINEE"})).await;
    assert_error(&r, CONFLICT, "not_permitted");
    let r = fx
        .post(&ret, json!({"full_return": true, "vcc_number": vcc(SAM)}))
        .await;
    assert_error(&r, CONFLICT, "vcc_account_mismatch");
    let r = fx
        .post(
            &format!("/authorization/1{id}/capture/{cap}/return")
                .replace(&format!("1{id}"), "123456789012345"),
            json!({"full_return": true}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = fx.post(&ret, json!({"full_return": true})).await;
    assert_eq!(
        (s, v["remaining_capture_amount"].clone()),
        (StatusCode::OK, json!("0.00")),
        "{v}"
    );
    let r = fx
        .post(
            &format!("/accounts/{JANE}/refund"),
            json!({"amount": "0.01"}),
        )
        .await;
    assert_error(&r, CONFLICT, "refunds_limit_exceeded_amount");
}

async fn transaction_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let tx = |kind: &str, account: &str, amount: &str, req: &str| {
        merge(
            json!({"transaction_type": kind, "account_number": account, "amount": amount, "verification_code": 2222}),
            store(req),
        )
    };
    let r = fx
        .post("/transactions", tx("cash", JANE, "1.00", "t0"))
        .await;
    assert_error(&r, CONFLICT, "invalid_transaction_type");
    let r = fx.post("/transactions", json!({"amount": "1.00"})).await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let r = fx.post("/transactions", json!({"transaction_type": "deposit", "account_number": JANE, "amount": "1.00", "verification_code": 2222})).await;
    assert_error(&r, CONFLICT, "wrong_inputs");
    let r = fx
        .post("/transactions", tx("deposit", "99999999", "1.00", "t0"))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = fx
        .post(
            "/transactions",
            merge(
                tx("deposit", JANE, "1.00", "t0"),
                json!({"verification_code": null}),
            ),
        )
        .await;
    assert_error(&r, CONFLICT, "verification_code_required");
    let r = fx
        .post("/transactions", tx("deposit", CORA, "1.00", "t0"))
        .await;
    assert_error(&r, CONFLICT, "user_not_active");
    let r = fx
        .post("/transactions", tx("deposit", ZED, "1.00", "t0"))
        .await;
    assert_error(&r, CONFLICT, "user_not_able_to_purchase");
    pin(&fx, SAM, "t1").await;
    let r = fx
        .post("/transactions", tx("deposit", SAM, "1000.01", "t1"))
        .await;
    assert_error(&r, CONFLICT, "not_enough_credit");
    let r = fx
        .post(
            "/transactions",
            merge(
                tx("deposit", SAM, "10.00", "t1"),
                json!({"vcc_number": vcc(JANE)}),
            ),
        )
        .await;
    assert_error(&r, CONFLICT, "vcc_account_mismatch");
    let r = fx
        .post(
            "/transactions",
            merge(
                tx("deposit", SAM, "10.00", "t1"),
                json!({"external_location_id": "nope"}),
            ),
        )
        .await;
    assert_error(&r, CONFLICT, "external_location_id_not_found");
    let (s, v) = fx
        .post("/transactions", tx("deposit", SAM, "10.00", "t1"))
        .await;
    assert_eq!(
        (s, v["available_credit"].clone()),
        (StatusCode::OK, json!("990.00")),
        "{v}"
    );
    pin(&fx, BEA, "t2").await;
    let (s, v) = fx
        .post("/transactions", tx("instore_payment", BEA, "6000.00", "t2"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    pin(&fx, BEA, "t3").await;
    let r = fx
        .post("/transactions", tx("tradein", BEA, "4000.01", "t3"))
        .await;
    assert_error(&r, CONFLICT, "limit_payment_amount_24");
    app.advance_clock(&app.merchant_id, 86_401).await;
    pin(&fx, BEA, "t4").await;
    let (s, v) = fx
        .post("/transactions", tx("tradein", BEA, "4000.01", "t4"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A payment on an arrears account lifts it back to normal.
    let (s, _) = fx
        .get(&format!("/customers/lookup?account_number={ALEX}"))
        .await;
    assert_eq!(s, CONFLICT);
    let r = fx
        .post(
            "/authorization",
            json!({"account_number": ALEX, "amount": "1.00", "auto_capture": true}),
        )
        .await;
    assert_error(&r, CONFLICT, "user_not_able_to_purchase");
    pin(&fx, ALEX, "t5").await;
    let r = fx
        .post("/transactions", tx("deposit", ALEX, "5.00", "t5"))
        .await;
    assert_error(&r, CONFLICT, "user_not_able_to_purchase");
    let (s, v) = fx
        .post("/transactions", tx("instore_payment", ALEX, "5.00", "t5"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = fx
        .get(&format!("/customers/lookup?account_number={ALEX}"))
        .await;
    assert_eq!(
        (s, v["account_status"].clone()),
        (StatusCode::OK, json!("N")),
        "{v}"
    );
}

async fn settings_driven_errors(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let settings = format!("/admin/merchants/{}/flexiti/settings", app.merchant_id);
    let put = |body: Value| app.admin(Method::PUT, &settings, Some(body));
    let (s, _) = put(json!({"preAuthEnabled": false, "accountTypes": ["consumer"], "regularPurchaseBypassAllowed": false})).await;
    assert_eq!(s, StatusCode::OK);
    let r = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "10.00", "auto_capture": false}),
        )
        .await;
    assert_error(&r, CONFLICT, "auth_not_allowed");
    let (s, _) = fx
        .post(
            "/authorization",
            json!({"account_number": JANE, "amount": "10.00", "auto_capture": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = fx
        .post(
            "/authorization",
            json!({"account_number": BEA, "amount": "10.00", "auto_capture": true}),
        )
        .await;
    assert_error(&r, CONFLICT, "account_type_not_permitted");
    let r = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"format": "regular_purchase_bypass"}),
        )
        .await;
    assert_error(&r, CONFLICT, "regular_purchase_bypass_is_not_allowed");
    let (s, _) = put(json!({"merchantOverrideAllowed": true})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = fx
        .post(
            &format!("/account/{JANE}/verify"),
            json!({"format": "merchant_override"}),
        )
        .await;
    assert_eq!(
        (s, v["verification_code"].clone()),
        (StatusCode::OK, json!(2222))
    );
    let (s, v) = put(json!({"plans": [{"planId": 9, "name": "Bad", "category": "equal_billing", "aprBp": 7000, "terms": [6]}]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = put(json!({"enabled": false})).await;
    assert_eq!(s, StatusCode::OK);
    let r = fx
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_error(&r, CONFLICT, "invalid_role");
    let (id, secret) = creds(&app);
    let r = token_form(&app, &[("client_id", &id), ("client_secret", &secret)]).await;
    assert_error(&r, CONFLICT, "invalid_role");
}
