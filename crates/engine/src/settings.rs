//! A merchant's settings are changed by naming only the fields that change (the admin API's PUT
//! bodies, the CLI's `--file`); one merge so every entry point reads a partial update the same way.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// `current` with each top-level field named in `patch` replaced by the patch's value; fields
/// absent from the patch keep their current value. Fails when the result is not a valid `T`.
pub fn merge<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: &Map<String, Value>,
) -> serde_json::Result<T> {
    let mut merged = serde_json::to_value(current)?;
    if let Some(m) = merged.as_object_mut() {
        m.extend(patch.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    serde_json::from_value(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct S {
        a: u32,
        b: String,
    }

    #[test]
    fn named_fields_change_and_the_rest_stay() {
        let current = S {
            a: 1,
            b: "x".into(),
        };
        let patch = serde_json::json!({"b": "y"});
        let merged = merge(&current, patch.as_object().unwrap()).unwrap();
        assert_eq!(
            merged,
            S {
                a: 1,
                b: "y".into()
            }
        );
        let bad = serde_json::json!({"a": "not a number"});
        assert!(merge(&current, bad.as_object().unwrap()).is_err());
    }
}
