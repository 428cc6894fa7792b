//! What a scoped proxy key may do: which methods (globs over the catalogue), which
//! channels, reads only, and until when. Checked before anything reaches Slack; arguments
//! that cannot be read for certain (one given twice, a body of an unknown encoding) are
//! refused, never guessed at.

use crate::slack::catalogue::catalogue;
use serde::Serialize;

/// The limits of a key; the default has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyScope {
    /// Globs over method names (`chat.*`); `None`: every method.
    pub methods: Option<Vec<String>>,
    /// Channel (and, for `conversations.open`, user) ids; `None`: every channel.
    pub channels: Option<Vec<String>>,
    /// Only methods that read ([`crate::slack::catalogue::MethodSpec::is_read`]).
    pub read_only: bool,
    /// Unix seconds after which the key is refused as a revoked one is.
    #[serde(serialize_with = "super::model::rfc3339_or_null")]
    pub expires_at: Option<i64>,
}

/// A stored list (comma-separated) back into its items; `None` stays none.
fn listed(text: Option<String>) -> Option<Vec<String>> {
    text.map(|t| t.split(',').map(str::to_owned).collect())
}

/// The arguments that name a channel, wherever a method takes them.
const CHANNEL_ARGUMENTS: &[&str] = &["channel", "channels", "channel_id", "channel_ids"];

/// A request's arguments as a scoped key sees them: every one, from the query and the
/// body alike, or why they cannot be told for certain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arguments {
    Read(Vec<(String, String)>),
    Unreadable(String),
}

/// Why a key may not make a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Past its expiry: refused as a revoked key is.
    Expired,
    MethodNotAllowed(String),
    /// A read-only key, and a method that writes.
    ReadOnly(String),
    ChannelNotAllowed(String),
    /// Its arguments cannot be checked: given twice, or in a body xox cannot read.
    Unreadable(String),
}

impl KeyRefusal {
    /// The error code the app gets, in Slack's shape: xox's own, but for an expired key,
    /// which gets Slack's word for a key it does not know.
    pub fn code(&self) -> &'static str {
        match self {
            KeyRefusal::Expired => "invalid_auth",
            KeyRefusal::MethodNotAllowed(_) => "xox_method_not_allowed",
            KeyRefusal::ReadOnly(_) => "xox_read_only_key",
            KeyRefusal::ChannelNotAllowed(_) => "xox_channel_not_allowed",
            KeyRefusal::Unreadable(_) => "xox_arguments_unclear",
        }
    }

    /// What the key lacks, for the answer's `needed` field.
    pub fn needed(&self) -> Option<String> {
        match self {
            KeyRefusal::Expired => None,
            KeyRefusal::MethodNotAllowed(method) => Some(format!("a key allowing {method}")),
            KeyRefusal::ReadOnly(method) => {
                Some(format!("a key that may write ({method} is not a read)"))
            }
            KeyRefusal::ChannelNotAllowed(channel) => {
                Some(format!("a key allowing channel {channel}"))
            }
            KeyRefusal::Unreadable(why) => Some(format!("arguments given once each: {why}")),
        }
    }
}

/// Whether `glob` (`*` standing for any run of characters) matches `name`.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Check a key's method globs: each must match some method the catalogue knows, or it is a
/// typo that would allow nothing.
pub fn check_globs(globs: &[String]) -> Result<(), String> {
    let methods = catalogue().methods();
    for glob in globs {
        if !methods.iter().any(|m| glob_matches(glob, &m.name)) {
            let hint = catalogue()
                .nearest(glob)
                .map(|n| format!(" (did you mean {n}?)"))
                .unwrap_or_default();
            return Err(format!(
                "--methods {:?} matches no method xox knows{hint}",
                crate::text::one_line(glob)
            ));
        }
    }
    Ok(())
}

/// The ids one argument's value names: a comma-separated list, or a JSON array of them.
fn ids(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(value)
    {
        return list.into_iter().map(|id| id.trim().to_owned()).collect();
    }
    value
        .split(',')
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

impl KeyScope {
    /// The scope as stored: its lists comma-separated.
    pub fn from_columns(
        methods: Option<String>,
        channels: Option<String>,
        read_only: bool,
        expires_at: Option<i64>,
    ) -> KeyScope {
        KeyScope {
            methods: listed(methods),
            channels: listed(channels),
            read_only,
            expires_at,
        }
    }

    /// The method globs and channels as stored.
    pub fn list_columns(&self) -> (Option<String>, Option<String>) {
        (
            self.methods.as_ref().map(|m| m.join(",")),
            self.channels.as_ref().map(|c| c.join(",")),
        )
    }

    /// Whether the key's time is up at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the key is limited beyond its expiry (its arguments are then checked).
    pub fn is_limited(&self) -> bool {
        self.methods.is_some() || self.channels.is_some() || self.read_only
    }

    /// May the key call `method` with `arguments` at `now`?
    pub fn check(&self, method: &str, arguments: &Arguments, now: i64) -> Result<(), KeyRefusal> {
        if self.expired(now) {
            return Err(KeyRefusal::Expired);
        }
        if !self.is_limited() {
            return Ok(());
        }
        if let Some(globs) = &self.methods
            && !globs.iter().any(|g| glob_matches(g, method))
        {
            return Err(KeyRefusal::MethodNotAllowed(method.to_owned()));
        }
        // A method the catalogue does not know cannot be shown to read.
        if self.read_only && !catalogue().get(method).is_some_and(|m| m.is_read()) {
            return Err(KeyRefusal::ReadOnly(method.to_owned()));
        }
        let arguments = match arguments {
            Arguments::Read(arguments) => arguments,
            Arguments::Unreadable(why) => return Err(KeyRefusal::Unreadable(why.clone())),
        };
        let Some(allowed) = &self.channels else {
            return Ok(());
        };
        let names_channel = |name: &str| {
            CHANNEL_ARGUMENTS.contains(&name) || (method == "conversations.open" && name == "users")
        };
        for (_, value) in arguments.iter().filter(|(name, _)| names_channel(name)) {
            if let Some(other) = ids(value).into_iter().find(|id| !allowed.contains(id)) {
                return Err(KeyRefusal::ChannelNotAllowed(crate::text::into_one_line(
                    other,
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Arguments {
        Arguments::Read(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn globs_match_as_a_shell_would() {
        assert!(glob_matches("chat.*", "chat.postMessage"));
        assert!(glob_matches("*.list", "conversations.list"));
        assert!(glob_matches(
            "conversations.history",
            "conversations.history"
        ));
        assert!(glob_matches("*", "auth.test"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("chat.*", "chatter.post"));
        assert!(!glob_matches(
            "conversations.history",
            "conversations.historyX"
        ));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(check_globs(&["chat.*".into(), "auth.test".into()]).is_ok());
        let typo = check_globs(&["chat.postMesage".into()]).unwrap_err();
        assert!(typo.contains("did you mean chat.postMessage"), "{typo}");
    }

    #[test]
    fn each_limit_refuses_with_its_own_code() {
        let scope = KeyScope {
            methods: Some(vec!["chat.*".into(), "conversations.*".into()]),
            channels: Some(vec!["C1".into(), "U7".into()]),
            read_only: false,
            expires_at: Some(100),
        };
        let ok = scope.check(
            "chat.postMessage",
            &read(&[("channel", "C1"), ("text", "hi")]),
            50,
        );
        assert_eq!(ok, Ok(()));
        let refused =
            |m: &str, args: Arguments, now| scope.check(m, &args, now).unwrap_err().code();
        assert_eq!(refused("chat.postMessage", read(&[]), 100), "invalid_auth");
        assert_eq!(
            refused("users.list", read(&[]), 0),
            "xox_method_not_allowed"
        );
        assert_eq!(
            refused("chat.postMessage", read(&[("channel", "C2")]), 0),
            "xox_channel_not_allowed"
        );
        assert_eq!(
            refused("chat.postMessage", read(&[("channels", "C1,C2")]), 0),
            "xox_channel_not_allowed"
        );
        assert_eq!(
            refused("conversations.open", read(&[("users", "U7,U8")]), 0),
            "xox_channel_not_allowed"
        );
        assert_eq!(
            scope.check("conversations.open", &read(&[("users", "U7")]), 0),
            Ok(())
        );
        assert_eq!(
            refused(
                "chat.postMessage",
                read(&[("channel_ids", "[\"C1\",\"C9\"]")]),
                0
            ),
            "xox_channel_not_allowed"
        );
        assert_eq!(
            refused("chat.postMessage", Arguments::Unreadable("x".into()), 0),
            "xox_arguments_unclear"
        );
        let reads = KeyScope {
            read_only: true,
            ..KeyScope::default()
        };
        assert_eq!(reads.check("conversations.history", &read(&[]), 0), Ok(()));
        assert_eq!(
            reads.check("chat.postMessage", &read(&[]), 0).unwrap_err(),
            KeyRefusal::ReadOnly("chat.postMessage".into())
        );
        assert_eq!(
            reads
                .check("brand.new.method", &read(&[]), 0)
                .unwrap_err()
                .code(),
            "xox_read_only_key"
        );
    }

    #[test]
    fn an_unlimited_key_reads_no_arguments() {
        let scope = KeyScope::default();
        assert_eq!(
            scope.check("chat.postMessage", &Arguments::Unreadable("x".into()), 0),
            Ok(())
        );
    }
}
