//! Rows as the rest of xox sees them. Secrets are not here: they are decrypted on request.

use super::error::{StoreError, StoreResult};
pub use super::vocabulary::{CallState, EventAction, Outcome, TokenStatus};
use crate::slack::{Scopes, TokenKind, TokenType};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub pkce: bool,
    pub has_secret: bool,
    pub redirect_uri: String,
    pub bot_scopes: Scopes,
    pub user_scopes: Scopes,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
    /// Token rotation is turned on for the app (installs get 12-hour tokens).
    pub rotation: bool,
    /// Slack's signing secret is kept (sealed): the public face can check Slack's requests.
    pub has_signing_secret: bool,
    /// The app's own endpoint, where verified requests from Slack are passed on.
    pub forward_to: Option<String>,
}

pub struct NewApp {
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<crate::slack::Secret>,
    pub pkce: bool,
    pub rotation: bool,
    pub redirect_uri: String,
    pub bot_scopes: Scopes,
    pub user_scopes: Scopes,
    pub signing_secret: Option<crate::slack::Secret>,
    pub forward_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub app_id: String,
    pub app_name: String,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    /// An org-wide install: it serves every workspace in `covered_teams`.
    pub enterprise_install: bool,
    /// The workspaces an org-wide install covers, as `auth.teams.list` last said.
    pub covered_teams: Vec<String>,
    pub slack_app_id: Option<String>,
    pub bot_user_id: Option<String>,
    pub authed_user_id: Option<String>,
    pub has_incoming_webhook: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub tokens: Vec<TokenInfo>,
}

/// The app name that tokens imported without `--app` are kept under; users cannot take it.
pub const STANDALONE_APP: &str = "standalone";

impl Connection {
    pub fn token(&self, kind: TokenKind) -> Option<&TokenInfo> {
        self.tokens.iter().find(|t| t.kind == kind)
    }

    /// A classic app's install (the legacy `oauth.access`): its tokens carry classic scopes.
    pub fn is_classic(&self) -> bool {
        self.tokens.iter().any(|t| t.scopes.is_classic())
    }

    /// Tokens imported without an app: nothing can refresh, exchange or re-authorize them.
    pub fn is_standalone(&self) -> bool {
        self.app_name == STANDALONE_APP
    }
}

/// Which token a proxy key stands for: picked per method, or always one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// As `xox call` picks: from the catalogue and the scopes each token holds.
    Auto,
    Only(TokenKind),
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Auto => "auto",
            KeyKind::Only(kind) => kind.as_str(),
        }
    }
}

impl std::str::FromStr for KeyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<KeyKind, String> {
        match s {
            "auto" => Ok(KeyKind::Auto),
            other => other.parse().map(KeyKind::Only),
        }
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key `xox proxy` accepts in place of a Slack token. The key itself is never stored.
/// A connection key names one connection; an app key (`app`) serves every install of an
/// app, the app naming the install after the key (`KEY:ID[:USER]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyKey {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(serialize_with = "display")]
    pub kind: KeyKind,
    pub label: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub last_used_at: Option<i64>,
    pub requests: i64,
    pub failures: i64,
    /// Requests the governor held for their turn, and Slack's 429s it waited out: neither
    /// is a failure.
    pub held: i64,
    pub absorbed: i64,
    /// Requests its scope refused before they reached Slack.
    pub refused: i64,
    /// What it may do: every method and channel, unless limited.
    #[serde(flatten)]
    pub scope: super::key_scope::KeyScope,
}

/// What the proxy counted for a key since it last said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyUse {
    pub requests: u64,
    pub failures: u64,
    pub held: u64,
    pub absorbed: u64,
    pub refused: u64,
}

/// Unix seconds as RFC 3339, as every JSON xox prints gives times.
fn rfc3339<S: serde::Serializer>(unix: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::text::rfc3339(*unix))
}

pub(crate) fn rfc3339_or_null<S: serde::Serializer>(
    unix: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match unix {
        Some(unix) => rfc3339(unix, s),
        None => s.serialize_none(),
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// What a new proxy key stands for, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTarget<'a> {
    Connection(&'a str),
    /// Every install of the app.
    App(&'a str),
}

impl KeyTarget<'_> {
    /// The (connection id, app id) columns of the key's row.
    pub fn columns(self) -> (Option<String>, Option<String>) {
        match self {
            KeyTarget::Connection(id) => (Some(id.to_owned()), None),
            KeyTarget::App(id) => (None, Some(id.to_owned())),
        }
    }
}

impl ProxyKey {
    /// What the key stands for, as shown: its connection, or `app:NAME` for an app key.
    pub fn target(&self) -> String {
        match (&self.connection, &self.app) {
            (Some(connection), _) => connection.clone(),
            (None, Some(app)) => format!("app:{app}"),
            (None, None) => String::new(),
        }
    }
}

/// What saving a token does when another connection already holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldElsewhere {
    /// Refuse, naming the owner: one token chain has one owner.
    Refuse,
    /// Take it from the owner (`--replace`, or a rotation, whose pair is new anyway).
    Move,
}

/// How a token or a connection is doing, as shown: the stored status, plus `expired` for a
/// token past its expiry that cannot be refreshed. Ordered from worst to best, so the
/// worst of a connection's tokens is the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    NeedsReauth,
    Uninstalled,
    Revoked,
    Expired,
    Error,
    /// A connection that holds no token at all (every one moved or removed).
    NoTokens,
    Ok,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::NeedsReauth => "needs_reauth",
            Health::Uninstalled => "uninstalled",
            Health::Revoked => "revoked",
            Health::Expired => "expired",
            Health::Error => "error",
            Health::NoTokens => "no_tokens",
            Health::Ok => "ok",
        }
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl TokenInfo {
    pub fn health(&self, now: i64) -> Health {
        match self.status {
            TokenStatus::Ok
                if self.expires_at.is_some_and(|at| at <= now) && !self.has_refresh_token =>
            {
                Health::Expired
            }
            TokenStatus::Ok => Health::Ok,
            TokenStatus::NeedsReauth => Health::NeedsReauth,
            TokenStatus::Revoked => Health::Revoked,
            TokenStatus::Uninstalled => Health::Uninstalled,
            TokenStatus::Error => Health::Error,
        }
    }
}

impl Connection {
    /// The worst of the tokens' health (`no_tokens` for a connection without any).
    pub fn health(&self, now: i64) -> Health {
        self.tokens
            .iter()
            .map(|t| t.health(now))
            .min()
            .unwrap_or(Health::NoTokens)
    }
}

/// What is known about a stored token, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub kind: TokenKind,
    pub token_type: TokenType,
    pub scopes: Scopes,
    /// Unix seconds; `None` for a long-lived token.
    pub expires_at: Option<i64>,
    pub rotating: bool,
    pub has_refresh_token: bool,
    pub generation: i64,
    pub status: TokenStatus,
    pub status_reason: Option<String>,
    /// `xoxb-…9f2c`, safe to show.
    pub redacted: String,
    pub updated_at: i64,
}

/// One line of a connection's event trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub connection_id: String,
    pub at: i64,
    pub action: EventAction,
    pub token_kind: Option<TokenKind>,
    pub outcome: Outcome,
    pub old_expires_at: Option<i64>,
    pub new_expires_at: Option<i64>,
    pub pid: i64,
    pub detail: Option<String>,
}

pub struct NewEvent<'a> {
    pub connection_id: &'a str,
    pub action: EventAction,
    pub token_kind: Option<TokenKind>,
    pub outcome: Outcome,
    pub old_expires_at: Option<i64>,
    pub new_expires_at: Option<i64>,
    pub detail: Option<String>,
    /// When and in which process it happened, for an event copied from another store;
    /// `None`: now, in this one.
    pub happened: Option<Happened>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Happened {
    pub at: i64,
    pub pid: i64,
}

impl NewEvent<'_> {
    pub fn at(&self) -> i64 {
        self.happened.map_or_else(now_unix, |h| h.at)
    }

    pub fn pid(&self) -> i64 {
        self.happened
            .map_or_else(|| i64::from(std::process::id()), |h| h.pid)
    }
}

/// A failed Slack call, kept so it can be explained and replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    pub id: i64,
    pub connection_id: String,
    pub token_kind: TokenKind,
    pub method: String,
    pub http_status: Option<u16>,
    pub error: String,
    pub needed: Option<Scopes>,
    pub provided: Option<Scopes>,
    pub accepted_scopes: Option<Scopes>,
    pub retry_after: Option<u64>,
    pub at: i64,
    pub state: CallState,
    pub replay_of: Option<i64>,
}

/// What a recorded call asked and what came back, decrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPayload {
    pub params: Vec<(String, String)>,
    pub response: Option<serde_json::Value>,
}

pub struct NewCall<'a> {
    pub connection_id: &'a str,
    pub token_kind: TokenKind,
    pub method: &'a str,
    pub params: &'a [(String, String)],
    pub http_status: Option<u16>,
    pub error: &'a str,
    pub needed: Option<&'a Scopes>,
    pub provided: Option<&'a Scopes>,
    pub accepted_scopes: Option<&'a Scopes>,
    pub retry_after: Option<u64>,
    pub response: Option<&'a serde_json::Value>,
    pub replay_of: Option<i64>,
    /// When it was made, for a call copied from another store; `None`: now.
    pub at: Option<i64>,
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A short random id (`c` + 10 hex digits) for a new row; short enough to type.
pub fn new_id(prefix: char) -> String {
    let mut bytes = [0u8; 5];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    let mut id = String::from(prefix);
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// A valid connection name: something a shell user can type without quoting.
pub fn check_name(name: &str) -> StoreResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "{name:?} is not a usable name: use 1-64 letters, digits, '-', '_', '.' or '@'"
        )))
    }
}
