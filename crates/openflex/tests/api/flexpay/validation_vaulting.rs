//! Payment-method validation (docs/flexpay.md §3 and §4, seed "Validation Responses"): vaulting,
//! update and recache refuse each invalid field with its code, and a refused update changes
//! nothing in the vault.

use crate::dual;
use crate::flexpay::fp::{
    assert_not_persisted, assert_refused, case, cc, check_cases, gateway_token_card, long, put_txn,
    with, without,
};
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

dual!(
    vaulting_rejects_each_invalid_field_with_its_code,
    update_rejects_invalid_fields_and_changes_nothing,
    recache_rejects_a_missing_or_malformed_cvv,
);

async fn vaulting_rejects_each_invalid_field_with_its_code(app: TestApp) {
    let base = |_: &str| json!({"paymentMethod": vault_card(VISA, "879")});
    let cases = vec![
        case(
            "customerId 51 chars",
            vec![with("/paymentMethod/customerId", long(51))],
            50014,
            "customerId",
        ),
        case(
            "creditCardNumber missing",
            vec![without(&cc("creditCardNumber"))],
            50059,
            "creditCardNumber",
        ),
        case(
            "creditCardNumber 23 chars",
            vec![with(&cc("creditCardNumber"), json!("4".repeat(23)))],
            50060,
            "creditCardNumber",
        ),
        case(
            "creditCardNumber too short",
            vec![with(&cc("creditCardNumber"), json!("4920"))],
            50060,
            "creditCardNumber",
        ),
        case(
            "expiryMonth missing",
            vec![without(&cc("expiryMonth"))],
            50055,
            "expiryMonth",
        ),
        case(
            "expiryMonth 13",
            vec![with(&cc("expiryMonth"), json!("13"))],
            50056,
            "expiryMonth",
        ),
        case(
            "expiryYear missing",
            vec![without(&cc("expiryYear"))],
            50057,
            "expiryYear",
        ),
        case(
            "expiryYear not a year",
            vec![with(&cc("expiryYear"), json!("next"))],
            50058,
            "expiryYear",
        ),
        case(
            "cvv of one digit",
            vec![with(&cc("cvv"), json!("8"))],
            50136,
            "cvv",
        ),
        case(
            "firstName missing",
            vec![without(&cc("firstName"))],
            50088,
            "firstName",
        ),
        case(
            "lastName missing",
            vec![without(&cc("lastName"))],
            50089,
            "lastName",
        ),
        case(
            "no names at all",
            vec![without(&cc("firstName")), without(&cc("lastName"))],
            50090,
            "paymentMethod",
        ),
        case(
            "firstName 51 chars",
            vec![with(&cc("firstName"), long(51))],
            50091,
            "firstName",
        ),
        case(
            "lastName 51 chars",
            vec![with(&cc("lastName"), long(51))],
            50092,
            "lastName",
        ),
        case(
            "fullName 101 chars",
            vec![with(&cc("fullName"), long(101))],
            50028,
            "fullName",
        ),
        case(
            "address1 missing",
            vec![without(&cc("address1"))],
            50099,
            "address1",
        ),
        case(
            "address1 256 chars",
            vec![with(&cc("address1"), long(256))],
            50100,
            "address1",
        ),
        case(
            "address2 256 chars",
            vec![with(&cc("address2"), long(256))],
            50119,
            "address2",
        ),
        case(
            "postalCode missing",
            vec![without(&cc("postalCode"))],
            50094,
            "postalCode",
        ),
        case(
            "postalCode 101 chars",
            vec![with(&cc("postalCode"), long(101))],
            50095,
            "postalCode",
        ),
        case("city missing", vec![without(&cc("city"))], 50097, "city"),
        case(
            "city 101 chars",
            vec![with(&cc("city"), long(101))],
            50098,
            "city",
        ),
        case("state missing", vec![without(&cc("state"))], 50096, "state"),
        case(
            "state 101 chars",
            vec![with(&cc("state"), long(101))],
            50029,
            "state",
        ),
        case(
            "country missing",
            vec![without(&cc("country"))],
            50093,
            "country",
        ),
        case(
            "country not ISO 3166-1",
            vec![with(&cc("country"), json!("ZZZ"))],
            50039,
            "country",
        ),
        case(
            "email 101 chars",
            vec![with(&cc("email"), long(101))],
            50015,
            "email",
        ),
        case(
            "phoneNumber 101 chars",
            vec![with(&cc("phoneNumber"), long(101))],
            50020,
            "phoneNumber",
        ),
        case(
            "gateway variant without gatewayPaymentMethodId",
            vec![with("/paymentMethod", {
                let mut c = gateway_token_card();
                c.as_object_mut().unwrap().remove("gatewayPaymentMethodId");
                c
            })],
            50138,
            "gatewayPaymentMethodId",
        ),
    ];
    check_cases(
        &app,
        Method::POST,
        "/v1/paymentmethods",
        "CreatePaymentMethod",
        &base,
        &cases,
    )
    .await;

    // The same rules hold for the flat form (card fields directly on paymentMethod).
    let flat = |_: &str| {
        let mut pm = vault_card(VISA, "879");
        let card = pm["creditCard"].take();
        let o = pm.as_object_mut().unwrap();
        o.remove("creditCard");
        o.extend(card.as_object().unwrap().clone());
        json!({ "paymentMethod": pm })
    };
    let flat_cases = vec![
        case(
            "flat: creditCardNumber missing",
            vec![without("/paymentMethod/creditCardNumber")],
            50059,
            "creditCardNumber",
        ),
        case(
            "flat: address1 missing",
            vec![without("/paymentMethod/address1")],
            50099,
            "address1",
        ),
        case(
            "flat: expiryYear missing",
            vec![without("/paymentMethod/expiryYear")],
            50057,
            "expiryYear",
        ),
    ];
    check_cases(
        &app,
        Method::POST,
        "/v1/paymentmethods",
        "CreatePaymentMethod",
        &flat,
        &flat_cases,
    )
    .await;
}

async fn update_rejects_invalid_fields_and_changes_nothing(app: TestApp) {
    let id = app.vault_visa().await;
    let (_, before) = app.get(&format!("/v1/paymentmethods/{id}")).await;
    let path = format!("/v1/paymentmethods/{id}");
    let base = |_: &str| json!({"paymentMethod": {}});
    let field = |f: &str| format!("/paymentMethod/{f}");
    let cases = vec![
        case(
            "expiryMonth 13",
            vec![with(&field("expiryMonth"), json!("13"))],
            50056,
            "expiryMonth",
        ),
        case(
            "expiryYear not a year",
            vec![with(&field("expiryYear"), json!("abcd"))],
            50058,
            "expiryYear",
        ),
        case(
            "firstName 51 chars",
            vec![with(&field("firstName"), long(51))],
            50091,
            "firstName",
        ),
        case(
            "lastName 51 chars",
            vec![with(&field("lastName"), long(51))],
            50092,
            "lastName",
        ),
        case(
            "fullName 101 chars",
            vec![with(&field("fullName"), long(101))],
            50028,
            "fullName",
        ),
        case(
            "address1 256 chars",
            vec![with(&field("address1"), long(256))],
            50100,
            "address1",
        ),
        case(
            "address2 256 chars",
            vec![with(&field("address2"), long(256))],
            50119,
            "address2",
        ),
        case(
            "postalCode 101 chars",
            vec![with(&field("postalCode"), long(101))],
            50095,
            "postalCode",
        ),
        case(
            "city 101 chars",
            vec![with(&field("city"), long(101))],
            50098,
            "city",
        ),
        case(
            "state 101 chars",
            vec![with(&field("state"), long(101))],
            50029,
            "state",
        ),
        case(
            "country not ISO 3166-1",
            vec![with(&field("country"), json!("ZZZ"))],
            50039,
            "country",
        ),
        case(
            "email 101 chars",
            vec![with(&field("email"), long(101))],
            50015,
            "email",
        ),
        case(
            "phoneNumber 101 chars",
            vec![with(&field("phoneNumber"), long(101))],
            50020,
            "phoneNumber",
        ),
        case(
            "nested creditCard.firstName 51 chars",
            vec![with("/paymentMethod/creditCard/firstName", long(51))],
            50091,
            "firstName",
        ),
    ];
    check_cases(
        &app,
        Method::PUT,
        &path,
        "UpdatePaymentMethod",
        &base,
        &cases,
    )
    .await;

    let (_, after) = app.get(&format!("/v1/paymentmethods/{id}")).await;
    assert_eq!(before, after, "a refused update changed the payment method");

    // An id we never issued is an invalid payment token, not a 404 (a business outcome).
    let t = put_txn(
        &app,
        "/v1/paymentmethods/01J0000000000000000000000Z",
        json!({"paymentMethod": {"firstName": "Grace"}}),
    )
    .await;
    assert_refused(&t, 50134, "");
    assert_not_persisted(&app, &t).await;
}

async fn recache_rejects_a_missing_or_malformed_cvv(app: TestApp) {
    let id = app.vault_visa().await;
    let path = format!("/v1/paymentmethods/{id}/recache");
    let base = |_: &str| json!({"paymentMethod": {"cvv": "879"}});
    let cases = vec![
        case(
            "cvv missing",
            vec![without("/paymentMethod/cvv")],
            50136,
            "cvv",
        ),
        case(
            "cvv of 2 digits",
            vec![with("/paymentMethod/cvv", json!("87"))],
            50136,
            "cvv",
        ),
        case(
            "cvv with letters",
            vec![with("/paymentMethod/cvv", json!("8a9"))],
            50136,
            "cvv",
        ),
        case(
            "nested creditCard.cvv of 5 digits",
            vec![
                without("/paymentMethod/cvv"),
                with("/paymentMethod/creditCard/cvv", json!("87900")),
            ],
            50136,
            "cvv",
        ),
    ];
    check_cases(
        &app,
        Method::PUT,
        &path,
        "RecachePaymentMethod",
        &base,
        &cases,
    )
    .await;

    let t = put_txn(
        &app,
        "/v1/paymentmethods/01J0000000000000000000000Z/recache",
        json!({"paymentMethod": {"cvv": "879"}}),
    )
    .await;
    assert_refused(&t, 50134, "");
}
