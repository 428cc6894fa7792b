//! Failed calls explained: each with its connection (or none, once it was removed), what it
//! asked, what Slack answered, the hint and the command that acts on it.

use super::{Engine, EngineError, EngineResult};
use crate::calls::hints::{self, Hint, HintAction};
use crate::store::{
    Backend, CallState, Connection, EventAction, NewEvent, Outcome, RecordedCall, StoreResult,
};
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

/// Whether a recorded call still stands: not replayed successfully, nor dismissed.
pub fn standing(call: &RecordedCall) -> bool {
    matches!(call.state, CallState::Open | CallState::ReplayFailed)
}

/// The failure standing in the way of `call`'s fix: the latest standing failure, after
/// `call`, of the request its hint's step makes (joining or unarchiving the channel) on the
/// same connection, when re-authorizing is what that failure needs.
pub fn blocking_step<'a>(
    call: &ExplainedCall,
    failed: &'a [ExplainedCall],
) -> Option<&'a ExplainedCall> {
    let (method, channel) = call.hint.as_ref()?.action.step_request()?;
    failed
        .iter()
        .filter(|f| {
            f.call.id > call.call.id
                && standing(&f.call)
                && f.call.connection_id == call.call.connection_id
                && f.call.method == method
                && f.params == [("channel".to_owned(), channel.to_owned())]
        })
        .max_by_key(|f| f.call.id)
        .filter(|f| {
            f.hint.as_ref().is_some_and(|h| {
                matches!(h.action, HintAction::AddScopes { .. } | HintAction::Reauth)
            })
        })
}

/// The same arguments, in any order.
fn same_params(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let sorted = |p: &[(String, String)]| {
        let mut p = p.to_vec();
        p.sort();
        p
    };
    a.len() == b.len() && sorted(a) == sorted(b)
}

/// Close what a successful call settles: the call it replays with every replay of that
/// call, and each standing failure of the same method with the same arguments on the
/// connection (the side failures of a fix, say a `conversations.join` tried before its
/// scope was granted). Returns their ids.
pub(crate) fn settle(
    store: &mut dyn Backend,
    connection_id: &str,
    method: &str,
    params: &[(String, String)],
    replay_of: Option<i64>,
) -> StoreResult<Vec<i64>> {
    let mut settled = Vec::new();
    for call in store.calls()? {
        if !standing(&call) || call.connection_id != connection_id {
            continue;
        }
        let linked =
            replay_of.is_some_and(|first| call.id == first || call.replay_of == Some(first));
        let same = || -> StoreResult<bool> {
            Ok(call.method == method && same_params(&store.call_payload(call.id)?.params, params))
        };
        if linked || same()? {
            store.set_call_state(call.id, CallState::ReplayedOk)?;
            settled.push(call.id);
        }
    }
    settled.sort_unstable();
    Ok(settled)
}

impl Engine {
    /// Set failed call `id` aside without replaying it, with its own failed replays when it
    /// is the first call, and say so in its connection's trail. Returns the ids dismissed.
    pub async fn dismiss_call(&self, id: i64) -> EngineResult<Vec<i64>> {
        let call = self.store().run(move |s| s.call(id)).await?;
        match call.state {
            CallState::ReplayedOk => return Err(EngineError::AlreadyReplayed(id)),
            CallState::Dismissed => return Err(EngineError::Dismissed(id)),
            CallState::Open | CallState::ReplayFailed => {}
        }
        Ok(self
            .store()
            .run(move |s| -> StoreResult<Vec<i64>> {
                let mut dismissed = vec![id];
                for other in s.calls()? {
                    if other.replay_of == Some(id) && standing(&other) {
                        dismissed.push(other.id);
                    }
                }
                dismissed.sort_unstable();
                for each in &dismissed {
                    s.set_call_state(*each, CallState::Dismissed)?;
                }
                let ids: Vec<String> = dismissed.iter().map(|i| format!("#{i}")).collect();
                s.add_event(&NewEvent {
                    connection_id: &call.connection_id,
                    action: EventAction::Dismiss,
                    token_kind: Some(call.token_kind),
                    outcome: Outcome::Ok,
                    old_expires_at: None,
                    new_expires_at: None,
                    detail: Some(format!(
                        "dismissed failed call {} ({}: {})",
                        ids.join(", "),
                        call.method,
                        call.error
                    )),
                    happened: None,
                })?;
                Ok(dismissed)
            })
            .await?)
    }
}
