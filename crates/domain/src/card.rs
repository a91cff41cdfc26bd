//! Card numbers: normalisation, Luhn, brand by BIN range, masking and expiry. The PAN itself
//! is only ever handled as a [`Secret`](crate::Secret) outside these pure helpers.

use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    Unknown,
}

impl Brand {
    /// The seed's brand identifier table (`cardType` on the wire).
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Visa => "VISA",
            Self::Mastercard => "MASTERCARD",
            Self::Amex => "AMERICAN EXPRESS",
            Self::Discover => "DISCOVER",
            Self::Jcb => "JCB",
            Self::Diners => "DINERS CLUB INTERNATIONAL",
            Self::Unknown => "UNKNOWN",
        }
    }

    pub fn from_wire_name(name: &str) -> Self {
        match name.to_ascii_uppercase().as_str() {
            "VISA" => Self::Visa,
            "MASTERCARD" => Self::Mastercard,
            "AMERICAN EXPRESS" | "AMEX" => Self::Amex,
            "DISCOVER" => Self::Discover,
            "JCB" => Self::Jcb,
            "DINERS CLUB INTERNATIONAL" | "DINERS" => Self::Diners,
            _ => Self::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanError {
    /// Not 12–19 digits once spaces and dashes are removed.
    BadLength,
    /// Something other than digits, spaces or dashes.
    NotDigits,
}

/// Strips the spaces and dashes people type, and checks the result is 12–19 digits.
pub fn normalize_pan(raw: &str) -> Result<String, PanError> {
    let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PanError::NotDigits);
    }
    if !(12..=19).contains(&digits.len()) {
        return Err(PanError::BadLength);
    }
    Ok(digits)
}

pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    luhn_sum(digits, 1).is_multiple_of(10)
}

/// The digit that makes `body` followed by it pass [`luhn_valid`]; `body` must be ASCII digits.
pub fn luhn_check_digit(body: &str) -> u32 {
    (10 - luhn_sum(body, 0) % 10) % 10
}

/// The Luhn sum of `digits`, doubling the digits whose position from the right (from 0) has
/// the parity `doubled`.
fn luhn_sum(digits: &str, doubled: usize) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == doubled {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum()
}

pub fn brand_of(digits: &str) -> Brand {
    let prefix = |n: usize| -> u32 { digits.get(..n).and_then(|p| p.parse().ok()).unwrap_or(0) };
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    if p1 == 4 {
        Brand::Visa
    } else if p2 == 34 || p2 == 37 {
        Brand::Amex
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        Brand::Mastercard
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6)
    {
        Brand::Discover
    } else if (3528..=3589).contains(&p4) {
        Brand::Jcb
    } else if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 {
        Brand::Diners
    } else {
        Brand::Unknown
    }
}

/// `first6******last4`, as FlexPay shows card numbers.
pub fn mask(digits: &str) -> String {
    if digits.len() < 10 {
        return "*".repeat(digits.len());
    }
    format!(
        "{}{}{}",
        &digits[..6],
        "*".repeat(digits.len() - 10),
        &digits[digits.len() - 4..]
    )
}

pub fn first_six(digits: &str) -> &str {
    &digits[..digits.len().min(6)]
}

pub fn last_four(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(4)..]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    pub month: u8,
    pub year: u16,
}

impl Expiry {
    /// A card is good through the last day of its expiry month.
    pub fn is_expired(self, today: Date) -> bool {
        let (y, m) = (today.year(), u8::from(today.month()));
        i32::from(self.year) < y || (i32::from(self.year) == y && self.month < m)
    }

    pub fn month_text(self) -> String {
        format!("{:02}", self.month)
    }

    pub fn year_text(self) -> String {
        format!("{:04}", self.year)
    }
}

/// `"7"`, `"07"` → 7; anything outside 1–12 is `None`.
pub fn parse_month(text: &str) -> Option<u8> {
    let t = text.trim();
    if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u8>().ok().filter(|m| (1..=12).contains(m))
}

/// Four-digit years, and two-digit years read as 20YY.
pub fn parse_year(text: &str) -> Option<u16> {
    let t = text.trim();
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match t.len() {
        2 => t.parse::<u16>().ok().map(|y| 2000 + y),
        4 => t.parse::<u16>().ok().filter(|y| (1900..=2199).contains(y)),
        _ => None,
    }
}

/// A year written in full, `YYYY` (FlexPay's `String(4)`): two digits are refused rather than
/// given a century.
pub fn parse_four_digit_year(text: &str) -> Option<u16> {
    let t = text.trim();
    if t.len() == 4 { parse_year(t) } else { None }
}

pub fn cvv_well_formed(cvv: &str) -> bool {
    (3..=4).contains(&cvv.len()) && cvv.bytes().all(|b| b.is_ascii_digit())
}

/// `text` with every run of 12 or more digits (single spaces or dashes between them allowed)
/// replaced by `[card number]`. Gateway texts are stored and shown to merchants; a gateway that
/// quotes the value it refused must not put a card number there, whichever connector relayed it.
pub fn mask_card_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (start, mut end, mut digits) = (i, i, 0);
        let mut j = i;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                digits += 1;
                end = j + 1;
            } else if !(matches!(bytes[j], b' ' | b'-')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit))
            {
                break;
            }
            j += 1;
        }
        if digits >= 12 {
            out.push_str(&text[copied..start]);
            out.push_str("[card number]");
            copied = end;
        }
        i = end;
    }
    if copied == 0 {
        std::borrow::Cow::Borrowed(text)
    } else {
        out.push_str(&text[copied..]);
        std::borrow::Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn card_numbers_in_gateway_texts_are_masked() {
        assert_eq!(
            mask_card_numbers("Invalid card 4111 1111-1111 1111 refused"),
            "Invalid card [card number] refused"
        );
        assert_eq!(mask_card_numbers("4111111111111111"), "[card number]");
        let kept = "REFID:123456789 code 05, auth 2024-11-30";
        assert_eq!(mask_card_numbers(kept), kept);
        assert!(matches!(
            mask_card_numbers(kept),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn sandbox_cards_pass_luhn_and_have_their_brands() {
        for (pan, brand) in [
            ("4920201996449560", Brand::Visa),
            ("5244209084665514", Brand::Mastercard),
            ("341674949684898", Brand::Amex),
            ("30349475125576", Brand::Diners),
            ("3530111333300000", Brand::Jcb),
            ("6011885753412897", Brand::Discover),
        ] {
            assert!(luhn_valid(pan), "{pan}");
            assert_eq!(brand_of(pan), brand, "{pan}");
        }
        assert!(!luhn_valid("4920201996449561"));
        assert_eq!(brand_of("2221000000000009"), Brand::Mastercard);
    }

    #[test]
    fn masking() {
        assert_eq!(mask("4920201996449560"), "492020******9560");
        assert_eq!(mask("341674949684898"), "341674*****4898");
        assert_eq!(first_six("4920201996449560"), "492020");
        assert_eq!(last_four("4920201996449560"), "9560");
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_pan("4920 2019-9644 9560").unwrap(),
            "4920201996449560"
        );
        assert_eq!(normalize_pan("4920abc"), Err(PanError::NotDigits));
        assert_eq!(normalize_pan("4111"), Err(PanError::BadLength));
    }

    #[test]
    fn expiry_is_inclusive_of_the_month() {
        let e = Expiry {
            month: 7,
            year: 2026,
        };
        assert!(!e.is_expired(date!(2026 - 07 - 31)));
        assert!(e.is_expired(date!(2026 - 08 - 01)));
        assert!(!e.is_expired(date!(2025 - 12 - 01)));
        assert_eq!(parse_month("7"), Some(7));
        assert_eq!(parse_month("13"), None);
        assert_eq!(parse_year("27"), Some(2027));
        assert_eq!(parse_year("202"), None);
        assert_eq!(parse_four_digit_year("2030"), Some(2030));
        assert_eq!(parse_four_digit_year(" 2030 "), Some(2030));
        assert_eq!(parse_four_digit_year("30"), None);
        assert_eq!(parse_four_digit_year("20"), None);
        assert_eq!(parse_four_digit_year("20300"), None);
    }

    proptest! {
        #[test]
        fn one_digit_change_breaks_luhn(pan in "[0-9]{15}", pos in 0usize..16, delta in 1u8..10) {
            // Complete to a valid number, then change one digit: Luhn must notice.
            let check = (0..10u8).find(|d| luhn_valid(&format!("{pan}{d}"))).unwrap();
            let good = format!("{pan}{check}");
            let mut bytes = good.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(std::str::from_utf8(&bytes).unwrap()));
        }

        #[test]
        fn the_check_digit_is_the_only_one_that_passes(body in "[0-9]{6,18}") {
            let check = luhn_check_digit(&body);
            for d in 0..10u32 {
                prop_assert_eq!(luhn_valid(&format!("{body}{d}")), d == check);
            }
        }

        #[test]
        fn mask_never_shows_the_middle(pan in "[0-9]{12,19}") {
            let m = mask(&pan);
            prop_assert_eq!(m.len(), pan.len());
            prop_assert_eq!(&m[6..pan.len() - 4], "*".repeat(pan.len() - 10));
        }
    }
}
