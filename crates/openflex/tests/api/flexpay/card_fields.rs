//! Card fields where real clients and the seed's tables part (docs/flexpay.md §3): a card with
//! no billing address at all, country names, and the four-digit `expiryYear`.

use crate::dual;
use crate::flexpay::fp::*;
use crate::helpers::*;
use serde_json::{Value, json};

dual!(
    a_card_without_billing_address_is_approved_with_no_avs_data,
    a_partial_billing_address_still_follows_the_seed,
    a_vaulted_card_may_have_no_billing_address,
    country_is_a_code_or_an_iso_3166_1_name,
    expiry_year_is_four_digits,
);

/// A charge as a FlexPay client library sends it for a card without an address: the
/// cardholder's name, `email` and a numeric `customerId` on the card, nothing else.
fn addressless_payment(mtid: &str) -> Value {
    json!({"transaction": {
        "merchantTransactionId": mtid, "orderId": format!("order-{mtid}"), "amount": 1000,
        "currencyCode": "USD", "retryCount": 0, "retainOnSuccess": true,
        "paymentMethod": {
            "creditCardNumber": VISA, "expiryMonth": "12", "expiryYear": "2030", "cvv": "879",
            "firstName": "Ada", "lastName": "Lovelace",
            "email": "ada@example.com", "customerId": 12345
        }
    }})
}

#[track_caller]
fn assert_approved_without_address(t: &Value) {
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["transactionStatus"], 1, "{t}");
    assert_eq!(t["response"]["avsCode"], "U", "AVS has no data: {t}");
    assert_eq!(
        t["response"]["avsMessage"], "No address data: AVS not performed.",
        "{t}"
    );
    let p = &t["paymentMethod"];
    for field in ["address1", "postalCode", "city", "state", "country"] {
        assert_eq!(p[field], Value::Null, "{field}: {t}");
    }
}

async fn a_card_without_billing_address_is_approved_with_no_avs_data(app: TestApp) {
    for path in ["/v1/gateways/charge", "/v1/gateways/authorize"] {
        let mtid = unique_id("no-address");
        let t = post_txn(&app, path, addressless_payment(&mtid)).await;
        assert_approved_without_address(&t);
        assert_eq!(t["paymentMethod"]["email"], "ada@example.com", "{t}");
        assert_eq!(t["paymentMethod"]["customerId"], "12345", "{t}");
        assert_eq!(t["customerId"], "12345", "{t}");
        assert_persisted(&app, &t).await;
    }

    // The seed's place for the customer, the transaction, still wins for the transaction.
    let mut body = addressless_payment("no-address-customers");
    set(&mut body, &tx("customerId"), json!("cust-tx"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["customerId"], "cust-tx", "{t}");
    assert_eq!(t["paymentMethod"]["customerId"], "12345", "{t}");

    // A postal code that is there is checked: too long is still 50095.
    let mut body = addressless_payment("no-address-long-postal");
    set(&mut body, &pm("postalCode"), long(101));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50095, "transaction.paymentMethod.postalCode");

    // So is the customer id on the card.
    let mut body = addressless_payment("no-address-long-customer");
    set(&mut body, &pm("customerId"), long(51));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50014, "transaction.paymentMethod.customerId");
}

async fn a_partial_billing_address_still_follows_the_seed(app: TestApp) {
    // Once any address field is sent, the endpoint's table applies as before.
    let mut body = addressless_payment("partial-charge");
    set(&mut body, &pm("address1"), json!("1 Main St"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50094, "transaction.paymentMethod.postalCode");

    let mut body = addressless_payment("partial-charge-country");
    set(&mut body, &pm("country"), json!("USA"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50094, "transaction.paymentMethod.postalCode");

    let mut body = addressless_payment("partial-authorize");
    set(&mut body, &pm("postalCode"), json!("10001"));
    let t = post_txn(&app, "/v1/gateways/authorize", body).await;
    assert_refused(&t, 50099, "transaction.paymentMethod.address1");

    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    for field in ["address1", "city", "state", "country"] {
        remove(&mut vault, &cc(field));
    }
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_refused(&t, 50099, "address1");
}

async fn a_vaulted_card_may_have_no_billing_address(app: TestApp) {
    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    for field in ["address1", "postalCode", "city", "state", "country"] {
        remove(&mut vault, &cc(field));
    }
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["transactionType"], "CreatePaymentMethod", "{t}");
    assert_eq!(t["paymentMethod"]["postalCode"], Value::Null, "{t}");
    assert_eq!(t["paymentMethod"]["email"], "ada@example.com", "{t}");
    let id = t["paymentMethod"]["paymentMethodId"].as_str().unwrap();

    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment("vaulted-no-address", 1000, id),
    )
    .await;
    assert_approved_without_address(&t);

    // The address can be added later.
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"postalCode": "10001", "address1": "1 Main St"}}),
    )
    .await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment("vaulted-address-added", 1000, id),
    )
    .await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["response"]["avsCode"], "S", "{t}");
}

async fn country_is_a_code_or_an_iso_3166_1_name(app: TestApp) {
    let accepted = [
        ("United States", "USA"),
        ("united states", "USA"),
        ("UNITED STATES OF AMERICA", "USA"),
        ("Canada", "CAN"),
        ("canada", "CAN"),
        ("CA", "CAN"),
        ("usa", "USA"),
        ("United Kingdom", "GBR"),
        ("Viet Nam", "VNM"),
    ];
    let mut wrong = Vec::new();
    for (i, (sent, alpha3)) in accepted.iter().enumerate() {
        let mut body = card_payment(&format!("country-{i}"), 1000);
        set(&mut body, &pm("country"), json!(sent));
        let t = post_txn(&app, "/v1/gateways/charge", body).await;
        if t["responseCode"] != "10000" || t["paymentMethod"]["country"] != *alpha3 {
            wrong.push(format!(
                "{sent:?}: {} {}",
                t["responseCode"], t["paymentMethod"]["country"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "country names refused or misread: {wrong:?}"
    );

    for (i, sent) in ["Atlantis", "XX", "United"].iter().enumerate() {
        let mut body = card_payment(&format!("no-country-{i}"), 1000);
        set(&mut body, &pm("country"), json!(sent));
        let t = post_txn(&app, "/v1/gateways/charge", body).await;
        assert_refused(&t, 50039, "transaction.paymentMethod.country");
    }

    // The same reading for the vault, authorize, updates and the shipping address.
    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    set(&mut vault, &cc("country"), json!("Canada"));
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_eq!(t["paymentMethod"]["country"], "CAN", "{t}");
    let id = t["paymentMethod"]["paymentMethodId"].as_str().unwrap();
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"country": "united states of america"}}),
    )
    .await;
    assert_eq!(t["paymentMethod"]["country"], "USA", "{t}");

    let mut body = card_payment("country-authorize", 1000);
    set(&mut body, &pm("country"), json!("Canada"));
    let t = post_txn(&app, "/v1/gateways/authorize", body).await;
    assert_eq!(t["paymentMethod"]["country"], "CAN", "{t}");

    // A shipping country given by name is compared with the billing one by country, not text.
    let path = format!("/admin/merchants/{}/risk-rules", app.merchant_id);
    let (status, v) = app
        .admin(
            reqwest::Method::PUT,
            &path,
            Some(json!({"shippingBillingCountry": true})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
    let mut body = card_payment("country-shipping", 1000);
    set(
        &mut body,
        &tx("shippingAddress"),
        json!({"country": "United States"}),
    );
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    let mut body = card_payment("country-shipping-other", 1000);
    set(
        &mut body,
        &tx("shippingAddress"),
        json!({"country": "Canada"}),
    );
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "40007", "{t}");
}

async fn expiry_year_is_four_digits(app: TestApp) {
    // "30" is not guessed into 2030, and "20" is not an expired card (30026): both are 50058.
    for (i, year) in ["30", "20", "203", "20301"].iter().enumerate() {
        let mut body = card_payment(&format!("year-{i}"), 1000);
        set(&mut body, &pm("expiryYear"), json!(year));
        let t = post_txn(&app, "/v1/gateways/charge", body).await;
        assert_refused(&t, 50058, "transaction.paymentMethod.expiryYear");
    }
    let mut body = card_payment("year-number", 1000);
    set(&mut body, &pm("expiryYear"), json!(30));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50058, "transaction.paymentMethod.expiryYear");

    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    set(&mut vault, &cc("expiryYear"), json!("30"));
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_refused(&t, 50058, "expiryYear");

    let id = app.vault_visa().await;
    let t = put_txn(
        &app,
        &format!("/v1/paymentmethods/{id}"),
        json!({"paymentMethod": {"expiryYear": "31"}}),
    )
    .await;
    assert_refused(&t, 50058, "expiryYear");

    // Four digits, as a real client sends them: a past year is an expired card.
    let mut body = card_payment("year-past", 1000);
    set(&mut body, &pm("expiryYear"), json!("2020"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "30026", "{t}");
    let mut body = card_payment("year-four", 1000);
    set(&mut body, &pm("expiryYear"), json!(2031));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["paymentMethod"]["expiryYear"], "2031", "{t}");
}
