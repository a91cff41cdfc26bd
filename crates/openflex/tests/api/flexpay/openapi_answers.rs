//! The served OpenAPI document describes the answers FlexPay really gives, on both backends:
//! the simplified list, the gateway element, and the POST forms of the payment-method
//! operations (schemathesis explores every operation on PostgreSQL; this pins these down).

use crate::dual;
use crate::flexpay::fp::*;
use crate::flexpay::lifecycle::id_of;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    list_show_and_post_forms_validate_against_the_document,
    alternate_methods_are_documented,
);

struct Doc(Value);

impl Doc {
    async fn fetch(app: &TestApp) -> Self {
        let (status, v) = app.get("/openapi.json").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        Self(v)
    }

    /// Checks `answer` against the schema the document gives `method path` for `status`.
    #[track_caller]
    fn check(&self, method: &str, path: &str, status: &str, answer: &Value) {
        let schema = &self.0["paths"][path][method]["responses"][status]["content"]["application/json"]
            ["schema"];
        assert!(
            schema.is_object(),
            "the document has no {status} schema for {method} {path}"
        );
        let mut root = schema.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        root["components"] = json!({"schemas": self.0["components"]["schemas"]});
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(answer)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} answered outside its schema: {errors:?}\n{answer}"
        );
    }

    fn has(&self, method: &str, path: &str) -> bool {
        self.0["paths"][path][method].is_object()
    }
}

async fn list_show_and_post_forms_validate_against_the_document(app: TestApp) {
    let doc = Doc::fetch(&app).await;
    let charge = app.charge("doc-charge", 1500).await;
    app.charge("doc-declined", 2008).await;
    let (_, refused) = app
        .post(
            "/v1/gateways/charge",
            json!({"transaction": {"orderId": "o"}}),
        )
        .await;
    doc.check("post", "/v1/gateways/charge", "200", &refused);

    for query in ["", "?responseType=simplified", "?responseType=SIMPLIFIED"] {
        let (status, list) = app.get(&format!("/v1/transactions{query}")).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(
            list["transactions"].as_array().map(Vec::len),
            Some(2),
            "{list}"
        );
        doc.check("get", "/v1/transactions", "200", &list);
    }
    let (_, empty) = app
        .get("/v1/transactions?responseType=simplified&sinceToken=ZZZZZZZZZZZZZZZZZZZZZZZZZZ")
        .await;
    assert_eq!(empty["transactions"], json!([]), "{empty}");
    doc.check("get", "/v1/transactions", "200", &empty);

    let (_, shown) = app
        .get(&format!("/v1/transactions/{}", id_of(&charge)))
        .await;
    doc.check("get", "/v1/transactions/{id}", "200", &shown);

    // The POST forms the SDK's PUTs have beside them.
    let id = app.vault_visa().await;
    let path = format!("/v1/paymentmethods/{id}");
    let (status, updated) = app
        .post(&path, json!({"paymentMethod": {"city": "Boston"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["transaction"]["transactionType"],
        "UpdatePaymentMethod"
    );
    doc.check("post", "/v1/paymentmethods/{id}", "200", &updated);

    let (status, recached) = app
        .post(
            &format!("{path}/recache"),
            json!({"paymentMethod": {"cvv": "879"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{recached}");
    assert_eq!(
        recached["transaction"]["responseCode"], "10000",
        "{recached}"
    );
    doc.check("post", "/v1/paymentmethods/{id}/recache", "200", &recached);

    let (status, redacted) = app.post(&format!("{path}/redact"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{redacted}");
    assert_eq!(
        redacted["transaction"]["transactionType"],
        "RedactPaymentMethod"
    );
    doc.check("post", "/v1/paymentmethods/{id}/redact", "200", &redacted);

    let (status, refused) = app
        .post(
            &format!("{path}/recache"),
            json!({"paymentMethod": {"cvv": "1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_refused(&refused["transaction"], 50136, "cvv");
    doc.check("post", "/v1/paymentmethods/{id}/recache", "200", &refused);
}

async fn alternate_methods_are_documented(app: TestApp) {
    let doc = Doc::fetch(&app).await;
    for path in [
        "/v1/paymentmethods/{id}",
        "/v1/paymentmethods/{id}/redact",
        "/v1/paymentmethods/{id}/recache",
    ] {
        assert!(doc.has("put", path) && doc.has("post", path), "{path}");
    }
    for version in ["v2.5", "v2.5.1"] {
        let base = format!("/flexiti/pos-api/{version}/client-id/{{client_id}}");
        let i18n = format!("{base}/i18n");
        assert!(doc.has("get", &i18n) && doc.has("post", &i18n), "{i18n}");
        let calc = format!("{base}/accounts/{{account_number}}/calculate-interest");
        assert!(doc.has("post", &calc) && doc.has("get", &calc), "{calc}");
    }
    let param = doc.0["paths"]["/v1/transactions"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "responseType"))
        .cloned()
        .unwrap_or_default();
    assert!(
        param.to_string().contains("simplified"),
        "responseType documents its value: {param}"
    );
}
