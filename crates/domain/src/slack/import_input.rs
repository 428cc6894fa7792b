//! `xox import`: tokens from an `oauth.v2.access` / `oauth.v2.exchange` answer or a bare token.

use crate::slack::{
    CallError, Grant, GrantedToken, Scopes, Secret, SlackClient, TokenKind, TokenType, parse_grant,
};

/// The most we read from stdin: far more than any OAuth answer.
pub const MAX_INPUT: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("nothing on stdin: pipe an oauth.v2.access JSON answer or a token into xox import")]
    Empty,
    #[error("stdin is larger than 1 MiB; that is not an OAuth answer")]
    TooLarge,
    #[error("stdin is not valid JSON ({0})")]
    BadJson(String),
    #[error("the JSON is Slack's error answer ({0}), not tokens")]
    ErrorAnswer(String),
    #[error("the JSON has no tokens: {0}")]
    BadGrant(String),
    #[error("stdin holds more than one line; pipe a single token or one JSON answer")]
    NotOneToken,
    #[error(
        "that is a refresh token (xoxe-); import the whole oauth.v2.access answer so the access token comes with it"
    )]
    RefreshTokenOnly,
    #[error("Slack did not accept the token: {0}")]
    Rejected(CallError),
    #[error("cannot verify the token with Slack ({0}); use --no-verify to store it unchecked")]
    Unverified(CallError),
    #[error("cannot tell whether this {0} token is a bot or a user token; pass --bot or --user")]
    UnknownKind(&'static str),
}

/// What was piped in.
pub enum ImportInput {
    /// A JSON answer from Slack.
    Grant(Box<Grant>),
    /// An app configuration token and its refresh token, pasted from the app settings page.
    ConfigPair(Box<Grant>),
    Token(Secret),
}

/// How long a configuration token lives; a pasted one is taken as just generated.
pub const CONFIG_TOKEN_LIFETIME: i64 = 12 * 3600;

/// `ACCESS REFRESH` as the settings page shows them: a rotating `xoxe.xoxp-1-` token, then
/// its `xoxe-1-` refresh token.
fn config_pair(text: &str) -> Option<Grant> {
    let [access, refresh] = text.split_whitespace().collect::<Vec<_>>()[..] else {
        return None;
    };
    let is_pair = TokenType::classify(access) == TokenType::RotatingUser
        && TokenType::classify(refresh) == TokenType::Refresh;
    is_pair.then(|| Grant {
        tokens: vec![GrantedToken {
            kind: TokenKind::Config,
            token_type: TokenType::RotatingUser,
            access: Secret::new(access),
            refresh: Some(Secret::new(refresh)),
            expires_in: Some(CONFIG_TOKEN_LIFETIME),
            scopes: Scopes::default(),
        }],
        ..Grant::default()
    })
}

pub fn parse_input(raw: &[u8]) -> Result<ImportInput, ImportError> {
    if raw.len() > MAX_INPUT {
        return Err(ImportError::TooLarge);
    }
    let text = String::from_utf8_lossy(raw);
    let text = text.trim();
    if text.is_empty() {
        return Err(ImportError::Empty);
    }
    if text.starts_with('{') || text.starts_with('[') {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ImportError::BadJson(e.to_string()))?;
        return match parse_grant(&json) {
            Ok(grant) => Ok(ImportInput::Grant(Box::new(grant))),
            Err(crate::slack::grant::GrantError::NotOk(code)) => {
                Err(ImportError::ErrorAnswer(code))
            }
            Err(e) => Err(ImportError::BadGrant(e.to_string())),
        };
    }
    if let Some(pair) = config_pair(text) {
        return Ok(ImportInput::ConfigPair(Box::new(pair)));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(ImportError::NotOneToken);
    }
    if TokenType::classify(text) == TokenType::Refresh {
        return Err(ImportError::RefreshTokenOnly);
    }
    Ok(ImportInput::Token(Secret::new(text)))
}

/// Turn a bare token into a grant, asking Slack (`auth.test`) who it is unless `verify` is
/// off. Slack's answer decides bot or user (a `bot_id` means bot); the prefix only guesses.
pub async fn grant_for_token(
    client: &SlackClient,
    token: Secret,
    asked: Option<TokenKind>,
    verify: bool,
) -> Result<Grant, ImportError> {
    let token_type = TokenType::classify(token.expose());
    // An app-level token cannot be checked without opening a Socket Mode connection; its
    // prefix says all there is to know.
    let verify = verify && token_type != TokenType::AppLevel;
    let mut grant = Grant::default();
    let mut scopes = Scopes::default();
    let mut expires_in = None;
    let mut slack_kind = None;
    if verify {
        let answer = client.call("auth.test", &token, &[]).await.map_err(|e| {
            if e.is_transient() {
                ImportError::Unverified(e)
            } else {
                ImportError::Rejected(e)
            }
        })?;
        let field = |name: &str| {
            answer
                .body
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        grant.team_id = field("team_id");
        grant.team_name = field("team");
        grant.enterprise_id = field("enterprise_id");
        grant.slack_app_id = field("app_id");
        let is_bot = answer.body.get("bot_id").is_some_and(|v| v.is_string());
        slack_kind = Some(if is_bot {
            TokenKind::Bot
        } else {
            TokenKind::User
        });
        if is_bot {
            grant.bot_user_id = field("user_id");
        } else {
            grant.authed_user_id = field("user_id");
        }
        scopes = answer.token_scopes.unwrap_or_default();
        expires_in = answer
            .body
            .get("expires_in")
            .and_then(|v| v.as_i64())
            .filter(|s| *s >= 0);
    }
    let kind = slack_kind
        .or(asked)
        .or(token_type.kind_hint())
        .ok_or(ImportError::UnknownKind(token_type.as_str()))?;
    grant.tokens.push(GrantedToken {
        kind,
        token_type: token_type.with_slack_kind(kind),
        access: token,
        refresh: None,
        expires_in,
        scopes,
    });
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_json_tokens_and_junk() {
        assert!(matches!(parse_input(b"  "), Err(ImportError::Empty)));
        assert!(matches!(
            parse_input(b"{\"ok\":tr"),
            Err(ImportError::BadJson(_))
        ));
        assert!(
            matches!(parse_input(b"{\"ok\":false,\"error\":\"invalid_code\"}"), Err(ImportError::ErrorAnswer(c)) if c == "invalid_code")
        );
        assert!(matches!(
            parse_input(b"{\"ok\":true}"),
            Err(ImportError::BadGrant(_))
        ));
        assert!(matches!(
            parse_input(b"xoxb-1 xoxb-2"),
            Err(ImportError::NotOneToken)
        ));
        assert!(matches!(
            parse_input(b"xoxe-1-abc\n"),
            Err(ImportError::RefreshTokenOnly)
        ));
        assert!(matches!(
            parse_input(b"xoxb-1-2-abc\n"),
            Ok(ImportInput::Token(_))
        ));
        assert!(matches!(
            parse_input(b"weird-token"),
            Ok(ImportInput::Token(_))
        ));
        assert!(matches!(
            parse_input(&vec![b'x'; MAX_INPUT + 1]),
            Err(ImportError::TooLarge)
        ));
    }
}
