//! Recorded failed calls on PostgreSQL: arguments and answers sealed under the call's id.

use super::PostgresStore;
use super::rows::{self, CALL_COLUMNS};
use crate::slack::Scopes;
use crate::store::backend::CallStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{CallPayload, CallState, NewCall, RecordedCall, now_unix};

fn call_aad(id: i64, field: &str) -> String {
    format!("call:{id}:{field}")
}

impl CallStore for PostgresStore {
    fn record_call(&mut self, call: &NewCall<'_>) -> StoreResult<i64> {
        self.write(|tx, cipher| {
            // The id is taken first: it is part of what the sealed fields are bound to.
            let id: i64 = tx
                .query_one("SELECT nextval(pg_get_serial_sequence('calls', 'id'))", &[])?
                .get(0);
            let params_json = serde_json::to_vec(call.params).expect("string pairs serialize");
            let sealed_params = cipher.seal(&call_aad(id, "params"), &params_json);
            let sealed_response = call
                .response
                .map(|body| cipher.seal(&call_aad(id, "response"), body.to_string().as_bytes()));
            let csv = |s: Option<&Scopes>| s.map(Scopes::to_csv);
            tx.execute(
                "INSERT INTO calls (id, connection_id, token_kind, method, params, http_status, error, needed, provided,
                                    accepted_scopes, retry_after, response, at, replay_of)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[&id, &call.connection_id, &call.token_kind.as_str(), &call.method, &sealed_params,
                  &call.http_status.map(i64::from), &call.error, &csv(call.needed), &csv(call.provided),
                  &csv(call.accepted_scopes), &call.retry_after.and_then(|v| i64::try_from(v).ok()),
                  &sealed_response, &call.at.unwrap_or_else(now_unix), &call.replay_of],
            )?;
            Ok(id)
        })
    }

    fn set_call_state(&mut self, id: i64, state: CallState) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "UPDATE calls SET state = $2 WHERE id = $1",
                &[&id, &state.as_str()],
            )?;
            Ok(())
        })
    }

    fn calls(&self) -> StoreResult<Vec<RecordedCall>> {
        self.db()?
            .query(
                &format!("SELECT {CALL_COLUMNS} FROM calls ORDER BY id DESC"),
                &[],
            )?
            .iter()
            .map(rows::call)
            .collect()
    }

    fn call(&self, id: i64) -> StoreResult<RecordedCall> {
        let row = self
            .db()?
            .query_opt(
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"),
                &[&id],
            )?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no recorded call #{id}; `xox failed` lists them"))
            })?;
        rows::call(&row)
    }

    fn call_payload(&self, id: i64) -> StoreResult<CallPayload> {
        let row = self
            .db()?
            .query_one("SELECT params, response FROM calls WHERE id = $1", &[&id])?;
        let (params, response): (Vec<u8>, Option<Vec<u8>>) = (row.get(0), row.get(1));
        let corrupt = |what: &str| StoreError::Decrypt {
            what: call_aad(id, what),
        };
        let params = self.cipher.open(&call_aad(id, "params"), &params)?;
        let params = serde_json::from_slice(&params).map_err(|_| corrupt("params"))?;
        let response = response
            .map(|blob| {
                let plain = self.cipher.open(&call_aad(id, "response"), &blob)?;
                serde_json::from_slice(&plain).map_err(|_| corrupt("response"))
            })
            .transpose()?;
        Ok(CallPayload { params, response })
    }
}
