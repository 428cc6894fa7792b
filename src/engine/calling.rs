//! Call Slack with the right token and keep what fails: the call, its replay (waiting out
//! what is left of a `Retry-After`), and one retry after an expired token or a short
//! rate limit.

use super::failures::{ExplainedCall, explain};
use super::{Engine, EngineError, EngineResult};
use crate::calls::{default_kind, parse_args, plan};
use crate::rotation::{DEFAULT_WINDOW, Need, Target};
use crate::slack::{ApiResponse, CallError, ErrorCode, TokenKind};
use crate::store::{CallState, Connection, NewCall, StoreError, TokenStatus, now_unix};
use std::time::Duration;

/// The longest `Retry-After` a call waits out by itself before retrying once.
pub const MAX_AUTO_WAIT: Duration = Duration::from_secs(30);

/// A failed call, explained as recorded (or why recording failed).
#[derive(Debug)]
pub struct CallFailure {
    pub error: CallError,
    pub recorded: Result<ExplainedCall, StoreError>,
}

/// How a call went, with what xox said before it and did along the way.
#[derive(Debug)]
pub struct CallReport {
    pub connection: Connection,
    pub kind: TokenKind,
    /// Worth reading before the answer: the stored scopes say the call will fail, the
    /// token needs re-auth, its refresh failed.
    pub warnings: Vec<String>,
    /// What xox did: a refresh, a wait.
    pub notes: Vec<String>,
    pub result: Result<ApiResponse, CallFailure>,
}

impl Engine {
    /// Call `method` with `args` (`key=value`) on `conn`, with `kind`'s token or the one
    /// the method and the stored scopes call for.
    pub async fn call(
        &self,
        conn: &str,
        method: &str,
        args: &[String],
        kind: Option<TokenKind>,
    ) -> EngineResult<CallReport> {
        let params = parse_args(args)?;
        let connection = self.connection(conn).await?;
        let plan = plan(&connection, method, kind)?;
        let attempt = Attempt {
            connection,
            kind: plan.kind,
            method: method.to_owned(),
            params,
            replay_of: None,
        };
        self.attempt(attempt, plan.warnings, Vec::new()).await
    }

    /// Run recorded call `id` again with a fresh token (`kind`'s, or the one that failed).
    /// A rate-limited call first waits out the rest of Slack's `Retry-After`, telling
    /// `on_wait` how long.
    pub async fn replay(
        &self,
        id: i64,
        kind: Option<TokenKind>,
        on_wait: &(dyn Fn(u64) + Sync),
    ) -> EngineResult<CallReport> {
        let failed = self.failed_call(id).await?;
        if failed.call.state == CallState::ReplayedOk {
            return Err(EngineError::AlreadyReplayed(id));
        }
        let connection = failed
            .connection
            .ok_or(EngineError::ConnectionGone { call: id })?;
        let kind = default_kind(&connection, Some(kind.unwrap_or(failed.call.token_kind)))?;
        let mut notes = Vec::new();
        if failed.call.error == ErrorCode::Ratelimited.as_str() {
            let ready_at = failed.call.at + failed.call.retry_after.unwrap_or(0) as i64;
            let wait = ready_at - now_unix();
            if wait > 0 {
                on_wait(wait as u64);
                tokio::time::sleep(Duration::from_secs(wait as u64)).await;
                notes.push(format!("waited {wait}s, the rest of Slack's Retry-After"));
            }
        }
        let attempt = Attempt {
            connection,
            kind,
            method: failed.call.method.clone(),
            params: failed.params,
            // Replays of a replay stay linked to the first call.
            replay_of: Some(failed.call.replay_of.unwrap_or(id)),
        };
        self.attempt(attempt, Vec::new(), notes).await
    }

    async fn attempt(
        &self,
        attempt: Attempt,
        mut warnings: Vec<String>,
        mut notes: Vec<String>,
    ) -> EngineResult<CallReport> {
        let Attempt {
            connection,
            kind,
            method,
            params,
            replay_of,
        } = &attempt;
        let usable = self
            .usable_token_of(connection.clone(), *kind, DEFAULT_WINDOW, None)
            .await?;
        warnings.extend(usable.warnings.iter().map(ToString::to_string));
        let mut token = usable.token;
        let rotator = self.rotator()?;
        let mut retried = false;
        let error = loop {
            let error = match rotator.client().call(method, &token, params).await {
                Ok(answer) => {
                    if let Some(original) = *replay_of {
                        self.store()
                            .run(move |s| s.set_call_state(original, CallState::ReplayedOk))
                            .await?;
                    }
                    return Ok(attempt.report(warnings, notes, Ok(answer)));
                }
                Err(error) => error,
            };
            if retried {
                break error;
            }
            retried = true;
            match error.api().map(|e| (&e.code, e.retry_after)) {
                Some((ErrorCode::TokenExpired, _)) => {
                    let (id, k) = (connection.id.clone(), *kind);
                    let generation = self
                        .store()
                        .run(move |s| s.token_state(&id, k))
                        .await?
                        .generation;
                    match rotator
                        .refresh_if(
                            &Target::of(connection, *kind),
                            Need::NotRewrittenSince(generation),
                        )
                        .await
                    {
                        Ok(fresh) => {
                            notes.push(format!(
                                "the {kind} token had expired: refreshed it and retried"
                            ));
                            token = fresh.access;
                        }
                        Err(e) => {
                            notes.push(format!(
                                "the {kind} token had expired and could not be refreshed: {e}"
                            ));
                            break error;
                        }
                    }
                }
                Some((ErrorCode::Ratelimited, Some(secs)))
                    if Duration::from_secs(secs) <= MAX_AUTO_WAIT =>
                {
                    notes.push(format!(
                        "Slack rate-limited {method}: waited {secs}s (Retry-After) and retried"
                    ));
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                _ => break error,
            }
        };
        let recorded = self.record(&attempt, &error).await;
        Ok(attempt.report(warnings, notes, Err(CallFailure { error, recorded })))
    }

    /// Keep a failed call (linked to the call it replays), and set the status of a token
    /// Slack declared dead, so `list` shows it.
    pub(super) async fn record(
        &self,
        attempt: &Attempt,
        error: &CallError,
    ) -> Result<ExplainedCall, StoreError> {
        let (conn_id, kind, method, params, error, replay_of) = (
            attempt.connection.id.clone(),
            attempt.kind,
            attempt.method.clone(),
            attempt.params.clone(),
            error.clone(),
            attempt.replay_of,
        );
        self.store()
            .run(move |s| {
                let api = error.api();
                if let Some(status) = api.and_then(|e| dead_token_status(&e.code)) {
                    // Best effort: the call failure is what the user must hear about.
                    let _ =
                        s.set_token_status(&conn_id, kind, status, api.map(|e| e.code.as_str()));
                }
                let transport = error.to_string();
                let id = s.record_call(&NewCall {
                    connection_id: &conn_id,
                    token_kind: kind,
                    method: &method,
                    params: &params,
                    http_status: api.map(|e| e.http_status),
                    error: api.map_or(transport.as_str(), |e| e.code.as_str()),
                    needed: api.and_then(|e| e.needed.as_ref()),
                    provided: api.and_then(|e| e.provided.as_ref()),
                    accepted_scopes: api.and_then(|e| e.accepted_scopes.as_ref()),
                    retry_after: api.and_then(|e| e.retry_after),
                    response: api.map(|e| &e.body),
                    replay_of,
                    at: None,
                })?;
                if let Some(original) = replay_of {
                    s.set_call_state(original, CallState::ReplayFailed)?;
                }
                let call = s.call(id)?;
                Ok(explain(s, vec![call])?.remove(0))
            })
            .await
    }
}

/// One call about to go out.
pub(super) struct Attempt {
    pub(super) connection: Connection,
    pub(super) kind: TokenKind,
    pub(super) method: String,
    pub(super) params: Vec<(String, String)>,
    pub(super) replay_of: Option<i64>,
}

impl Attempt {
    fn report(
        self,
        warnings: Vec<String>,
        notes: Vec<String>,
        result: Result<ApiResponse, CallFailure>,
    ) -> CallReport {
        CallReport {
            connection: self.connection,
            kind: self.kind,
            warnings,
            notes,
            result,
        }
    }
}

/// The token status an error code proves, if it proves one.
fn dead_token_status(code: &ErrorCode) -> Option<TokenStatus> {
    match code {
        ErrorCode::TokenRevoked | ErrorCode::AccountInactive => Some(TokenStatus::Revoked),
        ErrorCode::InvalidAuth => Some(TokenStatus::NeedsReauth),
        _ => None,
    }
}
