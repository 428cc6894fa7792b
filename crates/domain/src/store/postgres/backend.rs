//! `PostgresStore` as a whole behind the storage seam: where it is, when others wrote, more
//! sessions, and the feed of commits. Each topic's trait is implemented in its own file.

use super::PostgresStore;
use crate::store::backend::Backend;
use crate::store::error::StoreResult;

impl Backend for PostgresStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    /// The newest transaction id the server has begun: it moves with every commit, ours
    /// or another host's (and with other databases' too, which costs a reload, no more).
    fn change_stamp(&self) -> StoreResult<i64> {
        let row = self.db()?.query_one(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
            &[],
        )?;
        Ok(row.get(0))
    }

    fn session_maker(&self) -> Option<crate::store::backend::SessionMaker> {
        let make = PostgresStore::session_maker(self);
        Some(Box::new(move || Ok(Box::new(make()?) as Box<dyn Backend>)))
    }

    fn change_feed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(
            self.shared
                .feed
                .get_or_init(|| super::feed::listen(self.server.clone(), self.channel()))
                .clone(),
        )
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}
