//! `SqliteStore` behind the storage seam: each call goes to the file's own code.

use super::SqliteStore;
use crate::slack::grant::IncomingWebhook;
use crate::slack::{Grant, GrantedToken, Scopes, Secret, TokenKind};
use crate::store::EventAction;
use crate::store::backend::{Backend, CommitOutcome, DueToken, Lease, TokenState};
use crate::store::error::StoreResult;
use crate::store::model::{
    App, CallPayload, CallState, Connection, Event, HeldElsewhere, KeyKind, NewApp, NewCall,
    NewEvent, ProxyKey, RecordedCall, TokenStatus,
};
use std::time::Duration;

impl Backend for SqliteStore {
    fn location(&self) -> String {
        self.path().display().to_string()
    }
    fn change_stamp(&self) -> StoreResult<i64> {
        self.data_version()
    }
    fn add_app(&mut self, app: NewApp) -> StoreResult<App> {
        SqliteStore::add_app(self, app)
    }
    fn add_proxy_key(
        &mut self,
        connection_id: &str,
        kind: KeyKind,
        label: Option<&str>,
        key: &Secret,
    ) -> StoreResult<ProxyKey> {
        SqliteStore::add_proxy_key(self, connection_id, kind, label, key)
    }
    fn proxy_keys(&self) -> StoreResult<Vec<ProxyKey>> {
        SqliteStore::proxy_keys(self)
    }
    fn proxy_key(&self, key: &Secret) -> StoreResult<Option<ProxyKey>> {
        SqliteStore::proxy_key(self, key)
    }
    fn revoke_proxy_key(&mut self, id: &str) -> StoreResult<()> {
        SqliteStore::revoke_proxy_key(self, id)
    }
    fn count_proxy_use(
        &mut self,
        id: &str,
        requests: u64,
        failures: u64,
        at: i64,
    ) -> StoreResult<()> {
        SqliteStore::count_proxy_use(self, id, requests, failures, at)
    }
    fn update_app(&mut self, id: &str, app: NewApp) -> StoreResult<App> {
        SqliteStore::update_app(self, id, app)
    }
    fn remove_app(&mut self, id: &str) -> StoreResult<()> {
        SqliteStore::remove_app(self, id)
    }
    fn apps(&self) -> StoreResult<Vec<App>> {
        SqliteStore::apps(self)
    }
    fn app(&self, name_or_id: &str) -> StoreResult<App> {
        SqliteStore::app(self, name_or_id)
    }
    fn app_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        SqliteStore::app_secret(self, app)
    }
    fn save_grant(
        &mut self,
        app: &App,
        name: &str,
        grant: &Grant,
        action: EventAction,
        held: HeldElsewhere,
    ) -> StoreResult<Connection> {
        SqliteStore::save_grant(self, app, name, grant, action, held)
    }
    fn connection(&self, name_or_id: &str) -> StoreResult<Connection> {
        SqliteStore::connection(self, name_or_id)
    }
    fn remove_connection(&mut self, connection_id: &str) -> StoreResult<()> {
        SqliteStore::remove_connection(self, connection_id)
    }
    fn incoming_webhook(&self, connection_id: &str) -> StoreResult<Option<IncomingWebhook>> {
        SqliteStore::incoming_webhook(self, connection_id)
    }
    fn connections(&self) -> StoreResult<Vec<Connection>> {
        SqliteStore::connections(self)
    }
    fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret> {
        SqliteStore::access_token(self, connection_id, kind)
    }
    fn set_token_scopes(&mut self, id: &str, kind: TokenKind, scopes: &Scopes) -> StoreResult<()> {
        SqliteStore::set_token_scopes(self, id, kind, scopes)
    }
    fn set_token_status(
        &mut self,
        id: &str,
        kind: TokenKind,
        status: TokenStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        SqliteStore::set_token_status(self, id, kind, status, reason)
    }
    fn token_state(&self, connection_id: &str, kind: TokenKind) -> StoreResult<TokenState> {
        SqliteStore::token_state(self, connection_id, kind)
    }
    fn try_lease(
        &mut self,
        id: &str,
        kind: TokenKind,
        owner: &str,
        ttl: Duration,
    ) -> StoreResult<Lease> {
        SqliteStore::try_lease(self, id, kind, owner, ttl)
    }
    fn release_lease(&mut self, id: &str, kind: TokenKind, owner: &str) -> StoreResult<()> {
        SqliteStore::release_lease(self, id, kind, owner)
    }
    fn take_notices(&mut self) -> Vec<String> {
        SqliteStore::take_notices(self)
    }
    fn reserve_space(&mut self) -> StoreResult<()> {
        SqliteStore::reserve_space(self)
    }
    fn commit_rotation(
        &mut self,
        id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome> {
        SqliteStore::commit_rotation(self, id, granted, expected_generation, action, lease_owner)
    }
    fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>> {
        SqliteStore::due_tokens(self, before)
    }
    fn next_expiry(&self, after: i64) -> StoreResult<Option<i64>> {
        SqliteStore::next_expiry(self, after)
    }
    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        SqliteStore::add_event(self, event)
    }
    fn events(&self, connection_id: &str) -> StoreResult<Vec<Event>> {
        SqliteStore::events(self, connection_id)
    }
    fn record_call(&mut self, call: &NewCall<'_>) -> StoreResult<i64> {
        SqliteStore::record_call(self, call)
    }
    fn set_call_state(&mut self, id: i64, state: CallState) -> StoreResult<()> {
        SqliteStore::set_call_state(self, id, state)
    }
    fn calls(&self) -> StoreResult<Vec<RecordedCall>> {
        SqliteStore::calls(self)
    }
    fn call(&self, id: i64) -> StoreResult<RecordedCall> {
        SqliteStore::call(self, id)
    }
    fn call_payload(&self, id: i64) -> StoreResult<CallPayload> {
        SqliteStore::call_payload(self, id)
    }
}
