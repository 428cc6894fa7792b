//! Slack's answer parser on any status, headers and body: never panics, errors are one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xox_domain::slack::response::{AnswerHeaders, parse_answer};

fuzz_target!(
    |input: (u16, Option<String>, Option<String>, Option<String>, &[u8])| {
        let (status, content_type, scopes, retry_after, body) = input;
        let headers = AnswerHeaders {
            content_type,
            oauth_scopes: scopes.clone(),
            accepted_oauth_scopes: scopes,
            retry_after,
        };
        if let Err(e) = parse_answer("chat.postMessage", status, &headers, body) {
            assert!(!e.to_string().contains('\n'));
        }
    }
);
