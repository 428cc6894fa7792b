//! The token classifier on any text: never panics, and its answer survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xox_domain::slack::TokenType;

fuzz_target!(|text: &str| {
    let t = TokenType::classify(text);
    assert_eq!(TokenType::parse(t.as_str()), t);
});
