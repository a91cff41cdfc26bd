//! ISO 3166-1 country codes (alpha-2 or alpha-3, case-insensitive), from `isocountry`.

/// Normalises a country code to alpha-3, or `None` when it is not an ISO 3166-1 code.
pub fn to_alpha3(code: &str) -> Option<&'static str> {
    let upper = code.trim().to_ascii_uppercase();
    match upper.len() {
        2 => isocountry::CountryCode::for_alpha2(&upper).ok(),
        3 => isocountry::CountryCode::for_alpha3(&upper).ok(),
        _ => None,
    }
    .map(|c| c.alpha3())
}

/// Normalises a country code to alpha-2 (what gateways take), or `None` when it is not an
/// ISO 3166-1 code.
pub fn to_alpha2(code: &str) -> Option<&'static str> {
    let upper = code.trim().to_ascii_uppercase();
    match upper.len() {
        2 => isocountry::CountryCode::for_alpha2(&upper).ok(),
        3 => isocountry::CountryCode::for_alpha3(&upper).ok(),
        _ => None,
    }
    .map(|c| c.alpha2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha2_and_alpha3() {
        assert_eq!(to_alpha3("us"), Some("USA"));
        assert_eq!(to_alpha3("CAN"), Some("CAN"));
        assert_eq!(to_alpha3("XX"), None);
        assert_eq!(to_alpha3("Canada"), None);
        assert_eq!(to_alpha2("usa"), Some("US"));
        assert_eq!(to_alpha2("ca"), Some("CA"));
    }
}
