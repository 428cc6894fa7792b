//! Hooks and their deliveries in the file: the statements are the shared ones in
//! `store::hooks::sql`.

use super::SqliteStore;
use super::columns::{opt_text, text};
use crate::slack::Secret;
use crate::store::backend::HookStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::hooks::{
    self, ClaimScope, DeliveryState, Hook, HookDelivery, HookNotice, LastDelivery, NewHook,
    TryResult, sql,
};
use crate::store::model::{new_id, now_unix};
use crate::store::sealed::{hook_aad, seal_hook};
use rusqlite::{Connection as Sqlite, OptionalExtension, Row, params};

/// Record `notice` in the caller's transaction; how many hooks listen.
pub(super) fn record(conn: &Sqlite, notice: &HookNotice) -> rusqlite::Result<usize> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let count = conn.prepare_cached(&sql::record())?.execute(params![
        notice.once,
        notice.event,
        notice.connection_id,
        notice.token_kind,
        notice.reason,
        now_ms / 1000,
        now_ms + hooks::RECORDER_FIRST_MS,
        hooks::this_process(),
    ])?;
    hooks::note_recorded(count);
    Ok(count)
}

fn delivery(r: &Row<'_>) -> rusqlite::Result<HookDelivery> {
    Ok(HookDelivery {
        id: r.get(0)?,
        hook_id: text(r, 1)?,
        event: r.get(2)?,
        connection: opt_text(r, 3)?,
        app: opt_text(r, 4)?,
        team_id: opt_text(r, 5)?,
        enterprise_id: opt_text(r, 6)?,
        token_kind: r.get(7)?,
        reason: opt_text(r, 8)?,
        at: r.get(9)?,
        attempts: r.get(10)?,
    })
}

impl SqliteStore {
    fn hook_row(&self, r: &Row<'_>) -> StoreResult<Hook> {
        let id = text(r, 0).map_err(|e| self.sql(e))?;
        let sealed: Vec<u8> = r.get(3).map_err(|e| self.sql(e))?;
        let target = self.cipher.open_string(&hook_aad(&id, "target"), &sealed)?;
        let events = self
            .conn
            .prepare_cached(sql::EVENTS)
            .and_then(|mut s| s.query_map([&id], |r| r.get(0))?.collect())
            .map_err(|e| self.sql(e))?;
        let last = self
            .conn
            .query_row(sql::LAST, [&id], |r| {
                Ok(LastDelivery {
                    event: r.get(0)?,
                    connection: opt_text(r, 1)?,
                    state: r.get(2)?,
                    attempts: r.get(3)?,
                    tried_at: r.get(4)?,
                    result: opt_text(r, 5)?.unwrap_or_default(),
                })
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        let pending = self
            .conn
            .query_row(sql::PENDING, [&id], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        Ok(Hook {
            label: opt_text(r, 1).map_err(|e| self.sql(e))?,
            via: r.get(2).map_err(|e| self.sql(e))?,
            target: crate::text::into_one_line(target.to_string()),
            created_at: r.get(4).map_err(|e| self.sql(e))?,
            events,
            last,
            pending,
            id,
        })
    }
}

impl HookStore for SqliteStore {
    fn add_hook(&mut self, hook: &NewHook<'_>, secret: Option<&Secret>) -> StoreResult<Hook> {
        let id = new_id('h');
        self.write(|tx, cipher| {
            let (target, secret) = seal_hook(cipher, &id, hook.target, secret);
            tx.execute(
                sql::INSERT_HOOK,
                params![id, hook.label, hook.via, target, secret, now_unix()],
            )?;
            for event in hook.events {
                tx.execute(sql::INSERT_EVENT, params![id, event])?;
            }
            Ok(())
        })?;
        hooks::added(self.hooks()?, &id)
    }

    fn hooks(&self) -> StoreResult<Vec<Hook>> {
        let mut stmt = self.conn.prepare(sql::HOOKS).map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        let mut hooks = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            hooks.push(self.hook_row(row)?);
        }
        Ok(hooks)
    }

    fn hook_secret(&self, id: &str) -> StoreResult<Option<Secret>> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row(sql::SECRET, [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?
            .flatten();
        sealed
            .map(|blob| self.cipher.open_secret(&hook_aad(id, "secret"), &blob))
            .transpose()
    }

    fn remove_hook(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(sql::REMOVE_DELIVERIES, [id])?;
            tx.execute(sql::REMOVE_EVENTS, [id])?;
            if tx.execute(sql::REMOVE, [id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "no hook {id:?}; `xox hook list` shows them"
                )));
            }
            Ok(())
        })
    }

    fn record_notice(&mut self, notice: &HookNotice) -> StoreResult<usize> {
        self.write(|tx, _| Ok(record(tx, notice)?))
    }

    fn record_test(&mut self, id: &str) -> StoreResult<i64> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        self.write(|tx, _| {
            tx.execute(
                &sql::record_test(),
                params![
                    id,
                    format!("test:{}", new_id('t')),
                    now_ms / 1000,
                    now_ms,
                    hooks::this_process()
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    fn record_expiring(&mut self, now: i64) -> StoreResult<usize> {
        self.write(|tx, _| {
            let count = tx.execute(
                &sql::record_expiring(),
                params![
                    now,
                    hooks::EXPIRING_SECS,
                    now * 1000 + hooks::RECORDER_FIRST_MS,
                    hooks::this_process()
                ],
            )?;
            tx.execute(sql::FORGET_FINISHED, [now - hooks::KEEP_FINISHED_SECS])?;
            hooks::note_recorded(count);
            Ok(count)
        })
    }

    fn claim_deliveries(
        &mut self,
        scope: ClaimScope,
        now_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<HookDelivery>> {
        let (condition, id) = scope.condition();
        let params = params![hooks::this_process(), now_ms, limit, id];
        let any: bool = self
            .conn
            .prepare_cached(&sql::claimable(condition))
            .and_then(|mut s| s.query_row(params, |r| r.get(0)))
            .map_err(|e| self.sql(e))?;
        if !any {
            return Ok(Vec::new());
        }
        self.write(|tx, _| {
            let mut stmt = tx.prepare(&sql::claim(condition))?;
            let rows =
                stmt.query_map(params![hooks::this_process(), now_ms, limit, id], delivery)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn finish_delivery(
        &mut self,
        delivery: &HookDelivery,
        result: &TryResult,
        last: bool,
        now_ms: i64,
    ) -> StoreResult<DeliveryState> {
        let (state, next) = hooks::after_try(delivery, result, last, now_ms);
        self.write(|tx, _| {
            tx.execute(
                sql::FINISH,
                params![
                    delivery.id,
                    hooks::this_process(),
                    state,
                    next,
                    now_ms / 1000,
                    result.detail
                ],
            )?;
            Ok(state)
        })
    }

    fn delivery_counts(&self) -> StoreResult<Vec<(DeliveryState, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql::COUNTS)
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
