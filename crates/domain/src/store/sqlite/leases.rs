//! Refresh leases: at most one process refreshes a given token; the lease expires on its own.

use super::SqliteStore;
use super::events::insert as insert_event;
use super::tokens;
use crate::slack::GrantedToken;
use crate::slack::TokenKind;
use crate::store::EventAction;
use crate::store::backend::{CommitOutcome, Lease, RefreshLock};
use crate::store::cipher::Cipher;
use crate::store::commit::PairWrites;
use crate::store::commit::Previous;
use crate::store::commit::commit_pair;
use crate::store::error::StoreError;
use crate::store::error::StoreResult;
use crate::store::model::HeldElsewhere;
use crate::store::model::NewEvent;
use crate::store::model::now_unix;
use rusqlite::Transaction;
use rusqlite::{Connection as Sqlite, OptionalExtension, params};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

/// Delete the lease on (connection, kind) if `owner` holds it; inside the caller's transaction.
pub(super) fn release(
    conn: &Sqlite,
    connection_id: &str,
    kind: TokenKind,
    owner: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM leases WHERE connection_id = ?1 AND kind = ?2 AND owner = ?3",
        params![connection_id, kind, owner],
    )?;
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl RefreshLock for SqliteStore {
    /// Take the lease on (connection, kind) for `ttl` if it is free, expired, or held by
    /// a process on this machine that has exited. The transaction is short and never spans
    /// the HTTP call: the lease row, not the SQLite lock, is what keeps other processes
    /// waiting. Reading the holder and writing ourselves happen in one write transaction,
    /// so two waiters can never both take over.
    fn try_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
        ttl: std::time::Duration,
    ) -> StoreResult<Lease> {
        let now = now_ms();
        self.write(|tx, _| {
            let holder: Option<(String, i64)> = tx
                .query_row(
                    "SELECT owner, expires_at_ms FROM leases WHERE connection_id = ?1 AND kind = ?2",
                    params![connection_id, kind],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let lease = match holder {
                None => Lease::Taken,
                Some((held_by, expires)) if held_by == owner || expires <= now => Lease::Taken,
                Some((held_by, _)) if crate::store::lease_owner::is_gone(&held_by) => {
                    Lease::TakenFromGone(held_by)
                }
                Some(_) => return Ok(Lease::Busy),
            };
            tx.execute(
                "INSERT INTO leases (connection_id, kind, owner, expires_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (connection_id, kind) DO UPDATE SET owner = excluded.owner, expires_at_ms = excluded.expires_at_ms",
                params![connection_id, kind, owner, now + ttl.as_millis() as i64],
            )?;
            Ok(lease)
        })
    }

    /// Give the lease back, if we still hold it.
    fn release_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
    ) -> StoreResult<()> {
        self.write(|tx, _| Ok(release(tx, connection_id, kind, owner)?))
    }

    /// Make sure the reserve file is there and whole. A full disk is an error here, before
    /// any refresh token is spent, rather than after Slack has issued a pair.
    fn reserve_space(&mut self) -> StoreResult<()> {
        let path = super::reserve::reserve_path(&self.path);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == super::reserve::RESERVE_BYTES as u64) {
            return Ok(());
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(&vec![0u8; super::reserve::RESERVE_BYTES])?;
                file.sync_all()
            });
        written.map_err(|e| {
            let _ = std::fs::remove_file(&path);
            match e.kind() {
                std::io::ErrorKind::StorageFull => StoreError::DiskFull(self.path.clone()),
                _ => StoreError::CannotOpen {
                    path: path.clone(),
                    detail: e.to_string(),
                },
            }
        })
    }

    /// Store a new pair only if the token is still at `expected_generation`, with its event,
    /// and give back the lease, all in one transaction (`commit_pair`), durably stored
    /// (`synchronous=FULL`) before anything uses it. A full disk gives back the reserve
    /// (`reserve_space`) and tries once more.
    fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome> {
        let now = now_unix();
        let commit = |store: &mut SqliteStore| {
            store.write(|tx, cipher| {
                let mut writes = PairWritesInTx { tx, cipher, now };
                commit_pair(
                    &mut writes,
                    connection_id,
                    granted,
                    expected_generation,
                    action,
                    lease_owner,
                )
            })
        };
        match commit(self) {
            Err(StoreError::DiskFull(_)) if self.release_reserve() => commit(self),
            outcome => outcome,
        }
    }
}

/// A rotated pair's writes, in an SQLite write transaction.
struct PairWritesInTx<'a> {
    tx: &'a Transaction<'a>,
    cipher: &'a Cipher,
    now: i64,
}

impl PairWrites for PairWritesInTx<'_> {
    fn end_lease(&mut self, connection_id: &str, kind: TokenKind, owner: &str) -> StoreResult<()> {
        Ok(super::leases::release(self.tx, connection_id, kind, owner)?)
    }

    fn previous(&mut self, connection_id: &str, kind: TokenKind) -> StoreResult<Option<Previous>> {
        Ok(tokens::previous(self.tx, connection_id, kind)?)
    }

    fn write_pair(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        _old: &Previous,
    ) -> StoreResult<Option<i64>> {
        // A rotated pair is new: were it somehow held elsewhere, this slot still owns it.
        tokens::write(
            self.tx,
            self.cipher,
            connection_id,
            granted,
            self.now,
            HeldElsewhere::Move,
        )
    }

    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        Ok(insert_event(self.tx, event)?)
    }
}
