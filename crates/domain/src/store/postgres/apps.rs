//! Registered apps on PostgreSQL, their client secrets sealed under the app's id.

use super::PostgresStore;
use super::rows::{self, APP_COLUMNS};
use crate::slack::{ClientCredentials, Secret};
use crate::store::backend::AppStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{App, NewApp, new_id, now_unix};
use postgres::types::Type;

use crate::store::sealed::{seal_app_secrets, secret_aad, signing_aad};

impl AppStore for PostgresStore {
    fn add_app(&mut self, app: NewApp) -> StoreResult<App> {
        let id = new_id('a');
        let (sealed, signing) = seal_app_secrets(&self.cipher, &id, &app);
        self.write(|tx, _| {
            let exists: bool = tx
                .query_one("SELECT EXISTS (SELECT 1 FROM apps WHERE name = $1)", &[&app.name])?
                .get(0);
            if exists {
                let name = &app.name;
                return Err(StoreError::Conflict(format!("an app named {name:?} exists already; `xox app set {name}` changes its settings")));
            }
            tx.execute(
                "INSERT INTO apps (id, name, client_id, client_secret, pkce, redirect_uri, bot_scopes, user_scopes, created_at, rotation, signing_secret, forward_to)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[&id, &app.name, &app.client_id, &sealed, &app.pkce, &app.redirect_uri,
                  &app.bot_scopes.to_csv(), &app.user_scopes.to_csv(), &now_unix(), &app.rotation,
                  &signing, &app.forward_to],
            )?;
            Ok(())
        })?;
        self.app(&id)
    }

    fn update_app(&mut self, id: &str, app: NewApp) -> StoreResult<App> {
        let (sealed, signing) = seal_app_secrets(&self.cipher, id, &app);
        self.write(|tx, _| {
            let changed = tx.execute(
                "UPDATE apps SET client_id = $2, client_secret = $3, pkce = $4, redirect_uri = $5,
                                 bot_scopes = $6, user_scopes = $7, rotation = $8,
                                 signing_secret = $9, forward_to = $10
                 WHERE id = $1",
                &[
                    &id,
                    &app.client_id,
                    &sealed,
                    &app.pkce,
                    &app.redirect_uri,
                    &app.bot_scopes.to_csv(),
                    &app.user_scopes.to_csv(),
                    &app.rotation,
                    &signing,
                    &app.forward_to,
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound("that app is gone already".into()));
            }
            Ok(())
        })?;
        self.app(id)
    }

    fn remove_app(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            let used: i64 = tx
                .query_one("SELECT COUNT(*) FROM connections WHERE app_id = $1", &[&id])?
                .get(0);
            if used > 0 {
                return Err(StoreError::Conflict(format!(
                    "{used} connection(s) use this app"
                )));
            }
            tx.execute("DELETE FROM apps WHERE id = $1", &[&id])?;
            Ok(())
        })
    }

    fn apps(&self) -> StoreResult<Vec<App>> {
        Ok(self
            .db()?
            .query(
                &format!("SELECT {APP_COLUMNS} FROM apps ORDER BY name"),
                &[],
            )?
            .iter()
            .map(rows::app)
            .collect())
    }

    fn app(&self, name_or_id: &str) -> StoreResult<App> {
        self.db()?
            .query_typed_opt(
                &format!("SELECT {APP_COLUMNS} FROM apps WHERE name = $1 OR id = $1"),
                &[(&name_or_id, Type::TEXT)],
            )?
            .map(|r| rows::app(&r))
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no app named {name_or_id:?}; `xox app list` shows them, `xox app add` registers one"
                ))
            })
    }

    /// One statement where the seam's default takes two: every refresh reads these.
    fn app_credentials(&self, app_id: &str) -> StoreResult<ClientCredentials> {
        let row = self
            .db()?
            .query_typed_opt(
                "SELECT client_id, client_secret FROM apps WHERE id = $1",
                &[(&app_id, Type::TEXT)],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("no app with id {app_id:?}")))?;
        Ok(ClientCredentials {
            client_id: row.get(0),
            client_secret: row
                .get::<_, Option<Vec<u8>>>(1)
                .map(|blob| self.open_secret(&secret_aad(app_id), &blob))
                .transpose()?,
        })
    }

    fn app_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        Ok(self.app_credentials(&app.id)?.client_secret)
    }

    fn app_signing_secret(&self, app: &App) -> StoreResult<Option<Secret>> {
        self.db()?
            .query_typed_opt(
                "SELECT signing_secret FROM apps WHERE id = $1",
                &[(&app.id, Type::TEXT)],
            )?
            .and_then(|row| row.get::<_, Option<Vec<u8>>>(0))
            .map(|blob| self.open_secret(&signing_aad(&app.id), &blob))
            .transpose()
    }
}
