//! Connections on PostgreSQL: an install's or an import's tokens saved in one transaction,
//! read back by name or id, removed with their trail kept.

use super::rows::{self, CONNECTION_COLUMNS, TOKEN_COLUMNS};
use super::{PostgresStore, tokens};
use crate::slack::Grant;
use crate::slack::grant::IncomingWebhook;
use crate::store::EventAction;
use crate::store::backend::{ConnectionStore, TokenStore};
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{
    App, Connection, HeldElsewhere, TokenInfo, check_name, new_id, now_unix,
};
use std::collections::HashMap;

impl ConnectionStore for PostgresStore {
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
                    incoming_webhook = COALESCE($9, incoming_webhook), updated_at = $10,
                    enterprise_install = enterprise_install OR $11
                 WHERE id = $1",
                &[&id, &grant.team_id, &grant.team_name, &grant.enterprise_id, &grant.enterprise_name,
                  &grant.slack_app_id, &grant.bot_user_id, &grant.authed_user_id, &webhook, &now,
                  &grant.is_enterprise_install],
            )?;
            for granted in &grant.tokens {
                let old = tokens::previous(tx, &id, granted.kind)?;
                let new_expiry = tokens::write(tx, cipher, &id, granted, held)?;
                let old_expiry = old.and_then(|o| o.expires_at);
                tokens::insert_event(tx, &crate::store::sealed::granted_event(&id, action, granted, old_expiry, new_expiry))?;
            }
            if let Some(notice) = crate::store::hooks::HookNotice::installed(&id, action) {
                super::hooks::record(tx, &notice)?;
            }
            Ok(id)
        })?;
        self.connection(&id)
    }

    fn connection(&self, name_or_id: &str) -> StoreResult<Connection> {
        Ok(self.connection_with_token(name_or_id, &|_| None)?.0)
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
            let name: Option<String> = tx
                .query_opt(
                    "SELECT name FROM connections WHERE id = $1",
                    &[&connection_id],
                )?
                .map(|r| r.get(0));
            tokens::insert_event(
                tx,
                &crate::store::sealed::removed_event(connection_id, name),
            )?;
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
}
