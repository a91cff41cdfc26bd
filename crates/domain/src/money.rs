//! Money is integer minor units (`i64`) with checked arithmetic; floats never touch an amount.
//! Currencies are ISO 4217 (table and exponents from `iso_currency`).

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CurrencyError {
    #[error("currency code must be three letters")]
    BadLength,
    #[error("unknown ISO 4217 currency code")]
    Unknown,
}

impl Currency {
    /// Case-insensitive, as clients send `usd` as often as `USD`.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        if code.chars().count() != 3 {
            return Err(CurrencyError::BadLength);
        }
        iso_currency::Currency::from_code(&code.to_ascii_uppercase())
            .map(Self)
            .ok_or(CurrencyError::Unknown)
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn exponent(self) -> u32 {
        self.0.exponent().unwrap_or(0) as u32
    }

    /// The sign written before amounts (`$` for USD and CAD, `€`, `¥`), from the ISO 4217 data
    /// of `iso_currency`; `¤` for a currency without one of its own.
    pub fn symbol(self) -> String {
        self.0.symbol().symbol
    }

    /// An amount as people read it, in this currency's decimals with thousands grouped:
    /// `$1,234.56 USD`, `€0.05 EUR`, `¥100 JPY`, `1,000.000 KWD`. The code follows because
    /// a sign alone is shared (`$` is also CAD's and AUD's, `¥` also CNY's); a sign made of
    /// letters (`kr`, `د.ك`) or none (`¤`) is left out in favour of the code.
    pub fn display(self, minor: i64) -> String {
        let number = grouped(minor, self.exponent());
        let symbol = self.symbol();
        let (sign, digits) = match number.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", number.as_str()),
        };
        if symbol == "¤" || symbol.chars().any(char::is_alphabetic) {
            format!("{number} {}", self.code())
        } else {
            format!("{sign}{symbol}{digits} {}", self.code())
        }
    }
}

/// Minor units as a decimal with `exponent` places and the whole part grouped by thousands
/// with commas (`-1,234,567.89`).
pub fn grouped(amount: i64, exponent: u32) -> String {
    let plain = minor_to_decimal(amount, exponent);
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain.as_str()),
    };
    let (whole, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("not a decimal number")]
    NotANumber,
    #[error("more decimal places than the currency allows")]
    TooPrecise,
    #[error("amount out of range")]
    OutOfRange,
}

/// Parses a decimal amount (`"12.34"`) into exact minor units for `exponent` decimal places.
/// Used where a dialect carries decimals on the wire (FlexFactor refunds, Flexiti).
pub fn decimal_to_minor(text: &str, exponent: u32) -> Result<i64, AmountError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AmountError::NotANumber);
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > exponent as usize {
        return Err(AmountError::TooPrecise);
    }
    let scale = 10i64.checked_pow(exponent).ok_or(AmountError::OutOfRange)?;
    let whole: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| AmountError::OutOfRange)?
    };
    let mut frac: i64 = 0;
    for (i, b) in frac_trimmed.bytes().enumerate() {
        let place = 10i64.pow(exponent - 1 - i as u32);
        frac += i64::from(b - b'0') * place;
    }
    let value = whole
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac))
        .ok_or(AmountError::OutOfRange)?;
    Ok(if negative { -value } else { value })
}

/// Formats minor units as a decimal string with exactly `exponent` places.
pub fn minor_to_decimal(amount: i64, exponent: u32) -> String {
    if exponent == 0 {
        return amount.to_string();
    }
    let scale = 10u64.pow(exponent);
    let abs = amount.unsigned_abs();
    let sign = if amount < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exponent as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currencies() {
        assert_eq!(Currency::parse("usd").unwrap().code(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("US"), Err(CurrencyError::BadLength));
        assert_eq!(Currency::parse("ZZZ"), Err(CurrencyError::Unknown));
    }

    #[test]
    fn currency_symbols() {
        let symbol = |code| Currency::parse(code).unwrap().symbol();
        assert_eq!(symbol("USD"), "$");
        assert_eq!(symbol("cad"), "$");
        assert_eq!(symbol("EUR"), "€");
        assert_eq!(symbol("JPY"), "¥");
        assert_eq!(symbol("XAU"), "¤");
    }

    #[test]
    fn amounts_display_with_sign_grouping_and_code() {
        let show = |code, minor| Currency::parse(code).unwrap().display(minor);
        assert_eq!(show("USD", 123_456), "$1,234.56 USD");
        assert_eq!(show("USD", -123_456), "-$1,234.56 USD");
        assert_eq!(show("EUR", 5), "€0.05 EUR");
        assert_eq!(show("JPY", 1_234_567), "¥1,234,567 JPY");
        assert_eq!(show("KWD", 1_000_000), "1,000.000 KWD");
        assert_eq!(show("SEK", 100), "1.00 SEK");
        assert_eq!(show("XAU", 7), "7 XAU");
        assert_eq!(show("CAD", 100_000_000), "$1,000,000.00 CAD");
    }

    #[test]
    fn grouping_by_thousands() {
        assert_eq!(grouped(0, 2), "0.00");
        assert_eq!(grouped(99_999, 2), "999.99");
        assert_eq!(grouped(100_000, 2), "1,000.00");
        assert_eq!(grouped(-100_000_000, 0), "-100,000,000");
        assert_eq!(grouped(i64::MIN, 2), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal_to_minor("12.34", 2), Ok(1234));
        assert_eq!(decimal_to_minor("0.1", 2), Ok(10));
        assert_eq!(decimal_to_minor("5", 2), Ok(500));
        assert_eq!(decimal_to_minor(".5", 2), Ok(50));
        assert_eq!(decimal_to_minor("1.230", 2), Ok(123));
        assert_eq!(decimal_to_minor("1.234", 2), Err(AmountError::TooPrecise));
        assert_eq!(decimal_to_minor("abc", 2), Err(AmountError::NotANumber));
        assert_eq!(decimal_to_minor("", 2), Err(AmountError::NotANumber));
        assert_eq!(
            decimal_to_minor("99999999999999999999", 2),
            Err(AmountError::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn decimal_round_trip(amount in -1_000_000_000_000i64..1_000_000_000_000, exp in 0u32..4) {
            prop_assert_eq!(decimal_to_minor(&minor_to_decimal(amount, exp), exp), Ok(amount));
        }
    }
}
