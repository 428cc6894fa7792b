//! `Rotator`: refresh and exchange that never spend a refresh token twice.
//!
//! Slack's refresh tokens are single-use, so two workers refreshing the same token lose the
//! connection. Every refresh here goes through the same path: one flight per token inside the
//! process, a lease row across processes (never held over HTTP inside a transaction), a
//! re-read after every wait, and a compare-and-swap write of the new pair with its event.

use super::error::RotationError;
use super::single_flight::SingleFlight;
use super::stop::{Stop, StopLevel};
use crate::slack::{
    CallError, ClientCredentials, ErrorCode, GrantedToken, Secret, SlackClient, TokenKind,
    TransportError, parse_grant,
};
use crate::store::StoreHandle;
use crate::store::{EventAction, Outcome};
use crate::store::{NewEvent, StoreResult, TokenState, TokenStatus, now_unix};
use std::time::Duration;

/// How hard a refresh tries before it gives up for now.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    /// The longest wait between attempts; a `Retry-After` above it ends the attempts.
    pub max_wait: Duration,
    /// How often a process waiting on another's lease looks again.
    pub poll: Duration,
}

impl RetryPolicy {
    /// Three attempts; never waiting longer between them than one attempt may take (and at
    /// most 10 s), so the lease TTL, which covers all of it, scales with the HTTP timeout.
    pub fn for_timeout(http_timeout: Duration) -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            max_wait: http_timeout.min(Duration::from_secs(10)),
            poll: Duration::from_millis(100),
        }
    }
}

/// The token a caller may use now, and whether this call refreshed it.
#[derive(Debug, Clone)]
pub struct Fresh {
    pub access: Secret,
    pub expires_at: Option<i64>,
    pub refreshed: bool,
}

/// What a connection's token is looked up by, plus what messages need.
#[derive(Debug, Clone)]
pub struct Target {
    pub connection_id: String,
    pub connection_name: String,
    pub app_id: String,
    pub kind: TokenKind,
}

/// How long a caller may be kept waiting for a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// Every attempt, and the holder's whole lease: the caller has no token without it.
    Full,
    /// One attempt, and at most this long waiting on another process's lease: the caller
    /// holds a token that is still valid to fall back on.
    Brief(Duration),
}

/// When a token must be refreshed.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// It expires within this many seconds.
    ExpiresWithin(i64),
    /// Unless it has been rewritten since this generation (a forced refresh).
    NotRewrittenSince(i64),
}

impl Need {
    fn holds(self, state: &TokenState, now: i64) -> bool {
        match self {
            Need::ExpiresWithin(secs) => state.expires_at.is_some_and(|at| at - now <= secs),
            Need::NotRewrittenSince(generation) => state.generation == generation,
        }
    }
}

pub struct Rotator {
    store: StoreHandle,
    pub(super) client: SlackClient,
    pub(super) flights: SingleFlight,
    pub(super) policy: RetryPolicy,
    /// This rotator's lease owner id: unique per process and instance.
    pub(super) owner: String,
    pub(super) stop: Stop,
}

pub(super) fn jitter(max: Duration) -> Duration {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    max.mul_f64(f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX))
}

impl Rotator {
    pub fn new(store: StoreHandle, client: SlackClient, policy: RetryPolicy) -> Rotator {
        let owner = crate::store::lease_owner::this_process();
        Rotator {
            store,
            client,
            flights: SingleFlight::default(),
            policy,
            owner,
            stop: Stop::default(),
        }
    }

    /// Share the process's stop: rotations in flight are counted there, and a second stop
    /// request ends the retries of a save that keeps failing.
    pub fn with_stop(mut self, stop: Stop) -> Rotator {
        self.stop = stop;
        self
    }

    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    pub fn client(&self) -> &SlackClient {
        &self.client
    }

    pub(super) async fn state(&self, target: &Target) -> StoreResult<TokenState> {
        let (id, kind) = (target.connection_id.clone(), target.kind);
        self.store.read(move |s| s.token_state(&id, kind)).await
    }

    pub(super) async fn event(
        &self,
        target: &Target,
        action: EventAction,
        outcome: Outcome,
        old_expires_at: Option<i64>,
        detail: String,
    ) {
        let (id, kind) = (target.connection_id.clone(), target.kind);
        // The event trail is best effort next to the outcome the caller must hear about.
        let _ = self
            .store
            .run(move |s| {
                s.add_event(&NewEvent {
                    connection_id: &id,
                    action,
                    token_kind: Some(kind),
                    outcome,
                    old_expires_at,
                    new_expires_at: None,
                    detail: Some(detail),
                    happened: None,
                })
            })
            .await;
    }

    pub(super) fn fresh(state: TokenState, refreshed: bool) -> Fresh {
        Fresh {
            access: state.access,
            expires_at: state.expires_at,
            refreshed,
        }
    }

    /// Refresh the token if `need` holds, coordinating with every other caller, in this
    /// process or another; return the token to use.
    pub async fn refresh_if(&self, target: &Target, need: Need) -> Result<Fresh, RotationError> {
        self.refresh_with(target, need, Patience::Full).await
    }

    /// `refresh_if`, giving up sooner when `patience` says the caller can do without.
    pub async fn refresh_with(
        &self,
        target: &Target,
        need: Need,
        patience: Patience,
    ) -> Result<Fresh, RotationError> {
        let state = self.state(target).await?;
        if !need.holds(&state, now_unix()) {
            return Ok(Self::fresh(state, false));
        }
        self.check_refreshable(target, &state)?;
        // A refresh anyone finishes after this first look satisfies this caller, whatever
        // the window: otherwise a window longer than the token's life would make every
        // waiter refresh again in turn.
        let first_generation = state.generation;
        let still_needed =
            |s: &TokenState| s.generation == first_generation && need.holds(s, now_unix());
        let flight = self.flights.enter(&target.connection_id, target.kind).await;
        // Only a caller that queued behind another here may find the work done already.
        // One that did not still reads the store once it holds the lease, which catches a
        // refresh finished meanwhile by anyone, here or elsewhere.
        if flight.waited {
            let state = self.state(target).await?;
            if !still_needed(&state) {
                return Ok(Self::fresh(state, false));
            }
        }
        if let Some(done) = self.take_lease(target, &still_needed, patience).await? {
            return Ok(done);
        }
        // Someone may have finished a refresh between our first read and our lease.
        let state = self.state(target).await?;
        if !still_needed(&state) {
            self.release(target).await;
            return Ok(Self::fresh(state, false));
        }
        if let Err(e) = self.check_refreshable(target, &state) {
            self.release(target).await;
            return Err(e);
        }
        self.refresh_holding_lease(target, state, patience).await
    }

    fn check_refreshable(&self, target: &Target, state: &TokenState) -> Result<(), RotationError> {
        let (conn, kind) = (target.connection_name.clone(), target.kind);
        match state.status {
            TokenStatus::NeedsReauth => Err(RotationError::NeedsReauth {
                conn,
                kind,
                reason: state
                    .status_reason
                    .clone()
                    .unwrap_or_else(|| "Slack no longer accepts its refresh token".into()),
            }),
            TokenStatus::Revoked => Err(RotationError::Revoked {
                conn,
                kind,
                code: state.status_reason.clone().unwrap_or_default(),
            }),
            _ if state.refresh.is_none() => Err(RotationError::NotRotating { conn, kind }),
            _ => Ok(()),
        }
    }

    pub(super) async fn credentials(&self, target: &Target) -> StoreResult<ClientCredentials> {
        let app_id = target.app_id.clone();
        self.store.read(move |s| s.app_credentials(&app_id)).await
    }

    async fn refresh_holding_lease(
        &self,
        target: &Target,
        state: TokenState,
        patience: Patience,
    ) -> Result<Fresh, RotationError> {
        let attempts = match patience {
            Patience::Full => self.policy.attempts,
            Patience::Brief(_) => 1,
        };
        let _in_flight = self.stop.enter();
        let creds = match self.ready_to_rotate(target).await {
            Ok(c) => c,
            Err(e) => {
                self.release(target).await;
                return Err(e);
            }
        };
        let refresh = state.refresh.clone().expect("checked refreshable");
        let mut maybe_spent = false;
        let mut attempt = 0;
        let error = loop {
            attempt += 1;
            let params = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
            ];
            // PKCE apps have no secret: the client sends only client_id, as Slack requires.
            // A configuration token rotates with its refresh token alone.
            let answer = match target.kind {
                TokenKind::Config => {
                    self.client
                        .form("tooling.tokens.rotate", &params[1..])
                        .await
                }
                _ => self.client.oauth("oauth.v2.access", &creds, &params).await,
            };
            let error = match answer {
                Ok(answer) => return self.store_refreshed(target, &state, &answer.body).await,
                Err(e) => e,
            };
            // A timeout or a drop may come after Slack already rotated (and spent) the token.
            maybe_spent |= matches!(
                error,
                CallError::Transport(
                    TransportError::Timeout { .. } | TransportError::Dropped { .. }
                )
            );
            let wait = self.retry_wait(&error, attempt, attempts);
            let Some(wait) = wait else { break error };
            self.event(
                target,
                EventAction::Refresh,
                Outcome::Retry,
                state.expires_at,
                format!(
                    "attempt {attempt}: {error}; retrying in {}ms",
                    wait.as_millis()
                ),
            )
            .await;
            tokio::time::sleep(wait).await;
        };
        self.refresh_failed(target, state, error, maybe_spent).await
    }

    /// The app's credentials, once it is safe to ask Slack for a new pair: the process is
    /// not stopping, and the space the pair's save needs is set aside.
    pub(super) async fn ready_to_rotate(
        &self,
        target: &Target,
    ) -> Result<ClientCredentials, RotationError> {
        if self.stop.level() >= StopLevel::Finish {
            return Err(RotationError::Stopping {
                conn: target.connection_name.clone(),
                kind: target.kind,
            });
        }
        self.store.run(|s| s.reserve_space()).await?;
        Ok(self.credentials(target).await?)
    }

    /// How long to wait before another attempt, or `None` to stop.
    fn retry_wait(&self, error: &CallError, attempt: u32, attempts: u32) -> Option<Duration> {
        if !error.is_transient() || attempt >= attempts {
            return None;
        }
        let wait = match error.api().and_then(|e| e.retry_after) {
            Some(secs) => Duration::from_secs(secs) + jitter(Duration::from_millis(250)),
            None => {
                let base = Duration::from_millis(500) * 2u32.pow(attempt - 1);
                base + jitter(base / 2)
            }
        };
        (wait <= self.policy.max_wait).then_some(wait)
    }

    async fn store_refreshed(
        &self,
        target: &Target,
        old: &TokenState,
        body: &serde_json::Value,
    ) -> Result<Fresh, RotationError> {
        let granted = match granted_token(body, target.kind) {
            Ok(g) => g,
            Err(e) => {
                self.release(target).await;
                return Err(e);
            }
        };
        self.commit(target, old, granted, EventAction::Refresh)
            .await
    }

    async fn refresh_failed(
        &self,
        target: &Target,
        state: TokenState,
        error: CallError,
        maybe_spent: bool,
    ) -> Result<Fresh, RotationError> {
        let (conn, kind) = (target.connection_name.clone(), target.kind);
        let code = error.api().map(|e| e.code.clone());
        self.event(
            target,
            EventAction::Refresh,
            Outcome::failed(code.as_ref()),
            state.expires_at,
            error.to_string(),
        )
        .await;
        let result = match code {
            Some(ErrorCode::InvalidRefreshToken) => {
                // Another process may have rotated it after all (say, our lease had lapsed).
                let now = self.state(target).await?;
                if now.generation != state.generation {
                    self.release(target).await;
                    return Ok(Self::fresh(now, false));
                }
                let reason = if maybe_spent {
                    "Slack spent the refresh token but its answer never arrived (the connection dropped or timed out), and refresh tokens work once"
                } else {
                    "Slack no longer accepts its refresh token (invalid_refresh_token: used elsewhere or revoked)"
                };
                self.mark(target, TokenStatus::NeedsReauth, reason).await?;
                Err(RotationError::NeedsReauth {
                    conn,
                    kind,
                    reason: reason.to_owned(),
                })
            }
            Some(ErrorCode::TokenRevoked | ErrorCode::AccountInactive | ErrorCode::InvalidAuth) => {
                let code = error
                    .api()
                    .map(|e| e.code.as_str().to_owned())
                    .unwrap_or_default();
                self.mark(target, TokenStatus::Revoked, &code).await?;
                Err(RotationError::Revoked { conn, kind, code })
            }
            Some(ref c) if c.app_credentials_fix().is_some() => {
                Err(RotationError::AppCredentials {
                    conn,
                    code: c.as_str().to_owned(),
                    hint: c.app_credentials_fix().expect("checked"),
                })
            }
            _ if error.is_transient() => Err(RotationError::Transient { conn, kind, error }),
            _ => Err(RotationError::Slack(error)),
        };
        self.release(target).await;
        result
    }

    pub(super) async fn mark(
        &self,
        target: &Target,
        status: TokenStatus,
        reason: &str,
    ) -> StoreResult<()> {
        let (id, kind, reason) = (target.connection_id.clone(), target.kind, reason.to_owned());
        self.store
            .run(move |s| s.set_token_status(&id, kind, status, Some(&reason)))
            .await
    }
}

/// The token of `kind` in a refresh or exchange answer (flat shape; `token_type` decides).
pub(super) fn granted_token(
    body: &serde_json::Value,
    kind: TokenKind,
) -> Result<GrantedToken, RotationError> {
    let grant = parse_grant(body).map_err(|e| RotationError::BadAnswer {
        kind,
        detail: e.to_string(),
    })?;
    let granted = grant
        .tokens
        .into_iter()
        .find(|t| t.kind == kind)
        .ok_or_else(|| RotationError::BadAnswer {
            kind,
            detail: "it answered for the other kind of token".into(),
        })?;
    if granted.refresh.is_none() {
        return Err(RotationError::BadAnswer {
            kind,
            detail: "no refresh_token came with the access token".into(),
        });
    }
    Ok(granted)
}
