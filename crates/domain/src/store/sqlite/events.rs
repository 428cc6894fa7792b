//! The append-only event trail: every import, login, exchange, refresh, revoke and replay,
//! with the hook deliveries an event calls for, in its transaction.

use super::SqliteStore;
use crate::store::backend::EventStore;
use crate::store::error::StoreResult;
use crate::store::hooks::HookNotice;
use crate::store::model::{Event, EventAction, NewEvent, Outcome};
use crate::store::sealed::REMOVED;
use rusqlite::{Connection as Sqlite, OptionalExtension, params};

pub(super) fn insert(conn: &Sqlite, event: &NewEvent<'_>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO events (connection_id, at, action, token_kind, outcome, old_expires_at, new_expires_at, pid, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            event.connection_id,
            event.at(),
            event.action,
            event.token_kind,
            event.outcome,
            event.old_expires_at,
            event.new_expires_at,
            event.pid(),
            event.detail
        ],
    )?;
    if let Some(notice) = HookNotice::from_event(event) {
        super::hooks::record(conn, &notice)?;
    }
    Ok(())
}

impl EventStore for SqliteStore {
    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        self.write(|tx, _| Ok(insert(tx, event)?))
    }

    /// A connection's events, oldest first.
    fn events(&self, connection_id: &str) -> StoreResult<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, connection_id, at, action, token_kind, outcome, old_expires_at, new_expires_at, pid, detail
                 FROM events WHERE connection_id = ?1 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([connection_id], |r| {
                Ok(Event {
                    id: r.get(0)?,
                    connection_id: r.get(1)?,
                    at: r.get(2)?,
                    action: r.get(3)?,
                    token_kind: r.get(4)?,
                    outcome: r.get(5)?,
                    old_expires_at: r.get(6)?,
                    new_expires_at: r.get(7)?,
                    pid: r.get(8)?,
                    detail: r.get(9)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn removed_connection(&self, name: &str) -> StoreResult<Option<String>> {
        self.conn
            .query_row(
                "SELECT connection_id FROM events WHERE action = 'remove' AND detail = ?1 ORDER BY id DESC LIMIT 1",
                [format!("{REMOVED}{name}")],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    fn event_counts(&self, action: EventAction) -> StoreResult<Vec<(Outcome, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT outcome, COUNT(*) FROM events WHERE action = ?1 GROUP BY outcome",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([action], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn event_times(&self, action: EventAction, since: i64) -> StoreResult<Vec<(i64, Outcome)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, outcome FROM events WHERE action = ?1 AND at >= ?2 ORDER BY at",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(rusqlite::params![action, since], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
