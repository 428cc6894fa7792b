//! What to do about a failed call: one hint per error family, each with the next action and
//! the command that performs it.

use crate::slack::catalogue::{Needs, catalogue};
use crate::slack::{ErrorCode, Scopes, TokenKind};
use crate::store::{Connection, RecordedCall};

/// The next step a hint proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HintAction {
    /// Re-authorize the connection adding these scopes to this kind of token, then replay.
    AddScopes { kind: TokenKind, scopes: Scopes },
    /// Replay with the connection's other token.
    SwitchKind(TokenKind),
    /// Install the app again (the token is dead).
    Reauth,
    /// Refresh the connection's rotating token.
    Refresh,
    /// Let the bot join the channel, then replay.
    JoinChannel(String),
    /// Replay as it is (after waiting, when Slack said how long).
    Replay { after_secs: Option<u64> },
    /// Nothing xox can do for you.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub text: String,
    pub action: HintAction,
}

impl Hint {
    /// The command that performs the action, for this call on this connection.
    pub fn command(&self, conn: &Connection, call: &RecordedCall) -> Option<String> {
        let name = &conn.name;
        Some(match &self.action {
            HintAction::AddScopes {
                kind: TokenKind::Bot,
                scopes,
            } => format!("xox login --add-scopes {name} --scopes {scopes}"),
            HintAction::AddScopes {
                kind: TokenKind::User,
                scopes,
            } => format!("xox login --add-scopes {name} --user-scopes {scopes}"),
            HintAction::SwitchKind(kind) => format!("xox replay {} --{kind}", call.id),
            HintAction::Reauth => format!("xox login --app {} --name {name}", conn.app_name),
            HintAction::Refresh => format!("xox refresh {name}"),
            HintAction::JoinChannel(channel) => {
                format!("xox call conversations.join channel={channel} --conn {name}")
            }
            HintAction::Replay { .. } => format!("xox replay {}", call.id),
            HintAction::None => return None,
        })
    }
}

fn hint(text: String, action: HintAction) -> Hint {
    Hint { text, action }
}

/// Explain `call`, made on `conn` with these arguments (some hints name its `channel`).
/// What classic apps must know, whatever the error: their scopes are gone for good.
pub const CLASSIC_APP: &str = "this is a classic app's install: Slack retired classic apps and their scopes (bot, identify, …) in favour of granular bot scopes, so some methods and fixes are out of its reach. To move: create a new app from `xox app manifest APP`, register it with `xox app add`, install it with `xox login --app NEW`, and retire this connection once the new one works";

/// The hint for a recorded failed call, with the classic-app note where it applies.
pub fn explain(call: &RecordedCall, conn: &Connection, params: &[(String, String)]) -> Hint {
    let mut hint = explain_error(call, conn, params);
    if conn.is_classic() {
        hint.text.push_str("; ");
        hint.text.push_str(CLASSIC_APP);
    }
    hint
}

fn explain_error(call: &RecordedCall, conn: &Connection, params: &[(String, String)]) -> Hint {
    let channel = params
        .iter()
        .find(|(k, _)| k == "channel")
        .map(|(_, v)| v.as_str());
    let kind = call.token_kind;
    let method = call.method.as_str();
    let spec = catalogue().get(method);
    let code = ErrorCode::parse(&call.error);
    match code {
        ErrorCode::MissingScope => missing_scope(call, conn),
        ErrorCode::NotAllowedTokenType => {
            let other = kind.other();
            match spec {
                Some(s) if s.takes(other) && conn.token(other).is_some() => hint(
                    format!("{method} does not take {kind} tokens; the connection's {other} token can make this call"),
                    HintAction::SwitchKind(other),
                ),
                Some(s) if s.takes(other) => {
                    let scopes = match s.needs(other) {
                        Some(Needs::AnyOf(scopes)) => scopes.clone(),
                        _ => Scopes::default(),
                    };
                    hint(
                        format!("{method} takes only {other} tokens, and this connection has none: re-authorize asking for {other} scopes"),
                        HintAction::AddScopes { kind: other, scopes },
                    )
                }
                _ => hint(format!("{method} does not take {kind} tokens; see the method's reference for the kind it takes"), HintAction::None),
            }
        }
        ErrorCode::TokenExpired => hint(
            "the access token had expired; xox refreshes it and retries once on its own, so the refresh did not help: refresh it and read the error".into(),
            HintAction::Refresh,
        ),
        ErrorCode::InvalidAuth | ErrorCode::TokenRevoked | ErrorCode::AccountInactive => hint(
            format!("Slack no longer accepts this {kind} token ({}: {}); install the app again", call.error, code.meaning().unwrap_or("")),
            HintAction::Reauth,
        ),
        ErrorCode::Ratelimited => {
            let secs = call.retry_after;
            let wait = secs.map_or_else(|| "a minute".to_owned(), |s| format!("{s}s"));
            hint(format!("Slack rate-limited {method} for this workspace and app; wait {wait} (Retry-After), then replay"), HintAction::Replay { after_secs: secs })
        }
        ErrorCode::NotInChannel => match (kind, channel) {
            (TokenKind::Bot, Some(channel)) => hint(
                format!("the bot is not a member of {channel}: invite it there (/invite @your-bot), or let it join a public channel (needs channels:join), then replay"),
                HintAction::JoinChannel(channel.to_owned()),
            ),
            _ => hint("the token's user is not a member of that conversation: join it or invite them, then replay".into(), HintAction::Replay { after_secs: None }),
        },
        ErrorCode::ChannelNotFound => hint(
            format!(
                "no conversation {} that this {kind} token can see: check the id (C…, G…, D…), and for a private channel invite the bot first",
                channel.unwrap_or("by that id")
            ),
            HintAction::None,
        ),
        ErrorCode::NoPermission => hint(
            "the token may not do this to that object (not a member of the conversation, or an action reserved for admins or the owner)".into(),
            HintAction::None,
        ),
        other => {
            let meaning = other.meaning().map_or_else(|| "Slack gave no meaning xox knows for it".to_owned(), str::to_owned);
            // A request Slack found malformed fails the same way again; a code we do not
            // know is not ours to promise anything about.
            let action = if matches!(other, ErrorCode::Other(_)) || is_request_error(&other) {
                HintAction::None
            } else {
                HintAction::Replay { after_secs: None }
            };
            hint(format!("{}: {meaning}", call.error), action)
        }
    }
}

fn is_request_error(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidArguments
            | ErrorCode::InvalidArgName
            | ErrorCode::InvalidArrayArg
            | ErrorCode::InvalidCharset
            | ErrorCode::InvalidFormData
            | ErrorCode::InvalidPostType
            | ErrorCode::MissingPostType
            | ErrorCode::InvalidJson
            | ErrorCode::JsonNotObject
            | ErrorCode::UnknownMethod
            | ErrorCode::MethodDeprecated
            | ErrorCode::DeprecatedEndpoint
    )
}

fn missing_scope(call: &RecordedCall, conn: &Connection) -> Hint {
    let kind = call.token_kind;
    let method = call.method.as_str();
    let spec = catalogue().get(method);
    let needed = call.needed.clone().filter(|n| !n.is_empty()).or_else(|| {
        match spec.and_then(|s| s.needs(kind)) {
            Some(Needs::AnyOf(scopes)) => Some(scopes.clone()),
            _ => None,
        }
    });
    let Some(needed) = needed else {
        return hint(
            format!("{method} needs a scope the {kind} token lacks, and Slack did not say which"),
            HintAction::None,
        );
    };
    // The other token may already hold what is needed.
    let other = kind.other();
    if let (Some(spec), Some(token)) = (spec, conn.token(other))
        && spec.takes(other)
        && spec.covered_by(other, &token.scopes)
    {
        return hint(
            format!(
                "the {kind} token lacks {needed} for {method}, but the connection's {other} token has what it needs"
            ),
            HintAction::SwitchKind(other),
        );
    }
    let role = if kind == TokenKind::Bot {
        "bot"
    } else {
        "user"
    };
    let mut text = format!(
        "the {kind} token lacks {needed}, which {method} needs: add it as a {role} scope, re-authorize, then replay"
    );
    if needed.len() > 1 {
        text.push_str(&format!(
            " (Slack listed {} scopes; they may be alternatives, and one may be enough for your use)",
            needed.len()
        ));
    }
    hint(
        text,
        HintAction::AddScopes {
            kind,
            scopes: needed,
        },
    )
}

#[cfg(test)]
mod tests {
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
        let h = explain(&r, &c, &[]);
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
            "xox login --add-scopes acme --scopes chat:write"
        );

        let r = call(
            "search.messages",
            TokenKind::User,
            "missing_scope",
            Some("search:read"),
        );
        let c = conn("users:read", Some("chat:write"));
        assert_eq!(
            explain(&r, &c, &[]).command(&c, &r).unwrap(),
            "xox login --add-scopes acme --user-scopes search:read"
        );

        let r = call(
            "conversations.history",
            TokenKind::Bot,
            "missing_scope",
            Some("channels:history,groups:history"),
        );
        assert!(explain(&r, &c, &[]).text.contains("may be alternatives"));
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
        let h = explain(&r, &c, &[]);
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
            explain(&r, &with_user, &[]).action,
            HintAction::SwitchKind(TokenKind::User)
        );
        let bot_only = conn("chat:write", None);
        let h = explain(&r, &bot_only, &[]);
        assert_eq!(
            h.command(&bot_only, &r).unwrap(),
            "xox login --add-scopes acme --user-scopes search:read"
        );
    }

    #[test]
    fn other_families() {
        let c = conn("chat:write", None);
        let r = call("chat.postMessage", TokenKind::Bot, "not_in_channel", None);
        assert_eq!(
            explain(&r, &c, &[("channel".into(), "C0SIMRANDOM".into())])
                .command(&c, &r)
                .unwrap(),
            "xox call conversations.join channel=C0SIMRANDOM --conn acme"
        );
        let r = call("chat.postMessage", TokenKind::Bot, "ratelimited", None);
        let h = explain(&r, &c, &[]);
        assert!(h.text.contains("wait 12s"));
        assert_eq!(h.command(&c, &r).unwrap(), "xox replay 7");
        let r = call("chat.postMessage", TokenKind::Bot, "token_revoked", None);
        assert_eq!(
            explain(&r, &c, &[]).command(&c, &r).unwrap(),
            "xox login --app acme-app --name acme"
        );
        let r = call(
            "chat.postMessage",
            TokenKind::Bot,
            "invalid_arguments",
            None,
        );
        assert_eq!(explain(&r, &c, &[]).action, HintAction::None);
        let r = call("chat.postMessage", TokenKind::Bot, "brand_new_error", None);
        let h = explain(&r, &c, &[]);
        assert!(h.text.starts_with("brand_new_error: Slack gave no meaning"));
        assert_eq!(h.action, HintAction::None);
        let r = call("chat.postMessage", TokenKind::Bot, "internal_error", None);
        assert_eq!(
            explain(&r, &c, &[]).action,
            HintAction::Replay { after_secs: None }
        );
    }
}
