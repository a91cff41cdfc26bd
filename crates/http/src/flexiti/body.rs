//! Reading Flexiti request bodies: form-encoded (what the vendor documents for the token call)
//! or JSON (what its other examples use), into one JSON object, then field by field with every
//! failure collected so the client sees all of them in one `field_errors` list.
//!
//! Scalars are lenient the way the vendor's examples are (`"verification_code":1234` and
//! `"amount":"10.00"` are both documented), but money is exact: at most two decimals, parsed
//! from text, never through floating point.

use super::{FieldError, FlexitiError};
use crate::lenient::{self, FLEXITI, Reader};
use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use openflex_domain::Secret;
use openflex_domain::money::{self, AmountError};
use serde_json::{Map, Value};

/// The request body as a JSON object, or why it could not be read.
pub struct FlexitiBody(pub Result<Value, ()>);

impl<S: Send + Sync> FromRequest<S> for FlexitiBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(
        req: Request<axum::body::Body>,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let Ok(bytes) = Bytes::from_request(req, state).await else {
            return Ok(Self(Err(())));
        };
        Ok(Self(parse(&bytes, form)))
    }
}

fn parse(bytes: &[u8], form: bool) -> Result<Value, ()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let v = if form {
        let mut m = Map::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            m.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        Value::Object(m)
    } else {
        serde_json::from_slice::<Value>(bytes).map_err(|_| ())?
    };
    if !v.is_object() || crate::json_has_nul(&v) {
        return Err(());
    }
    Ok(v)
}

impl FlexitiBody {
    /// The object, or 400 `general_error` for a body that is not one.
    pub fn object(self) -> Result<Value, FlexitiError> {
        self.0.map_err(|()| FlexitiError::code("general_error"))
    }
}

/// Field readers over one object, read with Flexiti's spellings
/// ([`crate::lenient::FLEXITI`]), collecting failures.
pub struct Fields<'a> {
    r: Reader<'a>,
    prefix: &'static str,
    pub errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value) -> Self {
        Self {
            r: Reader::new(Some(v), FLEXITI),
            prefix: "",
            errors: Vec::new(),
        }
    }

    /// Fields of a nested object (errors named `prefix.field`).
    pub fn nested(v: Option<&'a Value>, prefix: &'static str) -> Self {
        Self {
            r: Reader::new(v, FLEXITI),
            prefix,
            errors: Vec::new(),
        }
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.r
            .get(name)
            .filter(|v| !v.is_null() && *v != &Value::String(String::new()))
    }

    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    pub fn fail(&mut self, name: &str, msg: &str, value: Option<&Value>) {
        let param = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        };
        self.errors.push(FieldError {
            param,
            msg: msg.to_string(),
            value: value.cloned(),
        });
    }

    fn scalar(v: &Value) -> Option<String> {
        lenient::text_of(v)
    }

    /// A text field of at most `max` characters.
    pub fn text(&mut self, name: &str, max: usize, required: bool) -> Option<String> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        match Self::scalar(v) {
            Some(s) if s.is_empty() && required => {
                self.fail(name, "required", Some(v));
                None
            }
            Some(s) if s.is_empty() => None,
            Some(s) if s.chars().count() > max => {
                self.fail(name, "too_long", Some(v));
                None
            }
            Some(s) if s.chars().any(char::is_control) => {
                self.fail(name, "invalid", None);
                None
            }
            Some(s) => Some(s),
            None => {
                self.fail(name, "invalid", Some(v));
                None
            }
        }
    }

    /// A secret text field: like [`Fields::text`], but its value is never echoed.
    pub fn secret(&mut self, name: &str, max: usize, required: bool) -> Option<Secret<String>> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        match Self::scalar(v) {
            Some(s) if s.chars().count() > max => {
                self.fail(name, "too_long", None);
                None
            }
            Some(s) if s.is_empty() || s.chars().any(char::is_control) => {
                self.fail(name, "invalid", None);
                None
            }
            Some(s) => Some(Secret::new(s)),
            None => {
                self.fail(name, "invalid", None);
                None
            }
        }
    }

    /// A string of digits with a length in `len` (card and account numbers). Spaces and dashes
    /// are ignored. Secret when `secret` (the value is not echoed).
    pub fn digits(
        &mut self,
        name: &str,
        len: std::ops::RangeInclusive<usize>,
        required: bool,
        secret: bool,
    ) -> Option<String> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        let echo = if secret { None } else { Some(v) };
        let Some(s) = Self::scalar(v) else {
            self.fail(name, "invalid", echo);
            return None;
        };
        let d: String = s.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) || !len.contains(&d.len()) {
            self.fail(name, "invalid", echo);
            return None;
        }
        Some(d)
    }

    /// One of `allowed` (case-insensitive); the default when absent.
    pub fn one_of(
        &mut self,
        name: &str,
        allowed: &[&'static str],
        default: Option<&'static str>,
    ) -> Option<&'static str> {
        let Some(v) = self.raw(name) else {
            if default.is_none() {
                self.fail(name, "required", None);
            }
            return default;
        };
        let found = Self::scalar(v)
            .and_then(|s| allowed.iter().find(|a| a.eq_ignore_ascii_case(&s)).copied());
        if found.is_none() {
            self.fail(name, "not_allowed", Some(v));
        }
        found
    }

    /// A boolean (`true`/`false`, also as text or 1/0).
    pub fn boolean(&mut self, name: &str, required: bool) -> Option<bool> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        let b = lenient::bool_of(v, &FLEXITI);
        if b.is_none() {
            self.fail(name, "invalid", Some(v));
        }
        b
    }

    /// A positive whole number within `max`.
    pub fn int(&mut self, name: &str, max: i64, required: bool) -> Option<i64> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        match lenient::int_of(v, &FLEXITI) {
            Some(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                self.fail(name, "invalid", Some(v));
                None
            }
        }
    }

    /// A money amount in dollars with at most two decimals → minor units (18,2; > 0).
    pub fn money(&mut self, name: &str, required: bool) -> Option<i64> {
        let Some(v) = self.raw(name) else {
            if required {
                self.fail(name, "required", None);
            }
            return None;
        };
        let text = match v {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => {
                self.fail(name, "invalid", Some(v));
                return None;
            }
        };
        match parse_money(&text) {
            Ok(m) if m > 0 => Some(m),
            Ok(_) => {
                self.fail(name, "must_be_positive", Some(v));
                None
            }
            Err(msg) => {
                self.fail(name, msg, Some(v));
                None
            }
        }
    }

    /// A date `YYYY-MM-DD`.
    pub fn date(&mut self, name: &str, required: bool) -> Option<String> {
        let s = self.text(name, 10, required)?;
        let ok = time::Date::parse(
            &s,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok();
        if !ok {
            let v = self.raw(name);
            self.fail(name, "invalid", v);
            return None;
        }
        Some(s)
    }

    /// An object (e.g. `sku_data`), kept as given; at most `max_len` bytes serialised.
    pub fn object(&mut self, name: &str, max_len: usize) -> Option<Value> {
        let v = self.raw(name)?;
        if !v.is_object() || v.to_string().len() > max_len {
            self.fail(name, "invalid", None);
            return None;
        }
        Some(v.clone())
    }
}

/// Dollars text → minor units: digits, optional `.` and at most two decimals, at most 16
/// integer digits (the vendor's 18,2). The number itself is read by
/// [`money::decimal_to_minor`]; this adds Flexiti's refusals: any sign but `+` is
/// `must_be_positive`, surrounding spaces and a seventeenth integer digit are `invalid`.
pub fn parse_money(text: &str) -> Result<i64, &'static str> {
    if text.starts_with('-') {
        return Err("must_be_positive");
    }
    let int = text.split_once('.').map_or(text, |(int, _)| int);
    let int = int.strip_prefix('+').unwrap_or(int);
    if text.trim() != text || int.len() > 16 {
        return Err("invalid");
    }
    money::decimal_to_minor(text, 2).map_err(|e| match e {
        AmountError::TooPrecise => "too_many_decimals",
        AmountError::NotANumber | AmountError::OutOfRange => "invalid",
    })
}

/// Minor units → `"10.00"`.
pub fn dollars(minor: i64) -> String {
    openflex_domain::money::minor_to_decimal(minor, 2)
}

/// Minor units → a JSON number with two decimals' precision (e.g. `20.33`).
pub fn dollars_number(minor: i64) -> Value {
    dollars(minor)
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Basis points → a rate as a JSON number with four decimals (999 → `0.0999`).
pub fn rate(bp: u32) -> Value {
    format!("{}.{:04}", bp / 10_000, bp % 10_000)
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact() {
        assert_eq!(parse_money("10.00"), Ok(1000));
        assert_eq!(parse_money("10"), Ok(1000));
        assert_eq!(parse_money("234.45"), Ok(23445));
        assert_eq!(parse_money("0.1"), Ok(10));
        assert_eq!(parse_money(".5"), Ok(50));
        assert_eq!(parse_money("10.001"), Err("too_many_decimals"));
        assert_eq!(parse_money("10.010"), Ok(1001));
        assert_eq!(parse_money("-1"), Err("must_be_positive"));
        assert_eq!(parse_money("1e3"), Err("invalid"));
        assert_eq!(parse_money("abc"), Err("invalid"));
        assert_eq!(parse_money("."), Err("invalid"));
        assert_eq!(parse_money("12345678901234567"), Err("invalid"));
        assert_eq!(
            parse_money("9999999999999999.99"),
            Ok(999_999_999_999_999_999)
        );
    }

    #[test]
    fn money_keeps_flexitis_own_refusals() {
        assert_eq!(parse_money("+1.5"), Ok(150));
        assert_eq!(parse_money(" 1"), Err("invalid"));
        assert_eq!(parse_money("1 "), Err("invalid"));
        assert_eq!(parse_money("-abc"), Err("must_be_positive"));
        assert_eq!(parse_money("+-1"), Err("invalid"));
        assert_eq!(parse_money("12345678901234567.001"), Err("invalid"));
        assert_eq!(parse_money("1.2.3"), Err("invalid"));
    }

    #[test]
    fn rates_and_dollars_render() {
        assert_eq!(rate(999).to_string(), "0.0999");
        assert_eq!(rate(0).to_string(), "0.0");
        assert_eq!(dollars_number(2033).to_string(), "20.33");
        assert_eq!(dollars(100), "1.00");
    }

    #[test]
    fn bodies_parse_as_form_or_json() {
        let v = parse(b"client_id=a&client_secret=b%2Bc", true).unwrap();
        assert_eq!(v["client_secret"], "b+c");
        assert!(parse(b"{\"a\":1}", false).is_ok());
        assert!(parse(b"[1]", false).is_err());
        assert!(parse(b"{\"a\":\"\\u0000\"}", false).is_err());
        assert_eq!(parse(b"  ", false).unwrap(), serde_json::json!({}));
    }
}
