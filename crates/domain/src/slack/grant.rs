//! `Grant`: the tokens and install facts from any answer Slack has given for an install or
//! a token grant, recognised by its fields ([`GrantShape`]).
//!
//! The v2 code grant puts the bot token at the top level and the user token under
//! `authed_user`; the v2 refresh grant (and exchange) is flat, with `token_type` saying which
//! it is. The legacy `oauth.access` is the other way round: the user token at the top and the
//! bot token under `bot`. `oauth.v2.user.access` and `openid.connect.token` carry one user
//! token and an `id_token`, which is not a Slack API token and is never kept. Every token in
//! the answer is either read or named in an error ([`super::grant_sweep`]).

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

/// Which answer a grant was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GrantShape {
    /// `oauth.v2.access` (code or refresh grant) or `oauth.v2.exchange`.
    #[default]
    OauthV2,
    /// `oauth.v2.user.access`: the user-only flow.
    OauthV2User,
    /// The legacy `oauth.access` of classic apps.
    LegacyOauthAccess,
    /// `openid.connect.token`: Sign in with Slack.
    OpenIdConnect,
    /// `tooling.tokens.rotate`: an app configuration token pair.
    ToolingTokensRotate,
}

impl GrantShape {
    /// The Slack method whose answer this is.
    pub fn method(self) -> &'static str {
        match self {
            GrantShape::OauthV2 => "oauth.v2.access",
            GrantShape::OauthV2User => "oauth.v2.user.access",
            GrantShape::LegacyOauthAccess => "oauth.access",
            GrantShape::OpenIdConnect => "openid.connect.token",
            GrantShape::ToolingTokensRotate => "tooling.tokens.rotate",
        }
    }

    /// Recognise the shape by its fields.
    fn of(json: &Value) -> GrantShape {
        let has = |name: &str| json.get(name).is_some_and(|v| !v.is_null());
        if json.get("token").is_some_and(Value::is_string) && has("exp") {
            return GrantShape::ToolingTokensRotate;
        }
        if has("id_token") {
            return if has("authed_user") {
                GrantShape::OauthV2User
            } else {
                GrantShape::OpenIdConnect
            };
        }
        let legacy_team = json.get("team_id").is_some_and(Value::is_string) && !has("team");
        if json.get("bot").is_some_and(Value::is_object) || legacy_team {
            return GrantShape::LegacyOauthAccess;
        }
        GrantShape::OauthV2
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grant {
    pub shape: GrantShape,
    pub tokens: Vec<GrantedToken>,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    /// An org-wide install: one install for every workspace of the enterprise it names.
    pub is_enterprise_install: bool,
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
    #[error("field {0} holds a token that xox does not know where to keep; nothing was stored")]
    UnclaimedToken(String),
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

/// Parse any install or token-grant answer ([`GrantShape`]). A token anywhere in it that
/// is not read is an error naming its field: a token is never dropped without a word.
pub fn parse_grant(json: &Value) -> Result<Grant, GrantError> {
    if !json.is_object() {
        return Err(GrantError::NotAnObject);
    }
    if json.get("ok") == Some(&Value::Bool(false)) {
        let code = str_field(json, "error")?.unwrap_or("unknown_error");
        return Err(GrantError::NotOk(super::error_code::printable_code(code)));
    }
    let shape = GrantShape::of(json);
    let mut grant = match shape {
        GrantShape::LegacyOauthAccess => legacy(json)?,
        GrantShape::ToolingTokensRotate => configuration(json)?,
        _ => v2(json, shape)?,
    };
    grant.shape = shape;
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
    grant.is_enterprise_install = match json.get("is_enterprise_install") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(GrantError::WrongType("is_enterprise_install")),
    };
    grant.slack_app_id = text_field(json, "app_id")?;
    grant.bot_user_id = grant
        .bot_user_id
        .take()
        .or(text_field(json, "bot_user_id")?);
    if grant.authed_user_id.is_none() {
        grant.authed_user_id = text_field(json, "user_id")?;
    }
    if shape == GrantShape::OpenIdConnect {
        let claims = super::grant_sweep::id_token_claims(json);
        grant.team_id = grant.team_id.take().or(claims.team_id);
        grant.team_name = grant.team_name.take().or(claims.team_name);
        grant.authed_user_id = grant.authed_user_id.take().or(claims.user_id);
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
    let read = |value: &str| {
        grant.tokens.iter().any(|t| {
            t.access.expose() == value || t.refresh.as_ref().is_some_and(|r| r.expose() == value)
        })
    };
    if let Some(path) = super::grant_sweep::first_unread_token(json, &read) {
        return Err(GrantError::UnclaimedToken(path));
    }
    Ok(grant)
}

/// The v2 shapes, and the single-user-token ones: the top-level token, then `authed_user`.
fn v2(json: &Value, shape: GrantShape) -> Result<Grant, GrantError> {
    let mut grant = Grant::default();
    let single_user = matches!(shape, GrantShape::OauthV2User | GrantShape::OpenIdConnect);
    let top_kind = if single_user {
        TokenKind::User
    } else {
        TokenKind::Bot
    };
    let authed_user = object(json, "authed_user")?;
    if let Some(mut top) = token_in(json, top_kind)? {
        if single_user {
            top.kind = TokenKind::User;
            top.token_type = TokenType::classify(top.access.expose()).with_slack_kind(top.kind);
        }
        // oauth.v2.user.access names the scopes under authed_user, not beside the token.
        if top.scopes.is_empty()
            && let Some(scope) = authed_user
                .map(|u| str_field(u, "scope"))
                .transpose()?
                .flatten()
        {
            top.scopes = Scopes::parse(scope);
        }
        grant.tokens.push(top);
    }
    if let Some(user_part) = authed_user {
        grant.authed_user_id = text_field(user_part, "id")?;
        if let Some(user) = token_in(user_part, TokenKind::User)? {
            // A flat user refresh may repeat the token under authed_user; keep one.
            if grant.token(user.kind).is_none() {
                grant.tokens.push(user);
            }
        }
    }
    Ok(grant)
}

/// `tooling.tokens.rotate`: a configuration token and its refresh token, with `exp` an
/// absolute time, and the team and user beside them.
fn configuration(json: &Value) -> Result<Grant, GrantError> {
    let mut grant = Grant {
        team_id: text_field(json, "team_id")?,
        authed_user_id: text_field(json, "user_id")?,
        ..Grant::default()
    };
    if let Some(access) = str_field(json, "token")? {
        let exp = int_field(json, "exp")?;
        grant.tokens.push(GrantedToken {
            kind: TokenKind::Config,
            token_type: TokenType::classify(access),
            access: Secret::new(access),
            refresh: str_field(json, "refresh_token")?.map(Secret::new),
            expires_in: exp.map(|at| (at - chrono::Utc::now().timestamp()).max(0)),
            scopes: Scopes::default(),
        });
    }
    Ok(grant)
}

/// The legacy `oauth.access`: the installing user's token at the top level, the classic
/// bot's under `bot`, and the team beside them rather than in a `team` object.
fn legacy(json: &Value) -> Result<Grant, GrantError> {
    let mut grant = Grant {
        team_id: text_field(json, "team_id")?,
        team_name: text_field(json, "team_name")?,
        ..Grant::default()
    };
    if let Some(mut user) = token_in(json, TokenKind::User)? {
        user.kind = TokenKind::User;
        user.token_type = TokenType::classify(user.access.expose()).with_slack_kind(user.kind);
        grant.tokens.push(user);
    }
    if let Some(bot) = object(json, "bot")? {
        grant.bot_user_id = text_field(bot, "bot_user_id")?;
        if let Some(access) = str_field(bot, "bot_access_token")? {
            grant.tokens.push(GrantedToken {
                kind: TokenKind::Bot,
                token_type: TokenType::classify(access).with_slack_kind(TokenKind::Bot),
                access: Secret::new(access),
                refresh: None,
                expires_in: None,
                scopes: Scopes::parse("bot"),
            });
        }
    }
    Ok(grant)
}

#[cfg(test)]
mod tests;
