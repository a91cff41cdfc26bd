//! Every error code the Flexiti documentation lists is reachable, with its HTTP status, the
//! `{url, message, error}` body, and a French message under `lang=fr`: here the codes of
//! purchases, the ledger, transactions and the merchant's settings (`flexiti_errors.rs` has the
//! codes before money moves).

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    purchase_errors,
    ledger_errors,
    transaction_errors,
    settings_driven_errors,
    a_return_over_the_capture_says_so,
);

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

/// `capture_amount_exceeded` is the code of a return above what remains of its capture: its
/// message says that, not the wording of a capture above its authorization.
async fn a_return_over_the_capture_says_so(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (s, a) = fx
        .post("/authorization", json!({"account_number": JANE, "amount": "300.00", "auto_capture": false,
            "financing_option": {"transaction_type": "promotional_purchase", "plan_id": 2, "term": 6}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let id = a["authorization_id"].as_i64().unwrap();
    let (s, c) = fx
        .post(
            &format!("/authorization/{id}/capture"),
            json!({"amount": "200.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let ret = format!("/authorization/{id}/capture/{}/return", c["capture_id"]);
    let (s, v) = fx
        .post(&ret, json!({"full_return": false, "amount": "150.00"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (lang, message) in [
        (
            "en",
            "The amount to return exceeds what remains of the capture.",
        ),
        (
            "fr",
            "Le montant à retourner dépasse le solde restant de l'encaissement.",
        ),
    ] {
        let r = fx
            .post(
                &format!("{ret}?lang={lang}"),
                json!({"full_return": false, "amount": "50.01"}),
            )
            .await;
        assert_error(&r, CONFLICT, "capture_amount_exceeded");
        assert_eq!(r.1["message"], message, "{}", r.1);
    }
    let (s, v) = fx
        .post(&ret, json!({"full_return": false, "amount": "50.00"}))
        .await;
    assert_eq!(
        (s, v["remaining_capture_amount"].clone()),
        (StatusCode::OK, json!("0.00")),
        "{v}"
    );
}
