//! `EngineError`: every way a workflow can fail, each a sentence a front end prints as is.

use crate::calls::{CallSetupError, ChooseError};
use crate::login::LoginError;
use crate::rotation::RotationError;
use crate::slack::TransportError;
use crate::slack::import_input::ImportError;
use crate::store::{Passing, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rotation(#[from] RotationError),
    #[error(transparent)]
    Choose(#[from] ChooseError),
    #[error(transparent)]
    CallSetup(#[from] CallSetupError),
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Client(#[from] TransportError),
    #[error(
        "{conn} has no rotating token to refresh (`xox exchange {conn} --yes` makes a long-lived one rotating)"
    )]
    NothingToRefresh { conn: String },
    #[error("call #{0} was replayed successfully already; there is nothing to replay")]
    AlreadyReplayed(i64),
    #[error(
        "{0}: Slack would refuse the install with invalid_scope on its own page and never call back; correct the scope (`xox app set APP --scopes …` for an app's defaults), or add --force for a scope newer than xox's catalogue"
    )]
    UnknownScopes(crate::install::UnknownScopes),
    #[error("call #{0} was dismissed; there is nothing to replay")]
    Dismissed(i64),
    #[error(
        "replaying call #{call} as it is cannot succeed: the {kind} token still lacks {scopes}; next: {next}"
    )]
    ScopeStillMissing {
        call: i64,
        kind: crate::slack::TokenKind,
        scopes: crate::slack::Scopes,
        next: String,
    },
    #[error(
        "call #{call} was made on a connection that has since been removed; it cannot be replayed"
    )]
    ConnectionGone { call: i64 },
    #[error(
        "connection {conn:?} has no incoming webhook: its install did not ask for the incoming-webhook scope"
    )]
    NoWebhook { conn: String },
    #[error("cannot push the manifest: {detail}")]
    ManifestPush { detail: String },
    #[error("the app name \"standalone\" is kept for tokens imported without --app; pick another")]
    ReservedAppName,
    #[error("{0}")]
    AppSettings(String),
    #[error(
        "app {app} is used by {connections}: `xox app remove {app} --force` removes them too (their tokens stay valid at Slack; `xox remove CONN --revoke --yes` revokes one first)"
    )]
    AppInUse { app: String, connections: String },
    #[error("{0}")]
    SdkStore(String),
    #[error("{conn} holds no token: import or log in first")]
    NoTokens { conn: String },
    #[error(
        "an OAuth answer belongs to an app: pass --app APP (register it with `xox app add`); only a bare token may be imported without one"
    )]
    AppNeeded,
    #[error(
        "the tokens of {conn} belong to no registered app (imported without --app), so xox cannot refresh, exchange or re-authorize them; import them again with --app APP to make that possible"
    )]
    Standalone { conn: String },
    #[error("cannot copy: {0}")]
    CopyRefused(String),
    #[error("{method} is not a Web API method xox knows{}", nearest.as_ref().map(|n| format!(": did you mean {n}?")).unwrap_or_default())]
    UnknownMethod {
        method: String,
        nearest: Option<String>,
    },
    /// A key's scope that would not do what it says.
    #[error("{0}")]
    KeyScope(String),
    /// A hook that cannot be added or tried as given.
    #[error("{0}")]
    Hook(String),
    #[error("Slack refused {method}: {error}")]
    Slack {
        method: &'static str,
        error: crate::slack::CallError,
    },
}

pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    /// Whether what was asked for is not there (an app, a connection): not a failure of
    /// the store or of Slack.
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::Store(StoreError::NotFound(_)))
    }
}

impl Passing for EngineError {
    fn passes(&self) -> bool {
        matches!(self, EngineError::Store(e) if e.passes())
    }
}
