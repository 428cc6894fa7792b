//! The one way a request reaches Slack with a live token, for `xox call`, `xox replay` and
//! the proxy alike: the usable-token policy, the request, one refresh and one more try when
//! Slack says the token went stale (or a short wait when it says slow down), and the
//! failure recorded.

use super::failures::{ExplainedCall, explain};
use super::governor::Governor;
use super::usable::UsableToken;
use super::{Engine, EngineError, EngineResult, TokenWarning};
use crate::rotation::{DEFAULT_WINDOW, Need, Target};
use crate::slack::{ApiResponse, CallError, ErrorCode, Secret, TokenKind};
use crate::store::{CallState, Connection, NewCall, StoreError, TokenStatus};
use std::time::Duration;

/// One request about to go out on a connection's token. Borrowed: what a failure keeps is
/// copied only when there is one.
pub(super) struct Attempt<'a> {
    pub(super) connection: &'a Connection,
    pub(super) kind: TokenKind,
    pub(super) method: &'a str,
    /// The request's arguments, kept with a failure so that it can be replayed.
    pub(super) params: &'a [(String, String)],
    /// The recorded call this one replays.
    pub(super) replay_of: Option<i64>,
}

/// What the caller already holds of the token.
pub(super) enum AtHand {
    Nothing,
    /// Read from the store along with the connection: the policy still decides on it.
    Stored(Secret),
    /// Handed out by the policy a moment ago (the proxy's one-second cache).
    Usable(Secret),
}

/// How a rate limit is met.
#[derive(Clone, Copy)]
pub(super) enum OnRateLimit<'a> {
    /// Slack's answer goes back as it is.
    Answer,
    /// A `Retry-After` up to this long is waited out and the request sent once more.
    WaitUpTo(Duration),
    /// The governor holds the (install, method) for every request of the proxy, and waits
    /// this one out and sends it again, while the wait is within its longest.
    Govern(&'a Governor),
}

/// How many 429s in a row one request may wait out before the last goes back to the app.
const MOST_ABSORBED: u32 = 30;

/// The `Retry-After` of a 429, when `error` is one (1 s when Slack named none).
fn rate_limited(error: &CallError) -> Option<u64> {
    let api = error.api().filter(|e| e.code == ErrorCode::Ratelimited)?;
    Some(api.retry_after.unwrap_or(1))
}

/// Slack's answer as a sender returns it, which may carry Slack's refusal.
pub(super) trait Answer {
    fn failure(&self) -> Option<&CallError>;
}

impl Answer for ApiResponse {
    fn failure(&self) -> Option<&CallError> {
        None
    }
}

/// How a request went. Sent is by far the common case, and boxing it would cost every
/// proxied request an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum Live<T> {
    /// The policy would not hand out a token (revoked; needs re-auth and expired), or the
    /// store could not be read for it: nothing was sent.
    NoToken(EngineError),
    Sent(Sent<T>),
}

pub(super) struct Sent<T> {
    /// The last answer, or why there was none.
    pub(super) result: Result<T, CallError>,
    /// What the policy found worth a second look in the token it handed out.
    pub(super) warnings: Vec<TokenWarning>,
    /// What was done along the way: a refresh, a wait.
    pub(super) notes: Vec<String>,
    /// The token the policy handed out, when it was not at hand already.
    pub(super) usable: Option<UsableToken>,
    /// The token went stale on the way and was refreshed.
    pub(super) refreshed_on_the_way: bool,
    /// The failure as recorded, when the request failed.
    pub(super) recorded: Option<Result<ExplainedCall, StoreError>>,
    /// Slack's 429s the governor waited out on the way.
    pub(super) absorbed: u32,
}

/// The failure a send came to: no answer, or Slack's refusal inside one.
fn failure_in<T: Answer>(result: &Result<T, CallError>) -> Option<&CallError> {
    match result {
        Ok(answer) => answer.failure(),
        Err(error) => Some(error),
    }
}

/// Whether Slack's refusal says the token went stale: expired, or (for a rotating token,
/// which Slack may stop taking once it has rotated) no longer valid. One refresh fixes both.
fn went_stale(error: &CallError, connection: &Connection, kind: TokenKind) -> bool {
    match error.api().map(|e| &e.code) {
        Some(ErrorCode::TokenExpired) => true,
        Some(ErrorCode::InvalidAuth) => connection.token(kind).is_some_and(|t| t.rotating),
        _ => false,
    }
}

/// The `Retry-After` of a rate limit short enough to wait out under `policy`.
fn short_wait(error: &CallError, policy: OnRateLimit<'_>) -> Option<u64> {
    let OnRateLimit::WaitUpTo(longest) = policy else {
        return None;
    };
    let api = error.api().filter(|e| e.code == ErrorCode::Ratelimited)?;
    api.retry_after
        .filter(|secs| Duration::from_secs(*secs) <= longest)
}

impl Engine {
    /// Send `attempt` with a live token through `send`, which makes one request with the
    /// token it is given; it is asked at most twice. (A plain closure returning a future,
    /// not an async closure: the proxy's handlers must be `Send` for every lifetime, which
    /// an async closure's borrowed argument cannot promise.)
    pub(super) async fn send_live<T: Answer, F: Future<Output = Result<T, CallError>>>(
        &self,
        attempt: &Attempt<'_>,
        at_hand: AtHand,
        on_rate_limit: OnRateLimit<'_>,
        send: impl Fn(Secret) -> F,
    ) -> EngineResult<Live<T>> {
        let (connection, kind) = (attempt.connection, attempt.kind);
        let (mut token, warnings, usable) = match at_hand {
            AtHand::Usable(token) => (token, Vec::new(), None),
            at_hand => {
                let stored = match at_hand {
                    AtHand::Stored(token) => Some(token),
                    _ => None,
                };
                // Boxed: most proxied requests skip this path, and each request's future is
                // moved more than once on its way in, so it stays small this way.
                let usable = Box::pin(self.usable_token_of(
                    connection.clone(),
                    kind,
                    DEFAULT_WINDOW,
                    stored,
                ))
                .await;
                match usable {
                    Ok(usable) => (usable.token.clone(), usable.warnings.clone(), Some(usable)),
                    Err(e) => return Ok(Live::NoToken(e)),
                }
            }
        };
        let mut notes = Vec::new();
        let mut refreshed_on_the_way = false;
        let mut retried = false;
        let mut absorbed = 0;
        let result = loop {
            let result = send(token.clone()).await;
            if let OnRateLimit::Govern(governor) = on_rate_limit
                && let Some(secs) = failure_in(&result).and_then(rate_limited)
            {
                // Every later request for the pair waits too, whoever sends it, on this
                // proxy and on every other proxy on the store.
                let until = governor.hold(&connection.id, attempt.method, secs);
                self.share_hold(&connection.id, attempt.method, secs).await;
                if absorbed < MOST_ABSORBED && governor.can_wait(until) {
                    absorbed += 1;
                    governor.absorbed();
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                governor.passed();
                break result;
            }
            let Some(error) = failure_in(&result).filter(|_| !retried) else {
                break result;
            };
            retried = true;
            if went_stale(error, connection, kind) {
                let (id, k) = (connection.id.clone(), kind);
                let generation = self
                    .store()
                    .run(move |s| s.token_state(&id, k))
                    .await?
                    .generation;
                let target = Target::of(connection, kind);
                let rotator = self.rotator()?;
                let refresh = rotator.refresh_if(&target, Need::NotRewrittenSince(generation));
                match Box::pin(refresh).await {
                    Ok(fresh) => {
                        notes.push(format!(
                            "the {kind} token had expired: refreshed it and retried"
                        ));
                        token = fresh.access;
                        refreshed_on_the_way = true;
                        continue;
                    }
                    Err(e) => {
                        notes.push(format!(
                            "the {kind} token had expired and could not be refreshed: {e}"
                        ));
                        break result;
                    }
                }
            }
            if let Some(secs) = short_wait(error, on_rate_limit) {
                notes.push(format!(
                    "Slack rate-limited {}: waited {secs}s (Retry-After) and retried",
                    attempt.method
                ));
                tokio::time::sleep(Duration::from_secs(secs)).await;
                continue;
            }
            break result;
        };
        // A success settles earlier failures: the caller's to do (`call`, `replay`), never
        // the proxy's, whose every request would pay for the look.
        let recorded = match failure_in(&result) {
            Some(error) => Some(Box::pin(self.record(attempt, error)).await),
            None => None,
        };
        Ok(Live::Sent(Sent {
            result,
            warnings,
            notes,
            usable,
            refreshed_on_the_way,
            recorded,
            absorbed,
        }))
    }

    /// Keep a failed call (linked to the call it replays), and set the status of a token
    /// Slack declared dead, so `list` shows it.
    async fn record(
        &self,
        attempt: &Attempt<'_>,
        error: &CallError,
    ) -> Result<ExplainedCall, StoreError> {
        let (conn_id, kind, method, params, error, replay_of) = (
            attempt.connection.id.clone(),
            attempt.kind,
            attempt.method.to_owned(),
            attempt.params.to_vec(),
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

/// The token status an error code proves, if it proves one.
fn dead_token_status(code: &ErrorCode) -> Option<TokenStatus> {
    match code {
        ErrorCode::TokenRevoked | ErrorCode::AccountInactive => Some(TokenStatus::Revoked),
        ErrorCode::InvalidAuth => Some(TokenStatus::NeedsReauth),
        _ => None,
    }
}
