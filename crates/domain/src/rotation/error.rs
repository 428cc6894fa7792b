//! `RotationError`: why a token could not be made fresh, in sentences that say what to do.

use crate::slack::{CallError, TokenKind};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the {kind} token of {conn} is long-lived: there is nothing to refresh (`xox exchange {conn} --yes` makes it rotating)"
    )]
    NotRotating { conn: String, kind: TokenKind },
    #[error("the {kind} token of {conn} needs re-auth: {reason}; next: xox login --reauth {conn}")]
    NeedsReauth {
        conn: String,
        kind: TokenKind,
        reason: String,
    },
    #[error("the {kind} token of {conn} was revoked ({code}); next: xox login --reauth {conn}")]
    Revoked {
        conn: String,
        kind: TokenKind,
        code: String,
    },
    #[error(
        "a refresh of the {kind} token of {conn} is in progress elsewhere (waited {waited_secs}s); try again shortly"
    )]
    InProgressElsewhere {
        conn: String,
        kind: TokenKind,
        waited_secs: u64,
    },
    #[error(
        "refreshing the {kind} token of {conn} failed ({error}); the stored tokens are unchanged"
    )]
    Transient {
        conn: String,
        kind: TokenKind,
        error: CallError,
    },
    #[error("Slack refused the app's credentials for {conn} ({code}): {hint}")]
    AppCredentials {
        conn: String,
        code: String,
        hint: &'static str,
    },
    #[error("{0}")]
    Slack(CallError),
    #[error("not refreshing the {kind} token of {conn}: xox is stopping")]
    Stopping { conn: String, kind: TokenKind },
    #[error("{0}")]
    Exchange(String),
    #[error("Slack's answer held no {kind} token: {detail}")]
    BadAnswer { kind: TokenKind, detail: String },
}
