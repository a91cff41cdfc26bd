//! A gateway's connector settings, unsealed. The engine seals, stores and unseals them but never
//! learns their fields: each connector reads them into its own typed struct with
//! [`ConnectorSettings::parse`], so adding a gateway adds no field to the engine. The text is
//! kept exactly as the dialect gave it, because that is what the vault seals.

use openflex_domain::Secret;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use std::fmt;

/// Settings as a dialect received them (a JSON object, in practice): write-only, never
/// serialized back, and shown by `Debug` as a placeholder since they hold credentials.
pub struct ConnectorSettings {
    /// The JSON text that is sealed, byte for byte.
    text: Secret<String>,
    value: serde_json::Value,
}

/// Why settings cannot be read into a connector's struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsError {
    /// The settings are not a JSON object; each connector says what it expects instead.
    NotAnObject,
    /// A field holds a value of the wrong kind.
    Field { field: String, why: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("settings must be an object"),
            Self::Field { field, why } => write!(f, "{field} {why}"),
        }
    }
}

impl ConnectorSettings {
    /// Settings from JSON text; the error says why it is not JSON.
    pub fn from_json(text: impl Into<String>) -> Result<Self, String> {
        let text = text.into();
        let value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(Self {
            text: Secret::new(text),
            value,
        })
    }

    /// Settings from a form's named text fields (the portal), as the JSON object of them.
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let map: serde_json::Map<String, serde_json::Value> = fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        let value = serde_json::Value::Object(map);
        Self {
            text: Secret::new(value.to_string()),
            value,
        }
    }

    /// Reads the settings object into a connector's own struct. A field's error names it, and
    /// reads after its name: use [`Text`] for a value that must be a string.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, SettingsError> {
        if !self.value.is_object() {
            return Err(SettingsError::NotAnObject);
        }
        serde_path_to_error::deserialize(&self.value).map_err(|e| SettingsError::Field {
            field: e.path().to_string(),
            why: e.inner().to_string(),
        })
    }

    /// The settings object's fields, for the engine's field-by-field edit (`gateways.rs`).
    pub(crate) fn fields(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.value.as_object()
    }

    /// The JSON text to seal.
    pub(crate) fn json(&self) -> &str {
        self.text.expose()
    }
}

impl fmt::Debug for ConnectorSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectorSettings(***)")
    }
}

/// A settings value that must be a string when present (`Option<Text>` for one that may be
/// absent or null): anything else is refused as "`<field>` must be a string".
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Self(s)),
            _ => Err(D::Error::custom("must be a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields {
        api_key: Option<Text>,
    }

    fn parse(json: &str) -> Result<Fields, SettingsError> {
        ConnectorSettings::from_json(json).unwrap().parse()
    }

    #[test]
    fn fields_are_read_and_errors_name_the_field() {
        assert_eq!(
            parse(r#"{"apiKey": "k"}"#)
                .unwrap()
                .api_key
                .unwrap()
                .as_str(),
            "k"
        );
        assert!(parse(r#"{"apiKey": null}"#).unwrap().api_key.is_none());
        assert!(parse("{}").unwrap().api_key.is_none());
        let err = parse(r#"{"apiKey": 5}"#).err().unwrap();
        assert_eq!(err.to_string(), "apiKey must be a string");
        assert_eq!(parse(r#""k""#).err(), Some(SettingsError::NotAnObject));
        assert_eq!(parse("[1]").err(), Some(SettingsError::NotAnObject));
    }

    #[test]
    fn the_text_is_kept_as_given_and_never_shown() {
        let s = ConnectorSettings::from_json(r#"{"b": "2",  "a": "1"}"#).unwrap();
        assert_eq!(s.json(), r#"{"b": "2",  "a": "1"}"#);
        assert_eq!(format!("{s:?}"), "ConnectorSettings(***)");
        assert!(ConnectorSettings::from_json("{").is_err());
        let form = ConnectorSettings::from_fields([("b", "2"), ("a", "1")]);
        assert_eq!(form.json(), r#"{"a":"1","b":"2"}"#);
    }
}
