//! Request bodies checked against Adyen's own OpenAPI document (`specs/adyen-checkout-v71.json`,
//! MIT, Adyen N.V.): a hand-written list of fields would only check what its author believed.
//! The document's schemas say `additionalProperties: false`, so an unknown or misspelt field is
//! caught as well as a missing or mistyped one.

use jsonschema::Validator;
use serde_json::{Value, json};
use std::sync::OnceLock;

const SPEC: &str = include_str!("../../specs/adyen-checkout-v71.json");

/// The request schemas the double checks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Body {
    PaymentMethods,
    Payment,
    Capture,
    Cancel,
    Refund,
}

impl Body {
    fn name(self) -> &'static str {
        match self {
            Self::PaymentMethods => "PaymentMethodsRequest",
            Self::Payment => "PaymentRequest",
            Self::Capture => "PaymentCaptureRequest",
            Self::Cancel => "PaymentCancelRequest",
            Self::Refund => "PaymentRefundRequest",
        }
    }

    fn validator(self) -> &'static Validator {
        static CELLS: [OnceLock<Validator>; 5] = [const { OnceLock::new() }; 5];
        CELLS[self as usize].get_or_init(|| {
            let spec: Value = serde_json::from_str(SPEC).expect("the bundled spec is JSON");
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": format!("#/components/schemas/{}", self.name()),
                "components": { "schemas": spec["components"]["schemas"] },
            });
            jsonschema::draft202012::new(&root).expect("the bundled schemas compile")
        })
    }

    /// What is wrong with `body` (empty when it is valid), one line per error, at most a few.
    pub(super) fn errors(self, body: &Value) -> Vec<String> {
        self.validator()
            .iter_errors(body)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".to_string() } else { at };
                format!("{} at {at}: {}", self.name(), short(&e.to_string()))
            })
            .collect()
    }
}

/// Validator messages quote the offending value, which may be a card number: cut them short
/// and never let a long digit run through.
fn short(message: &str) -> String {
    let mut out = String::new();
    let mut digits = 0;
    for c in message.chars().take(200) {
        digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
        out.push(if digits > 4 { '*' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_are_valid_and_unknown_fields_are_not() {
        let card = json!({
            "amount": {"currency": "USD", "value": 1000},
            "reference": "Your order number",
            "paymentMethod": {"type": "scheme", "number": "4111111111111111",
                "expiryMonth": "03", "expiryYear": "2030", "holderName": "John Smith", "cvc": "737"},
            "returnUrl": "https://your-company.example.com/...",
            "merchantAccount": "YOUR_MERCHANT_ACCOUNT"
        });
        assert_eq!(Body::Payment.errors(&card), Vec::<String>::new());
        let mut bad = card.clone();
        bad["amount"]["valeu"] = json!(5);
        assert!(!Body::Payment.errors(&bad).is_empty());
        let capture = json!({"merchantAccount": "M", "amount": {"currency": "EUR", "value": 2000},
            "reference": "r"});
        assert!(Body::Capture.errors(&capture).is_empty());
        assert!(!Body::Cancel.errors(&json!({"reference": "r"})).is_empty());
        let methods = json!({"merchantAccount": "M"});
        assert!(Body::PaymentMethods.errors(&methods).is_empty());
        assert!(
            !Body::PaymentMethods
                .errors(&json!({"merchantAcount": "M"}))
                .is_empty()
        );
    }
}
