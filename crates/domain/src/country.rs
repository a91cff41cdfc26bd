//! ISO 3166-1 countries as clients write them: an alpha-2 or alpha-3 code, or an English name —
//! the seed's "Three-letter, Two-letter or name of the country defined in ISO 3166-1" — read
//! case-insensitively through `celes`, whose tables carry each country's ISO English name and
//! its common forms ("United States", "United Kingdom"). Nothing here lists countries by hand;
//! the code only brings a written name to the shape of celes' keys.

use celes::Country;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The country `text` names, or `None` when it is neither an ISO 3166-1 code nor a name.
fn find(text: &str) -> Option<Country> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_alphabetic()) {
        match t.len() {
            2 => return Country::from_alpha2(t).ok(),
            3 => return Country::from_alpha3(t).ok(),
            _ => {}
        }
    }
    let split = qualified(t);
    by_name(t)
        .or_else(|| split.and_then(|(head, tail)| by_name(&format!("{tail} {head}"))))
        .or_else(|| split.and_then(|(head, _)| by_name(head)))
}

/// ISO writes some names with a qualifier after the name: "Korea (the Republic of)",
/// "Palestine, State of", "Bolivia (Plurinational State of)". Returns the name and the
/// qualifier, which read in order ("the Republic of Korea") or dropped ("Bolivia") give a
/// form celes knows.
fn qualified(name: &str) -> Option<(&str, &str)> {
    let (head, tail) = match name.split_once('(') {
        Some((head, tail)) => (head, tail.trim_end().strip_suffix(')')?),
        None => name.split_once(',')?,
    };
    Some((head.trim(), tail.trim())).filter(|(h, t)| !h.is_empty() && !t.is_empty())
}

/// A name looked up among celes' names and aliases, which are keyed as lower-case letters and
/// digits only. ISO brackets a "the" ("United Kingdom … (the)") where celes keys some names
/// with a leading one ("theunitedstatesofamerica") and keeps an inner one
/// ("saintvincentandthegrenadines"): the name is tried with and without its "the"s, and with
/// a leading one.
fn by_name(name: &str) -> Option<Country> {
    let words = words(name);
    let all: String = words.concat();
    let without_the: String = words
        .iter()
        .filter(|w| *w != "the")
        .map(String::as_str)
        .collect();
    [all, without_the]
        .into_iter()
        .filter(|k| !k.is_empty())
        .flat_map(|k| [format!("the{k}"), k])
        .find_map(|k| {
            Country::from_name(&k)
                .or_else(|_| Country::from_alias(&k))
                .ok()
        })
}

/// The words of a name, lower-case, accents dropped ("Côte d'Ivoire" → côte is "cote"), split
/// at anything that is not a letter or digit.
fn words(name: &str) -> Vec<String> {
    let folded: String = name
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Normalises a country code or name to alpha-3, or `None` when it names no ISO 3166-1
/// country.
pub fn to_alpha3(text: &str) -> Option<&'static str> {
    find(text).map(|c| c.alpha3)
}

/// Normalises a country code or name to alpha-2 (what gateways take), or `None` when it names
/// no ISO 3166-1 country.
pub fn to_alpha2(text: &str) -> Option<&'static str> {
    find(text).map(|c| c.alpha2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha2_and_alpha3() {
        assert_eq!(to_alpha3("us"), Some("USA"));
        assert_eq!(to_alpha3("CAN"), Some("CAN"));
        assert_eq!(to_alpha3("XX"), None);
        assert_eq!(to_alpha3("XXX"), None);
        assert_eq!(to_alpha2("usa"), Some("US"));
        assert_eq!(to_alpha2("ca"), Some("CA"));
    }

    #[test]
    fn english_names_in_any_case() {
        for (name, alpha3) in [
            ("Canada", "CAN"),
            ("canada", "CAN"),
            ("CANADA", "CAN"),
            ("United States", "USA"),
            ("united states of america", "USA"),
            ("The United States of America", "USA"),
            ("United States of America (the)", "USA"),
            ("United Kingdom", "GBR"),
            (
                "United Kingdom of Great Britain and Northern Ireland (the)",
                "GBR",
            ),
            ("Viet Nam", "VNM"),
            ("Côte d'Ivoire", "CIV"),
            ("Türkiye", "TUR"),
            ("Korea (the Republic of)", "KOR"),
            ("Palestine, State of", "PSE"),
            ("  Mexico ", "MEX"),
        ] {
            assert_eq!(to_alpha3(name), Some(alpha3), "{name}");
        }
        assert_eq!(to_alpha2("Canada"), Some("CA"));
    }

    #[test]
    fn not_countries() {
        for text in ["", "   ", "Atlantis", "United", "the", "(", "Kingdom (of)"] {
            assert_eq!(to_alpha3(text), None, "{text:?}");
        }
        assert_eq!(to_alpha3(&"a".repeat(500)), None);
    }

    /// Every country's ISO 3166-1 English name in `isocountry`'s independent table resolves
    /// to the same country.
    #[test]
    fn every_iso_name_of_another_table_resolves() {
        let missed: Vec<String> = isocountry::CountryCode::iter()
            .filter(|c| to_alpha3(c.name()) != Some(c.alpha3()))
            .map(|c| format!("{} {:?} → {:?}", c.alpha3(), c.name(), to_alpha3(c.name())))
            .collect();
        assert!(
            missed.is_empty(),
            "{} names missed: {missed:#?}",
            missed.len()
        );
    }
}
