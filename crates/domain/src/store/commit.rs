//! Storing a rotated pair, written once for both backends: the lease ends, the generation
//! is compared, and the pair and its event (or the event of a pair another writer beat)
//! are written, all inside the one transaction the backend opened.

use super::backend::CommitOutcome;
use super::error::{StoreError, StoreResult};
use super::model::{EventAction, NewEvent};
use super::sealed;
use crate::slack::{GrantedToken, TokenKind};

/// Expiry and generation of a stored token, before a write replaces it.
pub struct Previous {
    pub expires_at: Option<i64>,
    pub generation: i64,
}

/// What a backend does inside the transaction that stores a rotated pair.
pub(super) trait PairWrites {
    /// End `owner`'s hold on the token's refresh lock (its lease row or restart marker).
    fn end_lease(&mut self, connection_id: &str, kind: TokenKind, owner: &str) -> StoreResult<()>;
    /// The token's row as it stands, locked against other writers until the commit where
    /// the backend locks rows.
    fn previous(&mut self, connection_id: &str, kind: TokenKind) -> StoreResult<Option<Previous>>;
    /// Write `granted` over the row `old`, bumping its generation; its new expiry.
    fn write_pair(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        old: &Previous,
    ) -> StoreResult<Option<i64>>;
    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()>;
}

/// Store `granted` only if the token is still at `expected_generation`, with its event, and
/// end `lease_owner`'s lease. The caller commits (or rolls back) the transaction: nothing
/// uses the new refresh token before it is durably stored, and a pair never lands without
/// its event.
pub(super) fn commit_pair(
    db: &mut impl PairWrites,
    connection_id: &str,
    granted: &GrantedToken,
    expected_generation: i64,
    action: EventAction,
    lease_owner: &str,
) -> StoreResult<CommitOutcome> {
    let kind = granted.kind;
    db.end_lease(connection_id, kind, lease_owner)?;
    let old = db
        .previous(connection_id, kind)?
        .ok_or_else(|| StoreError::NotFound(format!("the connection has no {kind} token")))?;
    if old.generation != expected_generation {
        db.add_event(&sealed::superseded_event(
            connection_id,
            action,
            kind,
            old.expires_at,
            expected_generation,
            old.generation,
        ))?;
        return Ok(CommitOutcome::Superseded);
    }
    let expires_at = db.write_pair(connection_id, granted, &old)?;
    db.add_event(&sealed::rotated_event(
        connection_id,
        action,
        granted,
        old.expires_at,
        expires_at,
        old.generation,
    ))?;
    Ok(CommitOutcome::Written { expires_at })
}
