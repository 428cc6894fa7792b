//! The governor's holds on PostgreSQL, shared by every proxy of the fleet.

use super::PostgresStore;
use crate::store::backend::{RateHold, RateHolds};
use crate::store::error::StoreResult;

impl RateHolds for PostgresStore {
    fn put_rate_hold(&mut self, hold: &RateHold, now_ms: i64) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute("DELETE FROM rate_holds WHERE until_ms <= $1", &[&now_ms])?;
            let standing: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM rate_holds WHERE connection_id = $1 AND method = $2)",
                    &[&hold.connection_id, &hold.method],
                )?
                .get(0);
            if !standing {
                super::hooks::record(tx, &hold.notice(now_ms))?;
            }
            tx.execute(
                "INSERT INTO rate_holds (connection_id, method, until_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (connection_id, method) DO UPDATE
                 SET until_ms = GREATEST(rate_holds.until_ms, excluded.until_ms)",
                &[&hold.connection_id, &hold.method, &hold.until_ms],
            )?;
            Ok(())
        })
    }

    fn rate_holds(&self, now_ms: i64) -> StoreResult<Vec<RateHold>> {
        let rows = self.db()?.query(
            "SELECT connection_id, method, until_ms FROM rate_holds WHERE until_ms > $1",
            &[&now_ms],
        )?;
        Ok(rows
            .iter()
            .map(|r| RateHold {
                connection_id: r.get(0),
                method: r.get(1),
                until_ms: r.get(2),
            })
            .collect())
    }
}
