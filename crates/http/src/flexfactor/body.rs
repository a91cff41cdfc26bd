//! Reading FlexFactor bodies the way its ASP.NET reference server does: property names are
//! case-insensitive, numbers may be strings, and every failing field is reported at once
//! under its PascalCase path.

use crate::lenient::{FLEXFACTOR, Reader};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Lower-cases every property name and puts every string in NFC, recursively: lookups ignore
/// case, and ids (orderId, idempotencyKey) are one id in whichever Unicode form they came, as
/// is the request hash an idempotency key is checked against.
pub fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), canonical(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        Value::String(s) => Value::String(crate::nfc(&s)),
        other => other,
    }
}

/// Validation failures, keyed by PascalCase path, all reported together.
#[derive(Debug, Default)]
pub struct Errors(pub BTreeMap<String, Vec<String>>);

impl Errors {
    pub fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0
            .entry(path.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A view of one (lower-cased) object, read with FlexFactor's spellings
/// ([`crate::lenient::FLEXFACTOR`]); each field is looked up by its aliases, in lower case.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    r: Reader<'a>,
}

impl<'a> Node<'a> {
    pub fn of(v: &'a Value) -> Self {
        Self {
            r: Reader::new(Some(v), FLEXFACTOR),
        }
    }

    pub fn exists(&self) -> bool {
        self.r.exists()
    }

    /// The first of `aliases` the object has (null included).
    fn alias<'k>(&self, aliases: &[&'k str]) -> Option<&'k str> {
        aliases.iter().copied().find(|a| self.r.get(a).is_some())
    }

    /// The first of `aliases` that is present (aliases given in lower case).
    pub fn raw(&self, aliases: &[&str]) -> Option<&'a Value> {
        self.alias(aliases)
            .and_then(|a| self.r.get(a))
            .filter(|v| !v.is_null())
    }

    pub fn child(&self, aliases: &[&str]) -> Node<'a> {
        Node {
            r: match self.alias(aliases) {
                Some(a) => self.r.child(a),
                None => Reader::new(None, FLEXFACTOR),
            },
        }
    }

    /// Text (numbers and booleans as text); empty strings count as absent.
    pub fn text(&self, aliases: &[&str]) -> Option<String> {
        self.r.text(self.alias(aliases)?).ok()
    }

    /// A required text field: `The <Name> field is required.` when absent or empty.
    pub fn required(&self, aliases: &[&str], path: &str, errors: &mut Errors) -> Option<String> {
        let v = self.text(aliases);
        if v.is_none() {
            let name = path.rsplit('.').next().unwrap_or(path);
            errors.add(path, format!("The {name} field is required."));
        }
        v
    }

    /// A boolean (also "true"/"false" strings); `Err` when present but not a boolean.
    pub(crate) fn boolean(&self, aliases: &[&str]) -> Result<Option<bool>, ()> {
        match self.alias(aliases) {
            Some(a) => self.r.boolean(a).checked().map_err(|_| ()),
            None => Ok(None),
        }
    }

    /// An integer (a JSON integer or an integer string); `Err` for decimals and other text.
    pub(crate) fn integer(&self, aliases: &[&str]) -> Result<Option<i64>, ()> {
        match self.alias(aliases) {
            Some(a) => self.r.integer(a).checked().map_err(|_| ()),
            None => Ok(None),
        }
    }
}

/// A W3C trace id for error bodies (`00-<32 hex>-<16 hex>-01`).
pub fn trace_id() -> String {
    let bytes = openflex_vault::random_bytes::<24>().unwrap_or_default();
    let hex = data_encoding::HEXLOWER.encode(&bytes);
    format!("00-{}-{}-01", &hex[..32], &hex[32..48])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_case_insensitive_and_numbers_lenient() {
        let v = canonical(
            json!({"OrderId": "o-1", "Transaction": {"Amount": "150", "TimezoneUtcOffset": "-5"}, "isMIT": "true"}),
        );
        let n = Node::of(&v);
        assert_eq!(n.text(&["orderid"]), Some("o-1".into()));
        assert_eq!(
            n.child(&["transaction"]).integer(&["amount"]),
            Ok(Some(150))
        );
        assert_eq!(
            n.child(&["transaction"]).integer(&["timezoneutcoffset"]),
            Ok(Some(-5))
        );
        assert_eq!(n.boolean(&["ismit"]), Ok(Some(true)));
        let v = canonical(json!({"Transaction": {"Amount": 1.5}}));
        assert_eq!(
            Node::of(&v).child(&["transaction"]).integer(&["amount"]),
            Err(())
        );
    }

    #[test]
    fn required_fields_collect_every_error() {
        let v = canonical(json!({"transaction": {"id": ""}}));
        let n = Node::of(&v);
        let mut e = Errors::default();
        n.child(&["transaction"])
            .required(&["id"], "Transaction.Id", &mut e);
        n.child(&["transaction"])
            .required(&["responsecode"], "Transaction.ResponseCode", &mut e);
        assert_eq!(e.0["Transaction.Id"], vec!["The Id field is required."]);
        assert_eq!(
            e.0["Transaction.ResponseCode"],
            vec!["The ResponseCode field is required."]
        );
        assert!(trace_id().starts_with("00-") && trace_id().len() == 55);
    }
}
