//! The fixed sets the store keeps as text (token statuses, call states, event actions and
//! outcomes), and the one mapping between each and its stored text. A value read back
//! that this xox does not know is an error that names it, never a guess.

use crate::slack::ErrorCode;
use serde::Serialize;
use std::fmt;

/// The error for stored text outside a set: the row came from a newer xox or another program.
fn unknown(what: &str, text: &str) -> String {
    format!(
        "unknown {what} {:?} (written by a newer xox, or by another program)",
        crate::text::one_line(text)
    )
}

macro_rules! stored_text {
    ($(#[$meta:meta])* $name:ident, $what:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<$name, String> {
                match text {
                    $($text => Ok($name::$variant),)*
                    other => Err(unknown($what, other)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_text! {
    /// Health of one stored token.
    TokenStatus, "token status" {
        Ok = "ok",
        /// Slack will not take this token or its refresh token again; only a new install helps.
        NeedsReauth = "needs_reauth",
        Revoked = "revoked",
        /// The app was uninstalled from the workspace or org: Slack has revoked every token.
        Uninstalled = "uninstalled",
        /// The last attempt failed for a reason that may pass (network, 5xx, rate limit).
        Error = "error",
    }
}

stored_text! {
    /// Where a recorded failed call stands.
    CallState, "call state" {
        /// Not replayed yet.
        Open = "open",
        /// A replay succeeded.
        ReplayedOk = "replayed_ok",
        /// The last replay failed too.
        ReplayFailed = "replay_failed",
        /// Set aside by a person (`xox failed dismiss`), without a replay.
        Dismissed = "dismissed",
    }
}

stored_text! {
    /// What an event in a connection's trail records.
    EventAction, "event action" {
        /// Tokens stored by an install through the browser.
        Login = "login",
        /// Tokens stored from an OAuth answer, a bare token or an SDK's store.
        Import = "import",
        Refresh = "refresh",
        Exchange = "exchange",
        Revoke = "revoke",
        /// The refresh lock taken over from a holder that is gone.
        Lease = "lease",
        /// The connection was removed (its trail outlives it).
        Remove = "remove",
        /// A token moved to another connection.
        Moved = "moved",
        /// The connection was copied in from another store (`xox db copy`).
        Copy = "copy",
        /// Tokens stored by an install from the app's own "Add to Slack" page.
        Install = "install",
        /// Slack said the app was uninstalled (`app_uninstalled`).
        Uninstall = "uninstall",
        /// Slack said it is holding back the app's events (`app_rate_limited`).
        RateLimited = "rate_limited",
        /// Slack's request to the app was not answered in time by the app's endpoint.
        ForwardLate = "forward_late",
        /// An org-wide install's workspaces were read again (`auth.teams.list`).
        Teams = "teams",
        /// A person set a failed call aside (`xox failed dismiss`).
        Dismiss = "dismiss",
    }
}

stored_text! {
    /// What a hook is told of: a token event someone must act on, or a test.
    HookEvent, "hook event" {
        /// Slack will not take a token or its refresh token again: only a new install helps.
        NeedsReauth = "needs_reauth",
        Revoked = "revoked",
        Uninstalled = "uninstalled",
        /// An attempt to refresh a rotating token failed.
        RefreshFailed = "refresh_failed",
        /// An install stored a connection's tokens.
        Installed = "installed",
        /// A token that cannot be refreshed has under an hour left.
        Expiring = "expiring",
        /// Slack answered 429 for an install, or held back the app's events.
        RateLimited = "rate_limited",
        /// `xox hook test`: nothing happened, the hook is being tried.
        Test = "test",
    }
}

stored_text! {
    /// How a hook is told.
    HookVia, "hook delivery" {
        /// A command, with the event on its standard input.
        Exec = "exec",
        /// A signed POST to a URL.
        Url = "url",
    }
}

stored_text! {
    /// Where one delivery of an event to a hook stands.
    DeliveryState, "delivery state" {
        /// Not delivered yet: it is being tried, or waits for its next try.
        Pending = "pending",
        Delivered = "delivered",
        /// Tried for an hour (or a test that failed once), and no more.
        GaveUp = "gave_up",
    }
}

/// How an event ended: done, one of xox's own ways of not being done, or Slack's error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    /// A passing failure: the attempt is made again.
    Retry,
    /// A rotated pair not stored, because another writer stored one first.
    Superseded,
    /// The refresh lock was taken from a holder that is gone.
    TakenOver,
    /// No answer from Slack (a timeout, a dropped connection).
    Error,
    /// Slack issued a new pair that could not be stored.
    Lost,
    /// Slack's refusal.
    Slack(ErrorCode),
}

impl Outcome {
    /// Slack's refusal, or `Error` when there was no answer to refuse with.
    pub fn failed(code: Option<&ErrorCode>) -> Outcome {
        code.map_or(Outcome::Error, |c| Outcome::Slack(c.clone()))
    }

    /// Whether the event is a failure to look at, not a step on the way.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Error | Outcome::Lost | Outcome::Slack(_))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Retry => "retry",
            Outcome::Superseded => "superseded",
            Outcome::TakenOver => "taken_over",
            Outcome::Error => "error",
            Outcome::Lost => "lost",
            Outcome::Slack(code) => code.as_str(),
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;

    /// Slack's codes are an open set, but each is a snake_case word: anything else is not
    /// an outcome xox wrote.
    fn from_str(text: &str) -> Result<Outcome, String> {
        Ok(match text {
            "ok" => Outcome::Ok,
            "retry" => Outcome::Retry,
            "superseded" => Outcome::Superseded,
            "taken_over" => Outcome::TakenOver,
            "error" => Outcome::Error,
            "lost" => Outcome::Lost,
            code if !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                Outcome::Slack(ErrorCode::parse(code))
            }
            other => return Err(unknown("event outcome", other)),
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_written() {
        for s in TokenStatus::ALL {
            assert_eq!(s.as_str().parse::<TokenStatus>(), Ok(*s));
        }
        for s in CallState::ALL {
            assert_eq!(s.as_str().parse::<CallState>(), Ok(*s));
        }
        for a in EventAction::ALL {
            assert_eq!(a.as_str().parse::<EventAction>(), Ok(*a));
        }
        for e in HookEvent::ALL {
            assert_eq!(e.as_str().parse::<HookEvent>(), Ok(*e));
        }
        for v in HookVia::ALL {
            assert_eq!(v.as_str().parse::<HookVia>(), Ok(*v));
        }
        for d in DeliveryState::ALL {
            assert_eq!(d.as_str().parse::<DeliveryState>(), Ok(*d));
        }
        for o in [
            Outcome::Ok,
            Outcome::Retry,
            Outcome::Superseded,
            Outcome::TakenOver,
            Outcome::Error,
            Outcome::Lost,
            Outcome::Slack(ErrorCode::InvalidRefreshToken),
            Outcome::Slack(ErrorCode::parse("some_new_code")),
        ] {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o.clone()));
        }
    }

    #[test]
    fn unknown_stored_text_is_an_error_that_names_it() {
        let e = "suspended".parse::<TokenStatus>().unwrap_err();
        assert!(e.contains("token status \"suspended\""), "{e}");
        let e = "archived".parse::<CallState>().unwrap_err();
        assert!(e.contains("call state \"archived\""), "{e}");
        let e = "teleport".parse::<EventAction>().unwrap_err();
        assert!(e.contains("event action \"teleport\""), "{e}");
        let e = "Not A Code\u{1b}[2J".parse::<Outcome>().unwrap_err();
        assert!(e.contains("event outcome"), "{e}");
        assert!(!e.contains('\u{1b}'), "control characters stay out: {e}");
    }
}
