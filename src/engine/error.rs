//! `EngineError`: every way a workflow can fail, each a sentence a front end prints as is.

use crate::calls::{CallSetupError, ChooseError};
use crate::login::LoginError;
use crate::rotation::RotationError;
use crate::slack::TransportError;
use crate::slack::import_input::ImportError;
use crate::store::StoreError;

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
        "call #{call} was made on a connection that has since been removed; it cannot be replayed"
    )]
    ConnectionGone { call: i64 },
    #[error("--add-scopes needs --scopes and/or --user-scopes: the scopes to add")]
    NoScopesToAdd,
    #[error(
        "connection {conn:?} has no incoming webhook: its install did not ask for the incoming-webhook scope"
    )]
    NoWebhook { conn: String },
}

pub type EngineResult<T> = Result<T, EngineError>;
