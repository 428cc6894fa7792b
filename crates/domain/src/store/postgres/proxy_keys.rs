//! Proxy keys on PostgreSQL: kept as keyed digests, found in constant time.

use super::PostgresStore;
use super::rows::{self, KEY_COLUMNS, KEY_TABLES};
use crate::slack::Secret;
use crate::store::backend::ProxyKeyStore;
use crate::store::error::{StoreError, StoreResult};
use crate::store::key_scope::KeyScope;
use crate::store::model::{KeyKind, KeyTarget, ProxyKey, ProxyUse, new_id, now_unix};
use subtle::ConstantTimeEq;

impl ProxyKeyStore for PostgresStore {
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
        self.write(|tx, cipher| {
            tx.execute(
                "INSERT INTO proxy_keys (id, connection_id, app_id, kind, label, digest, created_at, methods, channels, read_only, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[&id, &connection_id, &app_id, &kind.as_str(), &label, &cipher.digest(key.expose()), &now_unix(),
                  &methods, &channels, &scope.read_only, &scope.expires_at],
            )?;
            rows::proxy_key(&tx.query_one(
                &format!("SELECT {KEY_COLUMNS} FROM {KEY_TABLES} WHERE k.id = $1"),
                &[&id],
            )?)
        })
    }

    fn proxy_keys(&self) -> StoreResult<Vec<ProxyKey>> {
        self.db()?
            .query(
                &format!("SELECT {KEY_COLUMNS} FROM {KEY_TABLES} ORDER BY k.created_at, k.id"),
                &[],
            )?
            .iter()
            .map(rows::proxy_key)
            .collect()
    }

    fn proxy_key(&self, key: &Secret) -> StoreResult<Option<ProxyKey>> {
        let digest = self.cipher.digest(key.expose());
        let found = self.db()?.query_opt(
            &format!("SELECT {KEY_COLUMNS}, k.digest FROM {KEY_TABLES} WHERE k.digest = $1"),
            &[&digest],
        )?;
        let Some(row) = found else { return Ok(None) };
        let stored: Vec<u8> = row.get(18);
        // Compared in constant time, as in the file, whatever the index already matched.
        if bool::from(stored.ct_eq(&digest)) {
            Ok(Some(rows::proxy_key(&row)?))
        } else {
            Ok(None)
        }
    }

    fn set_proxy_key_scope(&mut self, id: &str, scope: &KeyScope) -> StoreResult<ProxyKey> {
        let (methods, channels) = scope.list_columns();
        self.write(|tx, _| {
            let changed = tx.execute(
                "UPDATE proxy_keys SET methods = $2, channels = $3, read_only = $4, expires_at = $5 WHERE id = $1",
                &[&id, &methods, &channels, &scope.read_only, &scope.expires_at],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "no proxy key {:?}; `xox proxy key list` shows them",
                    crate::text::one_line(id)
                )));
            }
            rows::proxy_key(&tx.query_one(
                &format!("SELECT {KEY_COLUMNS} FROM {KEY_TABLES} WHERE k.id = $1"),
                &[&id],
            )?)
        })
    }

    fn revoke_proxy_key(&mut self, id: &str) -> StoreResult<()> {
        self.write(|tx, _| {
            if tx.execute("DELETE FROM proxy_keys WHERE id = $1", &[&id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "no proxy key {id:?}; `xox proxy key list` shows them"
                )));
            }
            Ok(())
        })
    }

    fn count_proxy_use(&mut self, id: &str, counted: ProxyUse, at: i64) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "UPDATE proxy_keys SET requests = requests + $2, failures = failures + $3,
                        held = held + $4, absorbed = absorbed + $5, refused = refused + $7,
                        last_used_at = GREATEST(COALESCE(last_used_at, 0), $6)
                 WHERE id = $1",
                &[
                    &id,
                    &(counted.requests as i64),
                    &(counted.failures as i64),
                    &(counted.held as i64),
                    &(counted.absorbed as i64),
                    &at,
                    &(counted.refused as i64),
                ],
            )?;
            Ok(())
        })
    }
}
