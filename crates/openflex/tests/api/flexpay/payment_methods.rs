//! The vault (docs/flexpay.md §2 and §4, seed "Payment Methods"): create (nested or flat card, or a
//! third-party gateway token), show, list, update, redact, recache; the CVV held only until its
//! first use; pass-in cards `Stored` or `Cached`; and no full card number in any response.

use crate::dual;
use crate::flexpay::fp::{
    SENTINEL, assert_not_persisted, assert_persisted, assert_refused, gateway_token_card, post_txn,
    put_txn, remove, send_raw, set,
};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    vaulting_a_nested_card_stores_it_masked,
    vaulting_a_flat_card_works_like_the_nested_form,
    fingerprint_identifies_the_card_number_within_a_merchant,
    card_types_follow_the_seed_brand_table,
    show_returns_the_payment_method_and_unknown_is_404,
    list_returns_vaulted_payment_methods_wrapped,
    cvv_is_held_until_the_first_charge_then_purged,
    recache_puts_a_cvv_back_for_one_use,
    update_changes_only_the_fields_given,
    update_is_accepted_with_post_and_nested_card_fields,
    update_cannot_change_the_card_number_or_cvv,
    redact_strips_the_card_and_blocks_payments,
    redacted_and_unknown_tokens_are_refused_with_50134,
    pass_in_card_is_stored_only_when_retained_and_approved,
    retained_pass_in_card_can_be_charged_again_by_token,
    gateway_token_variant_can_be_vaulted,
    gateway_token_variant_can_be_charged,
    full_card_number_and_cvv_never_appear_in_responses,
    payment_methods_are_private_to_their_merchant,
    payment_method_endpoints_require_a_valid_key,
    wrong_methods_are_405,
);

/// Vaults `pan` with `cvv`; returns the whole transaction object.
async fn vault(app: &TestApp, pan: &str, cvv: &str) -> Value {
    post_txn(
        app,
        "/v1/paymentmethods",
        json!({"paymentMethod": vault_card(pan, cvv)}),
    )
    .await
}

async fn show(app: &TestApp, id: &str) -> Value {
    let (status, v) = app.get(&format!("/v1/paymentmethods/{id}")).await;
    assert_eq!(status, StatusCode::OK, "GET paymentmethods/{id}: {v}");
    v["paymentMethod"].clone()
}

fn id_of(t: &Value) -> String {
    t["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap_or_else(|| panic!("no paymentMethodId in {t}"))
        .to_string()
}

async fn charge_token(app: &TestApp, mtid: &str, amount: i64, id: &str) -> Value {
    post_txn(app, "/v1/gateways/charge", token_payment(mtid, amount, id)).await
}

#[track_caller]
fn assert_approved(t: &Value, txn_type: &str) {
    assert_eq!(t["transactionStatus"], 1, "{t}");
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["message"], "Approved.", "{t}");
    assert_eq!(t["transactionType"], txn_type, "{t}");
}

/// The card fields every vault response carries for the sandbox Visa of `vault_card`.
#[track_caller]
fn assert_visa_fields(p: &Value) {
    assert_eq!(p["creditCardNumber"], "492020******9560", "{p}");
    assert_eq!(p["firstSixDigits"], "492020", "{p}");
    assert_eq!(p["lastFourDigits"], "9560", "{p}");
    assert_eq!(p["cardType"], "VISA", "{p}");
    assert_eq!(p["paymentMethodType"], "CreditCard", "{p}");
    assert_eq!(p["expiryMonth"], "12", "{p}");
    assert_eq!(p["expiryYear"], "2030", "{p}");
    assert_eq!(p["firstName"], "Ada", "{p}");
    assert_eq!(p["lastName"], "Lovelace", "{p}");
    assert_eq!(p["customerId"], "cust-1", "{p}");
    assert_eq!(p["address1"], "1 Main St", "{p}");
    assert_eq!(p["postalCode"], "10001", "{p}");
    assert_eq!(p["city"], "New York", "{p}");
    assert_eq!(p["state"], "NY", "{p}");
    assert_eq!(p["country"], "USA", "{p}");
    assert_eq!(p["email"], "ada@example.com", "{p}");
    assert_eq!(p["phoneNumber"], "5551234567", "{p}");
    let fingerprint = p["fingerprint"].as_str().unwrap_or("");
    assert_eq!(fingerprint.len(), 26, "fingerprint: {p}");
    assert!(
        p["dateCreated"].as_str().is_some_and(|d| !d.is_empty()),
        "{p}"
    );
}

async fn vaulting_a_nested_card_stores_it_masked(app: TestApp) {
    let t = vault(&app, VISA, "879").await;
    assert_approved(&t, "CreatePaymentMethod");
    let p = &t["paymentMethod"];
    assert_visa_fields(p);
    assert_eq!(p["storageState"], "Stored", "{p}");
    assert_eq!(p["cvv"], "***", "the CVV is held until first use: {p}");
    let id = id_of(&t);
    assert_eq!(id.len(), 26, "{id}");
    assert_eq!(t["amount"], 0, "{t}");
    assert_eq!(t["customerId"], "cust-1", "{t}");
    assert_ne!(t["transactionId"], json!(id), "{t}");
    // The vault operation is a transaction of its own.
    assert_persisted(&app, &t).await;
    let (_, stored) = app
        .get(&format!(
            "/v1/transactions/{}",
            t["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        stored["transaction"]["transactionType"], "CreatePaymentMethod",
        "{stored}"
    );
    assert_eq!(
        stored["transaction"]["paymentMethod"]["paymentMethodId"], id,
        "{stored}"
    );
}

async fn vaulting_a_flat_card_works_like_the_nested_form(app: TestApp) {
    let nested = vault_card(MASTERCARD, "010");
    let mut flat = nested["creditCard"].clone();
    flat["customerId"] = nested["customerId"].clone();
    let t = post_txn(&app, "/v1/paymentmethods", json!({ "paymentMethod": flat })).await;
    assert_approved(&t, "CreatePaymentMethod");
    let p = &t["paymentMethod"];
    assert_eq!(p["creditCardNumber"], "524420******5514", "{p}");
    assert_eq!(p["cardType"], "MASTERCARD", "{p}");
    assert_eq!(p["storageState"], "Stored", "{p}");
    assert_eq!(p["cvv"], "***", "{p}");
    assert_eq!(p["firstName"], "Ada", "{p}");
    assert_eq!(p["customerId"], "cust-1", "{p}");
}

async fn fingerprint_identifies_the_card_number_within_a_merchant(app: TestApp) {
    let a = vault(&app, VISA, "879").await;
    let b = vault(&app, VISA, "123").await;
    let c = vault(&app, MASTERCARD, "010").await;
    assert_ne!(
        id_of(&a),
        id_of(&b),
        "each vaulting is a new payment method"
    );
    let fp = |t: &Value| t["paymentMethod"]["fingerprint"].clone();
    assert_eq!(fp(&a), fp(&b), "same PAN, same fingerprint");
    assert_ne!(fp(&a), fp(&c), "different PAN, different fingerprint");
    // A pass-in charge of the same card has the same fingerprint too.
    let t = app.charge("fp-charge", 500).await;
    assert_eq!(t["paymentMethod"]["fingerprint"], fp(&a), "{t}");
}

async fn card_types_follow_the_seed_brand_table(app: TestApp) {
    for (pan, cvv, brand, masked) in [
        (VISA, "879", "VISA", "492020******9560"),
        (MASTERCARD, "010", "MASTERCARD", "524420******5514"),
        (AMEX, "1000", "AMERICAN EXPRESS", "341674*****4898"),
        (DINERS, "100", "DINERS CLUB INTERNATIONAL", "303494****5576"),
        (JCB, "100", "JCB", "353011******0000"),
        (DISCOVER, "100", "DISCOVER", "601188******2897"),
    ] {
        let t = vault(&app, pan, cvv).await;
        assert_approved(&t, "CreatePaymentMethod");
        let p = &t["paymentMethod"];
        assert_eq!(p["cardType"], brand, "{pan}: {p}");
        assert_eq!(p["creditCardNumber"], masked, "{pan}: {p}");
        assert_eq!(p["firstSixDigits"], &pan[..6], "{pan}: {p}");
        assert_eq!(p["lastFourDigits"], &pan[pan.len() - 4..], "{pan}: {p}");
    }
}

async fn show_returns_the_payment_method_and_unknown_is_404(app: TestApp) {
    let t = vault(&app, VISA, "879").await;
    let id = id_of(&t);
    let p = show(&app, &id).await;
    assert_eq!(p["paymentMethodId"], id, "{p}");
    assert_visa_fields(&p);
    assert_eq!(p["storageState"], "Stored", "{p}");
    assert_eq!(p["cvv"], "***", "{p}");
    assert_eq!(p, t["paymentMethod"], "GET shows what the create returned");

    for unknown in ["01J0000000000000000000000Z", "nope"] {
        let (status, v) = app.get(&format!("/v1/paymentmethods/{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}: {v}");
    }
}

async fn list_returns_vaulted_payment_methods_wrapped(app: TestApp) {
    let first = id_of(&vault(&app, VISA, "879").await);
    let second = id_of(&vault(&app, AMEX, "1000").await);
    let (status, v) = app.get("/v1/paymentmethods").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let items = v["paymentMethods"].as_array().expect("paymentMethods");
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["paymentMethod"]["paymentMethodId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "oldest first: {v}");
    assert_eq!(
        items[1]["paymentMethod"]["creditCardNumber"], "341674*****4898",
        "{v}"
    );
    let (_, v) = app.get("/v1/paymentmethods?order=desc&count=1").await;
    let items = v["paymentMethods"].as_array().expect("paymentMethods");
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["paymentMethod"]["paymentMethodId"], second, "{v}");
}

async fn cvv_is_held_until_the_first_charge_then_purged(app: TestApp) {
    let id = app.vault_visa().await;
    assert_eq!(show(&app, &id).await["cvv"], "***");

    let t = charge_token(&app, "cvv-1", 1000, &id).await;
    assert_approved(&t, "Charge");
    assert_eq!(t["response"]["cvvCode"], "M", "the held CVV was used: {t}");
    assert_eq!(t["paymentMethod"]["paymentMethodId"], id, "{t}");
    assert_eq!(t["paymentMethod"]["cvv"], Value::Null, "{t}");

    let p = show(&app, &id).await;
    assert_eq!(p["cvv"], Value::Null, "CVV purged after first use: {p}");
    assert_eq!(p["storageState"], "Stored", "the card itself stays: {p}");

    // The card still charges, without a CVV now.
    let t = charge_token(&app, "cvv-2", 1000, &id).await;
    assert_approved(&t, "Charge");
    assert_eq!(t["response"]["cvvCode"], "P", "no CVV to check: {t}");
}

async fn recache_puts_a_cvv_back_for_one_use(app: TestApp) {
    let id = app.vault_visa().await;
    charge_token(&app, "rc-1", 1000, &id).await;
    assert_eq!(show(&app, &id).await["cvv"], Value::Null);

    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}/recache"),
        json!({"paymentMethod": {"cvv": "879"}}),
    )
    .await;
    assert_approved(&t, "RecachePaymentMethod");
    assert_eq!(t["paymentMethod"]["paymentMethodId"], id, "{t}");
    assert_eq!(t["paymentMethod"]["cvv"], "***", "{t}");
    assert_eq!(show(&app, &id).await["cvv"], "***");
    assert_persisted(&app, &t).await;

    let t = charge_token(&app, "rc-2", 1000, &id).await;
    assert_eq!(t["response"]["cvvCode"], "M", "{t}");
    assert_eq!(show(&app, &id).await["cvv"], Value::Null);

    // The nested form, with a CVV that does not match the test card: N, still approved.
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}/recache"),
        json!({"paymentMethod": {"creditCard": {"cvv": "111"}}}),
    )
    .await;
    assert_approved(&t, "RecachePaymentMethod");
    let t = charge_token(&app, "rc-3", 1000, &id).await;
    assert_approved(&t, "Charge");
    assert_eq!(t["response"]["cvvCode"], "N", "{t}");

    // POST is accepted where PUT is documented.
    let (status, v) = app
        .post(
            &format!("/v1/paymentmethods/{id}/recache"),
            json!({"paymentMethod": {"cvv": "879"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_approved(&v["transaction"], "RecachePaymentMethod");
}

async fn update_changes_only_the_fields_given(app: TestApp) {
    let id = app.vault_visa().await;
    let before = show(&app, &id).await;
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {
            "expiryMonth": "06", "expiryYear": "2031", "firstName": "Grace",
            "address1": "2 Side St", "address2": "Apt 4", "city": "Boston", "state": "MA",
            "postalCode": "02101", "country": "CAN", "email": "grace@example.com",
            "phoneNumber": "5559876543", "fullName": "Grace Hopper"
        }}),
    )
    .await;
    assert_approved(&t, "UpdatePaymentMethod");
    let p = &t["paymentMethod"];
    assert_eq!(p["paymentMethodId"], id, "{p}");
    for (field, value) in [
        ("expiryMonth", "06"),
        ("expiryYear", "2031"),
        ("firstName", "Grace"),
        ("address1", "2 Side St"),
        ("address2", "Apt 4"),
        ("city", "Boston"),
        ("state", "MA"),
        ("postalCode", "02101"),
        ("country", "CAN"),
        ("email", "grace@example.com"),
        ("phoneNumber", "5559876543"),
        ("fullName", "Grace Hopper"),
    ] {
        assert_eq!(p[field], value, "{field}: {p}");
    }
    // Not sent, so kept.
    for field in [
        "lastName",
        "customerId",
        "creditCardNumber",
        "fingerprint",
        "cardType",
        "storageState",
        "cvv",
        "dateCreated",
    ] {
        assert_eq!(p[field], before[field], "{field} changed: {p}");
    }
    assert_eq!(&show(&app, &id).await, p, "GET shows the update");
    assert_persisted(&app, &t).await;

    // A second update with one field touches only that field.
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"lastName": "Hopper"}}),
    )
    .await;
    assert_approved(&t, "UpdatePaymentMethod");
    let after = show(&app, &id).await;
    assert_eq!(after["lastName"], "Hopper");
    assert_eq!(after["firstName"], "Grace");
    assert_eq!(after["expiryMonth"], "06");
    assert_eq!(after["city"], "Boston");

    // The updated expiry is the one charged: still approved.
    let t = charge_token(&app, "after-update", 1000, &id).await;
    assert_approved(&t, "Charge");
    assert_eq!(t["paymentMethod"]["expiryMonth"], "06", "{t}");
}

async fn update_is_accepted_with_post_and_nested_card_fields(app: TestApp) {
    let id = app.vault_visa().await;
    let (status, v) = app
        .post(
            &format!("/v1/paymentmethods/{id}"),
            json!({"paymentMethod": {"city": "Chicago"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_approved(&v["transaction"], "UpdatePaymentMethod");
    assert_eq!(show(&app, &id).await["city"], "Chicago");

    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"creditCard": {"state": "IL", "expiryMonth": "03"}}}),
    )
    .await;
    assert_approved(&t, "UpdatePaymentMethod");
    let p = show(&app, &id).await;
    assert_eq!(p["state"], "IL", "{p}");
    assert_eq!(p["expiryMonth"], "03", "{p}");

    // An empty update is a no-op that still succeeds.
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {}}),
    )
    .await;
    assert_approved(&t, "UpdatePaymentMethod");
    assert_eq!(show(&app, &id).await, p);
}

async fn update_cannot_change_the_card_number_or_cvv(app: TestApp) {
    let id = app.vault_visa().await;
    let before = show(&app, &id).await;
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {
            "creditCardNumber": MASTERCARD, "cvv": "010", "firstName": "Grace",
            "paymentMethodId": "01J0000000000000000000000Z", "storageState": "Redacted",
            "fingerprint": "AAAAAAAAAAAAAAAAAAAAAAAAAA"
        }}),
    )
    .await;
    assert_approved(&t, "UpdatePaymentMethod");
    let p = show(&app, &id).await;
    assert_eq!(p["firstName"], "Grace", "{p}");
    for field in [
        "paymentMethodId",
        "creditCardNumber",
        "cardType",
        "fingerprint",
        "storageState",
        "cvv",
    ] {
        assert_eq!(p[field], before[field], "{field} must not change: {p}");
    }
    // The held CVV is still the vaulted one.
    let t = charge_token(&app, "still-visa", 1000, &id).await;
    assert_eq!(t["response"]["cvvCode"], "M", "{t}");
    assert_eq!(
        t["paymentMethod"]["creditCardNumber"], "492020******9560",
        "{t}"
    );
}

async fn redact_strips_the_card_and_blocks_payments(app: TestApp) {
    let id = app.vault_visa().await;
    let t = put_txn(&app, &format!("/v1/paymentmethods/{id}/redact"), json!({})).await;
    assert_approved(&t, "RedactPaymentMethod");
    assert_eq!(t["paymentMethod"]["paymentMethodId"], id, "{t}");
    assert_eq!(t["paymentMethod"]["storageState"], "Redacted", "{t}");
    assert_eq!(t["paymentMethod"]["cvv"], Value::Null, "{t}");
    assert_persisted(&app, &t).await;

    let p = show(&app, &id).await;
    assert_eq!(p["storageState"], "Redacted", "{p}");
    assert_eq!(p["cvv"], Value::Null, "{p}");

    // Redacting again is harmless, and POST is accepted where PUT is documented.
    let (status, v) = app
        .post(&format!("/v1/paymentmethods/{id}/redact"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_approved(&v["transaction"], "RedactPaymentMethod");
    assert_eq!(
        v["transaction"]["paymentMethod"]["storageState"],
        "Redacted"
    );

    // Redact takes no body (docs/flexpay.md §2): an empty one is fine.
    let other = app.vault_visa().await;
    let (status, v) = send_raw(
        &app,
        Method::PUT,
        &format!("/v1/paymentmethods/{other}/redact"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_approved(&v["transaction"], "RedactPaymentMethod");
    assert_eq!(show(&app, &other).await["storageState"], "Redacted");

    // A redacted card can no longer be charged, authorized, recached or updated.
    let t = charge_token(&app, "redacted-charge", 1000, &id).await;
    assert_refused(&t, 50134, "");
    assert_not_persisted(&app, &t).await;
    let t = post_txn(
        &app,
        "/v1/gateways/authorize",
        token_payment("redacted-auth", 1000, &id),
    )
    .await;
    assert_refused(&t, 50134, "");
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}/recache"),
        json!({"paymentMethod": {"cvv": "879"}}),
    )
    .await;
    assert_refused(&t, 50134, "");
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"firstName": "Grace"}}),
    )
    .await;
    assert_refused(&t, 50134, "");
    assert_eq!(show(&app, &id).await["storageState"], "Redacted");

    // Redacting an id we never issued is refused, not a 500 or a 404.
    let (status, v) = app
        .put(
            "/v1/paymentmethods/01J0000000000000000000000Z/redact",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_refused(&v["transaction"], 50134, "");
}

async fn redacted_and_unknown_tokens_are_refused_with_50134(app: TestApp) {
    let id = app.vault_visa().await;
    put_txn(&app, &format!("/v1/paymentmethods/{id}/redact"), json!({})).await;
    for (mtid, token) in [
        ("tok-redacted", id.as_str()),
        ("tok-unknown", "01J0000000000000000000000Z"),
        ("tok-garbage", "not-a-token"),
    ] {
        let t = charge_token(&app, mtid, 1000, token).await;
        assert_refused(&t, 50134, "");
        assert_eq!(t["transactionType"], "Charge", "{t}");
        assert_eq!(t["merchantTransactionId"], mtid, "{t}");
        assert_not_persisted(&app, &t).await;
        // The merchantTransactionId is still free.
        let t = app.charge(mtid, 1000).await;
        assert_eq!(t["responseCode"], "10000", "{t}");
    }
}

async fn pass_in_card_is_stored_only_when_retained_and_approved(app: TestApp) {
    // (retainOnSuccess, amount, expected responseCode, expected storageState)
    let cases: [(Option<Value>, i64, &str, &str); 7] = [
        (Some(json!(true)), 1000, "10000", "Stored"),
        (Some(json!("true")), 1000, "10000", "Stored"),
        (Some(json!(true)), 2008, "20003", "Cached"),
        (Some(json!(true)), 3016, "30011", "Cached"),
        (Some(json!(false)), 1000, "10000", "Cached"),
        (Some(json!("false")), 1000, "10000", "Cached"),
        (None, 1000, "10000", "Cached"),
    ];
    for (i, (retain, amount, code, state)) in cases.into_iter().enumerate() {
        let mut body = card_payment(&format!("retain-{i}"), amount);
        match &retain {
            Some(v) => set(&mut body, "/transaction/retainOnSuccess", v.clone()),
            None => remove(&mut body, "/transaction/retainOnSuccess"),
        }
        let t = post_txn(&app, "/v1/gateways/charge", body).await;
        let what = format!("retainOnSuccess {retain:?}, amount {amount}");
        assert_eq!(t["responseCode"], code, "{what}: {t}");
        let p = &t["paymentMethod"];
        assert_eq!(p["storageState"], state, "{what}: {t}");
        assert_eq!(p["creditCardNumber"], "492020******9560", "{what}: {t}");
        assert_eq!(p["paymentMethodType"], "CreditCard", "{what}: {t}");
        assert_eq!(
            p["cvv"],
            Value::Null,
            "a pass-in CVV is used once, never kept: {what}: {t}"
        );
        // The vault agrees.
        let id = id_of(&t);
        assert_eq!(show(&app, &id).await["storageState"], state, "{what}");
        // And so does the stored transaction.
        let (_, stored) = app
            .get(&format!(
                "/v1/transactions/{}",
                t["transactionId"].as_str().unwrap()
            ))
            .await;
        assert_eq!(
            stored["transaction"]["paymentMethod"]["storageState"], state,
            "{what}: {stored}"
        );
    }

    // Authorize follows the same rule.
    let t = app.authorize("retain-auth", 1000).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["paymentMethod"]["storageState"], "Stored", "{t}");
    let t = app.authorize("retain-auth-declined", 2012).await;
    assert_eq!(t["responseCode"], "20023", "{t}");
    assert_eq!(t["paymentMethod"]["storageState"], "Cached", "{t}");
}

async fn retained_pass_in_card_can_be_charged_again_by_token(app: TestApp) {
    let t = app.charge("first", 1999).await;
    assert_eq!(t["paymentMethod"]["storageState"], "Stored", "{t}");
    let id = id_of(&t);
    let again = charge_token(&app, "second", 2999, &id).await;
    assert_approved(&again, "Charge");
    assert_eq!(again["amount"], 2999, "{again}");
    assert_eq!(again["paymentMethod"]["paymentMethodId"], id, "{again}");
    assert_eq!(again["customerId"], t["customerId"], "{again}");
    // No CVV was kept from the pass-in charge.
    assert_eq!(again["response"]["cvvCode"], "P", "{again}");

    let (_, list) = app.get("/v1/paymentmethods").await;
    let ids: Vec<&Value> = list["paymentMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["paymentMethod"]["paymentMethodId"])
        .collect();
    assert!(ids.contains(&&json!(id)), "{list}");
}

async fn gateway_token_variant_can_be_vaulted(app: TestApp) {
    // With every billing field of the card form.
    let mut full = gateway_token_card();
    full["address1"] = json!("1 Main St");
    full["country"] = json!("USA");
    let t = post_txn(&app, "/v1/paymentmethods", json!({ "paymentMethod": full })).await;
    assert_eq!(t["transactionStatus"], 1, "{t}");
    assert_eq!(t["responseCode"], "10000", "{t}");
    // The SDK's transaction type for this variant (docs/flexpay.md appendix 1.2 and 1.5).
    assert_eq!(t["transactionType"], "CreateGatewayPaymentMethod", "{t}");
    let p = &t["paymentMethod"];
    assert_eq!(p["paymentMethodType"], "GatewayPaymentMethodId", "{p}");
    assert_eq!(p["gatewayPaymentMethodId"], "cus_ext_4242", "{p}");
    assert_eq!(p["merchantAccountReferenceId"], "MID-0001", "{p}");
    assert_eq!(p["firstSixDigits"], "411111", "{p}");
    assert_eq!(p["lastFourDigits"], "1111", "{p}");
    assert_eq!(p["cardType"], "VISA", "{p}");
    assert_eq!(p["storageState"], "Stored", "{p}");
    assert_eq!(p["cvv"], Value::Null, "{p}");
    assert_eq!(p["creditCardNumber"], Value::Null, "{p}");
    let id = id_of(&t);
    let shown = show(&app, &id).await;
    assert_eq!(&shown, p, "GET shows what the create returned");

    // The vaulted third-party token charges like any vault token.
    let c = charge_token(&app, "gw-vaulted", 1000, &id).await;
    assert_approved(&c, "Charge");
    assert_eq!(c["paymentMethod"]["paymentMethodId"], id, "{c}");
    let c = charge_token(&app, "gw-vaulted-declined", 2008, &id).await;
    assert_eq!(c["responseCode"], "20003", "{c}");

    // docs/flexpay.md §2 and the seed's third-party token table: gatewayPaymentMethodId,
    // merchantAccountReferenceId, first six / last four, names, postalCode, city and state are
    // enough (address1 and country are "No" there).
    let t = post_txn(
        &app,
        "/v1/paymentmethods",
        json!({"paymentMethod": gateway_token_card()}),
    )
    .await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["transactionStatus"], 1, "{t}");
    assert_eq!(
        t["paymentMethod"]["gatewayPaymentMethodId"], "cus_ext_4242",
        "{t}"
    );
}

async fn gateway_token_variant_can_be_charged(app: TestApp) {
    let body = |mtid: &str, amount: i64| {
        json!({"transaction": {
            "merchantTransactionId": mtid, "orderId": format!("order-{mtid}"), "amount": amount,
            "currencyCode": "USD", "retryCount": 0, "retainOnSuccess": true,
            "paymentMethod": gateway_token_card()
        }})
    };
    let t = post_txn(&app, "/v1/gateways/charge", body("gw-1", 1500)).await;
    assert_approved(&t, "Charge");
    assert_eq!(t["amount"], 1500, "{t}");
    assert_ne!(t["gatewayToken"], SENTINEL, "{t}");
    let p = &t["paymentMethod"];
    assert_eq!(p["paymentMethodType"], "GatewayPaymentMethodId", "{p}");
    assert_eq!(p["gatewayPaymentMethodId"], "cus_ext_4242", "{p}");
    assert_eq!(p["merchantAccountReferenceId"], "MID-0001", "{p}");
    assert_eq!(p["storageState"], "Stored", "{p}");
    assert_persisted(&app, &t).await;

    // Trigger amounts apply to third-party tokens too.
    let t = post_txn(&app, "/v1/gateways/charge", body("gw-2", 2012)).await;
    assert_eq!(t["responseCode"], "20023", "{t}");
    assert_eq!(t["transactionStatus"], 2, "{t}");
    assert_eq!(t["paymentMethod"]["storageState"], "Cached", "{t}");

    // Missing gatewayPaymentMethodId next to the other gateway fields → 50138.
    let mut b = body("gw-3", 1500);
    remove(&mut b, "/transaction/paymentMethod/gatewayPaymentMethodId");
    let t = post_txn(&app, "/v1/gateways/charge", b).await;
    assert_refused(
        &t,
        50138,
        "transaction.paymentMethod.gatewayPaymentMethodId",
    );
    assert_not_persisted(&app, &t).await;
}

async fn full_card_number_and_cvv_never_appear_in_responses(app: TestApp) {
    let id = app.vault_visa().await;
    let charged = app.charge("leak-1", 1000).await;
    let by_token = charge_token(&app, "leak-2", 1000, &id).await;
    let mut bodies = vec![charged.to_string(), by_token.to_string()];
    for path in [
        format!("/v1/paymentmethods/{id}"),
        "/v1/paymentmethods".to_string(),
        "/v1/transactions".to_string(),
        format!(
            "/v1/transactions/{}",
            charged["transactionId"].as_str().unwrap()
        ),
    ] {
        let (status, v) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        bodies.push(v.to_string());
    }
    for body in bodies {
        assert!(!body.contains(VISA), "full PAN in a response: {body}");
        assert!(!body.contains("\"879\""), "CVV value in a response: {body}");
    }
}

async fn payment_methods_are_private_to_their_merchant(app: TestApp) {
    let id = app.vault_visa().await;
    let other = app.new_merchant("sandbox").await;
    let (status, v) = app
        .get_as(&other.api_key, &format!("/v1/paymentmethods/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, v) = app.get_as(&other.api_key, "/v1/paymentmethods").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["paymentMethods"], json!([]), "{v}");
    let (status, v) = app
        .post_as(
            &other.api_key,
            "/v1/gateways/charge",
            token_payment("foreign-token", 1000, &id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_refused(&v["transaction"], 50134, "");
    let (status, v) = app
        .put_as(
            &other.api_key,
            &format!("/v1/paymentmethods/{id}/redact"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_refused(&v["transaction"], 50134, "");
    assert_eq!(show(&app, &id).await["storageState"], "Stored");
}

async fn payment_method_endpoints_require_a_valid_key(app: TestApp) {
    let id = app.vault_visa().await;
    let body = json!({"paymentMethod": vault_card(VISA, "879")});
    for (status, v) in [
        app.post_as("wrong-key", "/v1/paymentmethods", body.clone())
            .await,
        app.get_as("wrong-key", "/v1/paymentmethods").await,
        app.get_as("wrong-key", &format!("/v1/paymentmethods/{id}"))
            .await,
        app.put_as(
            "wrong-key",
            &format!("/v1/paymentmethods/{id}/redact"),
            json!({}),
        )
        .await,
    ] {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v, json!({"message": "Unauthorized"}));
    }
    assert_eq!(show(&app, &id).await["storageState"], "Stored");
}

async fn wrong_methods_are_405(app: TestApp) {
    // docs/flexpay.md §1: 405 for a method the path does not take.
    let id = app.vault_visa().await;
    for (method, path) in [
        (Method::DELETE, format!("/v1/paymentmethods/{id}")),
        (Method::DELETE, "/v1/paymentmethods".to_string()),
        (Method::PUT, "/v1/paymentmethods".to_string()),
        (Method::GET, format!("/v1/paymentmethods/{id}/redact")),
        (Method::GET, format!("/v1/paymentmethods/{id}/recache")),
        (Method::GET, "/v1/gateways/charge".to_string()),
        (Method::PUT, "/v1/gateways/authorize".to_string()),
    ] {
        let (status, v) = send_raw(&app, method.clone(), &path, "{}").await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {v}"
        );
    }
    assert_eq!(show(&app, &id).await["storageState"], "Stored");
}
