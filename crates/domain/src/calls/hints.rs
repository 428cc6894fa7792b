//! What to do about a failed call: one hint per error family, each with the next action and
//! the command that performs it.

use crate::slack::catalogue::{Needs, catalogue};
use crate::slack::{ErrorClass, ErrorCode, Scopes, TokenKind};
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
    /// Unarchive the channel, then replay.
    Unarchive(String),
    /// Correct the request and call again: replaying it as it was cannot succeed.
    CallAgain,
    /// Nothing xox can do for you.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub text: String,
    pub action: HintAction,
}

impl HintAction {
    /// The request the step makes on the connection before the replay, with its channel:
    /// joining or unarchiving the channel.
    pub fn step_request(&self) -> Option<(&'static str, &str)> {
        match self {
            HintAction::JoinChannel(channel) => Some(("conversations.join", channel)),
            HintAction::Unarchive(channel) => Some(("conversations.unarchive", channel)),
            _ => None,
        }
    }
}

impl Hint {
    /// Whether replaying the call can succeed, once the action is done: not for a request
    /// that must be corrected, nor for a refusal nothing here can lift.
    pub fn replay_can_succeed(&self) -> bool {
        !matches!(self.action, HintAction::CallAgain | HintAction::None)
    }

    /// The command that performs the action, for this call on this connection.
    pub fn command(&self, conn: &Connection, call: &RecordedCall) -> Option<String> {
        let name = &conn.name;
        let reauth = matches!(
            self.action,
            HintAction::Reauth | HintAction::AddScopes { .. }
        );
        // Tokens kept without their app cannot be re-authorized: Slack issues new ones only
        // to the app, through its install.
        if reauth && conn.is_standalone() {
            return None;
        }
        Some(match &self.action {
            HintAction::AddScopes {
                kind: TokenKind::Bot,
                scopes,
            } => format!("xox login --reauth {name} --scopes {scopes}"),
            HintAction::AddScopes {
                kind: TokenKind::User,
                scopes,
            } => format!("xox login --reauth {name} --user-scopes {scopes}"),
            // App-level and configuration tokens get their scopes in the app's settings.
            HintAction::AddScopes {
                kind: TokenKind::App | TokenKind::Config,
                ..
            } => return None,
            HintAction::SwitchKind(kind) => format!("xox replay {} {}", call.id, kind.flag()),
            HintAction::Reauth => format!("xox login --reauth {name}"),
            HintAction::Refresh => format!("xox refresh {name}"),
            HintAction::JoinChannel(_) | HintAction::Unarchive(_) => {
                let (method, channel) = self.action.step_request()?;
                format!("xox call {method} channel={channel} --conn {name}")
            }
            HintAction::Replay { .. } => format!("xox replay {}", call.id),
            HintAction::CallAgain => format!("xox call {} --conn {name}", call.method),
            HintAction::None => return None,
        })
    }
}

fn hint(text: String, action: HintAction) -> Hint {
    Hint { text, action }
}

/// What classic apps must know, whatever the error: their scopes are gone for good.
pub const CLASSIC_APP: &str = "this is a classic app's install: Slack retired classic apps and their scopes (bot, identify, …) in favour of granular bot scopes, so some methods and fixes are out of its reach. To move: create a new app from `xox app manifest APP`, register it with `xox app add`, install it with `xox login --app NEW`, and retire this connection once the new one works";

/// The hint for a recorded failed call, with the classic-app note where it applies.
/// `response` is Slack's answer, quoted for codes xox does not know.
pub fn explain(
    call: &RecordedCall,
    conn: &Connection,
    params: &[(String, String)],
    response: Option<&serde_json::Value>,
) -> Hint {
    let mut hint = explain_error(call, conn, params, response);
    if conn.is_classic() {
        hint.text.push_str("; ");
        hint.text.push_str(CLASSIC_APP);
    }
    hint
}

fn explain_error(
    call: &RecordedCall,
    conn: &Connection,
    params: &[(String, String)],
    response: Option<&serde_json::Value>,
) -> Hint {
    let channel = params
        .iter()
        .find(|(k, _)| k == "channel")
        .map(|(_, v)| v.as_str());
    let kind = call.token_kind;
    let method = call.method.as_str();
    let spec = catalogue().get(method);
    // No HTTP answer at all: the failure is the network's or the address's, not Slack's.
    if call.http_status.is_none() && response.is_none() {
        return unanswered(call);
    }
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
        ErrorCode::IsArchived => match channel {
            Some(channel) => hint(
                format!("{channel} is archived: unarchive it (or post elsewhere), then replay"),
                HintAction::Unarchive(channel.to_owned()),
            ),
            None => hint("the conversation is archived: unarchive it, or use another".into(), HintAction::None),
        },
        other => match other.class() {
            Some(class) => by_class(call, &other, class),
            None => unknown(call, response),
        },
    }
}

/// The hint for a code whose class says it all.
fn by_class(call: &RecordedCall, code: &ErrorCode, class: ErrorClass) -> Hint {
    let meaning = code.meaning().unwrap_or_default();
    let error = &call.error;
    match class {
        ErrorClass::FixToken => hint(
            format!(
                "{error}: {meaning}; the token itself must change: install the app again, then replay"
            ),
            HintAction::Reauth,
        ),
        // The same request fails the same way: replay cannot help, a corrected call can.
        ErrorClass::FixRequest => hint(
            format!(
                "{error}: {meaning}; replaying the same request fails again: correct it and call again"
            ),
            HintAction::CallAgain,
        ),
        ErrorClass::Wait => hint(
            format!("{error}: {meaning}; wait a little, then replay"),
            HintAction::Replay {
                after_secs: call.retry_after,
            },
        ),
        ErrorClass::Permanent => hint(
            format!(
                "{error}: {meaning}; nothing xox or the app can change here: {}",
                code.who_can_lift()
            ),
            HintAction::None,
        ),
    }
}

/// A call that got no answer from Slack: refused, timed out, cut off or not JSON.
fn unanswered(call: &RecordedCall) -> Hint {
    let text = if call.error.starts_with(crate::slack::error::UNREACHED) {
        "Slack was not reached, so nothing happened there: check the network and where xox sends calls (--slack-url or XOX_SLACK_URL; for the simulator, that it is still running), then replay"
    } else {
        "no usable answer came back from Slack, so the call may or may not have taken effect: check before replaying a call that writes, then replay"
    };
    hint(
        format!("{}: {text}", call.error),
        HintAction::Replay { after_secs: None },
    )
}

/// A code xox does not know: say what Slack itself said, and promise nothing.
fn unknown(call: &RecordedCall, response: Option<&serde_json::Value>) -> Hint {
    let mut said: Vec<String> = Vec::new();
    if let Some(body) = response {
        if let Some(warning) = body.get("warning").and_then(|w| w.as_str()) {
            said.push(format!("warning {warning}"));
        }
        if let Some(messages) = body
            .pointer("/response_metadata/messages")
            .and_then(|m| m.as_array())
        {
            said.extend(
                messages
                    .iter()
                    .filter_map(|m| m.as_str())
                    .map(str::to_owned),
            );
        }
    }
    let said = match said.is_empty() {
        true => "Slack added nothing more".to_owned(),
        false => format!("Slack added: {}", said.join("; ")),
    };
    hint(
        crate::text::one_line(&format!(
            "{}: a code xox does not know, so it suggests nothing; {said}",
            call.error
        ))
        .into_owned(),
        HintAction::None,
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
    // Granted since (a re-auth): a needed scope the token lacked then and holds now. The
    // call can go through as it is.
    if let (Some(token), Some(provided)) = (conn.token(kind), call.provided.as_ref())
        && needed
            .iter()
            .any(|scope| token.scopes.contains(scope) && !provided.contains(scope))
    {
        return hint(
            format!("the {kind} token holds {needed} now, which {method} needed: replay"),
            HintAction::Replay { after_secs: None },
        );
    }
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
    if method == "users.identity" {
        text.push_str(" (apps on the older Sign in with Slack flow need identity.basic for it, not identity:read: ask for both if unsure)");
    }
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
mod tests;
