//! The storage seam: everything the engine, rotation, calls and login keep goes through
//! `Backend`, whatever holds it (the SQLite file today; a shared server for fleets).

use super::error::StoreResult;
use super::model::{
    App, CallPayload, CallState, Connection, Event, HeldElsewhere, KeyKind, KeyTarget, NewApp,
    NewCall, NewEvent, ProxyKey, ProxyUse, RecordedCall, TokenStatus,
};
use crate::slack::grant::IncomingWebhook;
use crate::slack::{ClientCredentials, Grant, GrantedToken, Scopes, Secret, TokenKind};
use crate::store::hooks::{
    ClaimScope, DeliveryState, Hook, HookDelivery, HookNotice, NewHook, TryResult,
};
use crate::store::key_scope::KeyScope;
use crate::store::{EventAction, Outcome};
use std::time::Duration;

/// Opens another session on a store: see [`Backend::session_maker`].
pub type SessionMaker = Box<dyn Fn() -> StoreResult<Box<dyn Backend>> + Send + Sync>;

/// A token as the refresher sees it: decrypted, with the generation to compare against.
#[derive(Debug, Clone)]
pub struct TokenState {
    pub generation: i64,
    pub expires_at: Option<i64>,
    pub status: TokenStatus,
    pub status_reason: Option<String>,
    pub access: Secret,
    pub refresh: Option<Secret>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The new pair is stored, with this expiry.
    Written { expires_at: Option<i64> },
    /// Another writer got there first (the generation moved); the stored pair is theirs.
    Superseded,
}

/// A rotating token that enters its refresh window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueToken {
    pub connection_id: String,
    pub connection_name: String,
    pub kind: TokenKind,
    pub expires_at: i64,
    pub team_id: Option<String>,
    pub app_id: String,
}

/// What asking for the refresh lock of a token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Ours: it was free, had lapsed, or was ours already.
    Taken,
    /// Ours, taken from a holder whose process has exited (its owner id).
    TakenFromGone(String),
    /// Someone else holds it.
    Busy,
}

/// One store of apps, connections, tokens (with their generation), refresh locks, events and
/// recorded calls: the topic traits below, which each backend implements in the file of the
/// same topic. Calls block (disk, or a server round trip), so async code reaches a backend
/// only through [`super::StoreHandle`], which runs them on the blocking pool.
pub trait Backend:
    AppStore
    + ConnectionStore
    + TokenStore
    + RefreshLock
    + EventStore
    + CallStore
    + ProxyKeyStore
    + InstallStore
    + RateHolds
    + HookStore
    + Send
{
    /// Where the store lives, as a person reads it (a path, a redacted URL).
    fn location(&self) -> String;
    /// Changes whenever another process commits; compared, never interpreted.
    fn change_stamp(&self) -> StoreResult<i64>;
    /// A feed that ticks on every commit anywhere, for backends that can push changes;
    /// `None` means callers poll `change_stamp`.
    fn change_feed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
    /// A maker of more sessions on the same store, for a process that serves many callers
    /// at once; `None` where one is all there is (a file, whose writers take turns anyway).
    fn session_maker(&self) -> Option<SessionMaker> {
        None
    }
    /// What opening changed that the user should hear about once (a loose file mode
    /// tightened), handed over a single time.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Registered apps and their sealed client secrets.
pub trait AppStore {
    fn add_app(&mut self, app: NewApp) -> StoreResult<App>;
    fn update_app(&mut self, id: &str, app: NewApp) -> StoreResult<App>;
    fn remove_app(&mut self, id: &str) -> StoreResult<()>;
    fn apps(&self) -> StoreResult<Vec<App>>;
    fn app(&self, name_or_id: &str) -> StoreResult<App>;
    fn app_secret(&self, app: &App) -> StoreResult<Option<Secret>>;
    /// Slack's signing secret for the app's requests, if one was given.
    fn app_signing_secret(&self, app: &App) -> StoreResult<Option<Secret>>;
    /// The client id and secret of the app with id `app_id`, for a token call.
    fn app_credentials(&self, app_id: &str) -> StoreResult<ClientCredentials> {
        let app = self.app(app_id)?;
        Ok(ClientCredentials {
            client_secret: self.app_secret(&app)?,
            client_id: app.client_id,
        })
    }
}

/// Connections: what an install or an import stored, found by name or id.
pub trait ConnectionStore {
    /// Store the tokens of `grant` under connection `name` (created if new), with one event
    /// per token, in one transaction. Tokens the grant does not carry are kept.
    fn save_grant(
        &mut self,
        app: &App,
        name: &str,
        grant: &Grant,
        action: EventAction,
        held: HeldElsewhere,
    ) -> StoreResult<Connection>;
    fn connection(&self, name_or_id: &str) -> StoreResult<Connection>;
    fn connections(&self) -> StoreResult<Vec<Connection>>;
    /// Remove a connection and its tokens; its events and recorded calls stay.
    fn remove_connection(&mut self, connection_id: &str) -> StoreResult<()>;
    /// The connection's incoming webhook (its URL is a secret), if its install had one.
    fn incoming_webhook(&self, connection_id: &str) -> StoreResult<Option<IncomingWebhook>>;
}

/// A connection's tokens: decrypted on request, their scopes and status, and which are due.
pub trait TokenStore: ConnectionStore {
    fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret>;
    /// The connection `name_or_id` and, when `pick` names one of its tokens, that token's
    /// access token: what `xox token` reads, which a server backend reads in one statement.
    fn connection_with_token(
        &self,
        name_or_id: &str,
        pick: &dyn Fn(&Connection) -> Option<TokenKind>,
    ) -> StoreResult<(Connection, Option<Secret>)> {
        let connection = self.connection(name_or_id)?;
        let token = match pick(&connection) {
            Some(kind) => Some(self.access_token(&connection.id, kind)?),
            None => None,
        };
        Ok((connection, token))
    }
    fn set_token_scopes(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        scopes: &Scopes,
    ) -> StoreResult<()>;
    fn set_token_status(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        status: TokenStatus,
        reason: Option<&str>,
    ) -> StoreResult<()>;
    fn token_state(&self, connection_id: &str, kind: TokenKind) -> StoreResult<TokenState>;
    /// Rotating tokens that expire before `before`, not waiting for a re-auth, soonest first.
    fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>>;
    /// The soonest expiry at or after `after` among tokens that rotation looks after.
    fn next_expiry(&self, after: i64) -> StoreResult<Option<i64>>;
}

/// The refresh lock of a token, `try_lease` … `commit_rotation` / `release_lease`: a backend
/// may hold it as a row with a TTL (SQLite) or as a session lock on a connection of its own
/// that it keeps across the HTTP call (a server that frees it when the holder dies).
/// Waiters are woken by `change_feed` where the backend can push changes, and poll
/// otherwise.
pub trait RefreshLock {
    /// Take the refresh lock of (connection, kind) for `ttl` if it is free.
    fn try_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
        ttl: Duration,
    ) -> StoreResult<Lease>;
    fn release_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
    ) -> StoreResult<()>;
    /// Set aside what `commit_rotation` needs, before Slack is asked for a new pair: a pair
    /// Slack has issued must never fail to land for lack of space.
    fn reserve_space(&mut self) -> StoreResult<()>;
    /// Store a new pair only if the token is still at `expected_generation`, with its event,
    /// and release the lock, all in one transaction (`super::commit`).
    fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome>;
}

/// The append-only event trail of every connection.
pub trait EventStore {
    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()>;
    fn events(&self, connection_id: &str) -> StoreResult<Vec<Event>>;
    /// The id of the connection last removed under `name`, whose trail stays.
    fn removed_connection(&self, name: &str) -> StoreResult<Option<String>>;
    /// How many events of `action` the trail holds, by outcome: every host's, ever.
    fn event_counts(&self, action: EventAction) -> StoreResult<Vec<(Outcome, i64)>>;
    /// When each event of `action` since `since` happened, and how it went, oldest first:
    /// every connection's.
    fn event_times(&self, action: EventAction, since: i64) -> StoreResult<Vec<(i64, Outcome)>>;
}

/// Failed calls, kept to be explained and replayed.
pub trait CallStore {
    fn record_call(&mut self, call: &NewCall<'_>) -> StoreResult<i64>;
    fn set_call_state(&mut self, id: i64, state: CallState) -> StoreResult<()>;
    fn calls(&self) -> StoreResult<Vec<RecordedCall>>;
    fn call(&self, id: i64) -> StoreResult<RecordedCall>;
    fn call_payload(&self, id: i64) -> StoreResult<CallPayload>;
}

/// The proxy's keys, kept as keyed digests.
pub trait ProxyKeyStore {
    fn add_proxy_key(
        &mut self,
        target: KeyTarget<'_>,
        kind: KeyKind,
        label: Option<&str>,
        key: &Secret,
        scope: &KeyScope,
    ) -> StoreResult<ProxyKey>;
    /// Change what a key may do.
    fn set_proxy_key_scope(&mut self, id: &str, scope: &KeyScope) -> StoreResult<ProxyKey>;
    fn proxy_keys(&self) -> StoreResult<Vec<ProxyKey>>;
    /// The key matching `key`, compared by keyed digest in constant time.
    fn proxy_key(&self, key: &Secret) -> StoreResult<Option<ProxyKey>>;
    fn revoke_proxy_key(&mut self, id: &str) -> StoreResult<()>;
    fn count_proxy_use(&mut self, id: &str, counted: ProxyUse, at: i64) -> StoreResult<()>;
}

/// A connection that may serve an app's request for one workspace or org: see
/// [`super::rules::pick_install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallCandidate {
    pub connection_id: String,
    /// The workspace's own install (the id is its team, and it is not org-wide).
    pub own_workspace: bool,
    /// The org-wide install of the enterprise the id names.
    pub whole_org: bool,
    /// An org-wide install that covers the workspace the id names.
    pub covering_org: bool,
    pub authed_user_id: Option<String>,
    pub has_bot: bool,
    pub has_user: bool,
}

/// Distributed apps: which install serves a workspace, the workspaces an org-wide install
/// covers, and what was seen already (Slack's requests, install states).
pub trait InstallStore {
    /// The connections of app `app_id` that may serve `id` (a team or an enterprise id).
    fn install_candidates(&self, app_id: &str, id: &str) -> StoreResult<Vec<InstallCandidate>>;
    /// Replace the workspaces an org-wide install covers.
    fn set_covered_teams(&mut self, connection_id: &str, teams: &[String]) -> StoreResult<()>;
    /// A keyed digest of `text` under the store's key: what seals an install's state,
    /// which nobody without the key can make.
    fn keyed_digest(&self, text: &str) -> Vec<u8>;
    /// Whether `fingerprint` is new: it is kept until `until`, and a second sight is `false`.
    fn first_sight(&mut self, fingerprint: &str, until: i64, now: i64) -> StoreResult<bool>;
}

/// A hold the governor of some proxy on this store put on an (install, method).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateHold {
    pub connection_id: String,
    pub method: String,
    /// Unix milliseconds.
    pub until_ms: i64,
}

impl RateHold {
    /// What the hooks hear when a hold begins: Slack's 429 for the pair.
    pub fn notice(&self, now_ms: i64) -> HookNotice {
        let wait = (self.until_ms - now_ms).max(0).saturating_add(999) / 1000;
        HookNotice::rate_limited(&self.connection_id, &self.method, wait, now_ms / 1000)
    }
}

/// The governor's holds, shared by every proxy on the store: one host's 429 holds the pair
/// on them all.
pub trait RateHolds {
    /// Hold the pair until `hold.until_ms` (a later hold already there stands); holds past
    /// by `now_ms` are dropped. A hold where none stood is `rate_limited` news for hooks.
    fn put_rate_hold(&mut self, hold: &RateHold, now_ms: i64) -> StoreResult<()>;
    /// The holds still standing at `now_ms`.
    fn rate_holds(&self, now_ms: i64) -> StoreResult<Vec<RateHold>>;
}

/// Hooks on token events and their deliveries. A delivery is recorded in the transaction
/// of what it tells of (a status change, an event, an install), once per hook and
/// happening, and tried by whoever claims it: on a server, one host of the fleet.
pub trait HookStore {
    /// Store a hook; a URL hook's signing `secret` is sealed with it.
    fn add_hook(&mut self, hook: &NewHook<'_>, secret: Option<&Secret>) -> StoreResult<Hook>;
    fn hooks(&self) -> StoreResult<Vec<Hook>>;
    fn hook_secret(&self, id: &str) -> StoreResult<Option<Secret>>;
    /// Remove a hook and its deliveries, finished or not.
    fn remove_hook(&mut self, id: &str) -> StoreResult<()>;
    /// Record `notice` for each hook that listens to its event; how many were recorded.
    fn record_notice(&mut self, notice: &HookNotice) -> StoreResult<usize>;
    /// Record a test delivery for hook `id`; its delivery id.
    fn record_test(&mut self, id: &str) -> StoreResult<i64>;
    /// Record `expiring` for tokens that end within the hour and cannot be refreshed, and
    /// forget deliveries finished long ago.
    fn record_expiring(&mut self, now: i64) -> StoreResult<usize>;
    /// Claim up to `limit` deliveries of `scope` for this process, at `now_ms`.
    fn claim_deliveries(
        &mut self,
        scope: ClaimScope,
        now_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<HookDelivery>>;
    /// What a claimed try came to; with `last`, a failure is not tried again.
    fn finish_delivery(
        &mut self,
        delivery: &HookDelivery,
        result: &TryResult,
        last: bool,
        now_ms: i64,
    ) -> StoreResult<DeliveryState>;
    /// Deliveries kept, by state: every host's.
    fn delivery_counts(&self) -> StoreResult<Vec<(DeliveryState, i64)>>;
}
