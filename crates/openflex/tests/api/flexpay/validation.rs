//! Request validation (docs/flexpay.md §1 and §3, seed "Validation Responses"): every 5xxxx code
//! that applies to charge, authorize and the payment-method endpoints, first failure in the seed's
//! field order, the rejection envelope (sentinel gateway, amount 0, no currency), rejections not
//! persisted, 400 only for bodies that are not JSON or lack their root object, and no 500 for any
//! malformed input.
//!
//! The helpers at the top are shared with `payment_methods.rs` and `sandbox.rs`.

use crate::dual;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    nul_in_a_query_string_is_refused_in_each_dialects_format,
    charge_rejects_each_invalid_field_with_its_code,
    authorize_requires_address1_and_country,
    charge_does_not_require_address1_or_country,
    vaulting_rejects_each_invalid_field_with_its_code,
    update_rejects_invalid_fields_and_changes_nothing,
    recache_rejects_a_missing_or_malformed_cvv,
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

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Gateway token of a request refused before any gateway was chosen (docs/flexpay.md §4).
pub(crate) const SENTINEL: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The wire `message` of a code: the seed's description, quote marks removed, final period.
/// Transcribed from seed 003 (tables "Transaction Response" and "Validation Responses").
pub(crate) fn seed_message(code: u32) -> &'static str {
    match code {
        10000 => "Approved.",
        20000 => "You need to refer to the Card Issuer.",
        20003 => "Declined - do not honor.",
        20023 => "The card has been declined due to insufficient funds.",
        30001 => {
            "The bank has requested that you retrieve the card from the cardholder - it may be a lost or stolen card."
        }
        30002 => "Invalid card: Luhn algorithm failed (MOD - 10).",
        30011 => "Invalid transaction.",
        30015 => {
            "The external gateway has reported that you have submitted an invalid amount with your request."
        }
        30016 => "Error / Invalid parameters in the request.",
        30026 => "Expired card.",
        40000 => "Risk Blocked Transaction refused due to risk model.",
        40030 => "Gateway declined - Card number is blacklisted.",
        50000 => "Validation error.",
        50002 => {
            "An error was experienced while parsing the payload. Please ensure that the structure is correct."
        }
        50003 => "No parameters were found.",
        50014 => "Invalid CustomerToken length.",
        50015 => "Invalid Email length.",
        50020 => "Invalid PhoneNumber length.",
        50028 => "Invalid FullName length.",
        50029 => "Invalid ProvinceStateCode length.",
        50037 => "Invalid CustomerIp length.",
        50039 => "Invalid value for CountryCode.",
        50045 => "Field CurrencyCode is required.",
        50055 => "Field Month is required.",
        50056 => "Invalid value for Month.",
        50057 => "Field Year is required.",
        50058 => "Invalid value for Year.",
        50059 => "Field CreditCardNumber is required.",
        50060 => "Invalid CreditCardNumber Length.",
        50073 => "Invalid CurrencyCode length.",
        50088 => "Field FirstName is required.",
        50089 => "Field LastName is required.",
        50090 => "Fields FullName or FirstName and LastName are required.",
        50091 => "Invalid FirstName length.",
        50092 => "Invalid LastName length.",
        50093 => "Field CountryCode is required.",
        50094 => "Field PostalCode is required.",
        50095 => "Invalid PostalCode length.",
        50096 => "Field ProvinceStateCode is required.",
        50097 => "Field City is required.",
        50098 => "Invalid City length.",
        50099 => "Field Address1 is required.",
        50100 => "Invalid Address1 length.",
        50103 => "Field MerchantTransactionReferenceId is required.",
        50104 => "Invalid MerchantTransactionReferenceId length.",
        50106 => "Invalid CustomField1 length.",
        50107 => "Invalid CustomField2 length.",
        50108 => "Invalid CustomField3 length.",
        50109 => "Invalid CustomField4 length.",
        50110 => "Invalid CustomField5 length.",
        50111 => "Invalid ReferenceData length.",
        50113 => "Invalid ShippingCountryCode length.",
        50114 => "Invalid ShippingPostalCode length.",
        50115 => "Invalid ShippingProvinceStateCode length.",
        50116 => "Invalid ShippingCity length.",
        50117 => "Invalid ShippingAddress2 length.",
        50118 => "Invalid ShippingAddress1 length.",
        50119 => "Invalid Address2 length.",
        50120 => "Invalid BillingPlanCode length.",
        50121 => "Invalid ProductCategoryName length.",
        50122 => "Invalid ProductSku length.",
        50124 => "Invalid Description length.",
        50126 => "Field OrderId is required.",
        50127 => "Invalid OrderId length.",
        50128 => "Invalid GatewayToken length.",
        50129 => "Field MerchantTransactionReferenceId must be unique.",
        50130 => "No gateways are configured to process the submitted card type.",
        50131 => "Original transaction not found using the field TransactionReferenceId.",
        50132 => "Invalid value for ReferenceData.",
        50133 => "Field PaymentToken is required.",
        50134 => "Invalid value for PaymentToken.",
        50135 => "Fields PaymentToken or PaymentMethod values are required.",
        50136 => "Invalid PaymentMethod values.",
        50138 => "Missing value for gatewayPaymentMethodId.",
        other => panic!("no seed message transcribed for {other}"),
    }
}

/// `transactionStatus` of a response code: 1 approved, 2 declined (2xxxx–4xxxx), 3 error (5xxxx).
pub(crate) fn status_of(code: u32) -> i64 {
    match code {
        10000..=19999 => 1,
        50000.. => 3,
        _ => 2,
    }
}

/// What is wrong with `t` as a request refused before any gateway with `code`; `field` must
/// appear in `response.errorDetail`. Empty when everything matches.
pub(crate) fn refusal_problems(t: &Value, code: u32, field: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |what: &str, got: &Value, want: Value| {
        if *got != want {
            problems.push(format!("{what} is {got}, expected {want}"));
        }
    };
    check("responseCode", &t["responseCode"], json!(code.to_string()));
    check("message", &t["message"], json!(seed_message(code)));
    check(
        "transactionStatus",
        &t["transactionStatus"],
        json!(status_of(code)),
    );
    check(
        "response.errorCode",
        &t["response"]["errorCode"],
        json!(code.to_string()),
    );
    check("gatewayToken", &t["gatewayToken"], json!(SENTINEL));
    check(
        "assignedGatewayToken",
        &t["assignedGatewayToken"],
        json!(SENTINEL),
    );
    check("gatewayType", &t["gatewayType"], json!("flexpay_declined"));
    check("amount", &t["amount"], json!(0));
    check("currencyCode", &t["currencyCode"], Value::Null);
    let detail = t["response"]["errorDetail"].as_str().unwrap_or("");
    if !detail.contains(field) {
        problems.push(format!(
            "response.errorDetail {detail:?} does not name {field:?}"
        ));
    }
    if t["transactionId"].as_str().is_none_or(str::is_empty) {
        problems.push("no transactionId".into());
    }
    problems
}

/// Asserts `t` is a refusal with `code` (see [`refusal_problems`]).
#[track_caller]
pub(crate) fn assert_refused(t: &Value, code: u32, field: &str) {
    let problems = refusal_problems(t, code, field);
    assert!(
        problems.is_empty(),
        "refusal {code} on {field}: {}\n{t:#}",
        problems.join("; ")
    );
}

/// Asserts the transaction `t` was not recorded: its id is unknown to `GET /v1/transactions/{id}`.
pub(crate) async fn assert_not_persisted(app: &TestApp, t: &Value) {
    let id = t["transactionId"].as_str().expect("transactionId");
    let (status, v) = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{id} was persisted: {v}");
}

/// Asserts the transaction `t` was recorded as returned.
pub(crate) async fn assert_persisted(app: &TestApp, t: &Value) {
    let id = t["transactionId"].as_str().expect("transactionId");
    let (status, v) = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{id} was not persisted: {v}");
    assert_eq!(v["transaction"]["responseCode"], t["responseCode"], "{v}");
    assert_eq!(
        v["transaction"]["transactionStatus"], t["transactionStatus"],
        "{v}"
    );
}

/// POSTs `body`, expects HTTP 200, returns the transaction object.
pub(crate) async fn post_txn(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, v) = app.post(path, body).await;
    assert_eq!(status, StatusCode::OK, "POST {path}: {v}");
    assert!(v["transaction"].is_object(), "POST {path}: {v}");
    v["transaction"].clone()
}

/// PUTs `body`, expects HTTP 200, returns the transaction object.
pub(crate) async fn put_txn(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, v) = app.put(path, body).await;
    assert_eq!(status, StatusCode::OK, "PUT {path}: {v}");
    assert!(v["transaction"].is_object(), "PUT {path}: {v}");
    v["transaction"].clone()
}

/// A request with an arbitrary body (bytes or text) and the sandbox merchant's key.
pub(crate) async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .request(method, app.url(path))
        .header("Authorization", TestApp::basic(&app.api_key))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("response body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Sets the value at a JSON pointer (`/transaction/orderId`), creating objects on the way.
pub(crate) fn set(body: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let mut cur = body;
    for part in parent.split('/').filter(|p| !p.is_empty()) {
        cur = cur
            .as_object_mut()
            .unwrap_or_else(|| panic!("{pointer}: {part} is not in an object"))
            .entry(part)
            .or_insert_with(|| json!({}));
    }
    cur.as_object_mut()
        .unwrap_or_else(|| panic!("{pointer}: parent is not an object"))
        .insert(key.to_string(), value);
}

/// Removes the value at a JSON pointer, if present.
pub(crate) fn remove(body: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    if let Some(obj) = body.pointer_mut(parent).and_then(Value::as_object_mut) {
        obj.remove(key);
    }
}

/// A string of `n` characters.
pub(crate) fn long(n: usize) -> Value {
    json!("x".repeat(n))
}

/// One invalid request: edits on a valid body, and the expected code and field.
pub(crate) struct Case {
    pub what: String,
    pub edits: Vec<(String, Option<Value>)>,
    pub code: u32,
    pub field: &'static str,
}

/// An edit setting `pointer` to `value`.
pub(crate) fn with(pointer: &str, value: Value) -> (String, Option<Value>) {
    (pointer.to_string(), Some(value))
}

/// An edit removing `pointer`.
pub(crate) fn without(pointer: &str) -> (String, Option<Value>) {
    (pointer.to_string(), None)
}

pub(crate) fn case(
    what: &str,
    edits: Vec<(String, Option<Value>)>,
    code: u32,
    field: &'static str,
) -> Case {
    Case {
        what: what.to_string(),
        edits,
        code,
        field,
    }
}

pub(crate) fn apply(body: &mut Value, edits: &[(String, Option<Value>)]) {
    for (pointer, value) in edits {
        match value {
            Some(v) => set(body, pointer, v.clone()),
            None => remove(body, pointer),
        }
    }
}

/// Sends every case (`base(mtid)` with the case's edits) and checks each refusal: HTTP 200,
/// code, seed message, sentinel gateway, amount 0, transaction type, the field named in
/// `errorDetail`, and that nothing was persisted. All disagreements are reported together.
pub(crate) async fn check_cases(
    app: &TestApp,
    method: Method,
    path: &str,
    txn_type: &str,
    base: &dyn Fn(&str) -> Value,
    cases: &[Case],
) {
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let mtid = unique_id(&format!("val{i}"));
        let mut body = base(&mtid);
        apply(&mut body, &c.edits);
        let (status, v) = match method {
            Method::PUT => app.put(path, body).await,
            _ => app.post(path, body).await,
        };
        if status != StatusCode::OK {
            failures.push(format!("[{}] HTTP {status}: {v}", c.what));
            continue;
        }
        let t = &v["transaction"];
        let mut problems = refusal_problems(t, c.code, c.field);
        if t["transactionType"] != txn_type {
            problems.push(format!(
                "transactionType is {}, expected {txn_type}",
                t["transactionType"]
            ));
        }
        if let Some(id) = t["transactionId"].as_str() {
            let (st, _) = app.get(&format!("/v1/transactions/{id}")).await;
            if st != StatusCode::NOT_FOUND {
                problems.push(format!("the refusal was persisted (GET gave {st})"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[{}] expected {}: {}\n    got {}",
                c.what,
                c.code,
                problems.join("; "),
                t
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases on {method} {path} disagree with the spec:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A third-party gateway token card (`paymentMethod{gatewayPaymentMethodId, …}`).
pub(crate) fn gateway_token_card() -> Value {
    json!({
        "gatewayPaymentMethodId": "cus_ext_4242", "merchantAccountReferenceId": "MID-0001",
        "firstSixDigits": "411111", "lastFourDigits": "1111",
        "firstName": "Ada", "lastName": "Lovelace",
        "postalCode": "10001", "city": "New York", "state": "NY"
    })
}

// ---------------------------------------------------------------------------------------------
// Charge / authorize
// ---------------------------------------------------------------------------------------------

/// Pointer into a pass-in card of a charge body.
fn pm(field: &str) -> String {
    format!("/transaction/paymentMethod/{field}")
}

fn tx(field: &str) -> String {
    format!("/transaction/{field}")
}

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

// ---------------------------------------------------------------------------------------------
// Payment-method endpoints
// ---------------------------------------------------------------------------------------------

fn cc(field: &str) -> String {
    format!("/paymentMethod/creditCard/{field}")
}

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

// ---------------------------------------------------------------------------------------------
// Ordering, persistence, envelopes
// ---------------------------------------------------------------------------------------------

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

async fn nul_in_a_query_string_is_refused_in_each_dialects_format(app: TestApp) {
    // FlexPay: its transaction envelope with 50000.
    let (status, v) = app.get("/v1/transactions?sinceToken=a%00b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50000", "{v}");
    // FlexFactor: the flat validation map with a TraceId.
    let resp = app
        .client
        .get(app.url("/v1/orders?query=a%00b"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert!(v["query"][0].as_str().unwrap().contains("NUL"), "{v}");
    assert!(v["TraceId"].is_array(), "{v}");
    // Flexiti: its error body, general_error, with the url.
    let path = "/flexiti/pos-api/v2.5/client-id/x/authorizations";
    let resp = app
        .client
        .get(app.url(&format!("{path}?account_number=a%00b")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "general_error", "{v}");
    assert_eq!(v["url"], path, "{v}");
}
