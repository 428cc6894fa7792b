//! `xox call` and `xox replay`: the right token for the method, the request sent on the one
//! live-token path (`live.rs`), and a replay that first waits out what is left of Slack's
//! `Retry-After`.

use super::failures::{ExplainedCall, settle};
use super::live::{AtHand, Attempt, Live, OnRateLimit};
use super::{Engine, EngineError, EngineResult};
use crate::calls::hints::HintAction;
use crate::calls::{default_kind, parse_args, plan};
use crate::slack::{ApiResponse, CallError, ErrorCode, TokenKind};
use crate::store::{CallState, Connection, StoreError, now_unix};
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
    /// Recorded failed calls this success closed: the call replayed, its earlier replays,
    /// and earlier failures of the same request.
    pub settled: Vec<i64>,
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
            connection: &connection,
            kind: plan.kind,
            method,
            params: &params,
            replay_of: None,
        };
        self.attempt(attempt, plan.warnings, Vec::new()).await
    }

    /// Run recorded call `id` again with a fresh token (`kind`'s, or the one that failed).
    /// A rate-limited call first waits out the rest of Slack's `Retry-After`, telling
    /// `on_wait` how long. A call that failed for a scope the token still lacks is not sent
    /// (it would fail again, and be recorded again) unless `force`d.
    pub async fn replay(
        &self,
        id: i64,
        kind: Option<TokenKind>,
        force: bool,
        on_wait: &(dyn Fn(u64) + Sync),
    ) -> EngineResult<CallReport> {
        let failed = self.failed_call(id).await?;
        match failed.call.state {
            CallState::ReplayedOk => return Err(EngineError::AlreadyReplayed(id)),
            CallState::Dismissed => return Err(EngineError::Dismissed(id)),
            CallState::Open | CallState::ReplayFailed => {}
        }
        let connection = failed
            .connection
            .clone()
            .ok_or(EngineError::ConnectionGone { call: id })?;
        if let Some(HintAction::AddScopes {
            kind: lacking,
            scopes,
        }) = failed.hint.as_ref().map(|h| &h.action)
            && !force
            && kind.is_none_or(|k| k == *lacking)
        {
            return Err(EngineError::ScopeStillMissing {
                call: id,
                kind: *lacking,
                scopes: scopes.clone(),
                next: failed
                    .command
                    .clone()
                    .unwrap_or_else(|| "add the scope in the app's settings".into()),
            });
        }
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
            connection: &connection,
            kind,
            method: &failed.call.method,
            params: &failed.params,
            // Replays of a replay stay linked to the first call.
            replay_of: Some(failed.call.replay_of.unwrap_or(id)),
        };
        self.attempt(attempt, Vec::new(), notes).await
    }

    async fn attempt(
        &self,
        attempt: Attempt<'_>,
        mut warnings: Vec<String>,
        mut notes: Vec<String>,
    ) -> EngineResult<CallReport> {
        let client = self.http()?;
        let live = self
            .send_live(
                &attempt,
                AtHand::Nothing,
                OnRateLimit::WaitUpTo(MAX_AUTO_WAIT),
                |token| async move { client.call(attempt.method, &token, attempt.params).await },
            )
            .await?;
        let sent = match live {
            Live::NoToken(e) => return Err(e),
            Live::Sent(sent) => sent,
        };
        warnings.extend(sent.warnings.iter().map(ToString::to_string));
        notes.extend(sent.notes);
        let settled = if sent.result.is_ok() {
            let (conn_id, method, params, replay_of) = (
                attempt.connection.id.clone(),
                attempt.method.to_owned(),
                attempt.params.to_vec(),
                attempt.replay_of,
            );
            self.store()
                .run(move |s| settle(s, &conn_id, &method, &params, replay_of))
                .await?
        } else {
            Vec::new()
        };
        let result = sent.result.map_err(|error| CallFailure {
            error,
            recorded: sent.recorded.expect("a failed call is recorded"),
        });
        Ok(CallReport {
            connection: attempt.connection.clone(),
            kind: attempt.kind,
            warnings,
            notes,
            result,
            settled,
        })
    }
}
