//! The event trail on PostgreSQL.

use super::rows::{self, EVENT_COLUMNS};
use super::{PostgresStore, tokens};
use crate::store::backend::EventStore;
use crate::store::error::StoreResult;
use crate::store::model::{Event, NewEvent};

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
}
