//! The one usable-token policy: revoked is an error, needs-re-auth is a warning while the
//! token lasts, a token inside the window is refreshed first, and one that still has time
//! left is used when that refresh fails.

use super::{Engine, EngineResult};
use crate::calls::default_kind;
use crate::rotation::{Need, Patience, RotationError, Target};
use crate::slack::{Secret, TokenKind};
use crate::store::{Connection, TokenStatus, now_unix};
use std::time::Duration;

/// A token this close to expiry is not handed out as a fallback: the caller would get a dud.
pub const MIN_FALLBACK_SECS: i64 = 60;

/// Why the token handed out deserves a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenWarning {
    /// Slack will not refresh it again; it works until it expires.
    NeedsReauth {
        conn: String,
        kind: TokenKind,
        reason: String,
    },
    /// The refresh failed; the current token was handed out with this much time left.
    RefreshFailed { error: String, left_secs: i64 },
}

impl std::fmt::Display for TokenWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenWarning::NeedsReauth { conn, kind, reason } => write!(
                f,
                "the {kind} token of {conn} needs re-auth ({reason}); it works until it expires; next: xox login --reauth {conn}"
            ),
            TokenWarning::RefreshFailed { error, left_secs } => write!(
                f,
                "{error}; handed out the current token, valid for {}",
                super::describe::countdown(Some(*left_secs), 0)
            ),
        }
    }
}

/// A token to use now.
#[derive(Debug, Clone)]
pub struct UsableToken {
    pub token: Secret,
    pub connection: Connection,
    pub kind: TokenKind,
    pub expires_at: Option<i64>,
    pub refreshed: bool,
    pub warnings: Vec<TokenWarning>,
}

/// Whether `kind`'s token of `connection` expires within `within`: then it is refreshed
/// before it is handed out.
pub(crate) fn is_due(connection: &Connection, kind: TokenKind, within: Duration) -> bool {
    let expires_at = connection.token(kind).and_then(|t| t.expires_at);
    expires_within(expires_at, within, now_unix())
}

/// Whether a token expiring at `expires_at` (never, for `None`) expires within `within`
/// of `now`.
fn expires_within(expires_at: Option<i64>, within: Duration, now: i64) -> bool {
    expires_at.is_some_and(|at| at - now <= within.as_secs() as i64)
}

/// What the policy makes of a token as it is stored, before any refresh.
#[derive(Debug)]
pub(crate) enum Judgement {
    /// Hand out the stored token, with these warnings.
    AsStored(Vec<TokenWarning>),
    /// Refresh it first; the warnings go along with whatever comes of that.
    Refresh(Vec<TokenWarning>),
}

/// The policy on `kind`'s token of `connection` at `now`: revoked and uninstalled are
/// refused, needs-re-auth is a warning while the token lasts and refused after, and a
/// refreshable token inside the window is refreshed first.
pub(crate) fn judge(
    connection: &Connection,
    kind: TokenKind,
    within: Duration,
    now: i64,
) -> Result<Judgement, RotationError> {
    let info = connection
        .token(kind)
        .expect("default_kind checked the token exists");
    let left = info.expires_at.map(|at| at - now);
    let mut warnings = Vec::new();
    let reason = || info.status_reason.clone().unwrap_or_default();
    match info.status {
        // Slack revoked every token of an uninstalled app: its calls are answered as
        // Slack would, without asking.
        TokenStatus::Uninstalled => {
            return Err(RotationError::Revoked {
                conn: connection.name.clone(),
                kind,
                code: "token_revoked".into(),
            });
        }
        TokenStatus::Revoked => {
            return Err(RotationError::Revoked {
                conn: connection.name.clone(),
                kind,
                code: info
                    .status_reason
                    .clone()
                    .unwrap_or_else(|| "revoked".into()),
            });
        }
        TokenStatus::NeedsReauth if left.is_none_or(|l| l > 0) => {
            warnings.push(TokenWarning::NeedsReauth {
                conn: connection.name.clone(),
                kind,
                reason: reason(),
            });
        }
        TokenStatus::NeedsReauth => {
            return Err(RotationError::NeedsReauth {
                conn: connection.name.clone(),
                kind,
                reason: reason(),
            });
        }
        _ => {}
    }
    let due = expires_within(info.expires_at, within, now);
    let refreshable = info.has_refresh_token && info.status != TokenStatus::NeedsReauth;
    Ok(if due && refreshable {
        Judgement::Refresh(warnings)
    } else {
        Judgement::AsStored(warnings)
    })
}

impl Engine {
    /// A valid access token of `conn` (the bot token unless `kind` says otherwise),
    /// refreshed first when it expires within `within`.
    pub async fn usable_token(
        &self,
        conn: &str,
        kind: Option<TokenKind>,
        within: Duration,
    ) -> EngineResult<UsableToken> {
        let name = conn.to_owned();
        // One trip to the store on the hot path: the connection, and its token when no
        // refresh is due (one decryption; on a server, one statement).
        let (connection, kind, stored) = self
            .store()
            .read(move |s| -> EngineResult<_> {
                let not_due = |connection: &Connection| {
                    let kind = default_kind(connection, kind).ok()?;
                    (!is_due(connection, kind, within)).then_some(kind)
                };
                let (connection, stored) = s.connection_with_token(&name, &not_due)?;
                let kind = default_kind(&connection, kind)?;
                Ok((connection, kind, stored))
            })
            .await?;
        self.usable_token_of(connection, kind, within, stored).await
    }

    /// The policy itself, for a connection already read (with its token, when it was read
    /// along and is not due).
    pub(crate) async fn usable_token_of(
        &self,
        connection: Connection,
        kind: TokenKind,
        within: Duration,
        stored: Option<Secret>,
    ) -> EngineResult<UsableToken> {
        let mut warnings = match judge(&connection, kind, within, now_unix())? {
            Judgement::AsStored(warnings) => {
                let token = match stored {
                    Some(token) => token,
                    None => self.stored_token(&connection.id, kind).await?,
                };
                return Ok(UsableToken {
                    token,
                    expires_at: connection.token(kind).and_then(|t| t.expires_at),
                    connection,
                    kind,
                    refreshed: false,
                    warnings,
                });
            }
            Judgement::Refresh(warnings) => warnings,
        };
        let left = connection
            .token(kind)
            .and_then(|t| t.expires_at)
            .map(|at| at - now_unix());
        let target = Target::of(&connection, kind);
        let rotator = self.rotator()?;
        // A token that stays valid past one HTTP timeout and the margin is worth more now
        // than a fresh one later: one attempt, and no longer on another's lease than one
        // HTTP timeout, then the current token with a warning. A token about to expire
        // waits for its refresh.
        let http_timeout = self.http()?.timeout();
        let patience = match left {
            Some(l) if l > MIN_FALLBACK_SECS + http_timeout.as_secs() as i64 => {
                Patience::Brief(http_timeout)
            }
            _ => Patience::Full,
        };
        match rotator
            .refresh_with(
                &target,
                Need::ExpiresWithin(within.as_secs() as i64),
                patience,
            )
            .await
        {
            Ok(fresh) => Ok(UsableToken {
                token: fresh.access,
                expires_at: fresh.expires_at,
                connection,
                kind,
                refreshed: fresh.refreshed,
                warnings,
            }),
            Err(error) => {
                // The refresh failed, but the current token may still be good for a while:
                // hand it out and say why, so a script keeps working while a person looks.
                let (id, k) = (connection.id.clone(), kind);
                let state = self.store().run(move |s| s.token_state(&id, k)).await?;
                let left = state.expires_at.map_or(i64::MAX, |at| at - now_unix());
                if left < MIN_FALLBACK_SECS || matches!(error, RotationError::Revoked { .. }) {
                    return Err(error.into());
                }
                warnings.push(TokenWarning::RefreshFailed {
                    error: error.to_string(),
                    left_secs: left,
                });
                Ok(UsableToken {
                    token: state.access,
                    expires_at: state.expires_at,
                    connection,
                    kind,
                    refreshed: false,
                    warnings,
                })
            }
        }
    }

    async fn stored_token(&self, connection_id: &str, kind: TokenKind) -> EngineResult<Secret> {
        let id = connection_id.to_owned();
        Ok(self.store().run(move |s| s.access_token(&id, kind)).await?)
    }
}
