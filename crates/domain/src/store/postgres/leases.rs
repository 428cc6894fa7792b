//! The refresh lock on PostgreSQL: a transaction-scoped advisory lock, held on a session of
//! its own from before Slack is asked until the new pair commits.
//!
//! Why this shape: the server frees the lock the moment its session ends (a crash, `kill
//! -9`, a dropped network once keepalives notice), so a dead holder costs no TTL; and the
//! lock is freed by the very commit that stores the new pair, so no waiter can find the
//! lock free while the old pair is still the stored one.
//!
//! A server restart frees every lock while their holders live on, some with a new pair
//! from Slack still to save. So the holder also leaves a row in `refreshing`, committed,
//! naming itself and the server's start time, and deletes it with the new pair. A taker
//! that finds the lock free and such a row from the same server run knows the holder's
//! session died (it would hold the lock otherwise) and takes over at once; a row from
//! before a restart means the holder may be alive, and it is waited for until its TTL ends.

use super::{PostgresStore, close_elsewhere, locked, tokens};
use crate::slack::{GrantedToken, TokenKind};
use crate::store::EventAction;
use crate::store::backend::{CommitOutcome, Lease, RefreshLock};
use crate::store::cipher::Cipher;
use crate::store::commit::{PairWrites, Previous, commit_pair};
use crate::store::error::StoreResult;
use crate::store::model::NewEvent;
use crate::store::model::{HeldElsewhere, now_unix};
use postgres::types::Type;
use postgres::{Client, GenericClient};
use std::time::Duration;

/// Lease sessions kept open for the next refresh: `refresh --all` and a long `watch` take
/// thousands of leases, and each new session costs a connect and a login (and a TLS
/// handshake over a network). As many as `refresh --all` runs at once by default, and no
/// more, since every session is a backend process on the server.
const IDLE_SESSIONS: usize = 8;

impl RefreshLock for PostgresStore {
    fn try_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
        ttl: Duration,
    ) -> StoreResult<Lease> {
        let slot = (connection_id.to_owned(), kind);
        if locked(&self.shared.leases).contains_key(&slot) {
            return Ok(Lease::Taken);
        }
        let mut session = self.lease_session()?;
        let name = format!("xox refresh {} {connection_id} {kind}", self.schema);
        let row = session
            .query_typed_one(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)),
                        pg_postmaster_start_time()::text",
                &[(&name, Type::TEXT)],
            )
            .map_err(|e| self.err(e))?;
        let (taken, locked_in_run): (bool, String) = (row.get(0), row.get(1));
        if !taken {
            self.end_lease_session(session);
            return Ok(Lease::Busy);
        }
        let marker = session
            .query_typed_opt(
                "SELECT owner, server_started = pg_postmaster_start_time(), until
                 FROM refreshing WHERE connection_id = $1 AND kind = $2",
                &[(&connection_id, Type::TEXT), (&kind.as_str(), Type::TEXT)],
            )
            .map_err(|e| self.err(e))?;
        let lease = match marker {
            None => Lease::Taken,
            // Left by this very taker, in an attempt that a restart cut short: this taker
            // holds the flight for the token, so nobody is refreshing under that name.
            Some(row) if row.get::<_, &str>(0) == owner => Lease::Taken,
            // Its holder's session ended on this very server run: the holder is gone.
            Some(row) if row.get::<_, bool>(1) => Lease::TakenFromGone(row.get(0)),
            // Left from before a restart: its holder may still be saving what Slack gave it.
            Some(row) if row.get::<_, i64>(2) > now_unix() => {
                self.end_lease_session(session);
                return Ok(Lease::Busy);
            }
            Some(row) => Lease::TakenFromGone(row.get(0)),
        };
        let until = now_unix() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        // Committed on the store's own session, so that it outlives this one's transaction.
        let marked_in_run: String = self.with_db(|db| {
            db.query_typed_one(
                "INSERT INTO refreshing (connection_id, kind, owner, server_started, until)
                 VALUES ($1, $2, $3, pg_postmaster_start_time(), $4)
                 ON CONFLICT (connection_id, kind) DO UPDATE
                 SET owner = $3, server_started = pg_postmaster_start_time(), until = $4
                 RETURNING server_started::text",
                &[
                    (&connection_id, Type::TEXT),
                    (&kind.as_str(), Type::TEXT),
                    (&owner, Type::TEXT),
                    (&until, Type::INT8),
                ],
            )
            .map(|row| row.get(0))
        })?;
        if marked_in_run != locked_in_run {
            // The server restarted between the lock and the row, and took the lock with
            // it: nothing is held. The row names the new run, so the next taker (this one
            // included) sees at once that its holder holds nothing.
            drop(session);
            return Ok(Lease::Busy);
        }
        locked(&self.shared.leases).insert(slot, session);
        Ok(lease)
    }

    /// Delete the `refreshing` row and free the lock, in that order, so that no taker finds
    /// the row of a holder that is alive. An error says the row may remain (the server is
    /// out of reach), so that the caller tries again.
    fn release_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
    ) -> StoreResult<()> {
        let deleted = self.with_db(|db| end_marker(db, connection_id, kind, owner));
        let held = locked(&self.shared.leases).remove(&(connection_id.to_owned(), kind));
        if let Some(session) = held {
            // Ending the transaction frees the lock; so would closing the session.
            self.end_lease_session(session);
        }
        deleted
    }

    /// Store the new pair if the token is still at `expected_generation`, with its event:
    /// on the lock's own session, where the commit also frees the lock, when this process
    /// holds it; in a transaction of its own otherwise (a retry after that session died).
    fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome> {
        let held = locked(&self.shared.leases).remove(&(connection_id.to_owned(), granted.kind));
        let Some(mut session) = held else {
            return self.write(|tx, cipher| {
                commit_pair(
                    &mut PairWritesIn { db: tx, cipher },
                    connection_id,
                    granted,
                    expected_generation,
                    action,
                    lease_owner,
                )
            });
        };
        let outcome = commit_pair(
            &mut PairWritesIn {
                db: &mut session,
                cipher: &self.cipher,
            },
            connection_id,
            granted,
            expected_generation,
            action,
            lease_owner,
        )?;
        // The notification and the commit in one round trip. The channel is spelled out
        // rather than bound: it is made of the schema's name, which is checked to be a
        // plain lower-case name when the URL is read.
        session
            .batch_execute(&format!(
                "SELECT pg_notify('{}', ''); COMMIT",
                self.channel()
            ))
            .map_err(|e| self.err(e))?;
        self.keep_session(session);
        Ok(outcome)
    }

    /// Nothing to set aside: the server, not a disk of ours, keeps the pair.
    fn reserve_space(&mut self) -> StoreResult<()> {
        Ok(())
    }
}

impl PostgresStore {
    /// A session in an open transaction, for a lease: a kept one when there is one that
    /// still answers, else a new one. A kept session that fails to begin means the server
    /// went away (a restart), and with it every kept session.
    fn lease_session(&mut self) -> StoreResult<Client> {
        let kept = locked(&self.shared.idle_sessions).pop();
        if let Some(mut session) = kept {
            if session.batch_execute("BEGIN").is_ok() {
                return Ok(session);
            }
            close_elsewhere(std::mem::take(&mut *locked(&self.shared.idle_sessions)));
        }
        let mut session = self.connect()?;
        session.batch_execute("BEGIN").map_err(|e| self.err(e))?;
        Ok(session)
    }

    /// Roll back a lease session's transaction (freeing its lock) and keep the session.
    fn end_lease_session(&mut self, mut session: Client) {
        if session.batch_execute("ROLLBACK").is_ok() {
            self.keep_session(session);
        }
    }

    /// Keep a session for the next lease. Only sessions whose transaction has ended come
    /// here, so a kept session never holds a lock.
    fn keep_session(&mut self, session: Client) {
        let mut idle = locked(&self.shared.idle_sessions);
        if !session.is_closed() && idle.len() < IDLE_SESSIONS {
            idle.push(session);
        }
    }
}

/// Delete `owner`'s `refreshing` row for the token, if it is still there.
fn end_marker(
    db: &mut impl GenericClient,
    connection_id: &str,
    kind: TokenKind,
    owner: &str,
) -> Result<(), postgres::Error> {
    db.query_typed(
        "DELETE FROM refreshing WHERE connection_id = $1 AND kind = $2 AND owner = $3",
        &[
            (&connection_id, Type::TEXT),
            (&kind.as_str(), Type::TEXT),
            (&owner, Type::TEXT),
        ],
    )
    .map(drop)
}

/// A rotated pair's writes, in the caller's PostgreSQL transaction.
struct PairWritesIn<'a, C: GenericClient> {
    db: &'a mut C,
    cipher: &'a Cipher,
}

impl<C: GenericClient> PairWrites for PairWritesIn<'_, C> {
    fn end_lease(&mut self, connection_id: &str, kind: TokenKind, owner: &str) -> StoreResult<()> {
        Ok(end_marker(self.db, connection_id, kind, owner)?)
    }

    fn previous(&mut self, connection_id: &str, kind: TokenKind) -> StoreResult<Option<Previous>> {
        tokens::previous(self.db, connection_id, kind)
    }

    fn write_pair(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        old: &Previous,
    ) -> StoreResult<Option<i64>> {
        // A rotated pair is new: were it somehow held elsewhere, this slot still owns it.
        tokens::write_over(
            self.db,
            self.cipher,
            connection_id,
            granted,
            HeldElsewhere::Move,
            Some(old),
        )
    }

    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        tokens::insert_event(self.db, event)
    }
}
