//! Recorded failed calls: what was asked, what Slack said, sealed where it may hold user text.

use super::SqliteStore;
use crate::slack::Scopes;
use crate::store::backend::CallStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{CallPayload, CallState, NewCall, RecordedCall, now_unix};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "id, connection_id, token_kind, method, http_status, error, needed, provided, accepted_scopes, retry_after, at, state, replay_of";

fn aad(id: i64, field: &str) -> String {
    format!("call:{id}:{field}")
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<RecordedCall> {
    let scopes = |i: usize| -> rusqlite::Result<Option<Scopes>> {
        Ok(r.get::<_, Option<String>>(i)?.map(|s| Scopes::parse(&s)))
    };
    Ok(RecordedCall {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        token_kind: r.get(2)?,
        method: r.get(3)?,
        http_status: r.get(4)?,
        error: r.get(5)?,
        needed: scopes(6)?,
        provided: scopes(7)?,
        accepted_scopes: scopes(8)?,
        retry_after: r
            .get::<_, Option<i64>>(9)?
            .and_then(|v| u64::try_from(v).ok()),
        at: r.get(10)?,
        state: r.get(11)?,
        replay_of: r.get(12)?,
    })
}

impl CallStore for SqliteStore {
    /// Keep a failed call. Returns its id, the one `xox replay` takes.
    fn record_call(&mut self, call: &NewCall<'_>) -> StoreResult<i64> {
        self.write(|tx, cipher| {
            // The id is chosen inside the write lock so it can be bound into the AAD.
            let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM calls", [], |r| r.get(0))?;
            let params_json = serde_json::to_vec(call.params).expect("string pairs serialize");
            let sealed_params = cipher.seal(&aad(id, "params"), &params_json);
            let sealed_response = call
                .response
                .map(|body| cipher.seal(&aad(id, "response"), body.to_string().as_bytes()));
            let csv = |s: Option<&Scopes>| s.map(Scopes::to_csv);
            tx.execute(
                "INSERT INTO calls (id, connection_id, token_kind, method, params, http_status, error, needed, provided,
                                    accepted_scopes, retry_after, response, at, replay_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![id, call.connection_id, call.token_kind, call.method, sealed_params,
                        call.http_status, call.error, csv(call.needed), csv(call.provided),
                        csv(call.accepted_scopes), call.retry_after.and_then(|v| i64::try_from(v).ok()), sealed_response, call.at.unwrap_or_else(now_unix), call.replay_of],
            )?;
            Ok(id)
        })
    }

    /// Mark how replaying a recorded call went: `replayed_ok` or `replay_failed`.
    fn set_call_state(&mut self, id: i64, state: CallState) -> StoreResult<()> {
        self.conn
            .execute(
                "UPDATE calls SET state = ?2 WHERE id = ?1",
                rusqlite::params![id, state],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Recorded calls, newest first.
    fn calls(&self) -> StoreResult<Vec<RecordedCall>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM calls ORDER BY id DESC"))
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query_map([], from_row).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn call(&self, id: i64) -> StoreResult<RecordedCall> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM calls WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no recorded call #{id}; `xox failed` lists them"))
            })
    }

    /// The decrypted parameters and response body of a recorded call.
    fn call_payload(&self, id: i64) -> StoreResult<CallPayload> {
        let (params, response): (Vec<u8>, Option<Vec<u8>>) = self
            .conn
            .query_row(
                "SELECT params, response FROM calls WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.sql(e))?;
        let corrupt = |what: &str| StoreError::Decrypt {
            what: aad(id, what),
        };
        let params = self.cipher.open(&aad(id, "params"), &params)?;
        let params = serde_json::from_slice(&params).map_err(|_| corrupt("params"))?;
        let response = response
            .map(|blob| {
                let plain = self.cipher.open(&aad(id, "response"), &blob)?;
                serde_json::from_slice(&plain).map_err(|_| corrupt("response"))
            })
            .transpose()?;
        Ok(CallPayload { params, response })
    }
}
