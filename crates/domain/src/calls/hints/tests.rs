//! The hints: scope and token-kind fixes, each family of errors, every known code classed.

use super::*;
use crate::slack::TokenType;
use crate::store::fixtures::{connection, token};

fn conn(bot: &str, user: Option<&str>) -> Connection {
    let tokens = [
        Some(token(TokenKind::Bot, TokenType::Bot, bot, None)),
        user.map(|s| token(TokenKind::User, TokenType::User, s, None)),
    ];
    connection("acme", None, tokens.into_iter().flatten().collect())
}

fn call(method: &str, kind: TokenKind, error: &str, needed: Option<&str>) -> RecordedCall {
    RecordedCall {
        id: 7,
        connection_id: "c1".into(),
        token_kind: kind,
        method: method.into(),
        http_status: Some(200),
        error: error.into(),
        needed: needed.map(Scopes::parse),
        provided: None,
        accepted_scopes: None,
        retry_after: Some(12),
        at: 0,
        state: crate::store::CallState::Open,
        replay_of: None,
    }
}

#[test]
fn missing_scope_names_the_scopes_the_kind_and_the_command() {
    let c = conn("users:read", None);
    let r = call(
        "chat.postMessage",
        TokenKind::Bot,
        "missing_scope",
        Some("chat:write"),
    );
    let h = explain(&r, &c, &[], None);
    assert_eq!(
        h.action,
        HintAction::AddScopes {
            kind: TokenKind::Bot,
            scopes: Scopes::parse("chat:write")
        }
    );
    assert!(h.text.contains("add it as a bot scope"), "{}", h.text);
    assert_eq!(
        h.command(&c, &r).unwrap(),
        "xox login --reauth acme --scopes chat:write"
    );

    let r = call(
        "search.messages",
        TokenKind::User,
        "missing_scope",
        Some("search:read"),
    );
    let c = conn("users:read", Some("chat:write"));
    assert_eq!(
        explain(&r, &c, &[], None).command(&c, &r).unwrap(),
        "xox login --reauth acme --user-scopes search:read"
    );

    let r = call(
        "conversations.history",
        TokenKind::Bot,
        "missing_scope",
        Some("channels:history,groups:history"),
    );
    assert!(
        explain(&r, &c, &[], None)
            .text
            .contains("may be alternatives")
    );
}

#[test]
fn missing_scope_prefers_the_other_token_when_it_has_the_scope() {
    let c = conn("users:read", Some("reactions:write"));
    let r = call(
        "reactions.add",
        TokenKind::Bot,
        "missing_scope",
        Some("reactions:write"),
    );
    let h = explain(&r, &c, &[], None);
    assert_eq!(h.action, HintAction::SwitchKind(TokenKind::User));
    assert_eq!(h.command(&c, &r).unwrap(), "xox replay 7 --user");
}

#[test]
fn wrong_token_kind_switches_or_asks_for_the_other_kind() {
    let r = call(
        "search.messages",
        TokenKind::Bot,
        "not_allowed_token_type",
        None,
    );
    let with_user = conn("chat:write", Some("search:read"));
    assert_eq!(
        explain(&r, &with_user, &[], None).action,
        HintAction::SwitchKind(TokenKind::User)
    );
    let bot_only = conn("chat:write", None);
    let h = explain(&r, &bot_only, &[], None);
    assert_eq!(
        h.command(&bot_only, &r).unwrap(),
        "xox login --reauth acme --user-scopes search:read"
    );
}

#[test]
fn other_families() {
    let c = conn("chat:write", None);
    let r = call("chat.postMessage", TokenKind::Bot, "not_in_channel", None);
    assert_eq!(
        explain(&r, &c, &[("channel".into(), "C0SIMRANDOM".into())], None)
            .command(&c, &r)
            .unwrap(),
        "xox call conversations.join channel=C0SIMRANDOM --conn acme"
    );
    let r = call("chat.postMessage", TokenKind::Bot, "ratelimited", None);
    let h = explain(&r, &c, &[], None);
    assert!(h.text.contains("wait 12s"));
    assert_eq!(h.command(&c, &r).unwrap(), "xox replay 7");
    let r = call("chat.postMessage", TokenKind::Bot, "token_revoked", None);
    assert_eq!(
        explain(&r, &c, &[], None).command(&c, &r).unwrap(),
        "xox login --reauth acme"
    );
    let r = call(
        "chat.postMessage",
        TokenKind::Bot,
        "invalid_arguments",
        None,
    );
    let h = explain(&r, &c, &[], None);
    assert_eq!(h.action, HintAction::CallAgain);
    assert_eq!(
        h.command(&c, &r).unwrap(),
        "xox call chat.postMessage --conn acme"
    );
    assert!(!h.replay_can_succeed());
    let r = call("chat.postMessage", TokenKind::Bot, "brand_new_error", None);
    let said = serde_json::json!({"ok": false, "error": "brand_new_error", "warning": "superfluous_charset",
                                  "response_metadata": {"messages": ["[ERROR] something \u{1b}[2J new"]}});
    let h = explain(&r, &c, &[], Some(&said));
    assert!(
        h.text
            .starts_with("brand_new_error: a code xox does not know"),
        "{}",
        h.text
    );
    assert!(
        h.text
            .contains("warning superfluous_charset; [ERROR] something [2J new"),
        "{}",
        h.text
    );
    assert_eq!(h.action, HintAction::None);
    let r = call("chat.postMessage", TokenKind::Bot, "is_archived", None);
    let h = explain(&r, &c, &[("channel".into(), "C1".into())], None);
    assert_eq!(
        h.command(&c, &r).unwrap(),
        "xox call conversations.unarchive channel=C1 --conn acme"
    );
    // Trouble on Slack's side: wait as long as it asked (if it did), then replay.
    let r = call("chat.postMessage", TokenKind::Bot, "internal_error", None);
    assert_eq!(
        explain(&r, &c, &[], None).action,
        HintAction::Replay {
            after_secs: Some(12)
        }
    );
}

/// Every code xox knows has a class, and the hint fits it: replay only where it can
/// succeed, and a permanent refusal says who can lift it.
#[test]
fn every_known_code_has_a_class_and_a_fitting_hint() {
    let c = conn("chat:write", Some("search:read"));
    for code in ErrorCode::KNOWN {
        let class = ErrorCode::parse(code)
            .class()
            .unwrap_or_else(|| panic!("{code} has no class"));
        let r = call("chat.postMessage", TokenKind::Bot, code, None);
        let h = explain(&r, &c, &[], None);
        assert!(!h.text.contains("does not know"), "{code}: {}", h.text);
        let replays = matches!(h.action, HintAction::Replay { .. });
        match class {
            ErrorClass::Wait => assert!(replays, "{code}: {:?}", h.action),
            ErrorClass::Permanent => {
                assert_eq!(h.action, HintAction::None, "{code}");
                assert!(h.text.contains(" can"), "{code}: {}", h.text);
            }
            ErrorClass::FixRequest => assert!(
                !replays || *code == "not_in_channel",
                "{code} offers a replay that fails again"
            ),
            ErrorClass::FixToken => assert!(
                matches!(
                    h.action,
                    HintAction::AddScopes { .. }
                        | HintAction::SwitchKind(_)
                        | HintAction::Reauth
                        | HintAction::Refresh
                        | HintAction::None
                ),
                "{code}: {:?}",
                h.action
            ),
        }
    }
}

/// The common Web API errors, and every code named in the Slack facts, are known.
#[test]
fn the_common_codes_are_all_known() {
    for code in [
        "missing_scope",
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "not_allowed_token_type",
        "ratelimited",
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
        "enterprise_is_restricted",
        "org_login_required",
        "two_factor_setup_required",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_array_arg",
        "invalid_charset",
        "invalid_form_data",
        "invalid_post_type",
        "missing_post_type",
        "user_not_found",
        "users_not_found",
        "method_deprecated",
        "deprecated_endpoint",
        "missing_argument",
        "no_text",
        "msg_too_long",
        "too_many_attachments",
        "invalid_blocks",
        "cant_update_message",
        "message_not_found",
        "already_reacted",
        "no_reaction",
        "is_bot",
        "not_bearer_token",
        "access_denied",
        "invalid_code",
        "accesslimited",
        "team_added_to_org",
        "code_already_used",
        "invalid_grant",
        "invalid_refresh_token",
        "invalid_json",
        "json_not_object",
        "bad_client_secret",
        "bad_redirect_uri",
        "invalid_client_id",
        "invalid_code_verifier",
        "invalid_grant_type",
        "oauth_authorization_url_mismatch",
        "pkce_not_allowed",
        "cannot_install_an_org_installed_app",
        "no_scopes",
        "preview_feature_not_available",
        "user_email_unverified",
        "invalid_scope",
        "invalid_team_for_non_distributed_app",
        "scope_not_allowed_on_enterprise",
        "unapproved_scope",
        "no_user_scopes",
        "not_implemented",
        "authorization_not_found",
        "invalid_token",
        "token_already_exchanged",
        "token_rotation_not_enabled",
    ] {
        assert!(ErrorCode::KNOWN.contains(&code), "{code} is not known");
    }
}

#[test]
fn a_call_that_got_no_answer_has_its_own_meaning() {
    let c = conn("chat:write", None);
    let mut refused = call(
        "chat.postMessage",
        TokenKind::Bot,
        "could not reach Slack: connection refused",
        None,
    );
    refused.http_status = None;
    let h = explain(&refused, &c, &[], None);
    assert!(
        h.text
            .contains("Slack was not reached, so nothing happened there"),
        "{}",
        h.text
    );
    assert!(!h.text.contains("does not know"), "{}", h.text);
    assert_eq!(h.command(&c, &refused).unwrap(), "xox replay 7");
    let mut cut = refused.clone();
    cut.error = "Slack did not answer within 20s".into();
    let h = explain(&cut, &c, &[], None);
    assert!(
        h.text.contains("may or may not have taken effect"),
        "{}",
        h.text
    );
}

/// After a re-auth granted the scope, the hint is the replay, not another re-auth.
#[test]
fn a_missing_scope_granted_since_is_replayed() {
    let mut r = call(
        "conversations.join",
        TokenKind::Bot,
        "missing_scope",
        Some("channels:join"),
    );
    r.provided = Some(Scopes::parse("chat:write"));
    let before = explain(&r, &conn("chat:write", None), &[], None);
    assert!(
        matches!(before.action, HintAction::AddScopes { .. }),
        "{before:?}"
    );
    let after = explain(&r, &conn("chat:write,channels:join", None), &[], None);
    assert_eq!(after.action, HintAction::Replay { after_secs: None });
    assert!(
        after.text.contains("holds channels:join now"),
        "{}",
        after.text
    );
}
