//! Grants read from every shape of Slack's token answers; clear errors for other shapes.

use super::*;
use serde_json::json;

#[test]
fn code_grant_with_rotation_yields_bot_and_user() {
    let answer = json!({
        "ok": true, "app_id": "A0KRD7HC3", "token_type": "bot",
        "access_token": "xoxe.xoxb-1-bot", "refresh_token": "xoxe-1-botrefresh",
        "expires_in": 43200, "scope": "commands,incoming-webhook",
        "bot_user_id": "U0KRQLJ9H",
        "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
        "enterprise": null, "is_enterprise_install": false,
        "incoming_webhook": {"channel": "#general", "channel_id": "C1", "url": "https://hooks.slack.com/services/T/B/X", "configuration_url": "https://x"},
        "authed_user": {"id": "U1234", "scope": "chat:write", "access_token": "xoxe.xoxp-1-user",
                        "token_type": "user", "refresh_token": "xoxe-1-userrefresh", "expires_in": 43200}
    });
    let g = parse_grant(&answer).unwrap();
    let bot = g.token(TokenKind::Bot).unwrap();
    assert_eq!(bot.token_type, TokenType::RotatingBot);
    assert_eq!(bot.expires_in, Some(43200));
    assert_eq!(bot.refresh.as_ref().unwrap().expose(), "xoxe-1-botrefresh");
    assert_eq!(bot.scopes.to_csv(), "commands,incoming-webhook");
    let user = g.token(TokenKind::User).unwrap();
    assert_eq!(user.token_type, TokenType::RotatingUser);
    assert_eq!(user.scopes.to_csv(), "chat:write");
    assert_eq!(g.team_id.as_deref(), Some("T9TK3CUKW"));
    assert_eq!(g.authed_user_id.as_deref(), Some("U1234"));
    assert_eq!(g.bot_user_id.as_deref(), Some("U0KRQLJ9H"));
    assert!(g.incoming_webhook.is_some());
}

#[test]
fn flat_user_refresh_goes_to_the_user_slot() {
    let answer = json!({
        "ok": true, "app_id": "A1", "token_type": "user", "scope": "search:read",
        "access_token": "xoxe.xoxp-1-new", "refresh_token": "xoxe-1-new", "expires_in": 43200,
        "team": {"id": "T1"}, "authed_user": {"id": "U1"}
    });
    let g = parse_grant(&answer).unwrap();
    assert_eq!(g.tokens.len(), 1);
    assert_eq!(g.tokens[0].kind, TokenKind::User);
    assert_eq!(g.authed_user_id.as_deref(), Some("U1"));
}

#[test]
fn user_only_install_has_no_top_level_token() {
    let answer = json!({"ok": true, "authed_user": {"id": "U1", "scope": "identify", "access_token": "xoxp-1-2-3", "token_type": "user"}, "team": {"id": "T1"}});
    let g = parse_grant(&answer).unwrap();
    assert_eq!(g.tokens.len(), 1);
    assert_eq!(g.tokens[0].token_type, TokenType::User);
    assert_eq!(g.tokens[0].expires_in, None);
}

/// The answer classic apps' "Add to Slack" button gave, as teams still keep it.
const LEGACY: &str = include_str!("../../../../../tests/fixtures/oauth_access_legacy.json");

/// (kind, type, access, refresh, expires_in, scopes) of one token read.
type Expected = (
    TokenKind,
    TokenType,
    &'static str,
    Option<&'static str>,
    Option<i64>,
    &'static str,
);

/// One row per shape: the answer, then what must be read from it.
struct Row {
    answer: Value,
    shape: GrantShape,
    tokens: Vec<Expected>,
    team: (Option<&'static str>, Option<&'static str>),
    users: (Option<&'static str>, Option<&'static str>),
    webhook_channel: Option<&'static str>,
}

fn id_token(claims: Value) -> String {
    use base64::Engine as _;
    let part = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", part(&json!({"alg": "RS256"})), part(&claims))
}

#[test]
fn every_shape_is_read_whole() {
    let rows = vec![
        Row {
            answer: serde_json::from_str(LEGACY).unwrap(),
            shape: GrantShape::LegacyOauthAccess,
            tokens: vec![
                (
                    TokenKind::User,
                    TokenType::User,
                    "xoxp-XXXXXXXX-XXXXXXXX-XXXXX",
                    None,
                    None,
                    "bot,commands,incoming-webhook",
                ),
                (
                    TokenKind::Bot,
                    TokenType::Bot,
                    "xoxb-XXXXXXXXXXXX-TTTTTTTTTTTTTT",
                    None,
                    None,
                    "bot",
                ),
            ],
            team: (Some("TXXXXXXXX"), Some("Team Installing Your Hook")),
            users: (Some("UTTTTTTTTTTR"), None),
            webhook_channel: Some("#channel-it-will-post-to"),
        },
        Row {
            answer: json!({"ok": true, "app_id": "A1", "authed_user": {"id": "U1", "scope": "search:read"},
                           "access_token": "xoxp-1-2-3", "token_type": "user", "team": {"id": "T1"},
                           "id_token": id_token(json!({"sub": "U1"})), "enterprise": null}),
            shape: GrantShape::OauthV2User,
            tokens: vec![(
                TokenKind::User,
                TokenType::User,
                "xoxp-1-2-3",
                None,
                None,
                "search:read",
            )],
            team: (Some("T1"), None),
            users: (None, Some("U1")),
            webhook_channel: None,
        },
        Row {
            answer: json!({"ok": true, "access_token": "xoxe.xoxp-1-oidc", "token_type": "Bearer",
                           "refresh_token": "xoxe-1-oidc", "expires_in": 43200,
                           "id_token": id_token(json!({"https://slack.com/team_id": "T9", "https://slack.com/team_name": "Nine",
                                                       "https://slack.com/user_id": "U9"}))}),
            shape: GrantShape::OpenIdConnect,
            tokens: vec![(
                TokenKind::User,
                TokenType::RotatingUser,
                "xoxe.xoxp-1-oidc",
                Some("xoxe-1-oidc"),
                Some(43200),
                "",
            )],
            team: (Some("T9"), Some("Nine")),
            users: (None, Some("U9")),
            webhook_channel: None,
        },
        Row {
            answer: json!({"ok": true, "app_id": "A2", "token_type": "bot", "access_token": "xoxb-2-bot",
                           "scope": "chat:write", "bot_user_id": "UB", "team": {"id": "T2", "name": "Two"},
                           "authed_user": {"id": "U2", "scope": "search:read", "access_token": "xoxp-2-user", "token_type": "user"}}),
            shape: GrantShape::OauthV2,
            tokens: vec![
                (
                    TokenKind::Bot,
                    TokenType::Bot,
                    "xoxb-2-bot",
                    None,
                    None,
                    "chat:write",
                ),
                (
                    TokenKind::User,
                    TokenType::User,
                    "xoxp-2-user",
                    None,
                    None,
                    "search:read",
                ),
            ],
            team: (Some("T2"), Some("Two")),
            users: (Some("UB"), Some("U2")),
            webhook_channel: None,
        },
    ];
    for row in rows {
        let g = parse_grant(&row.answer).unwrap_or_else(|e| panic!("{:?}: {e}", row.shape));
        assert_eq!(g.shape, row.shape);
        let read: Vec<_> = g
            .tokens
            .iter()
            .map(|t| {
                (
                    t.kind,
                    t.token_type,
                    t.access.expose(),
                    t.refresh.as_ref().map(Secret::expose),
                    t.expires_in,
                    t.scopes.to_csv(),
                )
            })
            .collect();
        let expected: Vec<_> = row
            .tokens
            .iter()
            .map(|(k, ty, a, r, e, s)| (*k, *ty, *a, *r, *e, s.to_string()))
            .collect();
        assert_eq!(read, expected, "{:?}", row.shape);
        assert_eq!(
            (g.team_id.as_deref(), g.team_name.as_deref()),
            row.team,
            "{:?}",
            row.shape
        );
        assert_eq!(
            (g.bot_user_id.as_deref(), g.authed_user_id.as_deref()),
            row.users,
            "{:?}",
            row.shape
        );
        assert_eq!(
            g.incoming_webhook
                .as_ref()
                .and_then(|h| h.channel.as_deref()),
            row.webhook_channel
        );
    }
}

#[test]
fn a_token_that_is_not_read_is_named() {
    let mut answer: Value = serde_json::from_str(LEGACY).unwrap();
    answer["bot"]["bot_refresh"] = json!("xoxe-1-hidden");
    assert_eq!(
        parse_grant(&answer),
        Err(GrantError::UnclaimedToken("bot.bot_refresh".into()))
    );
    let tooling = json!({"ok": true, "token": "xoxe.xoxp-1-config", "refresh_token": "xoxe-1-r", "exp": 1, "iat": 0});
    let config = parse_grant(&tooling).unwrap();
    assert_eq!(config.shape, GrantShape::ToolingTokensRotate);
    assert_eq!(config.tokens[0].kind, TokenKind::Config);
    assert_eq!(
        config.tokens[0].refresh.as_ref().unwrap().expose(),
        "xoxe-1-r"
    );
}

#[test]
fn bad_shapes_are_clear_errors() {
    assert_eq!(parse_grant(&json!([1])), Err(GrantError::NotAnObject));
    assert_eq!(
        parse_grant(&json!({"ok": false, "error": "invalid_code"})),
        Err(GrantError::NotOk("invalid_code".into()))
    );
    assert_eq!(parse_grant(&json!({"ok": true})), Err(GrantError::NoToken));
    assert_eq!(
        parse_grant(&json!({"access_token": 5})),
        Err(GrantError::WrongType("access_token"))
    );
    assert_eq!(
        parse_grant(&json!({"access_token": "xoxb-1", "expires_in": -3})),
        Err(GrantError::WrongType("expires_in"))
    );
}

/// An org-wide install names its enterprise and no workspace.
#[test]
fn org_wide_install_is_read() {
    let answer = json!({"ok": true, "access_token": "xoxb-1-2-3", "token_type": "bot", "scope": "chat:write",
        "team": null, "enterprise": {"id": "E1", "name": "Grid"}, "is_enterprise_install": true,
        "authed_user": {"id": "U1"}});
    let g = parse_grant(&answer).unwrap();
    assert!(g.is_enterprise_install);
    assert_eq!((g.team_id, g.enterprise_id.as_deref()), (None, Some("E1")));
    let workspace = json!({"ok": true, "access_token": "xoxb-1-2-3", "team": {"id": "T1"},
        "enterprise": {"id": "E1"}, "is_enterprise_install": false});
    let g = parse_grant(&workspace).unwrap();
    assert!(!g.is_enterprise_install);
    assert_eq!(g.enterprise_id.as_deref(), Some("E1"));
    let bad = json!({"ok": true, "access_token": "xoxb-1-2-3", "is_enterprise_install": "yes"});
    assert_eq!(
        parse_grant(&bad),
        Err(GrantError::WrongType("is_enterprise_install"))
    );
}
