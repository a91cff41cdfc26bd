//! Applicant fields from the PDF417 barcode on a North American driver's licence or ID card.
//!
//! Point-of-sale scanners read the barcode (AAMVA DL/ID card design standard) and send the
//! decoded text; prefilling a credit application from it saves typing at the till and avoids
//! transcription errors in names, dates of birth and postal codes. Scanners differ in how they
//! pass the control characters through (`\n`, `\r\n` or `\r`, with or without the record
//! separator), and jurisdictions differ in date order (the US writes `MMDDCCYY`, Canada
//! `CCYYMMDD`), so the parser is lenient about layout and strict about values: a date that does
//! not exist is an error rather than a silently wrong prefill.

use serde::Serialize;
use time::{Date, Month};

/// The fields of a licence used to prefill an application. Every field is optional: cards
/// omit elements, and the applicant can type what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Licence {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// `YYYY-MM-DD`.
    pub expiry: Option<String>,
    pub address_1: Option<String>,
    pub city: Option<String>,
    /// Two-letter jurisdiction code (`ON`, `QC`, `NY`, …).
    pub province: Option<String>,
    /// Upper case, no spaces (`M5V2T6`, `12345`).
    pub postal_code: Option<String>,
    pub licence_number: Option<String>,
    /// `CAN` or `USA` as written on the card.
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AamvaError {
    #[error("not an AAMVA barcode (missing the ANSI header)")]
    NotAamva,
    #[error("the barcode has no DL or ID subfile")]
    NoSubfile,
    #[error("field {0} is malformed")]
    Malformed(&'static str),
}

/// Parses decoded PDF417 text into the applicant fields.
///
/// The text starts with `@`, separators, then `ANSI ` (or `AAMVA` on pre-2000 cards) and the
/// subfile designators; data elements follow one per line (`DCSSMITH`). The first subfile line
/// may carry the subfile type before its first element (`DLDAQT64235789`), and that line may
/// be the end of the header line itself.
pub fn parse(text: &str) -> Result<Licence, AamvaError> {
    let body = strip_header(text).ok_or(AamvaError::NotAamva)?;
    let mut lines = body.split(['\r', '\n']);
    let header = lines.next().unwrap_or_default();

    let (declared, first) = match designators(header) {
        Some((types, rest)) => (Some(types), rest),
        None => (None, subfile_start_in(header).unwrap_or_default()),
    };
    if let Some(types) = &declared
        && !types.iter().any(|t| *t == "DL" || *t == "ID")
    {
        return Err(AamvaError::NoSubfile);
    }

    let elements = Elements::collect(std::iter::once(first).chain(lines));
    if elements.is_empty() {
        return Err(AamvaError::NoSubfile);
    }
    elements.licence()
}

/// Everything after `ANSI`/`AAMVA`, or `None` when the compliance header is missing.
fn strip_header(text: &str) -> Option<&str> {
    let is_filler = |c: char| c.is_whitespace() || c.is_control();
    let rest = text.trim_start_matches(is_filler).strip_prefix('@')?;
    let rest = rest.trim_start_matches(is_filler);
    if let Some(r) = rest.strip_prefix("ANSI") {
        Some(r.strip_prefix(' ').unwrap_or(r))
    } else {
        rest.strip_prefix("AAMVA")
    }
}

/// Reads the header after `ANSI `: issuer (6 digits), AAMVA version (2), jurisdiction version
/// (2, from version 02 on), entry count (2) and that many 10-character designators (type,
/// offset, length). Returns the declared subfile types and what follows the designators on
/// the same line (the start of the first subfile, if the scanner kept it there).
fn designators(header: &str) -> Option<(Vec<&str>, &str)> {
    fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
        let head = s.get(..n)?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((head.parse().ok()?, &s[n..]))
    }
    let (_issuer, rest) = digits(header.trim_start(), 6)?;
    let (version, rest) = digits(rest, 2)?;
    let rest = if version >= 2 {
        digits(rest, 2)?.1
    } else {
        rest
    };
    let (count, mut rest) = digits(rest, 2)?;
    if count == 0 {
        return None;
    }
    let mut types = Vec::new();
    for _ in 0..count {
        let kind = rest.get(..2)?;
        if !kind
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return None;
        }
        digits(&rest[2..], 4)?;
        rest = digits(&rest[6..], 4)?.1;
        types.push(kind);
    }
    Some((types, rest))
}

/// Without parseable designators, the first subfile on the header line starts at the first
/// `DL` or `ID` that is followed by an element identifier.
fn subfile_start_in(header: &str) -> Option<&str> {
    (0..header.len())
        .filter(|&i| header.is_char_boundary(i))
        .map(|i| &header[i..])
        .find(|s| (s.starts_with("DL") || s.starts_with("ID")) && is_element_id(&s[2..]))
}

/// `D` followed by two upper-case letters: the identifiers of the standard data elements.
fn is_element_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0] == b'D' && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase()
}

/// The standard data elements of the DL/ID subfile, first occurrence of each kept.
struct Elements<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Elements<'a> {
    fn collect(lines: impl Iterator<Item = &'a str>) -> Self {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for line in lines {
            let line = line.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
            // A subfile starts with its type; no element identifier begins with `DL` or `I`.
            let line = match line.get(..2) {
                Some("DL" | "ID") if is_element_id(&line[2..]) => &line[2..],
                _ => line,
            };
            if !is_element_id(line) {
                continue; // jurisdiction-specific (`Z…`) elements, blank lines, stray bytes
            }
            let (id, value) = line.split_at(3);
            if !out.iter().any(|(k, _)| *k == id) {
                out.push((id, value));
            }
        }
        Self(out)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The trimmed value of an element, `None` when absent, blank or a "none"/"unavailable"
    /// placeholder.
    fn get(&self, id: &str) -> Option<&'a str> {
        let (_, v) = self.0.iter().find(|(k, _)| *k == id)?;
        let v = v.trim_matches(|c: char| c.is_whitespace() || c.is_control());
        let placeholder = ["NONE", "UNAVL", "UNAVAIL", "UNAVAILABLE", "N/A"]
            .iter()
            .any(|p| v.eq_ignore_ascii_case(p));
        (!v.is_empty() && !placeholder).then_some(v)
    }

    fn licence(&self) -> Result<Licence, AamvaError> {
        let country = self.get("DCG").map(|c| c.to_ascii_uppercase());
        let order = match country.as_deref() {
            Some("USA") => DateOrder::Us,
            Some("CAN") => DateOrder::Canada,
            _ => DateOrder::Unknown,
        };

        let (mut first, mut middle) = (self.get("DAC").map(str::to_string), None);
        if first.is_none()
            && let Some(given) = self.get("DCT")
        {
            let (f, m) = split_given_names(given);
            first = f;
            middle = m;
        }
        let mut last = self
            .get("DCS")
            .or_else(|| self.get("DAB"))
            .map(str::to_string);
        // Pre-2009 cards: the full name in one element, `FAMILY,FIRST,MIDDLE`.
        if let Some(full) = self.get("DAA") {
            let mut parts = full.splitn(2, ',');
            let family = parts.next().filter(|s| !s.trim().is_empty());
            let (f, m) = parts.next().map(split_given_names).unwrap_or_default();
            last = last.or(family.map(str::to_string));
            first = first.or(f);
            middle = middle.or(m);
        }
        if let Some(m) = self.get("DAD") {
            middle = Some(m.to_string());
        }

        let province = match self.get("DAJ") {
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Some(p.to_ascii_uppercase())
            }
            Some(_) => return Err(AamvaError::Malformed("DAJ")),
            None => None,
        };

        Ok(Licence {
            first_name: first.as_deref().and_then(title_case),
            middle_name: middle.as_deref().and_then(title_case),
            last_name: last.as_deref().and_then(title_case),
            dob: self.date("DBB", order)?,
            expiry: self.date("DBA", order)?,
            address_1: self.get("DAG").map(collapse),
            city: self.get("DAI").map(collapse),
            province,
            postal_code: self.get("DAK").map(postal_code),
            licence_number: self.get("DAQ").map(collapse),
            country,
        })
    }

    fn date(&self, id: &'static str, order: DateOrder) -> Result<Option<String>, AamvaError> {
        let Some(raw) = self.get(id) else {
            return Ok(None);
        };
        let date = match order {
            DateOrder::Us => mmddccyy(raw),
            DateOrder::Canada => ccyymmdd(raw),
            DateOrder::Unknown => ccyymmdd(raw).or_else(|| mmddccyy(raw)),
        }
        .ok_or(AamvaError::Malformed(id))?;
        Ok(Some(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )))
    }
}

#[derive(Debug, Clone, Copy)]
enum DateOrder {
    /// `MMDDCCYY`.
    Us,
    /// `CCYYMMDD`.
    Canada,
    /// Try `CCYYMMDD`, then `MMDDCCYY`.
    Unknown,
}

/// Years outside this range are a mis-ordered date, not a real birth or expiry date.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

fn ymd(year: &str, month: &str, day: &str) -> Option<Date> {
    let year: i32 = year.parse().ok()?;
    if !PLAUSIBLE_YEARS.contains(&year) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, day.parse().ok()?).ok()
}

fn eight_digits(s: &str) -> Option<&str> {
    (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

fn ccyymmdd(s: &str) -> Option<Date> {
    let s = eight_digits(s)?;
    ymd(&s[..4], &s[4..6], &s[6..])
}

fn mmddccyy(s: &str) -> Option<Date> {
    let s = eight_digits(s)?;
    ymd(&s[4..], &s[..2], &s[2..4])
}

/// `DCT` holds all given names: `FIRST,MIDDLE` or `FIRST MIDDLE SECOND-MIDDLE`.
fn split_given_names(given: &str) -> (Option<String>, Option<String>) {
    let given = given.trim();
    let (first, rest) = match given.split_once(',') {
        Some((f, r)) => (f, r.replace(',', " ")),
        None => match given.split_once(char::is_whitespace) {
            Some((f, r)) => (f, r.to_string()),
            None => (given, String::new()),
        },
    };
    let some = |s: &str| {
        let s = collapse(s);
        (!s.is_empty()).then_some(s)
    };
    (some(first), some(&rest))
}

/// Trims and collapses runs of inner whitespace to one space.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `SMITH` → `Smith`, `JEAN-LUC` → `Jean-Luc`, `O'NEIL` → `O'Neil`: a letter is capitalised
/// when it does not follow another letter or digit.
fn title_case(s: &str) -> Option<String> {
    let s = collapse(s);
    if s.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut prev_alnum = false;
    for c in s.chars() {
        if prev_alnum {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_alnum = c.is_alphanumeric();
    }
    Some(out)
}

/// Upper case without spaces or dashes; a US ZIP padded with zeros (`123450000`) keeps only
/// its five digits, and a Canadian code keeps only its six characters.
fn postal_code(raw: &str) -> String {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = code.as_bytes();
    let canadian = b.len() >= 6
        && b.iter().take(6).enumerate().all(|(i, c)| {
            if i % 2 == 0 {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_digit()
            }
        });
    if canadian {
        return code[..6].to_string();
    }
    if b.len() > 5 && b.iter().all(u8::is_ascii_digit) && b[5..].iter().all(|c| *c == b'0') {
        return code[..5].to_string();
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ontario licence as a Honeywell scanner sends it: the first subfile begins on the
    /// header line, and a jurisdiction subfile follows.
    const ONTARIO: &str = "@\n\x1e\rANSI 636012090002DL00410278ZO03190008DLDAQS1234-56789-05215\n\
        DCAG\nDCBNONE\nDCDNONE\nDBA20300215\nDCSSMITH\nDACJOHN\nDADWILLIAM\nDBD20250301\n\
        DBB19850215\nDBC1\nDAYBRO\nDAU178 cm\nDAG123  MAIN ST\nDAITORONTO\nDAJON\n\
        DAKM5V 2T6    \nDCFFA1234567\nDCGCAN\nDDEN\nDDFN\nDDGN\r\
        ZOZOAN\nZOB0\r";

    const US: &str = "@\n\x1e\rANSI 636014080102DL00410288ZC03290024DLDAQD1234567\n\
        DCSO'NEIL\nDDEN\nDACMARY\nDDFN\nDADANNE\nDDGN\nDCAC\nDCBNONE\nDCDNONE\n\
        DBD04012024\nDBB07041990\nDBA07042029\nDBC2\nDAYBLU\nDAU065 IN\n\
        DAG456 ELM STREET\nDAISACRAMENTO\nDAJCA\nDAK958140000  \nDCF12345678901234\n\
        DCGUSA\nDAW120\r\nZCZCAY\r";

    #[test]
    fn ontario_licence() {
        let l = parse(ONTARIO).unwrap();
        assert_eq!(
            l,
            Licence {
                first_name: Some("John".into()),
                middle_name: Some("William".into()),
                last_name: Some("Smith".into()),
                dob: Some("1985-02-15".into()),
                expiry: Some("2030-02-15".into()),
                address_1: Some("123 MAIN ST".into()),
                city: Some("TORONTO".into()),
                province: Some("ON".into()),
                postal_code: Some("M5V2T6".into()),
                licence_number: Some("S1234-56789-05215".into()),
                country: Some("CAN".into()),
            }
        );
    }

    #[test]
    fn us_licence_with_mmddccyy_dates() {
        let l = parse(US).unwrap();
        assert_eq!(l.first_name.as_deref(), Some("Mary"));
        assert_eq!(l.middle_name.as_deref(), Some("Anne"));
        assert_eq!(l.last_name.as_deref(), Some("O'Neil"));
        assert_eq!(l.dob.as_deref(), Some("1990-07-04"));
        assert_eq!(l.expiry.as_deref(), Some("2029-07-04"));
        assert_eq!(l.province.as_deref(), Some("CA"));
        assert_eq!(l.postal_code.as_deref(), Some("95814"));
        assert_eq!(l.licence_number.as_deref(), Some("D1234567"));
        assert_eq!(l.country.as_deref(), Some("USA"));
        assert_eq!(l.city.as_deref(), Some("SACRAMENTO"));
    }

    #[test]
    fn zip_plus_four_is_kept() {
        assert_eq!(postal_code("95814-1234 "), "958141234");
        assert_eq!(postal_code("958140000  "), "95814");
        assert_eq!(postal_code("h2x 1y4"), "H2X1Y4");
        assert_eq!(postal_code("K1A0B1000"), "K1A0B1");
    }

    #[test]
    fn dct_combined_names() {
        let text = "@\n\x1e\rANSI 636012030001DL00310120\nDLDAQA12345\nDCSTREMBLAY\n\
                    DCTJEAN-LUC,MARIE ANDRÉ\nDBB19700101\nDCGCAN\n";
        let l = parse(text).unwrap();
        assert_eq!(l.first_name.as_deref(), Some("Jean-Luc"));
        assert_eq!(l.middle_name.as_deref(), Some("Marie André"));
        assert_eq!(l.last_name.as_deref(), Some("Tremblay"));

        let text = "@\n\x1e\rANSI 636012030001DL00310120\nDLDAQA12345\nDCSLEE\n\
                    DCTANNA   MAY\nDBB19700101\n";
        let l = parse(text).unwrap();
        assert_eq!(l.first_name.as_deref(), Some("Anna"));
        assert_eq!(l.middle_name.as_deref(), Some("May"));

        let text = "@\n\x1e\rANSI 636012030001DL00310120\nDLDAQA12345\nDCTPRINCE\n";
        let l = parse(text).unwrap();
        assert_eq!(l.first_name.as_deref(), Some("Prince"));
        assert_eq!(l.middle_name, None);
    }

    #[test]
    fn dac_wins_over_dct() {
        let text = "@\nANSI 636012030001DL00310120\nDLDAQA1\nDACANN\nDCTANNIE,BETH\n";
        let l = parse(text).unwrap();
        assert_eq!(l.first_name.as_deref(), Some("Ann"));
        assert_eq!(l.middle_name, None);
    }

    #[test]
    fn crlf_separators() {
        let text = ONTARIO.replace('\n', "\r\n");
        assert_eq!(parse(&text).unwrap(), parse(ONTARIO).unwrap());
        let text = "@\r\n\x1e\r\nANSI 636012090002DL00410278ZO03190008\r\nDLDAQS1234\r\n\
                    DCSSMITH\r\nDACJOHN\r\nDBB19850215\r\nDCGCAN\r\n";
        let l = parse(text).unwrap();
        assert_eq!(l.licence_number.as_deref(), Some("S1234"));
        assert_eq!(l.first_name.as_deref(), Some("John"));
        assert_eq!(l.dob.as_deref(), Some("1985-02-15"));
    }

    #[test]
    fn cr_only_separators() {
        let text = ONTARIO.replace('\n', "\r");
        assert_eq!(parse(&text).unwrap(), parse(ONTARIO).unwrap());
    }

    #[test]
    fn id_card_and_aamva_header() {
        let text = "@\n\x1e\rAAMVA6360000101ID00390187\nIDDAQX9\nDCSDOE\nDACJANE\n";
        let l = parse(text).unwrap();
        assert_eq!(l.licence_number.as_deref(), Some("X9"));
        assert_eq!(l.last_name.as_deref(), Some("Doe"));
    }

    #[test]
    fn garbled_designators_fall_back_to_scanning_the_header_line() {
        let text = "@\n\x1e\rANSI 6360120900DL0041DLDAQZ77\nDCSROY\n";
        let l = parse(text).unwrap();
        assert_eq!(l.licence_number.as_deref(), Some("Z77"));
        assert_eq!(l.last_name.as_deref(), Some("Roy"));
    }

    #[test]
    fn not_aamva() {
        assert_eq!(parse(""), Err(AamvaError::NotAamva));
        assert_eq!(parse("hello world"), Err(AamvaError::NotAamva));
        assert_eq!(parse("DCSSMITH\nDACJOHN"), Err(AamvaError::NotAamva));
        assert_eq!(parse("@\n\x1e\rXYZ 636012"), Err(AamvaError::NotAamva));
    }

    #[test]
    fn no_subfile() {
        // Only a jurisdiction subfile declared.
        let text = "@\n\x1e\rANSI 636012090001ZO00310020\rZOZOAFOO\r";
        assert_eq!(parse(text), Err(AamvaError::NoSubfile));
        // A header and nothing else.
        assert_eq!(parse("@\n\x1e\rANSI "), Err(AamvaError::NoSubfile));
        // DL declared but no elements present.
        let text = "@\n\x1e\rANSI 636012090001DL00310020\r\r";
        assert_eq!(parse(text), Err(AamvaError::NoSubfile));
    }

    #[test]
    fn malformed_dates() {
        let base = "@\n\x1e\rANSI 636012090001DL00310020\nDLDAQX1\nDCSSMITH\n";
        let bad_dob = format!("{base}DBB19851345\nDCGCAN\n");
        assert_eq!(parse(&bad_dob), Err(AamvaError::Malformed("DBB")));
        let bad_dob = format!("{base}DBB1985-02-15\n");
        assert_eq!(parse(&bad_dob), Err(AamvaError::Malformed("DBB")));
        // Canadian order on a US card is wrong, not silently reinterpreted.
        let wrong_order = format!("{base}DBB19850215\nDCGUSA\n");
        assert_eq!(parse(&wrong_order), Err(AamvaError::Malformed("DBB")));
        let bad_expiry = format!("{base}DBB19850215\nDBA20300230\nDCGCAN\n");
        assert_eq!(parse(&bad_expiry), Err(AamvaError::Malformed("DBA")));
        let bad_province = format!("{base}DAJONT\n");
        assert_eq!(parse(&bad_province), Err(AamvaError::Malformed("DAJ")));
    }

    #[test]
    fn dates_without_country_try_canadian_then_us_order() {
        let base = "@\n\x1e\rANSI 636012090001DL00310020\nDLDAQX1\n";
        let l = parse(&format!("{base}DBB19850215\nDBA02152030\n")).unwrap();
        assert_eq!(l.dob.as_deref(), Some("1985-02-15"));
        assert_eq!(l.expiry.as_deref(), Some("2030-02-15"));
        assert_eq!(l.country, None);
    }

    #[test]
    fn title_casing() {
        assert_eq!(title_case("SMITH").as_deref(), Some("Smith"));
        assert_eq!(title_case("JEAN-LUC").as_deref(), Some("Jean-Luc"));
        assert_eq!(title_case("O'NEIL").as_deref(), Some("O'Neil"));
        assert_eq!(
            title_case("  VAN   DER  BERG ").as_deref(),
            Some("Van Der Berg")
        );
        assert_eq!(title_case("GAGNÉ-ÉMOND").as_deref(), Some("Gagné-Émond"));
        assert_eq!(title_case("   "), None);
    }

    #[test]
    fn names_are_cleaned_in_parse() {
        let text = "@\n\x1e\rANSI 636012090001DL00310020\nDLDAQX1\nDCS  O'NEIL-SMITH \n\
                    DACMARY  KATE\nDADNONE\n";
        let l = parse(text).unwrap();
        assert_eq!(l.last_name.as_deref(), Some("O'Neil-Smith"));
        assert_eq!(l.first_name.as_deref(), Some("Mary Kate"));
        assert_eq!(l.middle_name, None);
    }

    #[test]
    fn legacy_full_name_element() {
        let text = "@\n\x1e\rANSI 6360000101DL00390187\nDLDAQX1\nDAAPUBLIC,JOHN,QUINCY\n";
        let l = parse(text).unwrap();
        assert_eq!(l.last_name.as_deref(), Some("Public"));
        assert_eq!(l.first_name.as_deref(), Some("John"));
        assert_eq!(l.middle_name.as_deref(), Some("Quincy"));
    }
}
