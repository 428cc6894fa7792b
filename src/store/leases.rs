//! Refresh leases: at most one process refreshes a given token; the lease expires on its own.

use super::Store;
use super::error::StoreResult;
use crate::slack::TokenKind;
use rusqlite::{Connection as Sqlite, params};

/// Delete the lease on (connection, kind) if `owner` holds it; inside the caller's transaction.
pub(super) fn release(
    conn: &Sqlite,
    connection_id: &str,
    kind: TokenKind,
    owner: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM leases WHERE connection_id = ?1 AND kind = ?2 AND owner = ?3",
        params![connection_id, kind.as_str(), owner],
    )?;
    Ok(())
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Take the lease on (connection, kind) for `ttl_ms` if it is free or expired. The
    /// transaction is short and never spans the HTTP call: the lease row, not the SQLite
    /// lock, is what keeps other processes waiting.
    pub fn try_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        let now = now_ms();
        self.write(|tx, _| {
            let changed = tx.execute(
                "INSERT INTO leases (connection_id, kind, owner, expires_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (connection_id, kind) DO UPDATE SET owner = excluded.owner, expires_at_ms = excluded.expires_at_ms
                 WHERE leases.expires_at_ms <= ?5 OR leases.owner = excluded.owner",
                params![connection_id, kind.as_str(), owner, now + ttl_ms, now],
            )?;
            Ok(changed == 1)
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
