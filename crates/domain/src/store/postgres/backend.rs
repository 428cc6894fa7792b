//! `PostgresStore` behind the storage seam: the same rows as the file, sealed the same way.

use super::rows::{self, CONNECTION_COLUMNS, EVENT_COLUMNS, TOKEN_COLUMNS};
use super::{PostgresStore, tokens};
use crate::slack::grant::IncomingWebhook;
use crate::slack::{ClientCredentials, Grant, GrantedToken, Scopes, Secret, TokenKind};
use crate::store::EventAction;
use crate::store::backend::{Backend, CommitOutcome, DueToken, Lease, TokenState};
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{
    App, CallPayload, CallState, Connection, Event, HeldElsewhere, KeyKind, NewApp, NewCall,
    NewEvent, ProxyKey, RecordedCall, TokenInfo, TokenStatus, check_name, new_id, now_unix,
};
use postgres::types::Type;
use std::collections::HashMap;
use std::time::Duration;

fn no_token(kind: TokenKind) -> StoreError {
    StoreError::NotFound(format!("the connection has no {kind} token"))
}

impl PostgresStore {
    pub(super) fn open_secret(&self, aad: &str, blob: &[u8]) -> StoreResult<Secret> {
        Ok(Secret::new(self.cipher.open_string(aad, blob)?.as_str()))
    }
}

impl Backend for PostgresStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    /// The newest transaction id the server has begun: it moves with every commit, ours
    /// or another host's (and with other databases' too, which costs a reload, no more).
    fn change_stamp(&self) -> StoreResult<i64> {
        let row = self.db()?.query_one(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
            &[],
        )?;
        Ok(row.get(0))
    }

    fn session_maker(&self) -> Option<crate::store::backend::SessionMaker> {
        let make = PostgresStore::session_maker(self);
        Some(Box::new(move || Ok(Box::new(make()?) as Box<dyn Backend>)))
    }

    fn change_feed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(
            self.shared
                .feed
                .get_or_init(|| super::feed::listen(self.server.clone(), self.channel()))
                .clone(),
        )
    }

    fn take_notices(&mut self) -> Vec<String> {
        PostgresStore::take_notices(self)
    }

    fn add_app(&mut self, app: NewApp) -> StoreResult<App> {
        PostgresStore::add_app(self, app)
    }

    fn add_proxy_key(
        &mut self,
        connection_id: &str,
        kind: KeyKind,
        label: Option<&str>,
        key: &Secret,
    ) -> StoreResult<ProxyKey> {
        PostgresStore::add_proxy_key(self, connection_id, kind, label, key)
    }

    fn proxy_keys(&self) -> StoreResult<Vec<ProxyKey>> {
        PostgresStore::proxy_keys(self)
    }

    fn proxy_key(&self, key: &Secret) -> StoreResult<Option<ProxyKey>> {
        PostgresStore::proxy_key(self, key)
    }

    fn revoke_proxy_key(&mut self, id: &str) -> StoreResult<()> {
        PostgresStore::revoke_proxy_key(self, id)
    }

    fn count_proxy_use(
        &mut self,
        id: &str,
        requests: u64,
        failures: u64,
        at: i64,
    ) -> StoreResult<()> {
        PostgresStore::count_proxy_use(self, id, requests, failures, at)
    }

    fn update_app(&mut self, id: &str, app: NewApp) -> StoreResult<App> {
        PostgresStore::update_app(self, id, app)
    }

    fn remove_app(&mut self, id: &str) -> StoreResult<()> {
        PostgresStore::remove_app(self, id)
    }

    fn apps(&self) -> StoreResult<Vec<App>> {
        PostgresStore::apps(self)
    }

    fn app(&self, name_or_id: &str) -> StoreResult<App> {
        PostgresStore::app(self, name_or_id)
    }

    fn app_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        PostgresStore::app_secret(self, app)
    }

    fn app_credentials(&self, app_id: &str) -> StoreResult<ClientCredentials> {
        PostgresStore::app_credentials(self, app_id)
    }

    fn save_grant(
        &mut self,
        app: &App,
        name: &str,
        grant: &Grant,
        action: EventAction,
        held: HeldElsewhere,
    ) -> StoreResult<Connection> {
        check_name(name)?;
        let now = now_unix();
        let id = self.write(|tx, cipher| {
            let existing = tx.query_opt(
                "SELECT id, app_id, team_id, authed_user_id FROM connections WHERE name = $1 FOR UPDATE",
                &[&name],
            )?;
            let id = match existing {
                Some(old) => {
                    crate::store::rules::check_same_install(
                        name,
                        app,
                        &old.get::<_, String>(1),
                        &old.get(2),
                        &old.get(3),
                        grant,
                    )?;
                    old.get(0)
                }
                None => {
                    let id = new_id('c');
                    tx.execute(
                        "INSERT INTO connections (id, name, app_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
                        &[&id, &name, &app.id, &now],
                    )?;
                    id
                }
            };
            let webhook = grant
                .incoming_webhook
                .as_ref()
                .map(|hook| crate::store::sealed::seal_webhook(cipher, &id, hook));
            // COALESCE: a refresh answer carries fewer facts than an install; keep what we knew.
            tx.execute(
                "UPDATE connections SET
                    team_id = COALESCE($2, team_id), team_name = COALESCE($3, team_name),
                    enterprise_id = COALESCE($4, enterprise_id), enterprise_name = COALESCE($5, enterprise_name),
                    slack_app_id = COALESCE($6, slack_app_id), bot_user_id = COALESCE($7, bot_user_id),
                    authed_user_id = COALESCE($8, authed_user_id),
                    incoming_webhook = COALESCE($9, incoming_webhook), updated_at = $10
                 WHERE id = $1",
                &[&id, &grant.team_id, &grant.team_name, &grant.enterprise_id, &grant.enterprise_name,
                  &grant.slack_app_id, &grant.bot_user_id, &grant.authed_user_id, &webhook, &now],
            )?;
            for granted in &grant.tokens {
                let old = tokens::previous(tx, &id, granted.kind)?;
                let new_expiry = tokens::write(tx, cipher, &id, granted, held)?;
                let old_expiry = old.and_then(|o| o.expires_at);
                tokens::insert_event(tx, &crate::store::sealed::granted_event(&id, action, granted, old_expiry, new_expiry))?;
            }
            Ok(id)
        })?;
        self.connection(&id)
    }

    fn connection(&self, name_or_id: &str) -> StoreResult<Connection> {
        Ok(self.connection_with_token(name_or_id, &|_| None)?.0)
    }

    /// One statement: the connection, its tokens and their sealed access tokens, one row
    /// per token. Each table a new session reads first costs the server catalogue lookups,
    /// so `xox token` gains more from one statement here than a round trip's worth.
    fn connection_with_token(
        &self,
        name_or_id: &str,
        pick: &dyn Fn(&Connection) -> Option<TokenKind>,
    ) -> StoreResult<(Connection, Option<Secret>)> {
        let found = self.db()?.query_typed(
            &format!(
                "SELECT {CONNECTION_COLUMNS}, {TOKEN_COLUMNS}, t.access_token
                 FROM connections c JOIN apps a ON a.id = c.app_id
                 LEFT JOIN tokens t ON t.connection_id = c.id
                 WHERE c.name = $1 OR c.id = $1
                 ORDER BY c.name = $1 DESC, c.id, t.kind"
            ),
            &[(&name_or_id, Type::TEXT)],
        )?;
        let first = found.first().ok_or_else(|| {
            StoreError::NotFound(format!(
                "no connection named {name_or_id:?}; `xox list` shows them"
            ))
        })?;
        let mut connection = rows::connection(first);
        // A name that is another connection's id matches two: the named one comes first.
        let token_at = rows::CONNECTION_WIDTH;
        let mut sealed = Vec::new();
        for row in found
            .iter()
            .filter(|r| r.get::<_, &str>(0) == connection.id)
        {
            if row.get::<_, Option<&str>>(token_at).is_none() {
                continue;
            }
            let (_, token) = rows::token(row, token_at)?;
            sealed.push((
                token.kind,
                row.get::<_, Vec<u8>>(token_at + rows::TOKEN_WIDTH),
            ));
            connection.tokens.push(token);
        }
        let token = match pick(&connection) {
            None => None,
            Some(kind) => {
                let (_, blob) = sealed
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .ok_or_else(|| no_token(kind))?;
                Some(self.open_secret(
                    &crate::store::sealed::token_aad(&connection.id, kind, "access"),
                    blob,
                )?)
            }
        };
        Ok((connection, token))
    }

    fn connections(&self) -> StoreResult<Vec<Connection>> {
        let mut db = self.db()?;
        let mut all: Vec<Connection> = db
            .query(
                &format!("SELECT {CONNECTION_COLUMNS} FROM connections c JOIN apps a ON a.id = c.app_id ORDER BY c.name"),
                &[],
            )?
            .iter()
            .map(rows::connection)
            .collect();
        let mut by_connection: HashMap<String, Vec<TokenInfo>> = HashMap::new();
        for row in db.query(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens t ORDER BY kind"),
            &[],
        )? {
            let (id, token) = rows::token(&row, 0)?;
            by_connection.entry(id).or_default().push(token);
        }
        for c in &mut all {
            c.tokens = by_connection.remove(&c.id).unwrap_or_default();
        }
        Ok(all)
    }

    fn remove_connection(&mut self, connection_id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            tokens::insert_event(tx, &crate::store::sealed::removed_event(connection_id))?;
            if tx.execute("DELETE FROM connections WHERE id = $1", &[&connection_id])? == 0 {
                return Err(StoreError::NotFound(
                    "that connection is gone already".into(),
                ));
            }
            Ok(())
        })
    }

    fn incoming_webhook(&self, connection_id: &str) -> StoreResult<Option<IncomingWebhook>> {
        let sealed: Option<Vec<u8>> = self
            .db()?
            .query_opt(
                "SELECT incoming_webhook FROM connections WHERE id = $1",
                &[&connection_id],
            )?
            .and_then(|r| r.get(0));
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self
            .cipher
            .open_string(&crate::store::sealed::webhook_aad(connection_id), &sealed)?;
        crate::store::rules::webhook_from_json(&plain)
    }

    fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret> {
        let blob = tokens::sealed(&mut *self.db()?, connection_id, kind, "access_token")?
            .ok_or_else(|| no_token(kind))?;
        self.open_secret(
            &crate::store::sealed::token_aad(connection_id, kind, "access"),
            &blob,
        )
    }

    fn set_token_scopes(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        scopes: &Scopes,
    ) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "UPDATE tokens SET scopes = $3 WHERE connection_id = $1 AND kind = $2",
                &[&connection_id, &kind.as_str(), &scopes.to_csv()],
            )?;
            Ok(())
        })
    }

    fn set_token_status(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        status: TokenStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        self.write(|tx, _| {
            let changed = tx.execute(
                "UPDATE tokens SET status = $3, status_reason = $4 WHERE connection_id = $1 AND kind = $2",
                &[&connection_id, &kind.as_str(), &status.as_str(), &reason],
            )?;
            if changed == 0 {
                return Err(no_token(kind));
            }
            Ok(())
        })
    }

    /// One statement: the refresher reads this before and after taking the lock.
    fn token_state(&self, connection_id: &str, kind: TokenKind) -> StoreResult<TokenState> {
        let row = self
            .db()?
            .query_typed_opt(
                "SELECT generation, expires_at, status, status_reason, access_token, refresh_token
                 FROM tokens WHERE connection_id = $1 AND kind = $2",
                &[(&connection_id, Type::TEXT), (&kind.as_str(), Type::TEXT)],
            )?
            .ok_or_else(|| no_token(kind))?;
        let aad = |part| crate::store::sealed::token_aad(connection_id, kind, part);
        Ok(TokenState {
            generation: row.get(0),
            expires_at: row.get(1),
            status: super::rows::stored(row.get(2))?,
            status_reason: row
                .get::<_, Option<String>>(3)
                .map(crate::text::into_one_line),
            access: self.open_secret(&aad("access"), &row.get::<_, Vec<u8>>(4))?,
            refresh: row
                .get::<_, Option<Vec<u8>>>(5)
                .map(|blob| self.open_secret(&aad("refresh"), &blob))
                .transpose()?,
        })
    }

    fn try_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
        ttl: Duration,
    ) -> StoreResult<Lease> {
        PostgresStore::try_lease(self, connection_id, kind, owner, ttl)
    }

    fn release_lease(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        owner: &str,
    ) -> StoreResult<()> {
        PostgresStore::release_lease(self, connection_id, kind, owner)
    }

    /// Nothing to set aside: the server, not a disk of ours, keeps the pair.
    fn reserve_space(&mut self) -> StoreResult<()> {
        Ok(())
    }

    fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome> {
        PostgresStore::commit_rotation(
            self,
            connection_id,
            granted,
            expected_generation,
            action,
            lease_owner,
        )
    }

    fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>> {
        self.db()?
            .query(
                "SELECT t.connection_id, c.name, t.kind, t.expires_at, c.team_id, c.app_id
                 FROM tokens t JOIN connections c ON c.id = t.connection_id
                 WHERE t.expires_at IS NOT NULL AND t.expires_at < $1 AND t.refresh_token IS NOT NULL
                   AND t.status NOT IN ('needs_reauth', 'revoked')
                 ORDER BY t.expires_at",
                &[&before],
            )?
            .iter()
            .map(|r| {
                Ok(DueToken {
                    connection_id: r.get(0),
                    connection_name: r.get(1),
                    kind: rows::kind(r.get(2))?,
                    expires_at: r.get(3),
                    team_id: r.get(4),
                    app_id: r.get(5),
                })
            })
            .collect()
    }

    fn next_expiry(&self, after: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .db()?
            .query_one(
                "SELECT MIN(expires_at) FROM tokens WHERE expires_at >= $1 AND refresh_token IS NOT NULL
                 AND status NOT IN ('needs_reauth', 'revoked')",
                &[&after],
            )?
            .get(0))
    }

    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        self.write(|tx, _| tokens::insert_event(tx, event))
    }

    fn events(&self, connection_id: &str) -> StoreResult<Vec<Event>> {
        self.db()?
            .query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE connection_id = $1 ORDER BY at, id"
                ),
                &[&connection_id],
            )?
            .iter()
            .map(rows::event)
            .collect()
    }

    fn record_call(&mut self, call: &NewCall<'_>) -> StoreResult<i64> {
        PostgresStore::record_call(self, call)
    }

    fn set_call_state(&mut self, id: i64, state: CallState) -> StoreResult<()> {
        PostgresStore::set_call_state(self, id, state)
    }

    fn calls(&self) -> StoreResult<Vec<RecordedCall>> {
        PostgresStore::calls(self)
    }

    fn call(&self, id: i64) -> StoreResult<RecordedCall> {
        PostgresStore::call(self, id)
    }

    fn call_payload(&self, id: i64) -> StoreResult<CallPayload> {
        PostgresStore::call_payload(self, id)
    }
}
