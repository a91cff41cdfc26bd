//! The one lenient JSON reader under the three dialects.
//!
//! Their clients share habits — numbers sent as strings, booleans as `"true"`, empty strings
//! for "not given" — and each vendor's server accepts a few spellings of its own: FlexPay's
//! `"yes"` and `1` for true and property names in any case, FlexFactor's names in any case
//! (its bodies are lower-cased once, see `flexfactor::body::canonical`), Flexiti's exact
//! snake_case names. Reading lives here once, parameterised by a [`Spelling`]; each dialect
//! keeps only how it reports a failure (FlexPay's first failing field and its code,
//! FlexFactor's map of every failure, Flexiti's list of parameter errors).

use serde_json::{Map, Value};

/// What one dialect's server accepts besides plain JSON types.
#[derive(Debug, Clone, Copy)]
pub struct Spelling {
    /// After an exact match, a property name matches whatever its case.
    pub any_case: bool,
    /// Text read as true / as false (compared in lower case, trimmed).
    pub truthy: &'static [&'static str],
    pub falsy: &'static [&'static str],
    /// The JSON numbers 1 and 0 are booleans.
    pub number_bools: bool,
    /// A JSON number with no fraction (`100.0`) is an integer.
    pub whole_floats: bool,
}

pub const FLEXPAY: Spelling = Spelling {
    any_case: true,
    truthy: &["true", "1", "yes"],
    falsy: &["false", "0", "no"],
    number_bools: true,
    whole_floats: true,
};

pub const FLEXFACTOR: Spelling = Spelling {
    any_case: false,
    truthy: &["true"],
    falsy: &["false"],
    number_bools: false,
    whole_floats: false,
};

pub const FLEXITI: Spelling = Spelling {
    any_case: false,
    truthy: &["true", "1"],
    falsy: &["false", "0"],
    number_bools: true,
    whole_floats: false,
};

/// A field present but not readable as asked; the dialect words the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// What reading one field found.
#[derive(Debug, PartialEq)]
pub enum Read<'a, T> {
    /// Missing, null, or blank text.
    Absent,
    Got(T),
    /// Present, but not readable as asked.
    Wrong(&'a Value),
}

impl<T> Read<'_, T> {
    /// The value, with a wrong one read as absent.
    pub fn ok(self) -> Option<T> {
        match self {
            Self::Got(v) => Some(v),
            _ => None,
        }
    }

    /// `Ok(None)` when absent, `Err` when wrong.
    pub fn checked(self) -> Result<Option<T>, Unreadable> {
        match self {
            Self::Absent => Ok(None),
            Self::Got(v) => Ok(Some(v)),
            Self::Wrong(_) => Err(Unreadable),
        }
    }
}

/// A scalar written as text: strings trimmed, numbers and booleans as JSON writes them.
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean as `spelling` reads it.
pub fn bool_of(v: &Value, spelling: &Spelling) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            if spelling.truthy.contains(&s.as_str()) {
                Some(true)
            } else if spelling.falsy.contains(&s.as_str()) {
                Some(false)
            } else {
                None
            }
        }
        Value::Number(n) if spelling.number_bools => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An integer: a JSON integer (or, where `spelling` allows, a whole float) or integer text.
pub fn int_of(v: &Value, spelling: &Spelling) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| spelling.whole_floats && f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Fields of one JSON object (or of nothing, when the object is missing).
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    map: Option<&'a Map<String, Value>>,
    spelling: Spelling,
}

impl<'a> Reader<'a> {
    pub fn new(v: Option<&'a Value>, spelling: Spelling) -> Self {
        Self {
            map: v.and_then(Value::as_object),
            spelling,
        }
    }

    pub fn of_map(map: &'a Map<String, Value>, spelling: Spelling) -> Self {
        Self {
            map: Some(map),
            spelling,
        }
    }

    pub fn exists(&self) -> bool {
        self.map.is_some()
    }

    /// The value under `key`, null included.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        let m = self.map?;
        m.get(key).or_else(|| {
            self.spelling
                .any_case
                .then(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
                .flatten()
                .map(|(_, v)| v)
        })
    }

    /// The value under `key` unless it is null or blank text.
    pub fn present(&self, key: &str) -> Option<&'a Value> {
        self.get(key).filter(|v| !blank(v))
    }

    /// The object under `key`; nothing when it is missing or not an object.
    pub fn child(&self, key: &str) -> Reader<'a> {
        Reader {
            map: self.get(key).and_then(Value::as_object),
            spelling: self.spelling,
        }
    }

    /// The object under `key`.
    pub fn object(&self, key: &str) -> Read<'a, Reader<'a>> {
        match self.get(key) {
            None | Some(Value::Null) => Read::Absent,
            Some(Value::Object(m)) => Read::Got(Reader::of_map(m, self.spelling)),
            Some(v) => Read::Wrong(v),
        }
    }

    /// Text (see [`text_of`]); blank text is absent.
    pub fn text(&self, key: &str) -> Read<'a, String> {
        match self.present(key) {
            None => Read::Absent,
            Some(v) => text_of(v).map_or(Read::Wrong(v), Read::Got),
        }
    }

    pub fn integer(&self, key: &str) -> Read<'a, i64> {
        match self.present(key) {
            None => Read::Absent,
            Some(v) => int_of(v, &self.spelling).map_or(Read::Wrong(v), Read::Got),
        }
    }

    pub fn boolean(&self, key: &str) -> Read<'a, bool> {
        match self.present(key) {
            None => Read::Absent,
            Some(v) => bool_of(v, &self.spelling).map_or(Read::Wrong(v), Read::Got),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reader(v: &Value, s: Spelling) -> Reader<'_> {
        Reader::new(Some(v), s)
    }

    #[test]
    fn names_match_in_any_case_only_where_the_dialect_allows() {
        let v = json!({"References": 1, "exact": 2});
        assert_eq!(reader(&v, FLEXPAY).get("references"), Some(&json!(1)));
        assert_eq!(reader(&v, FLEXITI).get("references"), None);
        assert_eq!(reader(&v, FLEXITI).get("exact"), Some(&json!(2)));
    }

    #[test]
    fn text_accepts_scalars_and_reads_blank_as_absent() {
        let v = json!({"a": " x ", "b": 12, "c": true, "d": "  ", "e": null, "f": [1]});
        let r = reader(&v, FLEXPAY);
        assert_eq!(r.text("a"), Read::Got("x".into()));
        assert_eq!(r.text("b"), Read::Got("12".into()));
        assert_eq!(r.text("c"), Read::Got("true".into()));
        assert_eq!(r.text("d"), Read::Absent);
        assert_eq!(r.text("e"), Read::Absent);
        assert_eq!(r.text("missing"), Read::Absent);
        assert_eq!(r.text("f"), Read::Wrong(&json!([1])));
    }

    #[test]
    fn booleans_follow_each_dialects_spellings() {
        let v = json!({"yes": "yes", "one": 1, "text1": "1", "t": " TRUE "});
        let fp = reader(&v, FLEXPAY);
        assert_eq!(fp.boolean("yes"), Read::Got(true));
        assert_eq!(fp.boolean("one"), Read::Got(true));
        let ff = reader(&v, FLEXFACTOR);
        assert_eq!(ff.boolean("yes"), Read::Wrong(&json!("yes")));
        assert_eq!(ff.boolean("one"), Read::Wrong(&json!(1)));
        assert_eq!(ff.boolean("t"), Read::Got(true));
        let flexiti = reader(&v, FLEXITI);
        assert_eq!(flexiti.boolean("text1"), Read::Got(true));
        assert_eq!(flexiti.boolean("yes"), Read::Wrong(&json!("yes")));
    }

    #[test]
    fn integers_take_text_and_whole_floats_only_where_allowed() {
        let v = json!({"s": " 42 ", "f": 100.0, "half": 1.5, "word": "x"});
        let fp = reader(&v, FLEXPAY);
        assert_eq!(fp.integer("s"), Read::Got(42));
        assert_eq!(fp.integer("f"), Read::Got(100));
        assert_eq!(fp.integer("half"), Read::Wrong(&json!(1.5)));
        assert_eq!(
            reader(&v, FLEXFACTOR).integer("f"),
            Read::Wrong(&json!(100.0))
        );
        assert_eq!(fp.integer("word"), Read::Wrong(&json!("x")));
    }

    #[test]
    fn objects_are_read_or_refused() {
        let v = json!({"o": {"k": 1}, "n": null, "s": "x"});
        let r = reader(&v, FLEXPAY);
        assert!(matches!(r.object("o"), Read::Got(o) if o.get("k") == Some(&json!(1))));
        assert!(matches!(r.object("n"), Read::Absent));
        assert!(matches!(r.object("s"), Read::Wrong(_)));
        assert!(!r.child("s").exists());
    }
}
