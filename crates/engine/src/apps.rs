//! Reading and registering what the store holds: apps, connections, their event trails, and
//! a watch for other processes' writes.

use super::{Engine, EngineError, EngineResult};
use crate::slack::Secret;
use crate::slack::grant::IncomingWebhook;
use crate::store::{App, Connection, Event, NewApp, STANDALONE_APP, StoreError, StoreResult};
use std::sync::Arc;
use std::time::Duration;

/// How often the store is asked whether another process wrote to it.
const CHANGE_POLL: Duration = Duration::from_secs(1);

impl Engine {
    /// The app that tokens imported without `--app` are kept under (made on first use):
    /// they belong to no OAuth app xox knows, so nothing refreshes or exchanges them.
    pub(super) async fn standalone_app(&self) -> EngineResult<App> {
        Ok(self
            .store()
            .run(|s| match s.app(STANDALONE_APP) {
                Ok(app) => Ok(app),
                Err(_) => s.add_app(NewApp {
                    name: STANDALONE_APP.into(),
                    client_id: "-".into(),
                    client_secret: None,
                    pkce: false,
                    rotation: false,
                    redirect_uri: "http://localhost:8976/callback".into(),
                    bot_scopes: Default::default(),
                    user_scopes: Default::default(),
                    signing_secret: None,
                    forward_to: None,
                }),
            })
            .await?)
    }

    pub async fn apps(&self) -> EngineResult<Vec<App>> {
        Ok(self.store().run(|s| s.apps()).await?)
    }

    pub async fn app(&self, name_or_id: &str) -> EngineResult<App> {
        let name = name_or_id.to_owned();
        Ok(self.store().run(move |s| s.app(&name)).await?)
    }

    pub(super) async fn app_secret(&self, app: &App) -> EngineResult<Option<Secret>> {
        let app = app.clone();
        Ok(self.store().run(move |s| s.app_secret(&app)).await?)
    }

    pub(super) async fn app_signing_secret(&self, app: &App) -> EngineResult<Option<Secret>> {
        let app = app.clone();
        Ok(self
            .store()
            .run(move |s| s.app_signing_secret(&app))
            .await?)
    }

    pub async fn connections(&self) -> EngineResult<Vec<Connection>> {
        Ok(self.store().run(|s| s.connections()).await?)
    }

    pub async fn connection(&self, name_or_id: &str) -> EngineResult<Connection> {
        let name = name_or_id.to_owned();
        Ok(self.store().run(move |s| s.connection(&name)).await?)
    }

    /// Remove a connection and its tokens, revoking each live one at Slack first when
    /// `revoke` says so. A revoke that fails stops the removal, so no live token is left
    /// behind unknown. Returns the removed connection.
    pub async fn remove(&self, name_or_id: &str, revoke: bool) -> EngineResult<Connection> {
        let connection = self.connection(name_or_id).await?;
        if revoke {
            for token in &connection.tokens {
                if token.status != crate::store::TokenStatus::Revoked {
                    self.revoke(&connection.id, Some(token.kind)).await?;
                }
            }
        }
        let id = connection.id.clone();
        self.store().run(move |s| s.remove_connection(&id)).await?;
        Ok(connection)
    }

    /// The connection's incoming webhook (its URL is a secret: anyone holding it can post).
    pub async fn webhook(&self, name_or_id: &str) -> EngineResult<IncomingWebhook> {
        let name = name_or_id.to_owned();
        let (connection, hook) = self
            .store()
            .run(move |s| -> StoreResult<_> {
                let connection = s.connection(&name)?;
                let hook = s.incoming_webhook(&connection.id)?;
                Ok((connection, hook))
            })
            .await?;
        hook.ok_or(EngineError::NoWebhook {
            conn: connection.name,
        })
    }

    /// A connection's event trail, oldest first.
    pub async fn events(&self, name_or_id: &str) -> EngineResult<Vec<Event>> {
        let name = name_or_id.to_owned();
        Ok(self
            .store()
            .run(move |s| match s.connection(&name) {
                Ok(conn) => s.events(&conn.id),
                // A removed connection's trail stays: found by its last name, or its id.
                Err(StoreError::NotFound(why)) => {
                    let id = s.removed_connection(&name)?.unwrap_or_else(|| name.clone());
                    let events = s.events(&id)?;
                    if events.is_empty() {
                        return Err(StoreError::NotFound(why));
                    }
                    Ok(events)
                }
                Err(e) => Err(e),
            })
            .await?)
    }

    /// Call `on_change` whenever another process commits to the store, from a task of its
    /// own, so that no caller ever waits on the store to find out: pushed by a server
    /// store, polled on a file. Ends with the task.
    pub fn watch_changes(
        self: &Arc<Self>,
        on_change: impl Fn() + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            if let Some(mut feed) = engine.store().run(|s| s.change_feed()).await {
                // Pushed: the server tells every listener of each commit, so nothing polls.
                // A burst of commits while a reload runs is seen once, after it.
                while feed.changed().await.is_ok() {
                    on_change();
                }
                return;
            }
            let mut last = None;
            let mut tick = tokio::time::interval(CHANGE_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let stamp = engine.store().run(|s| s.change_stamp().ok()).await;
                if last.is_some() && stamp != last {
                    on_change();
                }
                last = stamp;
            }
        })
    }
}
