//! FlexPay request helpers for the test files, as `ff.rs` and `fx.rs` are for the other two
//! dialects: the seed's codes and messages, the refusal envelope's checks, request senders, and
//! the table-driven `Case`s that the validation, vaulting and sandbox tests share.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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

/// Pointer into a pass-in card of a charge body.
pub(crate) fn pm(field: &str) -> String {
    format!("/transaction/paymentMethod/{field}")
}

/// Pointer into the transaction of a charge body.
pub(crate) fn tx(field: &str) -> String {
    format!("/transaction/{field}")
}

/// Pointer into the card of a vaulting body.
pub(crate) fn cc(field: &str) -> String {
    format!("/paymentMethod/creditCard/{field}")
}
