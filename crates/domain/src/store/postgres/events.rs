//! The event trail on PostgreSQL.

use super::rows::{self, EVENT_COLUMNS};
use super::{PostgresStore, tokens};
use crate::store::backend::EventStore;
use crate::store::error::StoreResult;
use crate::store::model::{Event, EventAction, NewEvent, Outcome};

impl EventStore for PostgresStore {
    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        self.write(|tx, _| tokens::insert_event(tx, event))
    }

    fn events(&self, connection_id: &str) -> StoreResult<Vec<Event>> {
        self.db()?
            .query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE connection_id = $1 ORDER BY at, id"
                ),
                &[&connection_id],
            )?
            .iter()
            .map(rows::event)
            .collect()
    }

    fn removed_connection(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self
            .db()?
            .query_opt(
                "SELECT connection_id FROM events WHERE action = 'remove' AND detail = $1 ORDER BY id DESC LIMIT 1",
                &[&format!("{}{name}", crate::store::sealed::REMOVED)],
            )?
            .map(|r| r.get(0)))
    }

    fn event_counts(&self, action: EventAction) -> StoreResult<Vec<(Outcome, i64)>> {
        self.db()?
            .query(
                "SELECT outcome, COUNT(*) FROM events WHERE action = $1 GROUP BY outcome",
                &[&action.as_str()],
            )?
            .iter()
            .map(|r| Ok((rows::stored(r.get(0))?, r.get(1))))
            .collect()
    }

    fn event_times(&self, action: EventAction, since: i64) -> StoreResult<Vec<(i64, Outcome)>> {
        self.db()?
            .query(
                "SELECT at, outcome FROM events WHERE action = $1 AND at >= $2 ORDER BY at",
                &[&action.as_str(), &since],
            )?
            .iter()
            .map(|r| Ok((r.get(0), rows::stored(r.get(1))?)))
            .collect()
    }
}
