//! No control character from outside reaches a terminal: arbitrary text in the names Slack
//! sends back goes through import and every command that prints it, and stdout and stderr
//! carry no control character but the line breaks xox writes itself.

mod common;

use common::cli_env::Env;
use proptest::prelude::*;

/// Everything printed must be free of controls other than `\n` (JSON escapes its own).
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "{what} carries a control character: {text:?}"
    );
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Evil\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nFAKE".to_owned()),
        proptest::collection::vec(any::<char>(), 1..40).prop_map(|c| c.into_iter().collect()),
        proptest::collection::vec(0u8..0x20, 1..20)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn names_from_slack_print_clean_everywhere(team in hostile(), enterprise in hostile(), user in hostile()) {
        let env = Env::new("http://127.0.0.1:9");
        env.add_rotating_app();
        let answer = serde_json::json!({
            "ok": true,
            "access_token": format!("xoxb-1-2-{}", "B".repeat(24)),
            "token_type": "bot",
            "scope": format!("chat:write,{user}"),
            "bot_user_id": user,
            "team": {"id": "T1", "name": team},
            "enterprise": {"id": "E1", "name": enterprise},
            "authed_user": {"id": user},
        });
        for args in [
            &["import", "evil", "--app", "acme", "--no-verify"][..],
            &["import", "evil", "--app", "acme", "--no-verify", "--json"][..],
        ] {
            let out = env.run(args, &answer.to_string());
            assert_clean("import stdout", &out.stdout);
            assert_clean("import stderr", &out.stderr);
        }
        for args in [
            &["list"][..],
            &["list", "--json"][..],
            &["show", "evil"][..],
            &["show", "evil", "--json"][..],
            &["history", "evil"][..],
            &["token", "evil"][..],
            &["call", "auth.test", "--conn", "evil"][..],
        ] {
            let out = env.run(args, "");
            assert_clean(&format!("stdout of {args:?}"), &out.stdout);
            assert_clean(&format!("stderr of {args:?}"), &out.stderr);
        }
    }
}
