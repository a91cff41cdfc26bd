//! Decimal amount parsing (FlexFactor refunds in the currency's exponent, Flexiti "10.00"
//! strings): never a panic or an overflow, and whatever parses prints back to the same amount.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openflex_domain::money::{decimal_to_minor, minor_to_decimal};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for exponent in 0..=3 {
        if let Ok(minor) = decimal_to_minor(text, exponent) {
            let printed = minor_to_decimal(minor, exponent);
            assert_eq!(
                decimal_to_minor(&printed, exponent),
                Ok(minor),
                "{text:?} → {printed}"
            );
        }
    }
    if let Ok(cents) = openflex_http::flexiti::body::parse_money(text) {
        assert!(cents >= 0, "{text:?} parsed to {cents}");
        let printed = minor_to_decimal(cents, 2);
        assert_eq!(
            openflex_http::flexiti::body::parse_money(&printed),
            Ok(cents)
        );
    }
});
