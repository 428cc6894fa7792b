//! Which of a connection's tokens a call should use, and what the stored scopes already say
//! about how it will go.

use crate::slack::TokenKind;
use crate::slack::catalogue::{MethodSpec, Needs, catalogue};
use crate::store::Connection;

#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error("connection {conn:?} has no {kind} token{hint}")]
    NoToken {
        conn: String,
        kind: TokenKind,
        hint: String,
    },
    #[error(
        "{method} takes only an app-level token (xapp-), and {conn} has none: make one under the app's Basic Information, App-Level Tokens, then `printf %s xapp-… | xox import NAME`"
    )]
    AppTokenOnly { method: String, conn: String },
}

/// The token to use, and warnings worth reading before the call goes out.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPlan {
    pub kind: TokenKind,
    pub warnings: Vec<String>,
}

fn needs_text(spec: &MethodSpec, kind: TokenKind) -> String {
    match spec.needs(kind) {
        Some(Needs::AnyOf(s)) if s.len() > 1 => format!("one of {s}"),
        Some(Needs::AnyOf(s)) => s.to_csv(),
        _ => "no scope".into(),
    }
}

/// The asked kind, else the first the connection has of bot, user, app-level and
/// configuration; an error naming what it has when it lacks the one wanted.
pub fn default_kind(conn: &Connection, asked: Option<TokenKind>) -> Result<TokenKind, ChooseError> {
    let first_held = TokenKind::ALL
        .into_iter()
        .find(|k| conn.token(*k).is_some())
        .unwrap_or(TokenKind::Bot);
    let kind = asked.unwrap_or(first_held);
    if conn.token(kind).is_none() {
        let held: Vec<String> = TokenKind::ALL
            .into_iter()
            .filter(|k| conn.token(*k).is_some())
            .map(|k| format!("{k} ({})", k.flag()))
            .collect();
        let hint = match held.is_empty() {
            true => String::new(),
            false => format!("; it has: {}", held.join(", ")),
        };
        return Err(ChooseError::NoToken {
            conn: conn.name.clone(),
            kind,
            hint,
        });
    }
    Ok(kind)
}

/// Pick the token for `method`: the asked kind, else one the method takes whose stored scopes
/// cover it (the bot token first), else one it takes. Methods the catalogue does not know
/// use the bot token when there is one.
pub fn plan(
    conn: &Connection,
    method: &str,
    asked: Option<TokenKind>,
) -> Result<CallPlan, ChooseError> {
    let spec = catalogue().get(method);
    let has = |k: TokenKind| conn.token(k).is_some();
    let kind = match (asked, spec) {
        (Some(_), _) | (None, None) => default_kind(conn, asked)?,
        (None, Some(spec)) => {
            let usable: Vec<TokenKind> = TokenKind::ALL
                .into_iter()
                .filter(|k| has(*k) && spec.takes(*k))
                .collect();
            if usable.is_empty() && spec.takes_app && !spec.takes_bot && !spec.takes_user {
                return Err(ChooseError::AppTokenOnly {
                    method: method.into(),
                    conn: conn.name.clone(),
                });
            }
            let covered = usable.iter().copied().find(|k| {
                conn.token(*k)
                    .is_some_and(|t| spec.covered_by(*k, &t.scopes))
            });
            covered
                .or(usable.first().copied())
                .map_or_else(|| default_kind(conn, None), Ok)?
        }
    };
    let kind = default_kind(conn, Some(kind))?;
    let token = conn.token(kind).expect("default_kind checked it exists");
    let mut warnings = Vec::new();
    if let Some(spec) = spec {
        if !spec.takes(kind) {
            warnings.push(format!("{method} does not take {kind} tokens; Slack will likely answer not_allowed_token_type"));
        } else if !spec.covered_by(kind, &token.scopes) {
            warnings.push(format!(
                "the {kind} token lacks {} (for {method}); Slack will likely answer missing_scope",
                needs_text(spec, kind)
            ));
        }
        if spec.deprecated {
            warnings.push(format!("{method} is deprecated by Slack"));
        }
    }
    Ok(CallPlan { kind, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::TokenType;
    use crate::store::fixtures::{connection, token};

    fn conn(bot: Option<&str>, user: Option<&str>) -> Connection {
        let tokens = [
            bot.map(|s| token(TokenKind::Bot, TokenType::Bot, s, None)),
            user.map(|s| token(TokenKind::User, TokenType::User, s, None)),
        ];
        connection("acme", None, tokens.into_iter().flatten().collect())
    }

    #[test]
    fn picks_the_kind_the_method_takes_and_whose_scopes_cover_it() {
        let c = conn(Some("chat:write"), Some("search:read,reactions:write"));
        assert_eq!(
            plan(&c, "search.messages", None).unwrap(),
            CallPlan {
                kind: TokenKind::User,
                warnings: vec![]
            }
        );
        assert_eq!(
            plan(&c, "chat.postMessage", None).unwrap().kind,
            TokenKind::Bot
        );
        assert_eq!(
            plan(&c, "reactions.add", None).unwrap().kind,
            TokenKind::User,
            "the user token holds the scope"
        );
        assert_eq!(plan(&c, "auth.test", None).unwrap().kind, TokenKind::Bot);
        assert_eq!(
            plan(&c, "not.in.catalogue", None).unwrap().kind,
            TokenKind::Bot
        );
    }

    #[test]
    fn warns_before_a_call_that_will_fail() {
        let c = conn(Some("chat:write"), None);
        let p = plan(&c, "users.list", None).unwrap();
        assert_eq!(
            p.warnings,
            [
                "the bot token lacks users:read (for users.list); Slack will likely answer missing_scope"
            ]
        );
        let p = plan(&c, "conversations.history", None).unwrap();
        assert!(
            p.warnings[0].contains("one of channels:history,groups:history"),
            "{:?}",
            p.warnings
        );
        let p = plan(&c, "search.messages", Some(TokenKind::Bot)).unwrap();
        assert!(p.warnings[0].contains("not_allowed_token_type"));
        assert!(
            plan(&c, "search.messages", None).unwrap().warnings[0]
                .contains("not_allowed_token_type")
        );
    }

    #[test]
    fn refuses_what_cannot_work() {
        let c = conn(Some("chat:write"), None);
        let err = plan(&c, "chat.postMessage", Some(TokenKind::User)).unwrap_err();
        assert!(
            err.to_string()
                .contains("has no user token; it has: bot (--bot)"),
            "{err}"
        );
        assert!(matches!(
            plan(&c, "apps.connections.open", None),
            Err(ChooseError::AppTokenOnly { .. })
        ));
    }

    #[test]
    fn app_level_and_configuration_tokens_are_picked_for_their_methods() {
        let mut c = conn(Some("chat:write"), None);
        c.tokens.push(token(
            TokenKind::App,
            TokenType::AppLevel,
            "connections:write",
            None,
        ));
        c.tokens.push(token(
            TokenKind::Config,
            TokenType::RotatingUser,
            "",
            Some(1),
        ));
        assert_eq!(
            plan(&c, "apps.connections.open", None).unwrap().kind,
            TokenKind::App
        );
        assert_eq!(
            plan(&c, "apps.manifest.update", None).unwrap().kind,
            TokenKind::Config
        );
        assert_eq!(
            plan(&c, "chat.postMessage", None).unwrap().kind,
            TokenKind::Bot
        );
        let only_config = connection("cfg", None, vec![c.tokens[2].clone()]);
        assert_eq!(default_kind(&only_config, None).unwrap(), TokenKind::Config);
    }
}
