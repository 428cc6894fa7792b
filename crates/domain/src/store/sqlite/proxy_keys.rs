//! Proxy keys: a keyed digest of each key (never the key), its connection and token kind,
//! and how much it has been used.

use super::SqliteStore;
use super::columns::{opt_text, text};
use crate::slack::Secret;
use crate::store::backend::ProxyKeyStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::key_scope::KeyScope;
use crate::store::model::{KeyKind, KeyTarget, ProxyKey, ProxyUse, new_id, now_unix};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Row, params};
use subtle::ConstantTimeEq;

const COLUMNS: &str = "k.id, k.connection_id, c.name, k.kind, k.label, k.created_at, k.last_used_at, k.requests, k.failures, k.app_id, a.name, k.held, k.absorbed, k.methods, k.channels, k.read_only, k.expires_at, k.refused";

/// Keys with what they stand for: a connection, or an app.
const TABLES: &str = "proxy_keys k LEFT JOIN connections c ON c.id = k.connection_id LEFT JOIN apps a ON a.id = k.app_id";

impl ToSql for KeyKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for KeyKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e: String| FromSqlError::Other(e.into()))
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<ProxyKey> {
    Ok(ProxyKey {
        id: text(r, 0)?,
        connection_id: opt_text(r, 1)?,
        connection: opt_text(r, 2)?,
        app_id: opt_text(r, 9)?,
        app: opt_text(r, 10)?,
        held: r.get(11)?,
        absorbed: r.get(12)?,
        kind: r.get(3)?,
        label: opt_text(r, 4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        requests: r.get(7)?,
        failures: r.get(8)?,
        refused: r.get(17)?,
        scope: KeyScope::from_columns(opt_text(r, 13)?, opt_text(r, 14)?, r.get(15)?, r.get(16)?),
    })
}

fn no_key(id: &str) -> StoreError {
    StoreError::NotFound(format!(
        "no proxy key {:?}; `xox proxy key list` shows them",
        crate::text::one_line(id)
    ))
}

impl ProxyKeyStore for SqliteStore {
    fn add_proxy_key(
        &mut self,
        target: KeyTarget<'_>,
        kind: KeyKind,
        label: Option<&str>,
        key: &Secret,
        scope: &KeyScope,
    ) -> StoreResult<ProxyKey> {
        let id = new_id('k');
        let (connection_id, app_id) = target.columns();
        let (methods, channels) = scope.list_columns();
        // The new row is read back in the same transaction, by its id alone.
        self.write(|tx, cipher| {
            tx.execute(
                "INSERT INTO proxy_keys (id, connection_id, app_id, kind, label, digest, created_at, methods, channels, read_only, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![id, connection_id, app_id, kind, label, cipher.digest(key.expose()), now_unix(),
                        methods, channels, scope.read_only, scope.expires_at],
            )?;
            Ok(tx.query_row(
                &format!("SELECT {COLUMNS} FROM {TABLES} WHERE k.id = ?1"),
                [&id],
                from_row,
            )?)
        })
    }

    fn proxy_keys(&self) -> StoreResult<Vec<ProxyKey>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM {TABLES} ORDER BY k.created_at, k.id"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query_map([], from_row).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// The key whose digest is `key`'s, if any. The index finds the row; the digests are
    /// then compared in constant time, so the answer's timing says nothing about how close
    /// a guess came.
    fn proxy_key(&self, key: &Secret) -> StoreResult<Option<ProxyKey>> {
        let digest = self.cipher.digest(key.expose());
        let found = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS}, k.digest FROM {TABLES} WHERE k.digest = ?1"),
                [&digest],
                |r| Ok((from_row(r)?, r.get::<_, Vec<u8>>(18)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(found.and_then(|(key, stored)| bool::from(stored.ct_eq(&digest)).then_some(key)))
    }

    fn set_proxy_key_scope(&mut self, id: &str, scope: &KeyScope) -> StoreResult<ProxyKey> {
        let (methods, channels) = scope.list_columns();
        self.write(|tx, _| {
            let changed = tx.execute(
                "UPDATE proxy_keys SET methods = ?2, channels = ?3, read_only = ?4, expires_at = ?5 WHERE id = ?1",
                params![id, methods, channels, scope.read_only, scope.expires_at],
            )?;
            if changed == 0 {
                return Err(no_key(id));
            }
            Ok(tx.query_row(
                &format!("SELECT {COLUMNS} FROM {TABLES} WHERE k.id = ?1"),
                [id],
                from_row,
            )?)
        })
    }

    fn revoke_proxy_key(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            if tx.execute("DELETE FROM proxy_keys WHERE id = ?1", [id])? == 0 {
                return Err(no_key(id));
            }
            Ok(())
        })
    }

    /// Add what the proxy counted for a key since it last said.
    fn count_proxy_use(&mut self, id: &str, counted: ProxyUse, at: i64) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "UPDATE proxy_keys SET requests = requests + ?2, failures = failures + ?3,
                                       held = held + ?4, absorbed = absorbed + ?5,
                                       refused = refused + ?7,
                                       last_used_at = MAX(COALESCE(last_used_at, 0), ?6)
                 WHERE id = ?1",
                params![
                    id,
                    counted.requests as i64,
                    counted.failures as i64,
                    counted.held as i64,
                    counted.absorbed as i64,
                    at,
                    counted.refused as i64
                ],
            )?;
            Ok(())
        })
    }
}
