//! The options that limit a proxy key (`proxy key add` and `proxy key set`), and how a
//! key's limits read in `proxy key list`.

use super::{format, parse_window};
use crate::engine::{KeyScope, now_unix};
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ScopeArgs {
    /// Only these methods: comma-separated globs over method names
    /// (chat.*,conversations.history)
    #[arg(long, value_name = "GLOBS", value_delimiter = ',')]
    methods: Option<Vec<String>>,
    /// Only these channels: every argument that names a channel must name one of these
    /// ids (for conversations.open, its users too)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    channels: Option<Vec<String>>,
    /// Only methods that read (their scopes are all :read or :history)
    #[arg(long)]
    read_only: bool,
    /// Refused from this long from now (30m, 12h, 7d)
    #[arg(long, value_name = "DURATION", value_parser = parse_window)]
    expires: Option<Duration>,
}

/// What `proxy key set` can also undo.
#[derive(Args, Debug)]
pub struct SetScopeArgs {
    #[command(flatten)]
    limits: ScopeArgs,
    /// Every method again
    #[arg(long, conflicts_with = "methods")]
    all_methods: bool,
    /// Every channel again
    #[arg(long, conflicts_with = "channels")]
    all_channels: bool,
    /// Writes too (undoes --read-only)
    #[arg(long, conflicts_with = "read_only")]
    writes: bool,
    /// Never expires (undoes --expires)
    #[arg(long, conflicts_with = "expires")]
    no_expiry: bool,
}

fn trimmed(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|item| item.trim().to_owned())
        .collect()
}

fn expiry(after: Duration) -> i64 {
    now_unix().saturating_add(i64::try_from(after.as_secs()).unwrap_or(i64::MAX))
}

impl ScopeArgs {
    pub fn scope(self) -> KeyScope {
        KeyScope {
            methods: self.methods.map(trimmed),
            channels: self.channels.map(trimmed),
            read_only: self.read_only,
            expires_at: self.expires.map(expiry),
        }
    }
}

impl SetScopeArgs {
    /// `current` with what was given changed, and the rest kept.
    pub fn applied_to(self, mut current: KeyScope) -> KeyScope {
        let limits = self.limits;
        if let Some(methods) = limits.methods {
            current.methods = Some(trimmed(methods));
        }
        if self.all_methods {
            current.methods = None;
        }
        if let Some(channels) = limits.channels {
            current.channels = Some(trimmed(channels));
        }
        if self.all_channels {
            current.channels = None;
        }
        current.read_only = (current.read_only || limits.read_only) && !self.writes;
        if let Some(after) = limits.expires {
            current.expires_at = Some(expiry(after));
        }
        if self.no_expiry {
            current.expires_at = None;
        }
        current
    }
}

/// A key's limits in one cell: `all` for none.
pub fn scope_label(scope: &KeyScope) -> String {
    let mut parts = Vec::new();
    if let Some(methods) = &scope.methods {
        parts.push(methods.join(","));
    }
    if let Some(channels) = &scope.channels {
        parts.push(format!("in {}", channels.join(",")));
    }
    if scope.read_only {
        parts.push("read-only".into());
    }
    if let Some(at) = scope.expires_at {
        let word = if at <= now_unix() { "expired" } else { "until" };
        parts.push(format!("{word} {}", format::rfc3339(at)));
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join("; ")
    }
}
