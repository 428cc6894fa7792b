//! The login callback on any method and request target: never panics, and never hands over
//! a code unless the request carried the login's state.
#![no_main]

use hyper::Method;
use libfuzzer_sys::fuzz_target;
use xox_domain::login::callback::{Callback, respond};
use xox_domain::slack::Secret;

const STATE: &str = "fuzz-state-0123456789abcdef";

fuzz_target!(|input: (bool, &str)| {
    let (get, target) = input;
    let method = if get { Method::GET } else { Method::POST };
    let reply = respond(&method, target, "/callback", &Secret::new(STATE));
    if let Some(Callback::Code(_)) = reply.callback {
        assert!(get && target.contains(STATE));
    }
});
