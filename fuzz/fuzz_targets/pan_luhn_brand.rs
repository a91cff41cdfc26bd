//! Card numbers: normalisation, Luhn, brand, masking. Never a panic; a normalised PAN is
//! digits only; the mask never shows more than the first six and last four.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openflex_domain::card::{brand_of, first_six, last_four, luhn_valid, mask, normalize_pan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = luhn_valid(text);
    let _ = brand_of(text);
    if let Ok(pan) = normalize_pan(text) {
        assert!(pan.bytes().all(|b| b.is_ascii_digit()), "{pan}");
        let _ = brand_of(&pan);
        let masked = mask(&pan);
        let shown = masked.bytes().filter(u8::is_ascii_digit).count();
        assert!(shown <= 10, "mask shows {shown} digits");
        let _ = (first_six(&pan), last_four(&pan));
    }
});
