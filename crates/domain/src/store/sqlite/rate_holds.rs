//! The governor's holds in the file, shared by the proxies on this machine.

use super::SqliteStore;
use crate::store::backend::{RateHold, RateHolds};
use crate::store::error::StoreResult;
use rusqlite::params;

impl RateHolds for SqliteStore {
    fn put_rate_hold(&mut self, hold: &RateHold, now_ms: i64) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute("DELETE FROM rate_holds WHERE until_ms <= ?1", [now_ms])?;
            let standing: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM rate_holds WHERE connection_id = ?1 AND method = ?2)",
                params![hold.connection_id, hold.method],
                |r| r.get(0),
            )?;
            if !standing {
                super::hooks::record(tx, &hold.notice(now_ms))?;
            }
            tx.execute(
                "INSERT INTO rate_holds (connection_id, method, until_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (connection_id, method) DO UPDATE
                 SET until_ms = MAX(until_ms, excluded.until_ms)",
                params![hold.connection_id, hold.method, hold.until_ms],
            )?;
            Ok(())
        })
    }

    fn rate_holds(&self, now_ms: i64) -> StoreResult<Vec<RateHold>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT connection_id, method, until_ms FROM rate_holds WHERE until_ms > ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([now_ms], |r| {
                Ok(RateHold {
                    connection_id: r.get(0)?,
                    method: r.get(1)?,
                    until_ms: r.get(2)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
