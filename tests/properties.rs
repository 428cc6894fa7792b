//! Property tests over the parsers that meet outside input: the token classifier, Slack's
//! answer parser, `xox import`'s stdin and the login callback. The same functions are the
//! cargo-fuzz targets under `fuzz/`; these run in the ordinary suite.

use hyper::Method;
use proptest::prelude::*;
use xox_domain::login::callback::{Callback, respond};
use xox_domain::slack::grant::GrantError;
use xox_domain::slack::import_input::{ImportInput, parse_input};
use xox_domain::slack::response::{AnswerHeaders, parse_answer};
use xox_domain::slack::{CallError, ErrorCode, Secret, TokenType, parse_grant};

/// Every type a prefix can name, with a prefix that names it.
const PREFIXED: &[(&str, TokenType)] = &[
    ("xoxe.xoxb-1-", TokenType::RotatingBot),
    ("xoxe.xoxp-1-", TokenType::RotatingUser),
    ("xoxe-1-", TokenType::Refresh),
    ("xoxb-", TokenType::Bot),
    ("xoxp-", TokenType::User),
    ("xapp-1-", TokenType::AppLevel),
];

/// Token-shaped text: what Slack's tokens are made of.
fn token_body() -> impl Strategy<Value = String> {
    "[A-Za-z0-9-]{1,80}"
}

/// One line, whatever went in: the CLI contract is a one-line error.
fn assert_one_line(message: &str) {
    assert!(
        !message.contains('\n') && !message.contains('\r'),
        "{message:?}"
    );
}

/// Answers a token may be hidden in: v2 with both tokens, the legacy shape, a flat refresh.
fn base_answer(i: usize) -> serde_json::Value {
    use serde_json::json;
    [
        json!({"ok": true, "token_type": "bot", "access_token": "xoxb-1-bot", "team": {"id": "T1"},
               "authed_user": {"id": "U1", "access_token": "xoxp-1-user", "token_type": "user"}}),
        json!({"access_token": "xoxp-2-user", "scope": "bot", "team_id": "T2",
               "bot": {"bot_user_id": "UB", "bot_access_token": "xoxb-2-bot"}}),
        json!({"ok": true, "token_type": "user", "access_token": "xoxe.xoxp-1-3", "refresh_token": "xoxe-1-3",
               "expires_in": 43200, "authed_user": {"id": "U3"}}),
    ][i % 3]
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn classify_never_panics_and_ignores_surrounding_space(s in "(?s).{0,100}") {
        let t = TokenType::classify(&s);
        prop_assert_eq!(t, TokenType::classify(&format!("  {s}\n")));
        prop_assert_eq!(TokenType::parse(t.as_str()), t);
    }

    #[test]
    fn a_known_prefix_decides_the_type(i in 0..PREFIXED.len(), body in token_body()) {
        let (prefix, expected) = PREFIXED[i];
        prop_assert_eq!(TokenType::classify(&format!("{prefix}{body}")), expected);
    }

    #[test]
    fn any_answer_parses_to_a_result_with_a_one_line_message(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        content_type in proptest::option::of("[a-z/;= -]{0,30}"),
        retry_after in proptest::option::of("(?s).{0,20}"),
        scopes in proptest::option::of("(?s).{0,60}"),
    ) {
        let headers = AnswerHeaders {
            content_type,
            oauth_scopes: scopes.clone(),
            accepted_oauth_scopes: scopes,
            retry_after,
        };
        if let Err(e) = parse_answer("chat.postMessage", status, &headers, &body) {
            assert_one_line(&e.to_string());
        }
    }

    #[test]
    fn slacks_error_code_comes_through_and_stays_on_one_line(
        code in "(?s).{0,40}",
        status in prop_oneof![Just(200u16), Just(400), Just(429), Just(500)],
    ) {
        let body = serde_json::json!({"ok": false, "error": code}).to_string();
        let answer = parse_answer("auth.test", status, &AnswerHeaders::default(), body.as_bytes());
        let Err(CallError::Api(e)) = answer else {
            return Err(TestCaseError::fail(format!("not an API error: {answer:?}")));
        };
        prop_assert_eq!(&e.code, &ErrorCode::parse(&code));
        assert_one_line(&e.to_string());
    }

    #[test]
    fn scope_lists_from_slack_stay_on_one_line(
        needed in "(?s).{0,60}",
        provided in "(?s).{0,60}",
        header in "(?s).{0,60}",
    ) {
        let body = serde_json::json!({"ok": false, "error": "missing_scope", "needed": needed, "provided": provided});
        let headers = AnswerHeaders { oauth_scopes: Some(header.clone()), accepted_oauth_scopes: Some(header), ..AnswerHeaders::default() };
        let Err(e) = parse_answer("chat.postMessage", 200, &headers, body.to_string().as_bytes()) else {
            return Err(TestCaseError::fail("missing_scope parsed as ok"));
        };
        assert_one_line(&e.to_string());
        if let CallError::Api(e) = e {
            for scopes in [e.needed, e.provided, e.token_scopes, e.accepted_scopes].into_iter().flatten() {
                assert_one_line(&scopes.to_string());
            }
        }
    }

    #[test]
    fn an_ok_object_is_returned_whole(
        extra in proptest::collection::btree_map("[a-z_]{1,12}", any::<i64>(), 0..8),
    ) {
        let mut body = serde_json::json!({"ok": true});
        for (k, v) in &extra {
            if k != "ok" {
                body[k] = (*v).into();
            }
        }
        let answer = parse_answer("auth.test", 200, &AnswerHeaders::default(), body.to_string().as_bytes());
        prop_assert_eq!(answer.unwrap().body, body);
    }

    /// A token in any field is either read (and so stored) or named in the error, and then
    /// nothing is read at all: an import never drops one without a word.
    #[test]
    fn every_token_in_an_answer_is_read_or_named(
        base in 0usize..3,
        hidden in proptest::collection::vec(
            ("[a-z_]{1,12}", any::<bool>(), 0..PREFIXED.len(), token_body()),
            1..4,
        ),
    ) {
        let mut answer = base_answer(base);
        let mut placed = Vec::new();
        for (key, nested, prefix, body) in hidden {
            let token = format!("{}{body}", PREFIXED[prefix].0);
            let path = if nested && answer["authed_user"].is_object() {
                answer["authed_user"][&key] = token.clone().into();
                format!("authed_user.{key}")
            } else {
                answer[&key] = token.clone().into();
                key
            };
            placed.push((path, token));
        }
        match parse_grant(&answer) {
            Ok(grant) => {
                for (path, token) in &placed {
                    let read = grant.tokens.iter().any(|t| {
                        t.access.expose() == token
                            || t.refresh.as_ref().is_some_and(|r| r.expose() == token)
                    });
                    // A later insert may have overwritten an earlier one at the same path.
                    let still_there = answer.pointer(&format!("/{}", path.replace('.', "/")))
                        == Some(&serde_json::Value::from(token.as_str()));
                    prop_assert!(read || !still_there, "{path} = {token} was dropped: {answer}");
                }
            }
            Err(GrantError::UnclaimedToken(path)) => prop_assert!(
                placed.iter().any(|(p, _)| *p == path)
                    || answer.pointer(&format!("/{}", path.replace('.', "/"))).is_some(),
                "named {path}, which the answer does not have: {answer}"
            ),
            Err(GrantError::WrongType(field)) => prop_assert!(
                placed.iter().any(|(p, _)| p == field || p.ends_with(&format!(".{field}"))),
                "{field} was not among the hidden tokens: {answer}"
            ),
            Err(GrantError::NoToken) => {}
            Err(other) => prop_assert!(false, "{other}: {answer}"),
        }
    }

    #[test]
    fn import_input_never_panics_and_never_echoes_a_token(
        before in "(?s).{0,40}",
        after in "(?s).{0,40}",
        body in token_body(),
    ) {
        let secret = format!("xoxb-{body}SECRETPART");
        let raw = format!("{before}{secret}{after}");
        match parse_input(raw.as_bytes()) {
            Ok(ImportInput::Token(token)) => {
                prop_assert_eq!(token.expose(), raw.trim());
            }
            Ok(ImportInput::Grant(_) | ImportInput::ConfigPair(_)) => {}
            Err(e) => {
                let message = e.to_string();
                assert_one_line(&message);
                prop_assert!(!message.contains(&secret), "{}", message);
            }
        }
    }

    #[test]
    fn an_imported_error_answer_is_one_line(code in "(?s).{0,40}") {
        let raw = serde_json::json!({"ok": false, "error": code}).to_string();
        let Err(e) = parse_input(raw.as_bytes()) else {
            return Err(TestCaseError::fail("an error answer imported"));
        };
        assert_one_line(&e.to_string());
    }

    #[test]
    fn import_input_takes_any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..1024)) {
        if let Err(e) = parse_input(&raw) {
            assert_one_line(&e.to_string());
        }
    }

    #[test]
    fn a_bare_token_is_taken_as_it_is(i in 0..PREFIXED.len(), body in token_body()) {
        let (prefix, kind) = PREFIXED[i];
        let token = format!("{prefix}{body}");
        let input = parse_input(format!("\n{token}\n").as_bytes());
        match (kind, input) {
            (TokenType::Refresh, Err(_)) => {}
            (_, Ok(ImportInput::Token(t))) => prop_assert_eq!(t.expose(), token.as_str()),
            (_, other) => return Err(TestCaseError::fail(format!("{token}: {}", match other {
                Ok(_) => "a grant".to_owned(),
                Err(e) => e.to_string(),
            }))),
        }
    }

    #[test]
    fn the_callback_never_accepts_a_code_without_the_state(
        target in "(?s).{0,200}",
        state in "[A-Za-z0-9_-]{16,43}",
    ) {
        let state = Secret::new(state);
        let reply = respond(&Method::GET, &target, "/callback", &state);
        if let Some(Callback::Code(_)) = reply.callback {
            prop_assert!(target.contains(state.expose()));
        }
    }

    #[test]
    fn the_real_redirect_carries_its_code_through(
        code in "[ -~]{1,60}",
        state in "[A-Za-z0-9_-]{16,43}",
        noise in proptest::collection::vec(("[a-z]{1,8}", "[ -~]{0,20}"), 0..4),
    ) {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &noise {
            if k != "code" && k != "state" && k != "error" {
                query.append_pair(k, v);
            }
        }
        query.append_pair("code", &code).append_pair("state", &state);
        let target = format!("/callback?{}", query.finish());
        let reply = respond(&Method::GET, &target, "/callback", &Secret::new(state.clone()));
        prop_assert_eq!(reply.callback, Some(Callback::Code(Secret::new(code))));
        let wrong = respond(&Method::GET, &target, "/callback", &Secret::new(format!("{state}x")));
        prop_assert_eq!(wrong.callback, None);
        let posted = respond(&Method::POST, &target, "/callback", &Secret::new(state));
        prop_assert_eq!(posted.callback, None);
    }
}

/// Found by the properties above: Slack-side strings carried newlines and escape sequences
/// into one-line errors and the terminal.
#[test]
fn control_characters_from_slack_are_dropped() {
    let body = br#"{"ok":false,"error":"bad\n\u001b[31mred","needed":"chat:write\nchannels:read"}"#;
    let Err(CallError::Api(e)) =
        parse_answer("chat.postMessage", 200, &AnswerHeaders::default(), body)
    else {
        panic!("not an API error");
    };
    assert_eq!(e.code.as_str(), "bad[31mred");
    assert_eq!(e.needed.unwrap().to_string(), "channels:read,chat:write");
}
