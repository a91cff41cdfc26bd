//! One spelling of an instant on every wire, so FlexPay, FlexFactor, Flexiti, the webhooks and the
//! admin API can never drift apart in how they write a timestamp.

use ::time::OffsetDateTime;
use ::time::format_description::well_known::Rfc3339;

/// RFC 3339 as the `time` crate writes it (offset as given, fractional seconds only when non-zero);
/// empty if the instant cannot be written (a year outside 0..=9999).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `#[serde(serialize_with = "…::time::as_rfc3339")]`: a typed instant written as [`rfc3339`]
/// on the wire, so views keep the instant and pages format it their own way.
pub fn as_rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// [`as_rfc3339`] for an optional instant (`null` for none).
pub fn as_rfc3339_opt<S: serde::Serializer>(
    t: &Option<OffsetDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_z_and_drops_zero_fraction() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        let t = t + ::time::Duration::microseconds(250);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.00025Z");
    }
}
