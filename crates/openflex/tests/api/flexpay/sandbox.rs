//! The FlexPay sandbox processor (docs/sandbox.md "FlexPay sandbox processor", docs/flexpay.md
//! appendix 1.10): the six test cards, unknown cards (30016), Luhn (30002) and expiry (30026)
//! checks, trigger amounts and the open `90CCCCC` family, CVV results M/N/P, AVS always S, and the
//! order of checks (validation, state rules, card table, trigger amounts).

use crate::dual;
use crate::flexpay::fp::{
    SENTINEL, assert_not_persisted, assert_persisted, assert_refused, post_txn, remove,
    seed_message, set, status_of,
};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    every_test_card_is_approved_with_a_cvv_match,
    trigger_amounts_give_their_codes_on_charge_and_authorize,
    trigger_amounts_apply_to_vaulted_tokens,
    the_90ccccc_family_reaches_seed_codes,
    amounts_that_are_not_triggers_are_approved,
    cvv_result_is_match_no_match_or_not_processed,
    unknown_luhn_valid_card_is_declined_30016_and_recorded,
    luhn_failure_is_30002_and_not_recorded,
    past_expiry_is_30026_and_not_recorded,
    the_expiry_month_itself_is_still_valid,
    vaulted_card_expires_with_the_merchant_clock,
    checks_run_in_the_documented_order,
    capture_and_refund_honour_trigger_amounts,
    sandbox_payments_go_through_the_merchant_sandbox_gateway,
);

/// A pass-in charge body for `pan` / `cvv` (None: no CVV sent).
fn card_body(mtid: &str, amount: i64, pan: &str, cvv: Option<&str>) -> Value {
    let mut body = card_payment(mtid, amount);
    set(
        &mut body,
        "/transaction/paymentMethod/creditCardNumber",
        json!(pan),
    );
    match cvv {
        Some(c) => set(&mut body, "/transaction/paymentMethod/cvv", json!(c)),
        None => remove(&mut body, "/transaction/paymentMethod/cvv"),
    }
    body
}

fn set_expiry(body: &mut Value, month: u8, year: i32) {
    set(
        body,
        "/transaction/paymentMethod/expiryMonth",
        json!(format!("{month:02}")),
    );
    set(
        body,
        "/transaction/paymentMethod/expiryYear",
        json!(year.to_string()),
    );
}

/// Asserts `t` is the processor's answer `code` (not a refusal before the gateway).
#[track_caller]
fn assert_outcome(t: &Value, code: u32, what: &str) {
    assert_eq!(t["responseCode"], code.to_string(), "{what}: {t}");
    assert_eq!(t["message"], seed_message(code), "{what}: {t}");
    assert_eq!(t["transactionStatus"], status_of(code), "{what}: {t}");
    assert_eq!(t["gatewayType"], "sandbox", "{what}: {t}");
    assert!(
        t["gatewayToken"]
            .as_str()
            .is_some_and(|g| g.len() == 26 && g != SENTINEL),
        "{what}: {t}"
    );
    assert_eq!(
        t["response"]["avsCode"], "S",
        "{what}: AVS is always S: {t}"
    );
    assert_eq!(t["currencyCode"], "USD", "{what}: {t}");
}

/// Today on the (unmoved) merchant clock: (year, month).
fn this_month() -> (i32, u8) {
    let now = time::OffsetDateTime::now_utc();
    (now.year(), u8::from(now.month()))
}

async fn every_test_card_is_approved_with_a_cvv_match(app: TestApp) {
    for (pan, cvv, brand) in [
        (VISA, "879", "VISA"),
        (MASTERCARD, "010", "MASTERCARD"),
        (AMEX, "1000", "AMERICAN EXPRESS"),
        (DINERS, "100", "DINERS CLUB INTERNATIONAL"),
        (JCB, "100", "JCB"),
        (DISCOVER, "100", "DISCOVER"),
    ] {
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            card_body(&format!("card-{pan}"), 1234, pan, Some(cvv)),
        )
        .await;
        assert_outcome(&t, 10000, pan);
        assert_eq!(t["amount"], 1234, "{t}");
        assert_eq!(t["response"]["cvvCode"], "M", "{pan}: {t}");
        assert_eq!(t["paymentMethod"]["cardType"], brand, "{pan}: {t}");
        assert!(
            t["gatewayTransactionId"]
                .as_str()
                .is_some_and(|g| !g.is_empty()),
            "{pan}: {t}"
        );
        assert_eq!(t["retryDate"], Value::Null, "{pan}: {t}");
        assert_persisted(&app, &t).await;
    }
}

/// The documented trigger amounts (docs/sandbox.md).
const TRIGGERS: [(i64, u32); 6] = [
    (2005, 20000),
    (2008, 20003),
    (2012, 20023),
    (3016, 30011),
    (4018, 40000),
    (5023, 50000),
];

async fn trigger_amounts_give_their_codes_on_charge_and_authorize(app: TestApp) {
    for (path, txn_type) in [
        ("/v1/gateways/charge", "Charge"),
        ("/v1/gateways/authorize", "Authorize"),
    ] {
        for (amount, code) in TRIGGERS {
            let mtid = format!("{txn_type}-{amount}");
            let t = post_txn(&app, path, card_payment(&mtid, amount)).await;
            let what = format!("{txn_type} of {amount}");
            assert_outcome(&t, code, &what);
            assert_eq!(t["transactionType"], txn_type, "{what}: {t}");
            assert_eq!(t["amount"], amount, "{what}: {t}");
            assert_eq!(t["response"]["cvvCode"], "M", "{what}: {t}");
            // Declines from the processor are recorded, 5023's 50000 included.
            assert_persisted(&app, &t).await;
            let (_, again) = app
                .get(&format!("/v1/transactions/byMerchantTransactionId/{mtid}"))
                .await;
            assert_eq!(again["transaction"]["transactionId"], t["transactionId"]);
            assert_eq!(again["transaction"]["amount"], amount);
        }
    }
}

async fn trigger_amounts_apply_to_vaulted_tokens(app: TestApp) {
    for (amount, code) in TRIGGERS {
        // A fresh card each time so that the held CVV is used and matched.
        let id = app.vault_visa().await;
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            token_payment(&format!("tok-{amount}"), amount, &id),
        )
        .await;
        assert_outcome(&t, code, &format!("token charge of {amount}"));
        assert_eq!(t["paymentMethod"]["paymentMethodId"], id, "{t}");
        assert_eq!(t["response"]["cvvCode"], "M", "{t}");
        // A declined token charge leaves the vaulted card stored.
        assert_eq!(t["paymentMethod"]["storageState"], "Stored", "{t}");
    }
}

async fn the_90ccccc_family_reaches_seed_codes(app: TestApp) {
    for (amount, code) in [
        (9_020_023, 20023),
        (9_020_000, 20000),
        (9_020_003, 20003),
        (9_030_001, 30001),
        (9_030_002, 30002),
        (9_030_016, 30016),
        (9_040_000, 40000),
        (9_040_030, 40030),
        (9_050_000, 50000),
        (9_050_131, 50131),
        (9_010_000, 10000),
    ] {
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            card_payment(&format!("family-{amount}"), amount),
        )
        .await;
        assert_outcome(&t, code, &format!("amount {amount}"));
        assert_eq!(t["amount"], amount, "{t}");
        assert_persisted(&app, &t).await;
    }
    // A 90CCCCC amount whose CCCCC is no seed code is an ordinary approved amount.
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        card_payment("family-none", 9_020_001),
    )
    .await;
    assert_outcome(&t, 10000, "amount 9020001");
}

async fn amounts_that_are_not_triggers_are_approved(app: TestApp) {
    for amount in [
        1, 99, 2004, 2006, 2009, 3015, 4019, 5022, 20050, 200_500, 9_999_999,
    ] {
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            card_payment(&format!("plain-{amount}"), amount),
        )
        .await;
        assert_outcome(&t, 10000, &format!("amount {amount}"));
    }
}

async fn cvv_result_is_match_no_match_or_not_processed(app: TestApp) {
    for (i, (pan, cvv, expected)) in [
        (VISA, Some("879"), "M"),
        (VISA, Some("123"), "N"),
        (VISA, None, "P"),
        (AMEX, Some("1000"), "M"),
        (AMEX, Some("100"), "N"),
        (MASTERCARD, Some("010"), "M"),
        (MASTERCARD, Some("0100"), "N"),
        (DISCOVER, None, "P"),
    ]
    .into_iter()
    .enumerate()
    {
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            card_body(&format!("cvv-{i}"), 1000, pan, cvv),
        )
        .await;
        let what = format!("{pan} with CVV {cvv:?}");
        // A CVV mismatch does not decline unless the merchant's risk rules say so.
        assert_outcome(&t, 10000, &what);
        assert_eq!(t["response"]["cvvCode"], expected, "{what}: {t}");
    }
    // The CVV result is reported on declines too.
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        card_body("cvv-declined", 2008, VISA, Some("123")),
    )
    .await;
    assert_outcome(&t, 20003, "declined with a wrong CVV");
    assert_eq!(t["response"]["cvvCode"], "N", "{t}");
}

async fn unknown_luhn_valid_card_is_declined_30016_and_recorded(app: TestApp) {
    let unknown = "4111111111111111";
    for (path, txn_type) in [
        ("/v1/gateways/charge", "Charge"),
        ("/v1/gateways/authorize", "Authorize"),
    ] {
        let t = post_txn(
            &app,
            path,
            card_body(&format!("unknown-{txn_type}"), 1000, unknown, Some("123")),
        )
        .await;
        assert_outcome(&t, 30016, txn_type);
        assert_eq!(t["transactionType"], txn_type, "{t}");
        assert_eq!(t["amount"], 1000, "{t}");
        assert_eq!(
            t["paymentMethod"]["creditCardNumber"], "411111******1111",
            "{t}"
        );
        assert_eq!(t["paymentMethod"]["storageState"], "Cached", "{t}");
        assert_persisted(&app, &t).await;
    }

    // Vaulting an unknown card is not a processor call; charging it is.
    let v = post_txn(
        &app,
        "/v1/paymentmethods",
        json!({"paymentMethod": vault_card(unknown, "123")}),
    )
    .await;
    assert_eq!(v["responseCode"], "10000", "{v}");
    let id = v["paymentMethod"]["paymentMethodId"].as_str().unwrap();
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment("unknown-token", 1000, id),
    )
    .await;
    assert_outcome(&t, 30016, "vaulted unknown card");
    assert_persisted(&app, &t).await;

    // The same merchantTransactionId is now taken: it was a real attempt.
    let (status, v) = app
        .post("/v1/gateways/charge", card_payment("unknown-token", 1000))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50129", "{v}");
}

async fn luhn_failure_is_30002_and_not_recorded(app: TestApp) {
    let bad = "4920201996449561";
    for (path, txn_type) in [
        ("/v1/gateways/charge", "Charge"),
        ("/v1/gateways/authorize", "Authorize"),
    ] {
        let mtid = format!("luhn-{txn_type}");
        let t = post_txn(&app, path, card_body(&mtid, 1000, bad, Some("879"))).await;
        assert_refused(&t, 30002, "");
        assert_eq!(t["transactionType"], txn_type, "{t}");
        assert_not_persisted(&app, &t).await;
        // Nothing recorded, so the merchantTransactionId is still free.
        let t = post_txn(&app, path, card_payment(&mtid, 1000)).await;
        assert_eq!(t["responseCode"], "10000", "{t}");
    }
    let t = post_txn(
        &app,
        "/v1/paymentmethods",
        json!({"paymentMethod": vault_card(bad, "879")}),
    )
    .await;
    assert_refused(&t, 30002, "");
    assert_eq!(t["transactionType"], "CreatePaymentMethod", "{t}");
    assert_not_persisted(&app, &t).await;
    let (_, list) = app.get("/v1/paymentmethods").await;
    let stored = list["paymentMethods"].as_array().unwrap();
    assert!(
        stored
            .iter()
            .all(|p| p["paymentMethod"]["lastFourDigits"] != "9561"),
        "the card failing Luhn was stored: {list}"
    );
}

async fn past_expiry_is_30026_and_not_recorded(app: TestApp) {
    let (year, month) = this_month();
    let (last_year, last_month) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    for (i, (m, y)) in [(1u8, 2020), (12, year - 1), (last_month, last_year)]
        .into_iter()
        .enumerate()
    {
        for (path, txn_type) in [
            ("/v1/gateways/charge", "Charge"),
            ("/v1/gateways/authorize", "Authorize"),
        ] {
            let mtid = format!("expired-{i}-{txn_type}");
            let mut body = card_payment(&mtid, 1000);
            set_expiry(&mut body, m, y);
            let t = post_txn(&app, path, body).await;
            assert_refused(&t, 30026, "");
            assert_eq!(t["transactionType"], txn_type, "{t}");
            assert_not_persisted(&app, &t).await;
        }
        let mut card = vault_card(VISA, "879");
        card["creditCard"]["expiryMonth"] = json!(format!("{m:02}"));
        card["creditCard"]["expiryYear"] = json!(y.to_string());
        let t = post_txn(&app, "/v1/paymentmethods", json!({ "paymentMethod": card })).await;
        assert_refused(&t, 30026, "");
        assert_not_persisted(&app, &t).await;
    }
    let (_, list) = app.get("/v1/paymentmethods").await;
    assert_eq!(list["paymentMethods"], json!([]), "{list}");
}

async fn the_expiry_month_itself_is_still_valid(app: TestApp) {
    // A card is good through the last day of its expiry month; the vendor's printed test-card
    // expiry dates are not enforced.
    let (year, month) = this_month();
    let mut body = card_payment("expires-this-month", 1000);
    set_expiry(&mut body, month, year);
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_outcome(&t, 10000, "expiry this month");

    let mut card = vault_card(MASTERCARD, "010");
    card["creditCard"]["expiryMonth"] = json!(format!("{month:02}"));
    card["creditCard"]["expiryYear"] = json!(year.to_string());
    let t = post_txn(&app, "/v1/paymentmethods", json!({ "paymentMethod": card })).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
}

async fn vaulted_card_expires_with_the_merchant_clock(app: TestApp) {
    let (year, month) = this_month();
    let mut card = vault_card(VISA, "879");
    card["creditCard"]["expiryMonth"] = json!(format!("{month:02}"));
    card["creditCard"]["expiryYear"] = json!(year.to_string());
    let v = post_txn(&app, "/v1/paymentmethods", json!({ "paymentMethod": card })).await;
    assert_eq!(v["responseCode"], "10000", "{v}");
    let id = v["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment("before-expiry", 1000, &id),
    )
    .await;
    assert_outcome(&t, 10000, "before the clock moves");

    // 40 days later on the merchant's test clock the month is over.
    app.advance_clock(&app.merchant_id, 40 * 86_400).await;
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment("after-expiry", 1000, &id),
    )
    .await;
    assert_refused(&t, 30026, "");
    assert_not_persisted(&app, &t).await;

    // A pass-in card with the same expiry is expired too.
    let mut body = card_payment("after-expiry-pass-in", 1000);
    set_expiry(&mut body, month, year);
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 30026, "");
}

async fn checks_run_in_the_documented_order(app: TestApp) {
    // Request validation (5xxxx) before any card or amount rule.
    let mut body = card_body("order-1", 2008, "4920201996449561", Some("879"));
    remove(&mut body, "/transaction/orderId");
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50126, "transaction.orderId");

    // Luhn and expiry before the processor's trigger amounts.
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        card_body("order-2", 2008, "4920201996449561", Some("879")),
    )
    .await;
    assert_refused(&t, 30002, "");
    let mut body = card_payment("order-3", 4018);
    set_expiry(&mut body, 1, 2020);
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 30026, "");

    // The card table before the trigger amounts: an unknown card stays 30016.
    for (i, amount) in [2005, 2008, 4018, 5023].into_iter().enumerate() {
        let t = post_txn(
            &app,
            "/v1/gateways/charge",
            card_body(
                &format!("order-unknown-{i}"),
                amount,
                "4111111111111111",
                None,
            ),
        )
        .await;
        assert_outcome(&t, 30016, &format!("unknown card, amount {amount}"));
    }
}

async fn follow(app: &TestApp, id: &str, op: &str, mtid: &str, amount: Option<i64>) -> Value {
    let mut t = json!({"merchantTransactionId": mtid});
    if let Some(a) = amount {
        t["amount"] = json!(a);
    }
    post_txn(
        app,
        &format!("/v1/transactions/{id}/{op}"),
        json!({ "transaction": t }),
    )
    .await
}

async fn capture_and_refund_honour_trigger_amounts(app: TestApp) {
    // Capture of 2005 out of an authorization of 5000 → 20000; the authorization stays
    // capturable afterwards.
    let auth = app.authorize("cap-auth", 5000).await;
    let auth_id = auth["transactionId"].as_str().unwrap();
    let c = follow(&app, auth_id, "capture", "cap-1", Some(2005)).await;
    assert_outcome(&c, 20000, "capture of 2005");
    assert_eq!(c["transactionType"], "Capture", "{c}");
    let c = follow(&app, auth_id, "capture", "cap-2", Some(3000)).await;
    assert_outcome(&c, 10000, "capture of 3000 after a declined capture");

    // Refund of 2008 out of a charge of 5000 → 20003; the full amount stays refundable.
    let charge = app.charge("ref-charge", 5000).await;
    let charge_id = charge["transactionId"].as_str().unwrap();
    let r = follow(&app, charge_id, "refund", "ref-1", Some(2008)).await;
    assert_outcome(&r, 20003, "refund of 2008");
    assert_eq!(r["transactionType"], "Refund", "{r}");
    let r = follow(&app, charge_id, "refund", "ref-2", Some(4018)).await;
    assert_outcome(&r, 40000, "refund of 4018");
    let r = follow(&app, charge_id, "refund", "ref-3", None).await;
    assert_outcome(&r, 10000, "full refund after declined refunds");
    assert_eq!(r["amount"], 5000, "{r}");

    // State rules come first: a refund above what remains is 30015 even on a trigger amount.
    let small = app.charge("ref-small", 1000).await;
    let small_id = small["transactionId"].as_str().unwrap();
    let r = follow(&app, small_id, "refund", "ref-4", Some(2005)).await;
    assert_eq!(r["responseCode"], "30015", "{r}");
    assert_eq!(r["message"], seed_message(30015), "{r}");
    assert_eq!(r["transactionStatus"], 2, "{r}");
}

async fn sandbox_payments_go_through_the_merchant_sandbox_gateway(app: TestApp) {
    let (status, v) = app.get("/v1/gateways").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let gateways = v["gateways"].as_array().expect("gateways");
    assert_eq!(gateways.len(), 1, "{v}");
    assert_eq!(gateways[0]["gatewayType"], "sandbox", "{v}");
    let token = gateways[0]["gatewayToken"].clone();

    for (mtid, amount) in [("gw-approved", 1000), ("gw-declined", 2008)] {
        let t = app.charge(mtid, amount).await;
        assert_eq!(t["gatewayToken"], token, "{t}");
        assert_eq!(t["gatewayType"], "sandbox", "{t}");
    }
}
