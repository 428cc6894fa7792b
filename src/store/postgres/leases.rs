//! The refresh lock on PostgreSQL: a transaction-scoped advisory lock, held on a session of
//! its own from before Slack is asked until the new pair commits.
//!
//! Why this shape: the server frees the lock the moment its session ends (a crash, `kill
//! -9`, a dropped network once keepalives notice), so a dead holder costs no TTL; and the
//! lock is freed by the very commit that stores the new pair, so no waiter can find the
//! lock free while the old pair is still the stored one.

use super::{PostgresStore, tokens};
use crate::slack::{GrantedToken, TokenKind};
use crate::store::backend::{CommitOutcome, Lease};
use crate::store::cipher::Cipher;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::HeldElsewhere;
use crate::store::sealed;
use postgres::GenericClient;

impl PostgresStore {
    pub(super) fn try_lease(&mut self, connection_id: &str, kind: TokenKind) -> StoreResult<Lease> {
        let slot = (connection_id.to_owned(), kind);
        if self.leases.contains_key(&slot) {
            return Ok(Lease::Taken);
        }
        let mut session = self.connect()?;
        session.batch_execute("BEGIN").map_err(|e| self.err(e))?;
        let name = format!("xox refresh {} {connection_id} {kind}", self.schema);
        let taken: bool = session
            .query_one(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                &[&name],
            )
            .map_err(|e| self.err(e))?
            .get(0);
        if !taken {
            return Ok(Lease::Busy);
        }
        self.leases.insert(slot, session);
        Ok(Lease::Taken)
    }

    pub(super) fn release_lease(&mut self, connection_id: &str, kind: TokenKind) {
        if let Some(mut session) = self.leases.remove(&(connection_id.to_owned(), kind)) {
            // Ending the transaction frees the lock; so would closing the session.
            let _ = session.batch_execute("ROLLBACK");
        }
    }

    /// Store the new pair if the token is still at `expected_generation`, with its event:
    /// on the lock's own session, where the commit also frees the lock, when this process
    /// holds it; in a transaction of its own otherwise (a retry after that session died).
    pub(super) fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: &str,
    ) -> StoreResult<CommitOutcome> {
        let Some(mut session) = self
            .leases
            .remove(&(connection_id.to_owned(), granted.kind))
        else {
            return self.write(|tx, cipher| {
                commit_pair(
                    tx,
                    cipher,
                    connection_id,
                    granted,
                    expected_generation,
                    action,
                )
            });
        };
        let outcome = commit_pair(
            &mut session,
            &self.cipher,
            connection_id,
            granted,
            expected_generation,
            action,
        )?;
        session
            .execute("SELECT pg_notify($1, '')", &[&self.channel()])
            .map_err(|e| self.err(e))?;
        session.batch_execute("COMMIT").map_err(|e| self.err(e))?;
        Ok(outcome)
    }
}

fn commit_pair(
    db: &mut impl GenericClient,
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    expected_generation: i64,
    action: &str,
) -> StoreResult<CommitOutcome> {
    let kind = granted.kind;
    let old = tokens::previous(db, connection_id, kind)?
        .ok_or_else(|| StoreError::NotFound(format!("the connection has no {kind} token")))?;
    if old.generation != expected_generation {
        tokens::insert_event(
            db,
            &sealed::superseded_event(
                connection_id,
                action,
                kind,
                old.expires_at,
                expected_generation,
                old.generation,
            ),
        )?;
        return Ok(CommitOutcome::Superseded);
    }
    // A rotated pair is new: were it somehow held elsewhere, this slot still owns it.
    let expires_at = tokens::write(db, cipher, connection_id, granted, HeldElsewhere::Move)?;
    tokens::insert_event(
        db,
        &sealed::rotated_event(
            connection_id,
            action,
            granted,
            old.expires_at,
            expires_at,
            old.generation,
        ),
    )?;
    Ok(CommitOutcome::Written { expires_at })
}
