//! The FlexPay referenceData token as a client may send it back: any text must split into
//! (id, MAC) or be refused, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openflex_engine::recovery::split_reference_data;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((_id, mac)) = split_reference_data(text)
    {
        assert_eq!(mac.len(), 16);
    }
});
