//! `xox import`'s stdin on any bytes: never panics, errors are one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xox_domain::slack::import_input::parse_input;

fuzz_target!(|raw: &[u8]| {
    if let Err(e) = parse_input(raw) {
        assert!(!e.to_string().contains('\n'));
    }
});
