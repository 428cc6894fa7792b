//! `Grant`: the tokens and install facts from an `oauth.v2.access` or `oauth.v2.exchange` answer.
//!
//! Slack uses two shapes. The code grant puts the bot token at the top level and the user
//! token under `authed_user`; the refresh grant (and exchange) is flat, with `token_type`
//! saying whether the top-level token is a bot or a user token. Both are read here.

use super::scopes::Scopes;
use super::secret::Secret;
use super::token::{TokenKind, TokenType};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct GrantedToken {
    pub kind: TokenKind,
    pub token_type: TokenType,
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_in: Option<i64>,
    pub scopes: Scopes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingWebhook {
    pub url: Secret,
    pub channel: Option<String>,
    pub channel_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grant {
    pub tokens: Vec<GrantedToken>,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub slack_app_id: Option<String>,
    pub bot_user_id: Option<String>,
    pub authed_user_id: Option<String>,
    pub incoming_webhook: Option<IncomingWebhook>,
}

impl Grant {
    pub fn token(&self, kind: TokenKind) -> Option<&GrantedToken> {
        self.tokens.iter().find(|t| t.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the response says ok:false with error {0}")]
    NotOk(String),
    #[error("the response is not a JSON object")]
    NotAnObject,
    #[error("the response holds no access token (neither at the top level nor under authed_user)")]
    NoToken,
    #[error("field {0} has the wrong type")]
    WrongType(&'static str),
}

fn str_field<'a>(v: &'a Value, name: &'static str) -> Result<Option<&'a str>, GrantError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GrantError::WrongType(name)),
    }
}

/// A text field bound for storage and display: control characters dropped on the way in.
fn text_field(v: &Value, name: &'static str) -> Result<Option<String>, GrantError> {
    Ok(str_field(v, name)?.map(|s| crate::text::one_line(s).into_owned()))
}

fn int_field(v: &Value, name: &'static str) -> Result<Option<i64>, GrantError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or(GrantError::WrongType(name)),
        // Some proxies and SDK fixtures carry numbers as strings.
        Some(Value::String(s)) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or(GrantError::WrongType(name)),
        Some(_) => Err(GrantError::WrongType(name)),
    }
}

fn object<'a>(v: &'a Value, name: &'static str) -> Result<Option<&'a Value>, GrantError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o)),
        Some(_) => Err(GrantError::WrongType(name)),
    }
}

/// Read one token out of a part of the answer (the top level or `authed_user`).
fn token_in(part: &Value, default_kind: TokenKind) -> Result<Option<GrantedToken>, GrantError> {
    let Some(access) = str_field(part, "access_token")? else {
        return Ok(None);
    };
    let prefix_type = TokenType::classify(access);
    // Slack's token_type, once given, decides the slot; the prefix only guesses.
    let kind = match str_field(part, "token_type")? {
        Some("bot") => TokenKind::Bot,
        Some("user") => TokenKind::User,
        _ => prefix_type.kind_hint().unwrap_or(default_kind),
    };
    Ok(Some(GrantedToken {
        kind,
        token_type: prefix_type.with_slack_kind(kind),
        access: Secret::new(access),
        refresh: str_field(part, "refresh_token")?.map(Secret::new),
        expires_in: int_field(part, "expires_in")?,
        scopes: Scopes::parse(str_field(part, "scope")?.unwrap_or("")),
    }))
}

/// Parse an `oauth.v2.access` (code or refresh grant) or `oauth.v2.exchange` answer.
pub fn parse_grant(json: &Value) -> Result<Grant, GrantError> {
    if !json.is_object() {
        return Err(GrantError::NotAnObject);
    }
    if json.get("ok") == Some(&Value::Bool(false)) {
        let code = str_field(json, "error")?.unwrap_or("unknown_error");
        return Err(GrantError::NotOk(super::error_code::printable_code(code)));
    }
    let mut grant = Grant::default();
    if let Some(top) = token_in(json, TokenKind::Bot)? {
        grant.tokens.push(top);
    }
    let authed_user = object(json, "authed_user")?;
    if let Some(user_part) = authed_user {
        grant.authed_user_id = text_field(user_part, "id")?;
        if let Some(user) = token_in(user_part, TokenKind::User)? {
            // A flat user refresh may repeat the token under authed_user; keep one.
            if grant.token(user.kind).is_none() {
                grant.tokens.push(user);
            }
        }
    }
    if grant.tokens.is_empty() {
        return Err(GrantError::NoToken);
    }
    if let Some(team) = object(json, "team")? {
        grant.team_id = text_field(team, "id")?;
        grant.team_name = text_field(team, "name")?;
    }
    if let Some(enterprise) = object(json, "enterprise")? {
        grant.enterprise_id = text_field(enterprise, "id")?;
        grant.enterprise_name = text_field(enterprise, "name")?;
    }
    grant.slack_app_id = text_field(json, "app_id")?;
    grant.bot_user_id = text_field(json, "bot_user_id")?;
    if grant.authed_user_id.is_none() {
        grant.authed_user_id = text_field(json, "user_id")?;
    }
    if let Some(hook) = object(json, "incoming_webhook")?
        && let Some(url) = str_field(hook, "url")?
    {
        grant.incoming_webhook = Some(IncomingWebhook {
            url: Secret::new(url),
            channel: text_field(hook, "channel")?,
            channel_id: text_field(hook, "channel_id")?,
        });
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
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
}
