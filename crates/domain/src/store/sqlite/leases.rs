//! Refresh leases: at most one process refreshes a given token; the lease expires on its own.

use super::SqliteStore;
use crate::slack::TokenKind;
use crate::store::backend::Lease;
use crate::store::error::StoreResult;
use rusqlite::{Connection as Sqlite, OptionalExtension, params};

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

impl SqliteStore {
    /// Take the lease on (connection, kind) for `ttl` if it is free, expired, or held by
    /// a process on this machine that has exited. The transaction is short and never spans
    /// the HTTP call: the lease row, not the SQLite lock, is what keeps other processes
    /// waiting. Reading the holder and writing ourselves happen in one write transaction,
    /// so two waiters can never both take over.
    pub fn try_lease(
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
    pub fn release_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
    ) -> StoreResult<()> {
        self.write(|tx, _| Ok(release(tx, connection_id, kind, owner)?))
    }
}
