//! Card data never leaks: after every FlexPay endpoint has seen a test PAN and CVV, neither
//! appears in the server's logs (debug level), its console, any response body, or the
//! database — the SQLite file's raw bytes, or a `pg_dump` of the PostgreSQL database. The same
//! holds for Flexiti's secrets: virtual card numbers, security answers and government ids.

use crate::helpers::{pg_admin_url, unique_id};
use crate::process;
use serde_json::{Value, json};

const PAN: &str = "4920201996449560";
const BAD_LUHN_PAN: &str = "4920201996449561";
const OTHER_PAN: &str = "4111111111111111";
/// The FlexFactor sandbox's rescuable test card.
const FF_PAN: &str = "4000002760003184";
/// Not the test card's CVV (that would be accepted too, with cvvCode N); distinctive enough
/// that a match is a leak, not a coincidence.
const CVV: &str = "8531";
/// A Flexiti applicant's security answer and government id: distinctive, so a match is a leak.
const FLEXITI_ANSWER: &str = "Quixotic-Marmalade-77";
const FLEXITI_GOVID: &str = "Q9876-54321-01234";

/// Jane Doe's sandbox virtual card number (sent to lookup, verify and authorization).
fn flexiti_vcc() -> String {
    openflex_domain::financing::sandbox_vcc("20076677")
}

/// True when `needle` occurs in `hay` not glued to other letters or digits, and not as one
/// dash-delimited group of a UUID (request ids are random UUIDs: `67e2f76d-8531-43c8-…`).
fn contains_token(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        let uuid_group = before == Some('-') && after == Some('-');
        !uuid_group
            && !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

struct Exercise {
    client: reqwest::Client,
    base: String,
    key: String,
    data_dir: std::path::PathBuf,
    seen: Vec<String>,
}

impl Exercise {
    async fn send(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Basic {}", self.key));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let text = req.send().await.unwrap().text().await.unwrap();
        self.seen.push(text.clone());
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn send_bearer(
        &mut self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {bearer}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let text = req.send().await.unwrap().text().await.unwrap();
        self.seen.push(text.clone());
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn post_open(&mut self, path: &str, body: Value) -> Value {
        let text = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn raw(&mut self, path: &str, body: String) {
        let text = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Basic {}", self.key))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        self.seen.push(text);
    }
}

fn card(pan: &str) -> Value {
    json!({
        "creditCardNumber": pan, "expiryMonth": "12", "expiryYear": "2030", "cvv": CVV,
        "firstName": "Ada", "lastName": "Lovelace", "address1": "1 Main St",
        "postalCode": "10001", "city": "New York", "state": "NY", "country": "USA"
    })
}

fn payment(mtid: &str, amount: i64, pan: &str) -> Value {
    json!({"transaction": {"merchantTransactionId": mtid, "orderId": "leak-order", "amount": amount,
        "currencyCode": "USD", "retryCount": 0, "retainOnSuccess": true, "paymentMethod": card(pan)}})
}

async fn exercise_every_endpoint(base: &str, key: &str, data_dir: &std::path::Path) -> Vec<String> {
    use reqwest::Method;
    let mut x = Exercise {
        client: reqwest::Client::new(),
        base: base.to_string(),
        key: key.to_string(),
        data_dir: data_dir.to_path_buf(),
        seen: Vec::new(),
    };
    let v = x
        .send(
            Method::POST,
            "/v1/paymentmethods",
            Some(json!({"paymentMethod": {"creditCard": card(PAN)}})),
        )
        .await;
    let pm = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    x.send(
        Method::POST,
        "/v1/paymentmethods",
        Some(json!({"paymentMethod": card(BAD_LUHN_PAN)})),
    )
    .await;
    x.send(
        Method::POST,
        "/v1/paymentmethods",
        Some(json!({"paymentMethod": {"creditCardNumber": PAN, "cvv": CVV}})),
    )
    .await;
    x.send(Method::GET, "/v1/paymentmethods", None).await;
    x.send(Method::GET, &format!("/v1/paymentmethods/{pm}"), None)
        .await;
    x.send(
        Method::PUT,
        &format!("/v1/paymentmethods/{pm}"),
        Some(json!({"paymentMethod": {"city": "Boston", "creditCardNumber": PAN}})),
    )
    .await;
    x.send(
        Method::PUT,
        &format!("/v1/paymentmethods/{pm}/recache"),
        Some(json!({"paymentMethod": {"cvv": CVV}})),
    )
    .await;
    x.send(
        Method::PUT,
        &format!("/v1/paymentmethods/{pm}/recache"),
        Some(json!({"paymentMethod": {"creditCard": {"cvv": "12x45"}}})),
    )
    .await;

    let charge = x
        .send(
            Method::POST,
            "/v1/gateways/charge",
            Some(payment("leak-1", 1500, PAN)),
        )
        .await;
    let charge_id = charge["transaction"]["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    x.send(
        Method::POST,
        "/v1/gateways/charge",
        Some(payment("leak-2", 2008, PAN)),
    )
    .await;
    x.send(
        Method::POST,
        "/v1/gateways/charge",
        Some(payment("leak-3", 1500, BAD_LUHN_PAN)),
    )
    .await;
    x.send(
        Method::POST,
        "/v1/gateways/charge",
        Some(payment("leak-4", 1500, OTHER_PAN)),
    )
    .await;
    let mut expired = payment("leak-5", 1500, PAN);
    expired["transaction"]["paymentMethod"]["expiryYear"] = json!("2001");
    x.send(Method::POST, "/v1/gateways/charge", Some(expired))
        .await;
    let mut bad_month = payment("leak-6", 1500, PAN);
    bad_month["transaction"]["paymentMethod"]["expiryMonth"] = json!("13");
    x.send(Method::POST, "/v1/gateways/charge", Some(bad_month))
        .await;
    x.send(
        Method::POST,
        "/v1/gateways/charge",
        Some(json!({"transaction": {"merchantTransactionId": "leak-7", "orderId": "o", "amount": 100, "currencyCode": "USD", "paymentMethodId": pm}})),
    )
    .await;
    x.raw("/v1/gateways/charge", format!("{{\"transaction\": {{\"paymentMethod\": {{\"creditCardNumber\": \"{PAN}\", \"cvv\": \"{CVV}\"")).await;
    x.raw(
        "/v1/gateways/charge",
        format!("{{\"transaction\": {{\"amount\": {PAN}{CVV}}}}}"),
    )
    .await;

    let auth = x
        .send(
            Method::POST,
            "/v1/gateways/authorize",
            Some(payment("leak-8", 3000, PAN)),
        )
        .await;
    let auth_id = auth["transaction"]["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    x.send(
        Method::POST,
        &format!("/v1/transactions/{auth_id}/capture"),
        Some(json!({"transaction": {"merchantTransactionId": "leak-9", "amount": 1000}})),
    )
    .await;
    let auth2 = x
        .send(
            Method::POST,
            "/v1/gateways/authorize",
            Some(payment("leak-10", 3000, PAN)),
        )
        .await;
    let auth2_id = auth2["transaction"]["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    x.send(
        Method::POST,
        &format!("/v1/transactions/{auth2_id}/void"),
        Some(json!({"transaction": {"merchantTransactionId": "leak-11"}})),
    )
    .await;
    x.send(
        Method::POST,
        &format!("/v1/transactions/{charge_id}/refund"),
        Some(json!({"transaction": {"merchantTransactionId": "leak-12", "amount": 500}})),
    )
    .await;
    x.send(Method::GET, "/v1/transactions?count=100", None)
        .await;
    x.send(
        Method::GET,
        "/v1/transactions?responseType=simplified",
        None,
    )
    .await;
    x.send(Method::GET, &format!("/v1/transactions/{charge_id}"), None)
        .await;
    x.send(
        Method::GET,
        "/v1/transactions/byMerchantTransactionId/leak-1",
        None,
    )
    .await;
    x.send(Method::GET, "/v1/gateways", None).await;
    x.send(
        Method::POST,
        "/v1/gateways",
        Some(json!({"gateway": {"name": "Second", "settings": {"apiSecret": PAN}}})),
    )
    .await;
    x.send(
        Method::PUT,
        &format!("/v1/paymentmethods/{pm}/redact"),
        None,
    )
    .await;
    x.send(Method::GET, &format!("/v1/paymentmethods/{pm}"), None)
        .await;
    exercise_flexfactor(&mut x).await;
    exercise_flexiti(&mut x).await;
    x.seen
}

/// The Flexiti endpoints that see card numbers or applicant secrets.
async fn exercise_flexiti(x: &mut Exercise) {
    use reqwest::Method;
    let text = std::fs::read_to_string(x.data_dir.join("sandbox-credentials.json")).unwrap();
    let creds: Value = serde_json::from_str(&text).unwrap();
    let id = creds["flexiti"]["clientId"].as_str().unwrap().to_string();
    let secret = creds["flexiti"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let token = x
        .post_open(
            "/flexiti/pos-api/v2.5/oauth/token",
            json!({"client_id": id, "client_secret": secret}),
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/flexiti/pos-api/v2.5/client-id/{id}");
    let vcc = flexiti_vcc();
    let calls = [
        (
            Method::GET,
            format!("{base}/customers/lookup?vcc_number={vcc}"),
            None,
        ),
        (
            Method::GET,
            format!("{base}/customers/lookup?vcc_number=5299990000000000"),
            None,
        ),
        (
            Method::POST,
            format!("{base}/account/20076677/verify"),
            Some(
                json!({"format": "security_question", "security_qid": 1, "security_answer": FLEXITI_ANSWER, "vcc_number": vcc}),
            ),
        ),
        (
            Method::POST,
            format!("{base}/authorization"),
            Some(
                json!({"account_number": "20076677", "vcc_number": vcc, "amount": "10.00", "auto_capture": true,
                "financing_option": {"transaction_type": "regular_purchase"}}),
            ),
        ),
        (
            Method::POST,
            format!("{base}/apply"),
            Some(
                json!({"first_name": "Lea", "last_name": "Leak", "dob": "1990-02-03", "email": "lea@example.com",
                "phone_number": "4165550199", "address_1": "1 King St", "city": "Toronto", "province": "ON",
                "postal_code": "M5H1A1", "tos_agreement": true, "annual_income": "60000.00", "govid_type": "CADL",
                "govid_number": FLEXITI_GOVID, "security_qid": 1, "security_answer": FLEXITI_ANSWER}),
            ),
        ),
        (
            Method::POST,
            format!("{base}/apply"),
            Some(
                json!({"first_name": "Lea", "last_name": "Leak", "dob": "not a date", "govid_number": FLEXITI_GOVID,
                "security_answer": FLEXITI_ANSWER}),
            ),
        ),
    ];
    for (method, path, body) in calls {
        let mut req = x
            .client
            .request(method, format!("{}{path}", x.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("x-reference-id", "leak");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let text = req.send().await.unwrap().text().await.unwrap();
        // The approved application shows its new card number once, by design; nothing else may.
        if !text.contains("\"application_status\":\"approved\"") {
            x.seen.push(text);
        }
    }
}

/// The FlexFactor endpoints that see card data: tokenize and evaluate with a raw number.
async fn exercise_flexfactor(x: &mut Exercise) {
    use reqwest::Method;
    let text = std::fs::read_to_string(x.data_dir.join("sandbox-credentials.json")).unwrap();
    let creds: Value = serde_json::from_str(&text).unwrap();
    let ff = &creds["flexfactor"];
    let v = x
        .post_open(
            "/v1/oauth2/token",
            json!({"AppKey": ff["appKey"], "AppSecret": ff["appSecret"]}),
        )
        .await;
    let bearer = v["accessToken"].as_str().unwrap().to_string();
    let card = json!({"payment_method": {"credit_card": {"first_name": "Ada", "last_name": "Lovelace",
        "number": FF_PAN, "verification_value": CVV, "month": "12", "year": "2030"}}});
    let v = x
        .send_bearer(Method::POST, "/v1/tokenize", &bearer, Some(card.clone()))
        .await;
    let token = v["transaction"]["payment_method"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bad = card.clone();
    bad["payment_method"]["credit_card"]["month"] = json!("13");
    x.send_bearer(Method::POST, "/v1/tokenize", &bearer, Some(bad))
        .await;
    let evaluate = |order: &str, number: &str, token: bool| {
        json!({"orderId": order, "idempotencyKey": order, "isMIT": false,
            "transaction": {"id": "t", "amount": 1500, "currency": "USD", "responseCode": "05", "responseCodeSource": "NMI",
                "avsResultCode": "M", "cvvResultCode": "M", "cavvResultCode": "2"},
            "payer": {"email": "ada@example.com", "phone": "5551234567"},
            "paymentMethod": {"cardNumber": number, "token": token, "verificationValue": CVV, "expirationMonth": 12, "expirationYear": 2030}})
    };
    let v = x
        .send_bearer(
            Method::POST,
            "/v1/evaluate",
            &bearer,
            Some(evaluate("leak-ff-1", FF_PAN, false)),
        )
        .await;
    let order = v["orderSessionKey"].as_str().unwrap().to_string();
    x.send_bearer(
        Method::POST,
        "/v1/evaluate",
        &bearer,
        Some(evaluate("leak-ff-2", &token, true)),
    )
    .await;
    x.send_bearer(
        Method::POST,
        "/v1/evaluate",
        &bearer,
        Some(evaluate("leak-ff-3", OTHER_PAN, false)),
    )
    .await;
    x.send_bearer(
        Method::POST,
        "/v1/evaluate",
        &bearer,
        Some(evaluate("leak-ff-4", BAD_LUHN_PAN, false)),
    )
    .await;
    x.send_bearer(Method::GET, &format!("/v1/orders/{order}"), &bearer, None)
        .await;
    x.send_bearer(Method::GET, "/v1/orders?pageSize=100", &bearer, None)
        .await;
    x.send_bearer(Method::POST, "/v1/transmit", &bearer, Some(json!({"orderId": "leak-tx", "isDeclined": false,
        "transaction": {"amount": 100, "currency": "USD"}, "paymentMethod": {"cardNumber": FF_PAN}}))).await;
}

fn assert_clean(place: &str, text: &str) {
    for pan in [PAN, BAD_LUHN_PAN, OTHER_PAN, FF_PAN] {
        assert!(!text.contains(pan), "PAN {pan} found in {place}");
    }
    assert!(!contains_token(text, CVV), "CVV found in {place}");
    for secret in [flexiti_vcc().as_str(), FLEXITI_ANSWER, FLEXITI_GOVID] {
        assert!(
            !text.contains(secret),
            "Flexiti secret {secret} found in {place}"
        );
    }
}

fn assert_no_bytes(place: &str, bytes: &[u8]) {
    for needle in [
        PAN.as_bytes(),
        BAD_LUHN_PAN.as_bytes(),
        OTHER_PAN.as_bytes(),
        FF_PAN.as_bytes(),
        flexiti_vcc().as_bytes(),
        FLEXITI_ANSWER.as_bytes(),
        FLEXITI_GOVID.as_bytes(),
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "PAN found in {place}"
        );
    }
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.contains(&format!("\"{CVV}\"")),
        "quoted CVV found in {place}"
    );
}

#[tokio::test]
async fn no_card_data_in_logs_responses_or_sqlite_file() {
    let dir = std::env::temp_dir().join(unique_id("openflex-leak"));
    let db_path = dir.join("openflex.db");
    let server = process::start(&dir, &format!("sqlite://{}", db_path.display()), "debug");
    let key = process::sandbox_api_key(&dir);
    // The banner's curl example shows the documented sandbox Visa on purpose; what matters is
    // that nothing printed afterwards carries card data.
    let banner_len = std::fs::read_to_string(&server.stdout).unwrap().len();
    let responses = exercise_every_endpoint(&server.base, &key, &dir).await;
    let stdout = server.stdout.clone();
    let stderr = server.stderr.clone();
    drop(server);

    for (i, body) in responses.iter().enumerate() {
        assert_clean(&format!("response #{i}: {body}"), body);
    }
    let logs = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        logs.lines().count() > 20,
        "the server logged at debug level"
    );
    assert_clean("server logs", &logs);
    assert_clean(
        "console",
        &std::fs::read_to_string(&stdout).unwrap()[banner_len..],
    );
    for file in ["openflex.db", "openflex.db-wal", "openflex.db-shm"] {
        let path = dir.join(file);
        if path.exists() {
            assert_no_bytes(file, &std::fs::read(&path).unwrap());
        }
    }
}

#[tokio::test]
async fn no_card_data_in_logs_responses_or_postgres_dump() {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let name = unique_id("openflex_leak");
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL is required for the suite");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let dir = std::env::temp_dir().join(unique_id("openflex-leak-pg"));
    let server = process::start(&dir, &url, "debug");
    let key = process::sandbox_api_key(&dir);
    let responses = exercise_every_endpoint(&server.base, &key, &dir).await;
    let stderr = server.stderr.clone();
    drop(server);

    for (i, body) in responses.iter().enumerate() {
        assert_clean(&format!("response #{i}: {body}"), body);
    }
    assert_clean("server logs", &std::fs::read_to_string(&stderr).unwrap());
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", "--dbname", &url])
        .output()
        .expect("pg_dump is installed with PostgreSQL");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(dump.stdout.len() > 1000, "the dump has data");
    assert_no_bytes("pg_dump", &dump.stdout);
}
