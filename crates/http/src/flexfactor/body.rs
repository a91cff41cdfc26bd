//! Reading FlexFactor bodies the way its ASP.NET reference server does: property names are
//! case-insensitive, numbers may be strings, and every failing field is reported at once
//! under its PascalCase path.

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

/// A view of one (lower-cased) object.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Node<'a> {
    pub fn of(v: &'a Value) -> Self {
        Self { map: v.as_object() }
    }

    pub fn exists(&self) -> bool {
        self.map.is_some()
    }

    /// The first of `aliases` that is present (aliases given in lower case).
    pub fn raw(&self, aliases: &[&str]) -> Option<&'a Value> {
        let m = self.map?;
        aliases
            .iter()
            .find_map(|a| m.get(*a))
            .filter(|v| !v.is_null())
    }

    pub fn child(&self, aliases: &[&str]) -> Node<'a> {
        Node {
            map: self.raw(aliases).and_then(Value::as_object),
        }
    }

    /// Text (numbers and booleans as text); empty strings count as absent.
    pub fn text(&self, aliases: &[&str]) -> Option<String> {
        match self.raw(aliases)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
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
        match self.raw(aliases) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "" => Ok(None),
                _ => Err(()),
            },
            Some(_) => Err(()),
        }
    }

    /// An integer (a JSON integer or an integer string); `Err` for decimals and other text.
    pub(crate) fn integer(&self, aliases: &[&str]) -> Result<Option<i64>, ()> {
        match self.raw(aliases) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| ()),
            Some(_) => Err(()),
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
