//! How FlexPay refuses a request, whatever the field (docs/flexpay.md §1 and §3): the first failure
//! in the seed's field order wins, a refusal is not persisted and frees its merchantTransactionId,
//! 400 only for bodies that are not JSON or lack their root object, the rejection envelope
//! (sentinel gateway, amount 0, no currency) for wrong types and odd inputs and never a 500, and
//! the scalars and text that are accepted as they come.

use crate::dual;
use crate::flexpay::fp::{
    SENTINEL, assert_not_persisted, assert_persisted, assert_refused, case, cc, check_cases, long,
    pm, post_txn, remove, send_raw, set, tx, with, without,
};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    first_failure_wins_in_the_seed_field_order,
    rejections_are_not_persisted_and_free_the_merchant_transaction_id,
    body_that_is_not_json_is_400_with_50002,
    body_without_root_object_is_400_with_50003,
    wrong_types_are_validation_errors_not_500,
    huge_and_odd_inputs_never_give_500,
    unicode_is_accepted_and_lengths_count_characters,
    customer_id_is_generated_when_absent,
    lenient_scalars_are_accepted,
);

async fn first_failure_wins_in_the_seed_field_order(app: TestApp) {
    // Each case has two or more bad fields; the one earliest in the seed's table decides.
    let cases = vec![
        case(
            "merchantTransactionId and orderId missing",
            vec![
                without(&tx("merchantTransactionId")),
                without(&tx("orderId")),
            ],
            50103,
            "transaction.merchantTransactionId",
        ),
        case(
            "orderId and currencyCode missing",
            vec![without(&tx("orderId")), without(&tx("currencyCode"))],
            50126,
            "transaction.orderId",
        ),
        case(
            "description and customerId too long",
            vec![
                with(&tx("description"), long(256)),
                with(&tx("customerId"), long(51)),
            ],
            50124,
            "transaction.description",
        ),
        case(
            "customerId too long and currencyCode missing",
            vec![
                with(&tx("customerId"), long(51)),
                without(&tx("currencyCode")),
            ],
            50014,
            "transaction.customerId",
        ),
        case(
            "currencyCode bad length and amount missing",
            vec![
                with(&tx("currencyCode"), json!("US")),
                without(&tx("amount")),
            ],
            50073,
            "transaction.currencyCode",
        ),
        case(
            "amount missing and no payment source",
            vec![without(&tx("amount")), without(&tx("paymentMethod"))],
            50000,
            "transaction.amount",
        ),
        case(
            "expiryMonth invalid and postalCode missing",
            vec![
                with(&pm("expiryMonth"), json!("13")),
                without(&pm("postalCode")),
            ],
            50056,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "firstName too long and city missing",
            vec![with(&pm("firstName"), long(51)), without(&pm("city"))],
            50091,
            "transaction.paymentMethod.firstName",
        ),
        case(
            "card field bad and customerIp bad",
            vec![
                without(&pm("city")),
                with(&tx("customerIp"), json!("not an ip")),
            ],
            50097,
            "transaction.paymentMethod.city",
        ),
        case(
            "customerIp bad and shipping city too long",
            vec![
                with(&tx("customerIp"), json!("not an ip")),
                with(&tx("shippingAddress/city"), long(101)),
            ],
            50037,
            "transaction.customerIp",
        ),
        case(
            "referenceData and customVariable1 too long",
            vec![
                with(&tx("customVariable1"), long(51)),
                with(&tx("referenceData"), long(513)),
            ],
            50111,
            "transaction.referenceData",
        ),
        case(
            "custom variables 2 and 5 too long",
            vec![
                with(&tx("customVariable5"), long(51)),
                with(&tx("customVariable2"), long(51)),
            ],
            50107,
            "transaction.customVariable2",
        ),
        case(
            "shipping address1 and gatewayToken too long",
            vec![
                with(&tx("gatewayToken"), long(51)),
                with(&tx("shippingAddress/address1"), long(256)),
            ],
            50118,
            "transaction.shippingAddress.address1",
        ),
        case(
            "gatewayToken and paymentPlan.sku too long",
            vec![
                with(&tx("paymentPlan/sku"), long(151)),
                with(&tx("gatewayToken"), long(51)),
            ],
            50128,
            "transaction.gatewayToken",
        ),
        case(
            "paymentPlan.sku and referenceData too long",
            vec![
                with(&tx("referenceData"), long(513)),
                with(&tx("paymentPlan/sku"), long(151)),
            ],
            50122,
            "transaction.paymentPlan.sku",
        ),
        case(
            "a syntax problem beats an unknown token",
            vec![
                without(&tx("paymentMethod")),
                with(&tx("paymentMethodId"), json!("01J0000000000000000000000Z")),
                with(&tx("orderId"), long(51)),
            ],
            50127,
            "transaction.orderId",
        ),
    ];
    let base = |mtid: &str| card_payment(mtid, 1000);
    check_cases(
        &app,
        Method::POST,
        "/v1/gateways/charge",
        "Charge",
        &base,
        &cases,
    )
    .await;

    // Vaulting: card number before expiry before names before address.
    let base = |_: &str| json!({"paymentMethod": vault_card(VISA, "879")});
    let cases = vec![
        case(
            "creditCardNumber and country missing",
            vec![without(&cc("creditCardNumber")), without(&cc("country"))],
            50059,
            "creditCardNumber",
        ),
        case(
            "expiryYear missing and lastName too long",
            vec![without(&cc("expiryYear")), with(&cc("lastName"), long(51))],
            50057,
            "expiryYear",
        ),
        case(
            "address1 and email too long",
            vec![
                with(&cc("email"), long(101)),
                with(&cc("address1"), long(256)),
            ],
            50100,
            "address1",
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
}

async fn rejections_are_not_persisted_and_free_the_merchant_transaction_id(app: TestApp) {
    let mtid = "retry-after-fix";
    let mut body = card_payment(mtid, 1500);
    remove(&mut body, &tx("orderId"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50126, "transaction.orderId");
    assert_eq!(t["transactionType"], "Charge", "{t}");
    assert_not_persisted(&app, &t).await;
    let (status, v) = app
        .get(&format!("/v1/transactions/byMerchantTransactionId/{mtid}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");

    // An engine-level refusal (unknown token) is not recorded either.
    let t = post_txn(
        &app,
        "/v1/gateways/charge",
        token_payment(mtid, 1500, "01J0000000000000000000000Z"),
    )
    .await;
    assert_refused(&t, 50134, "");
    assert_not_persisted(&app, &t).await;

    // Nor is a refused vault operation.
    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    remove(&mut vault, &cc("postalCode"));
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_refused(&t, 50094, "postalCode");
    assert_not_persisted(&app, &t).await;
    let (_, list) = app.get("/v1/paymentmethods").await;
    assert_eq!(list["paymentMethods"], json!([]), "{list}");

    // The corrected request with the same merchantTransactionId goes through.
    let t = post_txn(&app, "/v1/gateways/charge", card_payment(mtid, 1500)).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["merchantTransactionId"], mtid, "{t}");
    assert_persisted(&app, &t).await;
    let (_, list) = app.get("/v1/transactions").await;
    let items = list["transactions"].as_array().expect("transactions");
    assert_eq!(items.len(), 1, "only the approved charge is listed: {list}");
}

/// Every endpoint of this suite that reads a body, with the transaction type of its envelope.
async fn body_endpoints(app: &TestApp) -> Vec<(Method, String, &'static str)> {
    let id = app.vault_visa().await;
    vec![
        (Method::POST, "/v1/gateways/charge".into(), "Charge"),
        (Method::POST, "/v1/gateways/authorize".into(), "Authorize"),
        (
            Method::POST,
            "/v1/paymentmethods".into(),
            "CreatePaymentMethod",
        ),
        (
            Method::PUT,
            format!("/v1/paymentmethods/{id}"),
            "UpdatePaymentMethod",
        ),
        (
            Method::PUT,
            format!("/v1/paymentmethods/{id}/recache"),
            "RecachePaymentMethod",
        ),
    ]
}

/// Asserts a 400 envelope with `code`.
#[track_caller]
fn assert_bad_request(status: StatusCode, v: &Value, code: u32, what: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {v}");
    assert_refused(&v["transaction"], code, "");
}

async fn body_that_is_not_json_is_400_with_50002(app: TestApp) {
    for (method, path, txn_type) in body_endpoints(&app).await {
        for body in [
            "{not json",
            "{\"transaction\": {\"orderId\": \"a\",}}",
            "transaction=1&amount=100",
            "{\"paymentMethod\": {\"cvv\": \"879\"}} trailing",
        ] {
            let (status, v) = send_raw(&app, method.clone(), &path, body).await;
            let what = format!("{method} {path} with {body:?}");
            assert_bad_request(status, &v, 50002, &what);
            assert_eq!(v["transaction"]["transactionType"], txn_type, "{what}: {v}");
        }
        // Bytes that are not UTF-8.
        let (status, v) = send_raw(&app, method.clone(), &path, vec![0xff, 0xfe, 0x7b]).await;
        assert_bad_request(
            status,
            &v,
            50002,
            &format!("{method} {path} with bad UTF-8"),
        );
    }
}

async fn body_without_root_object_is_400_with_50003(app: TestApp) {
    for (method, path, txn_type) in body_endpoints(&app).await {
        let root = if path.contains("gateways") {
            "transaction"
        } else {
            "paymentMethod"
        };
        let other = if root == "transaction" {
            "paymentMethod"
        } else {
            "transaction"
        };
        let bodies = [
            String::new(),
            "   ".into(),
            "{}".into(),
            "[]".into(),
            "null".into(),
            "42".into(),
            "\"transaction\"".into(),
            format!("{{\"{root}\": null}}"),
            format!("{{\"{root}\": \"x\"}}"),
            format!("{{\"{root}\": [{{\"amount\": 100}}]}}"),
            format!("{{\"{other}\": {{\"amount\": 100}}}}"),
        ];
        for body in bodies {
            let (status, v) = send_raw(&app, method.clone(), &path, body.clone()).await;
            let what = format!("{method} {path} with {body:?}");
            assert_bad_request(status, &v, 50003, &what);
            assert_eq!(v["transaction"]["transactionType"], txn_type, "{what}: {v}");
        }
    }
}

async fn wrong_types_are_validation_errors_not_500(app: TestApp) {
    // A value of the wrong JSON type is a validation failure of that field (HTTP 200).
    let base = |mtid: &str| card_payment(mtid, 1000);
    let cases = vec![
        case(
            "orderId is an object",
            vec![with(&tx("orderId"), json!({"id": 1}))],
            50127,
            "transaction.orderId",
        ),
        case(
            "merchantTransactionId is an array",
            vec![with(&tx("merchantTransactionId"), json!(["a", "b"]))],
            50104,
            "transaction.merchantTransactionId",
        ),
        case(
            "amount is an object",
            vec![with(&tx("amount"), json!({"value": 100}))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount is a boolean",
            vec![with(&tx("amount"), json!(true))],
            50000,
            "transaction.amount",
        ),
        case(
            "amount beyond 64 bits",
            vec![with(&tx("amount"), json!(1e30))],
            50000,
            "transaction.amount",
        ),
        case(
            "paymentMethod is an array",
            vec![with(
                &tx("paymentMethod"),
                json!([{"creditCardNumber": VISA}]),
            )],
            50136,
            "transaction.paymentMethod",
        ),
        case(
            "expiryMonth is an array",
            vec![with(&pm("expiryMonth"), json!([12]))],
            50056,
            "transaction.paymentMethod.expiryMonth",
        ),
        case(
            "creditCardNumber is an object",
            vec![with(&pm("creditCardNumber"), json!({"pan": VISA}))],
            50060,
            "transaction.paymentMethod.creditCardNumber",
        ),
        case(
            "retainOnSuccess is not a boolean",
            vec![with(&tx("retainOnSuccess"), json!("perhaps"))],
            50000,
            "transaction.retainOnSuccess",
        ),
        case(
            "shippingAddress is a string",
            vec![with(&tx("shippingAddress"), json!("1 Main St"))],
            50000,
            "transaction.shippingAddress",
        ),
        case(
            "paymentPlan is an array",
            vec![with(&tx("paymentPlan"), json!([]))],
            50000,
            "transaction.paymentPlan",
        ),
        case(
            "retryCount is not a number",
            vec![with(&tx("retryCount"), json!("twice"))],
            50000,
            "transaction.retryCount",
        ),
    ];
    check_cases(
        &app,
        Method::POST,
        "/v1/gateways/charge",
        "Charge",
        &base,
        &cases,
    )
    .await;

    // On the vault: creditCard of the wrong type leaves no card number.
    for (what, pm_value) in [
        (
            "creditCard is a string",
            json!({"creditCard": VISA, "customerId": "c"}),
        ),
        (
            "creditCard is an array",
            json!({"creditCard": [VISA], "customerId": "c"}),
        ),
    ] {
        let t = post_txn(
            &app,
            "/v1/paymentmethods",
            json!({"paymentMethod": pm_value}),
        )
        .await;
        assert!(
            t["responseCode"]
                .as_str()
                .is_some_and(|c| c.starts_with('5')),
            "{what}: {t}"
        );
        assert_eq!(t["transactionStatus"], 3, "{what}: {t}");
    }
}

/// A response that is not a 500 and carries a transaction envelope refusing the request.
#[track_caller]
fn assert_refused_envelope(status: StatusCode, v: &Value, what: &str) {
    assert!(
        !status.is_server_error(),
        "{what}: HTTP {status} must not happen: {v}"
    );
    let t = &v["transaction"];
    assert!(t.is_object(), "{what}: no transaction envelope: {v}");
    assert!(
        t["responseCode"]
            .as_str()
            .is_some_and(|c| c.starts_with('5')),
        "{what}: {v}"
    );
    assert_eq!(t["transactionStatus"], 3, "{what}: {v}");
    assert_eq!(t["gatewayToken"], SENTINEL, "{what}: {v}");
}

async fn huge_and_odd_inputs_never_give_500(app: TestApp) {
    // A body over the size limit: 400 or 413, still in the dialect's envelope.
    let mut big = card_payment("too-big", 1000);
    set(&mut big, &tx("description"), json!("d".repeat(100 * 1024)));
    for path in ["/v1/gateways/charge", "/v1/paymentmethods"] {
        let (status, v) = send_raw(&app, Method::POST, path, big.to_string()).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: 100 KB body gave {status}: {v}"
        );
        assert_refused_envelope(status, &v, &format!("100 KB body on {path}"));
    }

    // Long strings under the size limit are length errors.
    let mut body = card_payment("long-mtid", 1000);
    set(&mut body, &tx("merchantTransactionId"), long(40_000));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50104, "transaction.merchantTransactionId");
    // The detail does not echo 40 000 characters back.
    let detail = t["response"]["errorDetail"].as_str().unwrap_or("");
    assert!(
        detail.len() <= 1000,
        "errorDetail of {} bytes",
        detail.len()
    );

    let mut body = card_payment("long-pan", 1000);
    set(
        &mut body,
        &pm("creditCardNumber"),
        json!("4".repeat(30_000)),
    );
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50060, "transaction.paymentMethod.creditCardNumber");

    // Deeply nested JSON, numbers out of range, NUL characters, control characters.
    let deep = format!(
        "{{\"transaction\": {}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let odd_bodies: Vec<(&str, String)> = vec![
        ("5000-deep nesting", deep),
        (
            "amount 1e400",
            "{\"transaction\": {\"merchantTransactionId\": \"n1\", \"amount\": 1e400}}".into(),
        ),
        (
            "NUL in orderId",
            json!({"transaction": {"merchantTransactionId": "nul-1", "orderId": "a\u{0}b"}})
                .to_string(),
        ),
        (
            "lone surrogate escape",
            "{\"transaction\": {\"merchantTransactionId\": \"\\ud800\"}}".into(),
        ),
        (
            "duplicate keys",
            "{\"transaction\": {}, \"transaction\": 1}".into(),
        ),
    ];
    for (what, body) in odd_bodies {
        let (status, v) = send_raw(&app, Method::POST, "/v1/gateways/charge", body).await;
        assert_refused_envelope(status, &v, what);
    }

    // NUL and control characters inside otherwise valid requests must not break storage,
    // whichever column the value lands in.
    let mut failures = Vec::new();
    for (i, (pointer, value)) in [
        (tx("description"), json!("tab\there\u{0}nul\u{7}bell")),
        (pm("firstName"), json!("Ada\u{0}")),
        (tx("merchantTransactionId"), json!("mtid\u{0}nul")),
        (tx("orderId"), json!("order\u{0}nul")),
        (tx("customerId"), json!("cust\u{0}nul")),
        (tx("customVariable1"), json!("\u{0}")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = card_payment(&format!("ctl-{i}"), 1000);
        set(&mut body, &pointer, value);
        let (status, v) = app.post("/v1/gateways/charge", body).await;
        if status != StatusCode::OK || !v["transaction"].is_object() {
            failures.push(format!("NUL in {pointer}: {status} {v}"));
        }
    }
    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    set(&mut vault, &cc("city"), json!("New\u{0}York"));
    set(&mut vault, "/paymentMethod/customerId", json!("c\u{0}"));
    let (status, v) = app.post("/v1/paymentmethods", vault).await;
    if status != StatusCode::OK || !v["transaction"].is_object() {
        failures.push(format!("NUL in a vaulted card: {status} {v}"));
    }
    // A path id of odd characters is just unknown.
    let long_id = "Z".repeat(5000);
    for id in [
        "%00",
        "a%00b",
        "..%2F..%2Fetc",
        &long_id,
        "%F0%9F%92%B3",
        "%27%3B--",
    ] {
        for path in [
            format!("/v1/paymentmethods/{id}"),
            format!("/v1/transactions/{id}"),
            format!("/v1/transactions/byMerchantTransactionId/{id}"),
        ] {
            let (status, v) = app.get(&path).await;
            if status != StatusCode::NOT_FOUND && status != StatusCode::BAD_REQUEST {
                failures.push(format!("GET {path}: {status} {v}"));
            }
        }
        let (status, v) = app
            .post(
                "/v1/gateways/charge",
                token_payment(&unique_id("odd"), 1000, &id.replace("%00", "\u{0}")),
            )
            .await;
        if status != StatusCode::OK || v["transaction"]["transactionStatus"] != 3 {
            failures.push(format!("charge of token {id:?}: {status} {v}"));
        }
    }
    assert!(
        failures.is_empty(),
        "NUL characters and odd ids:\n{}",
        failures.join("\n")
    );
}

async fn unicode_is_accepted_and_lengths_count_characters(app: TestApp) {
    let mut body = card_payment("unicode-1", 1000);
    set(&mut body, &pm("firstName"), json!("Zoë 山田"));
    set(&mut body, &pm("lastName"), json!("Ñúñez-Øresund"));
    set(&mut body, &pm("city"), json!("Zürich"));
    set(&mut body, &tx("description"), json!("Café ☕ — 💳 order"));
    set(&mut body, &tx("orderId"), json!("заказ-1"));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["paymentMethod"]["firstName"], "Zoë 山田");
    assert_eq!(t["paymentMethod"]["lastName"], "Ñúñez-Øresund");
    assert_eq!(t["paymentMethod"]["city"], "Zürich");
    assert_eq!(t["description"], "Café ☕ — 💳 order");
    assert_eq!(t["orderId"], "заказ-1");
    let (_, stored) = app
        .get(&format!(
            "/v1/transactions/{}",
            t["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored["transaction"]["description"], "Café ☕ — 💳 order");

    // String(50) is 50 characters, not 50 bytes: 50 two-byte characters pass, 51 do not.
    let mut body = card_payment("unicode-2", 1000);
    set(&mut body, &pm("firstName"), json!("é".repeat(50)));
    set(&mut body, &tx("orderId"), json!("山".repeat(50)));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["orderId"], "山".repeat(50));

    let mut body = card_payment("unicode-3", 1000);
    set(&mut body, &pm("firstName"), json!("é".repeat(51)));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_refused(&t, 50091, "transaction.paymentMethod.firstName");

    // A unicode merchantTransactionId can be looked up again.
    let mtid = "ордер-✓-1";
    let t = post_txn(&app, "/v1/gateways/charge", card_payment(mtid, 1000)).await;
    assert_eq!(t["merchantTransactionId"], mtid);
    let (status, v) = app
        .get(&format!("/v1/transactions/byMerchantTransactionId/{mtid}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["transactionId"], t["transactionId"]);
}

async fn customer_id_is_generated_when_absent(app: TestApp) {
    // docs/flexpay.md §3: neither customerId nor email → the server may generate a customerId
    // instead of 50048 (the seed: "otherwise a new customer id is created").
    let mut vault = json!({"paymentMethod": vault_card(VISA, "879")});
    remove(&mut vault, "/paymentMethod/customerId");
    remove(&mut vault, &cc("email"));
    let t = post_txn(&app, "/v1/paymentmethods", vault).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    let generated = t["paymentMethod"]["customerId"].as_str().unwrap_or("");
    assert!(!generated.is_empty(), "no customerId generated: {t}");
    assert_eq!(t["customerId"], generated, "{t}");

    let t = post_txn(&app, "/v1/gateways/charge", card_payment("no-cust", 1000)).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert!(
        t["customerId"].as_str().is_some_and(|c| !c.is_empty()),
        "a charge response always carries a customerId: {t}"
    );
    let t2 = post_txn(&app, "/v1/gateways/charge", card_payment("no-cust-2", 1000)).await;
    assert_ne!(
        t["customerId"], t2["customerId"],
        "two anonymous charges are two customers"
    );
}

async fn lenient_scalars_are_accepted(app: TestApp) {
    // docs/flexpay.md §1: amount "100", expiryYear 2030, retainOnSuccess "true", numeric
    // customerId.
    let mut body = card_payment("lenient-1", 100);
    set(&mut body, &tx("amount"), json!("100"));
    set(&mut body, &tx("retainOnSuccess"), json!("true"));
    set(&mut body, &tx("customerId"), json!(12345));
    set(&mut body, &tx("retryCount"), json!("0"));
    set(&mut body, &pm("expiryYear"), json!(2030));
    set(&mut body, &pm("expiryMonth"), json!(12));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
    assert_eq!(t["amount"], 100, "{t}");
    assert_eq!(t["customerId"], "12345", "{t}");
    assert_eq!(t["paymentMethod"]["customerId"], "12345", "{t}");
    assert_eq!(t["paymentMethod"]["expiryYear"], "2030", "{t}");
    assert_eq!(t["paymentMethod"]["expiryMonth"], "12", "{t}");
    assert_eq!(t["paymentMethod"]["storageState"], "Stored", "{t}");

    // Unknown fields are ignored.
    let mut body = card_payment("lenient-3", 300);
    set(&mut body, &tx("somethingNew"), json!({"x": [1, 2, 3]}));
    set(&mut body, "/extra", json!(true));
    let t = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(t["responseCode"], "10000", "{t}");
}
