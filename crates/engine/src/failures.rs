//! Failed calls explained: each with its connection (or none, once it was removed), what it
//! asked, what Slack answered, the hint and the command that acts on it.

use super::{Engine, EngineResult};
use crate::calls::hints::{self, Hint};
use crate::store::{Backend, Connection, RecordedCall, StoreResult};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct ExplainedCall {
    pub call: RecordedCall,
    /// `None` when the connection has been removed since: the call is still listed.
    pub connection: Option<Connection>,
    pub params: Vec<(String, String)>,
    pub response: Option<serde_json::Value>,
    pub hint: Option<Hint>,
    /// The command that performs the hint's action.
    pub command: Option<String>,
}

impl ExplainedCall {
    /// The connection's name, or what to call it once it is gone.
    pub fn connection_label(&self) -> &str {
        self.connection
            .as_ref()
            .map_or("(removed connection)", |c| c.name.as_str())
    }
}

/// Explain `calls`, reading each connection once.
pub(crate) fn explain(
    store: &mut dyn Backend,
    calls: Vec<RecordedCall>,
) -> StoreResult<Vec<ExplainedCall>> {
    let mut conns: HashMap<String, Option<Connection>> = HashMap::new();
    calls
        .into_iter()
        .map(|call| {
            let connection = conns
                .entry(call.connection_id.clone())
                .or_insert_with(|| store.connection(&call.connection_id).ok())
                .clone();
            let payload = store.call_payload(call.id)?;
            let hint = connection
                .as_ref()
                .map(|c| hints::explain(&call, c, &payload.params, payload.response.as_ref()));
            let command = connection
                .as_ref()
                .zip(hint.as_ref())
                .and_then(|(c, h)| h.command(c, &call));
            Ok(ExplainedCall {
                call,
                connection,
                params: payload.params,
                response: payload.response,
                hint,
                command,
            })
        })
        .collect()
}

impl Engine {
    /// Every recorded failed call, explained, oldest first.
    pub async fn failed_calls(&self) -> EngineResult<Vec<ExplainedCall>> {
        Ok(self
            .store()
            .run(|s| {
                let calls = s.calls()?;
                explain(s, calls)
            })
            .await?)
    }

    /// One recorded failed call, explained.
    pub async fn failed_call(&self, id: i64) -> EngineResult<ExplainedCall> {
        Ok(self
            .store()
            .run(move |s| {
                let call = s.call(id)?;
                Ok::<_, crate::store::StoreError>(explain(s, vec![call])?.remove(0))
            })
            .await?)
    }
}
