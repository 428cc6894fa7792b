//! Connections: one Slack install (app + workspace + installing user) holding bot and user tokens.

use super::columns::{opt_text, text};
use super::events::insert as insert_event;
use super::{SqliteStore, tokens};
use crate::slack::Grant;
use crate::slack::grant::IncomingWebhook;
use crate::store::EventAction;
use crate::store::backend::ConnectionStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{App, Connection, HeldElsewhere, TokenInfo, new_id, now_unix};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use std::collections::HashMap;

const COLUMNS: &str = "c.id, c.name, c.app_id, a.name, c.team_id, c.team_name, c.enterprise_id, c.enterprise_name,
    c.slack_app_id, c.bot_user_id, c.authed_user_id, c.incoming_webhook IS NOT NULL, c.created_at, c.updated_at, c.enterprise_install,
    (SELECT group_concat(t.team_id, ' ') FROM covered_teams t WHERE t.connection_id = c.id)";

/// Text columns are cleaned on the way out: another program may have written the file.
fn from_row(r: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: text(r, 0)?,
        name: text(r, 1)?,
        app_id: text(r, 2)?,
        app_name: text(r, 3)?,
        team_id: opt_text(r, 4)?,
        team_name: opt_text(r, 5)?,
        enterprise_id: opt_text(r, 6)?,
        enterprise_name: opt_text(r, 7)?,
        slack_app_id: opt_text(r, 8)?,
        bot_user_id: opt_text(r, 9)?,
        authed_user_id: opt_text(r, 10)?,
        has_incoming_webhook: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        enterprise_install: r.get(14)?,
        covered_teams: crate::store::rules::team_list(opt_text(r, 15)?.as_deref()),
        tokens: Vec::new(),
    })
}

struct Existing {
    id: String,
    app_id: String,
    team_id: Option<String>,
    authed_user_id: Option<String>,
}

fn existing(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<Option<Existing>> {
    tx.query_row(
        "SELECT id, app_id, team_id, authed_user_id FROM connections WHERE name = ?1",
        [name],
        |r| {
            Ok(Existing {
                id: r.get(0)?,
                app_id: r.get(1)?,
                team_id: r.get(2)?,
                authed_user_id: r.get(3)?,
            })
        },
    )
    .optional()
}

impl ConnectionStore for SqliteStore {
    /// Store the tokens of `grant` under connection `name` (created if new), with one event
    /// per token, all in one transaction. Tokens the grant does not carry are kept.
    fn save_grant(
        &mut self,
        app: &App,
        name: &str,
        grant: &Grant,
        action: EventAction,
        held: HeldElsewhere,
    ) -> StoreResult<Connection> {
        crate::store::model::check_name(name)?;
        let now = now_unix();
        let id = self.write(|tx, cipher| {
            let id = match existing(tx, name)? {
                Some(old) => {
                    crate::store::rules::check_same_install(
                        name,
                        app,
                        &old.app_id,
                        &old.team_id,
                        &old.authed_user_id,
                        grant,
                    )?;
                    old.id
                }
                None => {
                    let id = new_id('c');
                    tx.execute(
                        "INSERT INTO connections (id, name, app_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![id, name, app.id, now],
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
                    team_id = COALESCE(?2, team_id), team_name = COALESCE(?3, team_name),
                    enterprise_id = COALESCE(?4, enterprise_id), enterprise_name = COALESCE(?5, enterprise_name),
                    slack_app_id = COALESCE(?6, slack_app_id), bot_user_id = COALESCE(?7, bot_user_id),
                    authed_user_id = COALESCE(?8, authed_user_id),
                    incoming_webhook = COALESCE(?9, incoming_webhook), updated_at = ?10,
                    enterprise_install = enterprise_install OR ?11
                 WHERE id = ?1",
                params![id, grant.team_id, grant.team_name, grant.enterprise_id, grant.enterprise_name,
                        grant.slack_app_id, grant.bot_user_id, grant.authed_user_id, webhook, now,
                        grant.is_enterprise_install],
            )?;
            for granted in &grant.tokens {
                let old = tokens::previous(tx, &id, granted.kind)?;
                let new_expiry = tokens::write(tx, cipher, &id, granted, now, held)?;
                let old_expiry = old.and_then(|o| o.expires_at);
                insert_event(tx, &crate::store::sealed::granted_event(&id, action, granted, old_expiry, new_expiry))?;
            }
            if let Some(notice) = crate::store::hooks::HookNotice::installed(&id, action) {
                super::hooks::record(tx, &notice)?;
            }
            Ok(id)
        })?;
        self.connection(&id)
    }

    /// A connection by name or id, with its tokens.
    fn connection(&self, name_or_id: &str) -> StoreResult<Connection> {
        let mut conn = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections c JOIN apps a ON a.id = c.app_id WHERE c.name = ?1 OR c.id = ?1 ORDER BY c.name = ?1 DESC"),
                [name_or_id],
                from_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no connection named {name_or_id:?}; `xox list` shows them"))
            })?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM tokens WHERE connection_id = ?1 ORDER BY kind",
                tokens::COLUMNS
            ))
            .map_err(|e| self.sql(e))?;
        conn.tokens = stmt
            .query_map([&conn.id], tokens::from_row)
            .map_err(|e| self.sql(e))?
            .map(|r| r.map(|(_, t)| t))
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(e))?;
        Ok(conn)
    }

    /// Every connection with its tokens, by name: two queries, whatever the count.
    fn connections(&self) -> StoreResult<Vec<Connection>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM connections c JOIN apps a ON a.id = c.app_id ORDER BY c.name"
            ))
            .map_err(|e| self.sql(e))?;
        let mut all: Vec<Connection> = stmt
            .query_map([], from_row)
            .map_err(|e| self.sql(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(e))?;
        let mut tokens_by_conn: HashMap<String, Vec<TokenInfo>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM tokens ORDER BY kind",
                tokens::COLUMNS
            ))
            .map_err(|e| self.sql(e))?;
        for row in stmt
            .query_map([], tokens::from_row)
            .map_err(|e| self.sql(e))?
        {
            let (id, token) = row.map_err(|e| self.sql(e))?;
            tokens_by_conn.entry(id).or_default().push(token);
        }
        for c in &mut all {
            c.tokens = tokens_by_conn.remove(&c.id).unwrap_or_default();
        }
        Ok(all)
    }

    /// The connection's incoming webhook, decrypted, if its install carried one.
    fn incoming_webhook(&self, connection_id: &str) -> StoreResult<Option<IncomingWebhook>> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT incoming_webhook FROM connections WHERE id = ?1",
                [connection_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .flatten();
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self
            .cipher
            .open_string(&crate::store::sealed::webhook_aad(connection_id), &sealed)?;
        crate::store::rules::webhook_from_json(&plain)
    }

    /// Remove a connection and its tokens, in one transaction with a `remove` event. Its
    /// events and recorded calls stay, shown as belonging to a removed connection.
    fn remove_connection(&mut self, connection_id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            let name: Option<String> = tx
                .query_row(
                    "SELECT name FROM connections WHERE id = ?1",
                    [connection_id],
                    |r| r.get(0),
                )
                .optional()?;
            insert_event(
                tx,
                &crate::store::sealed::removed_event(connection_id, name),
            )?;
            tx.execute(
                "DELETE FROM leases WHERE connection_id = ?1",
                [connection_id],
            )?;
            let removed = tx.execute("DELETE FROM connections WHERE id = ?1", [connection_id])?;
            if removed == 0 {
                return Err(StoreError::NotFound(
                    "that connection is gone already".into(),
                ));
            }
            Ok(())
        })
    }
}
