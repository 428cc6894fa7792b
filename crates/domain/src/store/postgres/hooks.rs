//! Hooks and their deliveries on PostgreSQL: the shared statements of `store::hooks::sql`,
//! with the server's `$N` for SQLite's `?N`. A claim is one statement, so of the fleet's
//! hosts one takes each delivery.

use super::PostgresStore;
use super::rows::{self, stored};
use crate::slack::{Secret, TokenKind};
use crate::store::backend::HookStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::hooks::{
    self, ClaimScope, DeliveryState, Hook, HookDelivery, HookNotice, LastDelivery, NewHook,
    TryResult, sql,
};
use crate::store::model::{new_id, now_unix};
use crate::store::sealed::{hook_aad, seal_hook};
use postgres::{GenericClient, Row};

/// A shared statement in the server's words.
fn pg(statement: &str) -> String {
    statement.replace('?', "$")
}

/// Record `notice` in the caller's transaction; how many hooks listen.
pub(super) fn record(db: &mut impl GenericClient, notice: &HookNotice) -> StoreResult<usize> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let count = db.execute(
        &pg(&sql::record()),
        &[
            &notice.once,
            &notice.event.as_str(),
            &notice.connection_id,
            &notice.token_kind.map(TokenKind::as_str),
            &notice.reason,
            &(now_ms / 1000),
            &(now_ms + hooks::RECORDER_FIRST_MS),
            &hooks::this_process(),
        ],
    )? as usize;
    hooks::note_recorded(count);
    Ok(count)
}

fn delivery(r: &Row) -> StoreResult<HookDelivery> {
    Ok(HookDelivery {
        id: r.get(0),
        hook_id: rows::text(r, 1),
        event: stored(r.get(2))?,
        connection: rows::opt_text(r, 3),
        app: rows::opt_text(r, 4),
        team_id: rows::opt_text(r, 5),
        enterprise_id: rows::opt_text(r, 6),
        token_kind: r.get::<_, Option<&str>>(7).map(rows::kind).transpose()?,
        reason: rows::opt_text(r, 8),
        at: r.get(9),
        attempts: r.get(10),
    })
}

impl PostgresStore {
    fn hook_row(&self, db: &mut impl GenericClient, r: &Row) -> StoreResult<Hook> {
        let id = rows::text(r, 0);
        let target = self
            .cipher
            .open_string(&hook_aad(&id, "target"), r.get(3))?;
        let events = db
            .query(&pg(sql::EVENTS), &[&id])?
            .iter()
            .map(|e| stored(e.get(0)))
            .collect::<StoreResult<_>>()?;
        let last = db
            .query_opt(&pg(sql::LAST), &[&id])?
            .map(|r| {
                Ok::<_, StoreError>(LastDelivery {
                    event: stored(r.get(0))?,
                    connection: rows::opt_text(&r, 1),
                    state: stored(r.get(2))?,
                    attempts: r.get(3),
                    tried_at: r.get(4),
                    result: rows::opt_text(&r, 5).unwrap_or_default(),
                })
            })
            .transpose()?;
        let pending = db.query_one(&pg(sql::PENDING), &[&id])?.get(0);
        Ok(Hook {
            label: rows::opt_text(r, 1),
            via: stored(r.get(2))?,
            target: crate::text::into_one_line(target.to_string()),
            created_at: r.get(4),
            events,
            last,
            pending,
            id,
        })
    }
}

impl HookStore for PostgresStore {
    fn add_hook(&mut self, hook: &NewHook<'_>, secret: Option<&Secret>) -> StoreResult<Hook> {
        let id = new_id('h');
        self.write(|tx, cipher| {
            let (target, secret) = seal_hook(cipher, &id, hook.target, secret);
            tx.execute(
                &pg(sql::INSERT_HOOK),
                &[
                    &id,
                    &hook.label,
                    &hook.via.as_str(),
                    &target,
                    &secret,
                    &now_unix(),
                ],
            )?;
            for event in hook.events {
                tx.execute(&pg(sql::INSERT_EVENT), &[&id, &event.as_str()])?;
            }
            Ok(())
        })?;
        hooks::added(self.hooks()?, &id)
    }

    fn hooks(&self) -> StoreResult<Vec<Hook>> {
        let mut db = self.db()?;
        let found = db.query(&pg(sql::HOOKS), &[])?;
        found.iter().map(|r| self.hook_row(&mut *db, r)).collect()
    }

    fn hook_secret(&self, id: &str) -> StoreResult<Option<Secret>> {
        let sealed: Option<Vec<u8>> = self
            .db()?
            .query_opt(&pg(sql::SECRET), &[&id])?
            .and_then(|r| r.get(0));
        sealed
            .map(|blob| self.cipher.open_secret(&hook_aad(id, "secret"), &blob))
            .transpose()
    }

    fn remove_hook(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(&pg(sql::REMOVE_DELIVERIES), &[&id])?;
            tx.execute(&pg(sql::REMOVE_EVENTS), &[&id])?;
            if tx.execute(&pg(sql::REMOVE), &[&id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "no hook {id:?}; `xox hook list` shows them"
                )));
            }
            Ok(())
        })
    }

    fn record_notice(&mut self, notice: &HookNotice) -> StoreResult<usize> {
        self.write(|tx, _| record(tx, notice))
    }

    fn record_test(&mut self, id: &str) -> StoreResult<i64> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let once = format!("test:{}", new_id('t'));
        self.write(|tx, _| {
            let row = tx.query_one(
                &format!("{} RETURNING id", pg(&sql::record_test())),
                &[
                    &id,
                    &once,
                    &(now_ms / 1000),
                    &now_ms,
                    &hooks::this_process(),
                ],
            )?;
            Ok(row.get(0))
        })
    }

    fn record_expiring(&mut self, now: i64) -> StoreResult<usize> {
        self.write(|tx, _| {
            let count = tx.execute(
                &pg(&sql::record_expiring()),
                &[
                    &now,
                    &hooks::EXPIRING_SECS,
                    &(now * 1000 + hooks::RECORDER_FIRST_MS),
                    &hooks::this_process(),
                ],
            )? as usize;
            tx.execute(
                &pg(sql::FORGET_FINISHED),
                &[&(now - hooks::KEEP_FINISHED_SECS)],
            )?;
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
        let owner = hooks::this_process();
        let params: [&(dyn postgres::types::ToSql + Sync); 4] = [&owner, &now_ms, &limit, &id];
        let any: bool = self
            .db()?
            .query_one(&pg(&sql::claimable(condition)), &params)?
            .get(0);
        if !any {
            return Ok(Vec::new());
        }
        self.write(|tx, _| {
            tx.query(&pg(&sql::claim(condition)), &params)?
                .iter()
                .map(delivery)
                .collect()
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
                &pg(sql::FINISH),
                &[
                    &delivery.id,
                    &hooks::this_process(),
                    &state.as_str(),
                    &next,
                    &(now_ms / 1000),
                    &result.detail,
                ],
            )?;
            Ok(state)
        })
    }

    fn delivery_counts(&self) -> StoreResult<Vec<(DeliveryState, i64)>> {
        self.db()?
            .query(sql::COUNTS, &[])?
            .iter()
            .map(|r| Ok((stored(r.get(0))?, r.get(1))))
            .collect()
    }
}
