//! Charge and authorize validation (docs/flexpay.md §1 and §3, seed "Validation Responses"): every
//! 5xxxx code that applies to a payment body, field by field, so a refusal names the right code
//! and field; and which address fields authorize needs that charge does not.

use crate::dual;
use crate::flexpay::fp::{
    Case, case, check_cases, gateway_token_card, long, pm, post_txn, remove, set, tx, with, without,
};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

dual!(
    charge_rejects_each_invalid_field_with_its_code,
    authorize_requires_address1_and_country,
    charge_does_not_require_address1_or_country,
);

/// The cases every charge and authorize shares (docs/flexpay.md §3 and the seed's charge tables).
fn payment_cases() -> Vec<Case> {
    let unknown_token = "01J0000000000000000000000Z";
    let mut cases = vec![
        // merchantTransactionId String(256) required
        case(
            "merchantTransactionId missing",
            vec![without(&tx("merchantTransactionId"))],
            50103,
            "transaction.merchantTransactionId",
        ),
        case(
            "merchantTransactionId blank",
            vec![with(&tx("merchantTransactionId"), json!("   "))],
            50103,
            "transaction.merchantTransactionId",
        ),
        case(
            "merchantTransactionId 257 chars",
            vec![with(&tx("merchantTransactionId"), long(257))],
            50104,
            "transaction.merchantTransactionId",
        ),
        // orderId String(50) required
        case(
            "orderId missing",
            vec![without(&tx("orderId"))],
            50126,
            "transaction.orderId",
        ),
        case(
            "orderId 51 chars",
            vec![with(&tx("orderId"), long(51))],
            50127,
            "transaction.orderId",
        ),
        // description String(255), customerId String(50)
        case(
            "description 256 chars",
            vec![with(&tx("description"), long(256))],
            50124,
            "transaction.description",
        ),
        case(
            "customerId 51 chars",
            vec![with(&tx("customerId"), long(51))],
            50014,
            "transaction.customerId",
        ),
        // currencyCode String(3) required, ISO 4217
        case(
            "currencyCode missing",
            vec![without(&tx("currencyCode"))],
            50045,
            "transaction.currencyCode",
        ),
        case(
            "currencyCode of 2 letters",
            vec![with(&tx("currencyCode"), json!("US"))],
            50073,
            "transaction.currencyCode",
        ),
        case(
            "currencyCode of 4 letters",
            vec![with(&tx("currencyCode"), json!("USDX"))],
            50073,
            "transaction.currencyCode",
        ),
        case(
            "currencyCode not ISO 4217",
            vec![with(&tx("currencyCode"), json!("QQQ"))],
            50000,
            "transaction.currencyCode",
        ),
        // amount Integer required
        case(
            "amount missing",
            vec![without(&tx("amount"))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount not numeric",
            vec![with(&tx("amount"), json!("ten dollars"))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount negative",
            vec![with(&tx("amount"), json!(-100))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount zero",
            vec![with(&tx("amount"), json!(0))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount with a fraction",
            vec![with(&tx("amount"), json!(12.5))],
            50000,
            "transaction.amount",
        ),
        // payment source
        case(
            "no payment source",
            vec![without(&tx("paymentMethod"))],
            50135,
            "transaction.paymentMethod",
        ),
        case(
            "paymentMethodId empty",
            vec![
                without(&tx("paymentMethod")),
                with(&tx("paymentMethodId"), json!("")),
            ],
            50133,
            "transaction.paymentMethodId",
        ),
        case(
            "paymentMethodId null",
            vec![
                without(&tx("paymentMethod")),
                with(&tx("paymentMethodId"), Value::Null),
            ],
            50133,
            "transaction.paymentMethodId",
        ),
        case(
            "paymentMethodId 51 chars",
            vec![
                without(&tx("paymentMethod")),
                with(&tx("paymentMethodId"), long(51)),
            ],
            50134,
            "transaction.paymentMethodId",
        ),
        case(
            "paymentMethodId unknown",
            vec![
                without(&tx("paymentMethod")),
                with(&tx("paymentMethodId"), json!(unknown_token)),
            ],
            50134,
            "paymentMethodId",
        ),
        case(
            "paymentMethodId and paymentMethod both sent",
            vec![with(&tx("paymentMethodId"), json!(unknown_token))],
            50136,
            "paymentMethod",
        ),
        case(
            "paymentMethod is a string",
            vec![with(&tx("paymentMethod"), json!(VISA))],
            50136,
            "transaction.paymentMethod",
        ),
        // card number String(22) required
        case(
            "creditCardNumber missing",
            vec![without(&pm("creditCardNumber"))],
            50059,
            "transaction.paymentMethod.creditCardNumber",
        ),
        case(
            "creditCardNumber 23 chars",
            vec![with(&pm("creditCardNumber"), json!("4".repeat(23)))],
            50060,
            "transaction.paymentMethod.creditCardNumber",
        ),
        case(
            "creditCardNumber too short",
            vec![with(&pm("creditCardNumber"), json!("49202019"))],
            50060,
            "transaction.paymentMethod.creditCardNumber",
        ),
        case(
            "creditCardNumber with letters",
            vec![with(&pm("creditCardNumber"), json!("4920abcd96449560"))],
            50136,
            "transaction.paymentMethod.creditCardNumber",
        ),
        // expiry
        case(
            "expiryMonth missing",
            vec![without(&pm("expiryMonth"))],
            50055,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "expiryMonth 13",
            vec![with(&pm("expiryMonth"), json!("13"))],
            50056,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "expiryMonth 00",
            vec![with(&pm("expiryMonth"), json!("00"))],
            50056,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "expiryMonth not digits",
            vec![with(&pm("expiryMonth"), json!("Dec"))],
            50056,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "expiryYear missing",
            vec![without(&pm("expiryYear"))],
            50057,
            "transaction.paymentMethod.expiryYear",
        ),
        case(
            "expiryYear not a year",
            vec![with(&pm("expiryYear"), json!("20x0"))],
            50058,
            "transaction.paymentMethod.expiryYear",
        ),
        case(
            "expiryYear of 3 digits",
            vec![with(&pm("expiryYear"), json!("203"))],
            50058,
            "transaction.paymentMethod.expiryYear",
        ),
        // cvv String(4): a bad value is a bad payment method value
        case(
            "cvv of 2 digits",
            vec![with(&pm("cvv"), json!("87"))],
            50136,
            "transaction.paymentMethod.cvv",
        ),
        case(
            "cvv of 5 digits",
            vec![with(&pm("cvv"), json!("87900"))],
            50136,
            "transaction.paymentMethod.cvv",
        ),
        // names
        case(
            "firstName missing",
            vec![without(&pm("firstName"))],
            50088,
            "transaction.paymentMethod.firstName",
        ),
        case(
            "lastName missing",
            vec![without(&pm("lastName"))],
            50089,
            "transaction.paymentMethod.lastName",
        ),
        case(
            "no fullName, firstName nor lastName",
            vec![without(&pm("firstName")), without(&pm("lastName"))],
            50090,
            "transaction.paymentMethod",
        ),
        case(
            "firstName 51 chars",
            vec![with(&pm("firstName"), long(51))],
            50091,
            "transaction.paymentMethod.firstName",
        ),
        case(
            "lastName 51 chars",
            vec![with(&pm("lastName"), long(51))],
            50092,
            "transaction.paymentMethod.lastName",
        ),
        case(
            "fullName 101 chars",
            vec![with(&pm("fullName"), long(101))],
            50028,
            "transaction.paymentMethod.fullName",
        ),
        // billing address
        case(
            "address1 256 chars",
            vec![with(&pm("address1"), long(256))],
            50100,
            "transaction.paymentMethod.address1",
        ),
        case(
            "address2 256 chars",
            vec![with(&pm("address2"), long(256))],
            50119,
            "transaction.paymentMethod.address2",
        ),
        case(
            "postalCode missing",
            vec![without(&pm("postalCode"))],
            50094,
            "transaction.paymentMethod.postalCode",
        ),
        case(
            "postalCode 101 chars",
            vec![with(&pm("postalCode"), long(101))],
            50095,
            "transaction.paymentMethod.postalCode",
        ),
        case(
            "city missing",
            vec![without(&pm("city"))],
            50097,
            "transaction.paymentMethod.city",
        ),
        case(
            "city 101 chars",
            vec![with(&pm("city"), long(101))],
            50098,
            "transaction.paymentMethod.city",
        ),
        case(
            "state missing",
            vec![without(&pm("state"))],
            50096,
            "transaction.paymentMethod.state",
        ),
        case(
            "state 101 chars",
            vec![with(&pm("state"), long(101))],
            50029,
            "transaction.paymentMethod.state",
        ),
        case(
            "country not ISO 3166-1",
            vec![with(&pm("country"), json!("ZZZ"))],
            50039,
            "transaction.paymentMethod.country",
        ),
        case(
            "email 101 chars",
            vec![with(&pm("email"), long(101))],
            50015,
            "transaction.paymentMethod.email",
        ),
        case(
            "phoneNumber 101 chars",
            vec![with(&pm("phoneNumber"), long(101))],
            50020,
            "transaction.paymentMethod.phoneNumber",
        ),
        // gateway token variant without its token
        case(
            "gateway variant without gatewayPaymentMethodId",
            vec![with(&tx("paymentMethod"), {
                let mut c = gateway_token_card();
                c.as_object_mut().unwrap().remove("gatewayPaymentMethodId");
                c
            })],
            50138,
            "transaction.paymentMethod.gatewayPaymentMethodId",
        ),
        // customerIp String(15), 255.255.255.255
        case(
            "customerIp 16 chars",
            vec![with(&tx("customerIp"), json!("255.255.255.2555"))],
            50037,
            "transaction.customerIp",
        ),
        case(
            "customerIp not an address",
            vec![with(&tx("customerIp"), json!("999.1.1.1"))],
            50037,
            "transaction.customerIp",
        ),
        // shipping address
        case(
            "shippingAddress.address1 256 chars",
            vec![with(&tx("shippingAddress/address1"), long(256))],
            50118,
            "transaction.shippingAddress.address1",
        ),
        case(
            "shippingAddress.address2 256 chars",
            vec![with(&tx("shippingAddress/address2"), long(256))],
            50117,
            "transaction.shippingAddress.address2",
        ),
        case(
            "shippingAddress.postalCode 101 chars",
            vec![with(&tx("shippingAddress/postalCode"), long(101))],
            50114,
            "transaction.shippingAddress.postalCode",
        ),
        case(
            "shippingAddress.city 101 chars",
            vec![with(&tx("shippingAddress/city"), long(101))],
            50116,
            "transaction.shippingAddress.city",
        ),
        case(
            "shippingAddress.state 101 chars",
            vec![with(&tx("shippingAddress/state"), long(101))],
            50115,
            "transaction.shippingAddress.state",
        ),
        case(
            "shippingAddress.country 51 chars",
            vec![with(&tx("shippingAddress/country"), long(51))],
            50113,
            "transaction.shippingAddress.country",
        ),
        // gateway pinning
        case(
            "gatewayToken 51 chars",
            vec![with(&tx("gatewayToken"), long(51))],
            50128,
            "transaction.gatewayToken",
        ),
        case(
            "assignedGatewayToken 51 chars",
            vec![with(&tx("assignedGatewayToken"), long(51))],
            50128,
            "transaction.assignedGatewayToken",
        ),
        case(
            "gatewayToken naming no gateway",
            vec![with(
                &tx("gatewayToken"),
                json!("ZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
            )],
            50130,
            "gatewayToken",
        ),
        // payment plan
        case(
            "paymentPlan.billingPlan 51 chars",
            vec![with(&tx("paymentPlan/billingPlan"), long(51))],
            50120,
            "transaction.paymentPlan.billingPlan",
        ),
        case(
            "paymentPlan.category 151 chars",
            vec![with(&tx("paymentPlan/category"), long(151))],
            50121,
            "transaction.paymentPlan.category",
        ),
        case(
            "paymentPlan.sku 151 chars",
            vec![with(&tx("paymentPlan/sku"), long(151))],
            50122,
            "transaction.paymentPlan.sku",
        ),
        // referenceData String(512), must be one we issued
        case(
            "referenceData 513 chars",
            vec![with(&tx("referenceData"), long(513))],
            50111,
            "transaction.referenceData",
        ),
        case(
            "referenceData not issued by us",
            vec![with(
                &tx("referenceData"),
                json!("dGhpcyBpcyBub3QgYSByZWZlcmVuY2UgZGF0YQ=="),
            )],
            50132,
            "referenceData",
        ),
        // retry context (seed: dateFirstAttempt required when retryCount > 1; References)
        case(
            "retryCount 2 without dateFirstAttempt",
            vec![with(&tx("retryCount"), json!(2))],
            50000,
            "transaction.dateFirstAttempt",
        ),
        case(
            "dateFirstAttempt not a date",
            vec![with(&tx("dateFirstAttempt"), json!("last tuesday"))],
            50000,
            "transaction.dateFirstAttempt",
        ),
        case(
            "PreviousTransaction.gatewayCode without merchantAccountReferenceId",
            vec![with(
                &tx("References"),
                json!({"PreviousTransaction": {
                    "gatewayCode": "05", "transactionDate": "2024-01-02T03:04:05Z"
                }}),
            )],
            50000,
            "transaction.References.PreviousTransaction.merchantAccountReferenceId",
        ),
        case(
            "PreviousTransaction.gatewayMessage without transactionDate",
            vec![with(
                &tx("References"),
                json!({"PreviousTransaction": {
                    "merchantAccountReferenceId": "MID-1", "gatewayMessage": "Do not honor"
                }}),
            )],
            50000,
            "transaction.References.PreviousTransaction.transactionDate",
        ),
    ];
    // custom variables String(50) → 50106..50110
    for (n, code, field) in [
        (1, 50106, "transaction.customVariable1"),
        (2, 50107, "transaction.customVariable2"),
        (3, 50108, "transaction.customVariable3"),
        (4, 50109, "transaction.customVariable4"),
        (5, 50110, "transaction.customVariable5"),
    ] {
        cases.push(case(
            &format!("customVariable{n} 51 chars"),
            vec![with(&tx(&format!("customVariable{n}")), long(51))],
            code,
            field,
        ));
    }
    cases
}

async fn charge_rejects_each_invalid_field_with_its_code(app: TestApp) {
    let base = |mtid: &str| card_payment(mtid, 1000);
    check_cases(
        &app,
        Method::POST,
        "/v1/gateways/charge",
        "Charge",
        &base,
        &payment_cases(),
    )
    .await;
}

async fn authorize_requires_address1_and_country(app: TestApp) {
    // Authorize's pass-in card table requires address1 and country (seed "Authorize /
    // Pass-in credit card"); the shared rules apply as well.
    let mut cases = vec![
        case(
            "address1 missing",
            vec![without(&pm("address1"))],
            50099,
            "transaction.paymentMethod.address1",
        ),
        case(
            "address1 blank",
            vec![with(&pm("address1"), json!(""))],
            50099,
            "transaction.paymentMethod.address1",
        ),
        case(
            "country missing",
            vec![without(&pm("country"))],
            50093,
            "transaction.paymentMethod.country",
        ),
        case(
            "country of 2 unknown letters",
            vec![with(&pm("country"), json!("ZZ"))],
            50039,
            "transaction.paymentMethod.country",
        ),
    ];
    cases.extend(payment_cases());
    let base = |mtid: &str| card_payment(mtid, 1000);
    check_cases(
        &app,
        Method::POST,
        "/v1/gateways/authorize",
        "Authorize",
        &base,
        &cases,
    )
    .await;
}

async fn charge_does_not_require_address1_or_country(app: TestApp) {
    // The seed's charge pass-in table marks address1 and country "No".
    let mut body = card_payment("no-address", 1000);
    remove(&mut body, &pm("address1"));
    remove(&mut body, &pm("country"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["transactionStatus"], 1, "{t}");
    assert_eq!(t["paymentMethod"]["address1"], Value::Null, "{t}");

    // fullName alone stands in for firstName and lastName.
    let mut body = card_payment("full-name-only", 1000);
    remove(&mut body, &pm("firstName"));
    remove(&mut body, &pm("lastName"));
    set(&mut body, &pm("fullName"), json!("Ada Lovelace"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["paymentMethod"]["fullName"], "Ada Lovelace", "{t}");
}
