//! Registered Slack apps: client id, sealed client secret, redirect URI, default scopes.

use super::SqliteStore;
use crate::slack::{Scopes, Secret};
use crate::store::backend::AppStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{App, NewApp, new_id, now_unix};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "id, name, client_id, client_secret IS NOT NULL, pkce, redirect_uri, bot_scopes, user_scopes, created_at, rotation, signing_secret IS NOT NULL, forward_to";

use crate::store::sealed::{secret_aad, signing_aad};

fn from_row(r: &Row<'_>) -> rusqlite::Result<App> {
    Ok(App {
        id: r.get(0)?,
        name: r.get(1)?,
        client_id: r.get(2)?,
        has_secret: r.get(3)?,
        pkce: r.get(4)?,
        redirect_uri: r.get(5)?,
        bot_scopes: Scopes::parse(&r.get::<_, String>(6)?),
        user_scopes: Scopes::parse(&r.get::<_, String>(7)?),
        created_at: r.get(8)?,
        rotation: r.get(9)?,
        has_signing_secret: r.get(10)?,
        forward_to: super::columns::opt_text(r, 11)?,
    })
}

impl AppStore for SqliteStore {
    fn add_app(&mut self, app: NewApp) -> StoreResult<App> {
        let id = new_id('a');
        let name = app.name.clone();
        self.write(|tx, cipher| {
            let exists: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM apps WHERE name = ?1)", [&name], |r| r.get(0))?;
            if exists {
                return Err(StoreError::Conflict(format!("an app named {name:?} exists already; `xox app set {name}` changes its settings")));
            }
            let (sealed, signing) = crate::store::sealed::seal_app_secrets(cipher, &id, &app);
            tx.execute(
                "INSERT INTO apps (id, name, client_id, client_secret, pkce, redirect_uri, bot_scopes, user_scopes, created_at, rotation, signing_secret, forward_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![id, app.name, app.client_id, sealed, app.pkce, app.redirect_uri,
                        app.bot_scopes.to_csv(), app.user_scopes.to_csv(), now_unix(), app.rotation,
                        signing, app.forward_to],
            )
            ?;
            Ok(())
        })?;
        self.app(&name)
    }

    /// Replace every setting of app `id` (its name stays), the client secret included: the
    /// caller passes the one to keep.
    fn update_app(&mut self, id: &str, app: NewApp) -> StoreResult<App> {
        self.write(|tx, cipher| {
            let (sealed, signing) = crate::store::sealed::seal_app_secrets(cipher, id, &app);
            let changed = tx.execute(
                "UPDATE apps SET client_id = ?2, client_secret = ?3, pkce = ?4, redirect_uri = ?5,
                                 bot_scopes = ?6, user_scopes = ?7, rotation = ?8,
                                 signing_secret = ?9, forward_to = ?10
                 WHERE id = ?1",
                params![
                    id,
                    app.client_id,
                    sealed,
                    app.pkce,
                    app.redirect_uri,
                    app.bot_scopes.to_csv(),
                    app.user_scopes.to_csv(),
                    app.rotation,
                    signing,
                    app.forward_to
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound("that app is gone already".into()));
            }
            Ok(())
        })?;
        self.app(id)
    }

    /// Remove app `id`. Refused while a connection uses it: the check and the delete share
    /// one transaction, so a connection another process adds meanwhile is not orphaned.
    fn remove_app(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            let used: i64 = tx.query_row(
                "SELECT COUNT(*) FROM connections WHERE app_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if used > 0 {
                return Err(StoreError::Conflict(format!(
                    "{used} connection(s) use this app"
                )));
            }
            tx.execute("DELETE FROM apps WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    fn apps(&self) -> StoreResult<Vec<App>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM apps ORDER BY name"))
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query_map([], from_row).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// An app by name or id.
    fn app(&self, name_or_id: &str) -> StoreResult<App> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM apps WHERE name = ?1 OR id = ?1"),
                [name_or_id],
                from_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no app named {name_or_id:?}; `xox app list` shows them, `xox app add` registers one"
                ))
            })
    }

    fn app_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        self.sealed_app_column(app, "client_secret", &secret_aad(&app.id))
    }

    fn app_signing_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        self.sealed_app_column(app, "signing_secret", &signing_aad(&app.id))
    }
}

impl SqliteStore {
    /// One of an app's sealed secrets (`column` is one of ours, never input), opened.
    fn sealed_app_column(&self, app: &App, column: &str, aad: &str) -> StoreResult<Option<Secret>> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row(
                &format!("SELECT {column} FROM apps WHERE id = ?1"),
                [&app.id],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        sealed
            .map(|blob| self.cipher.open_secret(aad, &blob))
            .transpose()
    }
}
