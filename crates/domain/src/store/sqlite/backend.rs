//! `SqliteStore` as a whole behind the storage seam: where it is, when others wrote, what
//! opening it changed. Each topic's trait is implemented in the file of that topic.

use super::SqliteStore;
use crate::store::backend::Backend;
use crate::store::error::StoreResult;

impl Backend for SqliteStore {
    fn location(&self) -> String {
        self.path().display().to_string()
    }

    /// `PRAGMA data_version` changes whenever another connection (another process)
    /// commits to the database.
    fn change_stamp(&self) -> StoreResult<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}
