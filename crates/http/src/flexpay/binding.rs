//! Lenient reading of FlexPay request JSON, failing with the seed's validation codes.
//!
//! Why not serde derive: FlexPay clients send `"amount":"100"`, `"retainOnSuccess":"true"`,
//! numeric customer ids and `References` in either case; and the contract needs the *first*
//! failing field, in the seed's field order, mapped to its own 5xxxx code. A small reader over
//! `serde_json::Value` does both and names the field in `errorDetail`.

use crate::lenient::{FLEXPAY, Read, Reader};
use serde_json::{Map, Value};

/// A validation failure: the FlexPay code and a detail naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub code: u32,
    pub detail: String,
}

pub type Bound<T> = Result<T, Fail>;

pub fn fail(code: u32, detail: impl Into<String>) -> Fail {
    Fail {
        code,
        detail: detail.into(),
    }
}

/// One object of a FlexPay body, read with FlexPay's spellings ([`crate::lenient::FLEXPAY`]).
#[derive(Clone, Copy)]
pub struct Obj<'a> {
    r: Reader<'a>,
    path: &'a str,
}

/// Length limits and codes of one string field.
pub struct Rule {
    pub key: &'static str,
    pub max: usize,
    pub missing: Option<u32>,
    pub length: u32,
    /// A merchant-chosen id, read in NFC (see [`crate::nfc`]) before its length is checked.
    pub id: bool,
}

pub const fn opt(key: &'static str, max: usize, length: u32) -> Rule {
    Rule {
        key,
        max,
        missing: None,
        length,
        id: false,
    }
}

pub const fn req(key: &'static str, max: usize, missing: u32, length: u32) -> Rule {
    Rule {
        key,
        max,
        missing: Some(missing),
        length,
        id: false,
    }
}

/// A required merchant-chosen id.
pub const fn id(key: &'static str, max: usize, missing: u32, length: u32) -> Rule {
    Rule {
        id: true,
        ..req(key, max, missing, length)
    }
}

impl<'a> Obj<'a> {
    pub fn new(map: &'a Map<String, Value>, path: &'a str) -> Self {
        Self {
            r: Reader::of_map(map, FLEXPAY),
            path,
        }
    }

    /// A nested object read under its own path (for error messages).
    pub fn new_child(parent: &Obj<'a>, path: &'a str) -> Self {
        Self { r: parent.r, path }
    }

    pub fn path(&self) -> &'a str {
        self.path
    }

    pub fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// Exact key first, then a case-insensitive match (`References` / `references`).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.r.get(key)
    }

    /// Present and not null/empty.
    pub fn has(&self, key: &str) -> bool {
        self.r.present(key).is_some()
    }

    /// A string (numbers and booleans are accepted and written as text); empty means absent.
    pub fn text(&self, key: &str, code_on_type: u32) -> Bound<Option<String>> {
        if let Some(Value::String(s)) = self.get(key)
            && s.contains('\0')
        {
            return Err(fail(
                code_on_type,
                format!("{} must not contain NUL characters", self.field(key)),
            ));
        }
        self.r.text(key).checked().map_err(|_| {
            fail(
                code_on_type,
                format!("{} must be a string", self.field(key)),
            )
        })
    }

    pub fn string(&self, rule: &Rule) -> Bound<Option<String>> {
        let v = self.text(rule.key, rule.length)?;
        let v = if rule.id {
            v.map(|s| crate::nfc(&s))
        } else {
            v
        };
        match (&v, rule.missing) {
            (None, Some(code)) => Err(fail(code, format!("{} is required", self.field(rule.key)))),
            (Some(s), _) if s.chars().count() > rule.max => Err(fail(
                rule.length,
                format!(
                    "{} must be at most {} characters",
                    self.field(rule.key),
                    rule.max
                ),
            )),
            _ => Ok(v),
        }
    }

    pub fn required(&self, rule: &Rule) -> Bound<String> {
        self.string(rule)?.ok_or_else(|| {
            fail(
                rule.missing.unwrap_or(50000),
                format!("{} is required", self.field(rule.key)),
            )
        })
    }

    /// An integer, as a JSON number or a numeric string.
    pub fn int(&self, key: &str) -> Bound<Option<i64>> {
        self.r
            .integer(key)
            .checked()
            .map_err(|_| fail(50000, format!("{} must be an integer", self.field(key))))
    }

    /// `true`/`false`, also as strings (`yes`/`no`) or 0/1.
    pub fn bool(&self, key: &str) -> Bound<Option<bool>> {
        self.r
            .boolean(key)
            .checked()
            .map_err(|_| fail(50000, format!("{} must be true or false", self.field(key))))
    }

    pub fn object(&self, key: &str, code_on_type: u32) -> Bound<Option<Obj<'a>>> {
        match self.r.object(key) {
            Read::Absent => Ok(None),
            Read::Got(r) => Ok(Some(Obj { r, path: self.path })),
            Read::Wrong(_) => Err(fail(
                code_on_type,
                format!("{} must be an object", self.field(key)),
            )),
        }
    }

    /// Like `object`, with the nested path extended by `key` for messages.
    pub fn nested(
        &self,
        key: &'static str,
        path: &'a str,
        code_on_type: u32,
    ) -> Bound<Option<Obj<'a>>> {
        Ok(self
            .object(key, code_on_type)?
            .map(|o| Obj { r: o.r, path }))
    }
}

/// Parses ISO 8601 / RFC 3339 date-times, and plain dates (`2023-11-8`) as midnight UTC.
pub fn parse_datetime(text: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let t = text.trim();
    if let Ok(v) = time::OffsetDateTime::parse(t, &Rfc3339) {
        return Some(v);
    }
    if let Ok(v) = time::OffsetDateTime::parse(t, &Iso8601::DEFAULT) {
        return Some(v);
    }
    if let Ok(v) = time::PrimitiveDateTime::parse(t, &Iso8601::DEFAULT) {
        return Some(v.assume_utc());
    }
    parse_date(t).map(|d| d.midnight().assume_utc())
}

/// `YYYY-M-D` with or without zero padding.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.trim().split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_scalars() {
        let v =
            json!({"amount": "100", "n": 5, "b": "true", "c": 1, "s": 123, "References": {"x": 1}});
        let o = Obj::new(v.as_object().unwrap(), "transaction");
        assert_eq!(o.int("amount").unwrap(), Some(100));
        assert_eq!(o.int("n").unwrap(), Some(5));
        assert_eq!(o.bool("b").unwrap(), Some(true));
        assert_eq!(o.bool("c").unwrap(), Some(true));
        assert_eq!(o.text("s", 50000).unwrap(), Some("123".into()));
        assert!(o.object("references", 50000).unwrap().is_some());
        assert_eq!(o.int("b").unwrap_err().code, 50000);
    }

    #[test]
    fn rules_give_their_codes() {
        let v = json!({"orderId": "x".repeat(51)});
        let o = Obj::new(v.as_object().unwrap(), "transaction");
        assert_eq!(
            o.string(&req("orderId", 50, 50126, 50127))
                .unwrap_err()
                .code,
            50127
        );
        assert_eq!(
            o.string(&req("missing", 50, 50126, 50127))
                .unwrap_err()
                .code,
            50126
        );
        assert_eq!(o.string(&opt("missing", 50, 50127)).unwrap(), None);
    }

    #[test]
    fn dates() {
        assert!(parse_datetime("2023-11-8").is_some());
        assert!(parse_datetime("1997-07-16T19:20:30.45+01:00").is_some());
        assert!(parse_datetime("2026-01-01T00:00:00Z").is_some());
        assert!(parse_datetime("2026-01-01T00:00:00").is_some());
        assert!(parse_datetime("yesterday").is_none());
    }
}
