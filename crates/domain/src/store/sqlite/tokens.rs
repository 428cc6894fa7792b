//! Token rows: sealed access and refresh tokens with their kind, type, scopes and expiry.

use super::SqliteStore;
use crate::slack::{GrantedToken, Scopes, Secret, TokenKind, TokenType};
use crate::store::backend::{DueToken, TokenState, TokenStore};
use crate::store::cipher::Cipher;
use crate::store::commit::Previous;
use crate::store::error::{StoreError, StoreResult};
use crate::store::hooks::HookNotice;
use crate::store::model::{HeldElsewhere, TokenInfo, TokenStatus};
use rusqlite::{OptionalExtension, Row, Transaction, params};

pub(super) const COLUMNS: &str = "connection_id, kind, token_type, scopes, expires_at, rotating, refresh_token IS NOT NULL, generation, status, status_reason, redacted, updated_at";

use crate::store::sealed::{self, token_aad as aad};

/// Read a row selected with [`COLUMNS`]; returns the connection id beside the token.
pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<(String, TokenInfo)> {
    Ok((
        r.get(0)?,
        TokenInfo {
            kind: r.get(1)?,
            token_type: TokenType::parse(&r.get::<_, String>(2)?),
            scopes: Scopes::parse(&r.get::<_, String>(3)?),
            expires_at: r.get(4)?,
            rotating: r.get(5)?,
            has_refresh_token: r.get(6)?,
            generation: r.get(7)?,
            status: r.get(8)?,
            status_reason: r.get(9)?,
            redacted: r.get(10)?,
            updated_at: r.get(11)?,
        },
    ))
}

pub(super) fn previous(
    tx: &Transaction<'_>,
    connection_id: &str,
    kind: TokenKind,
) -> rusqlite::Result<Option<Previous>> {
    tx.query_row(
        "SELECT expires_at, generation FROM tokens WHERE connection_id = ?1 AND kind = ?2",
        params![connection_id, kind],
        |r| {
            Ok(Previous {
                expires_at: r.get(0)?,
                generation: r.get(1)?,
            })
        },
    )
    .optional()
}

/// Token slots other than `(connection_id, kind)` that hold a token with one of these
/// digests: (connection id, connection name, kind).
fn holders(
    tx: &Transaction<'_>,
    connection_id: &str,
    kind: TokenKind,
    access: &[u8],
    refresh: Option<&[u8]>,
) -> rusqlite::Result<Vec<(String, String, TokenKind)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT t.connection_id, c.name, t.kind FROM tokens t JOIN connections c ON c.id = t.connection_id
         WHERE (t.access_digest = ?1 OR t.refresh_digest = ?2)
           AND NOT (t.connection_id = ?3 AND t.kind = ?4)",
    )?;
    let rows = stmt.query_map(params![access, refresh, connection_id, kind], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect()
}

/// Keep a token in one place: refuse it when another connection holds it, or take it from
/// that connection, leaving an event there that says where it went.
fn claim(
    tx: &Transaction<'_>,
    connection_id: &str,
    kind: TokenKind,
    digests: (&[u8], Option<&[u8]>),
    held: HeldElsewhere,
) -> StoreResult<()> {
    for (owner_id, owner, owner_kind) in holders(tx, connection_id, kind, digests.0, digests.1)? {
        if held == HeldElsewhere::Refuse {
            return Err(StoreError::HeldElsewhere { owner, kind });
        }
        let here: String = tx.query_row(
            "SELECT name FROM connections WHERE id = ?1",
            [connection_id],
            |r| r.get(0),
        )?;
        tx.execute(
            "DELETE FROM tokens WHERE connection_id = ?1 AND kind = ?2",
            params![owner_id, owner_kind],
        )?;
        super::events::insert(tx, &sealed::moved_event(&owner_id, owner_kind, &here))?;
    }
    Ok(())
}

/// Insert or replace the token in `granted.kind`'s slot, sealed, with the generation bumped.
/// Returns the new expiry. A grant without a refresh token keeps no old refresh token.
pub(super) fn write(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    now: i64,
    held: HeldElsewhere,
) -> StoreResult<Option<i64>> {
    let kind = granted.kind;
    let stored = sealed::seal_token(cipher, connection_id, granted, now);
    claim(
        tx,
        connection_id,
        kind,
        (&stored.access_digest, stored.refresh_digest.as_deref()),
        held,
    )?;
    let generation = previous(tx, connection_id, kind)?.map_or(0, |p| p.generation) + 1;
    tx.execute(
        "INSERT INTO tokens (connection_id, kind, token_type, access_token, refresh_token, redacted, scopes,
                             expires_at, rotating, generation, status, status_reason, updated_at,
                             access_digest, refresh_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'ok', NULL, ?11, ?12, ?13)
         ON CONFLICT (connection_id, kind) DO UPDATE SET
             token_type = excluded.token_type, access_token = excluded.access_token,
             refresh_token = excluded.refresh_token, redacted = excluded.redacted,
             access_digest = excluded.access_digest, refresh_digest = excluded.refresh_digest,
             scopes = excluded.scopes, expires_at = excluded.expires_at,
             rotating = excluded.rotating, generation = excluded.generation,
             status = 'ok', status_reason = NULL, updated_at = excluded.updated_at",
        params![
            connection_id,
            kind,
            granted.token_type.as_str(),
            stored.access,
            stored.refresh,
            granted.access.redacted(),
            granted.scopes.to_csv(),
            stored.expires_at,
            stored.rotating,
            generation,
            now,
            stored.access_digest,
            stored.refresh_digest
        ],
    )?;
    Ok(stored.expires_at)
}

/// Give every token written before digests existed its digests, once the key is known.
/// Two connections that already hold the same token cannot both have its digest: the later
/// one keeps none, and the returned notice names both, so the user can pick one.
pub(super) fn fill_digests(tx: &Transaction<'_>, cipher: &Cipher) -> StoreResult<Vec<String>> {
    let mut rows = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT t.connection_id, c.name, t.kind, t.access_token, t.refresh_token
             FROM tokens t JOIN connections c ON c.id = t.connection_id
             WHERE t.access_digest IS NULL ORDER BY c.created_at, c.name",
        )?;
        let mut query = stmt.query([])?;
        while let Some(r) = query.next()? {
            let row: (String, String, TokenKind, Vec<u8>, Option<Vec<u8>>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            rows.push(row);
        }
    }
    let mut notices = Vec::new();
    for (id, name, kind, access, refresh) in rows {
        let access = cipher.open_string(&aad(&id, kind, "access"), &access)?;
        let refresh = refresh
            .map(|blob| cipher.open_string(&aad(&id, kind, "refresh"), &blob))
            .transpose()?;
        let access_digest = cipher.digest(&access);
        let refresh_digest = refresh.as_ref().map(|r| cipher.digest(r));
        let owners = holders(tx, &id, kind, &access_digest, refresh_digest.as_deref())?;
        if let Some((_, owner, _)) = owners.first() {
            notices.push(format!(
                "connections {owner} and {name} hold the same {kind} token, and a refresh by one breaks the other: keep one (`xox remove {name} --yes`)"
            ));
            continue;
        }
        tx.execute(
            "UPDATE tokens SET access_digest = ?3, refresh_digest = ?4 WHERE connection_id = ?1 AND kind = ?2",
            params![id, kind, access_digest, refresh_digest],
        )?;
    }
    Ok(notices)
}

impl SqliteStore {
    fn sealed_token(
        &self,
        connection_id: &str,
        kind: TokenKind,
        column: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = format!("SELECT {column} FROM tokens WHERE connection_id = ?1 AND kind = ?2");
        self.conn
            .query_row(&sql, params![connection_id, kind], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))
            .map(Option::flatten)
    }

    /// The decrypted refresh token in `kind`'s slot, if it has one.
    pub fn refresh_token(
        &self,
        connection_id: &str,
        kind: TokenKind,
    ) -> StoreResult<Option<Secret>> {
        self.sealed_token(connection_id, kind, "refresh_token")?
            .map(|blob| {
                let plain = self
                    .cipher
                    .open_string(&aad(connection_id, kind, "refresh"), &blob)?;
                Ok(Secret::new(plain.as_str()))
            })
            .transpose()
    }
}

impl TokenStore for SqliteStore {
    /// The decrypted access token in `kind`'s slot.
    fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret> {
        let blob = self
            .sealed_token(connection_id, kind, "access_token")?
            .ok_or_else(|| StoreError::NotFound(format!("the connection has no {kind} token")))?;
        let plain = self
            .cipher
            .open_string(&aad(connection_id, kind, "access"), &blob)?;
        Ok(Secret::new(plain.as_str()))
    }

    /// Replace a token's recorded scopes with what Slack reports it holds.
    fn set_token_scopes(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        scopes: &Scopes,
    ) -> StoreResult<()> {
        self.conn
            .execute(
                "UPDATE tokens SET scopes = ?3 WHERE connection_id = ?1 AND kind = ?2",
                params![connection_id, kind, scopes.to_csv()],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Record what Slack said about a token (revoked, needs re-auth, …) without touching it,
    /// and tell the hooks that listen when it has just died.
    fn set_token_status(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        status: TokenStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        self.write(|tx, _| {
            let (old, generation): (TokenStatus, i64) = tx
                .query_row(
                    "SELECT status, generation FROM tokens WHERE connection_id = ?1 AND kind = ?2",
                    params![connection_id, kind],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("the connection has no {kind} token"))
                })?;
            tx.execute(
                "UPDATE tokens SET status = ?3, status_reason = ?4 WHERE connection_id = ?1 AND kind = ?2",
                params![connection_id, kind, status, reason],
            )?;
            let notice =
                HookNotice::status_change(connection_id, kind, generation, old, status, reason);
            if let Some(notice) = notice {
                super::hooks::record(tx, &notice)?;
            }
            Ok(())
        })
    }

    fn token_state(&self, connection_id: &str, kind: TokenKind) -> StoreResult<TokenState> {
        let row = self
            .conn
            .query_row(
                "SELECT generation, expires_at, status, status_reason FROM tokens WHERE connection_id = ?1 AND kind = ?2",
                params![connection_id, kind],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, TokenStatus>(2)?, r.get::<_, Option<String>>(3)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| StoreError::NotFound(format!("the connection has no {kind} token")))?;
        Ok(TokenState {
            generation: row.0,
            expires_at: row.1,
            status: row.2,
            status_reason: row.3,
            access: self.access_token(connection_id, kind)?,
            refresh: self.refresh_token(connection_id, kind)?,
        })
    }

    /// Rotating tokens with a refresh token that expire before `before` and are not
    /// waiting for a re-auth, soonest first.
    fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.connection_id, c.name, t.kind, t.expires_at, c.team_id, c.app_id
                 FROM tokens t JOIN connections c ON c.id = t.connection_id
                 WHERE t.expires_at IS NOT NULL AND t.expires_at < ?1 AND t.refresh_token IS NOT NULL
                   AND t.status NOT IN ('needs_reauth', 'revoked', 'uninstalled')
                 ORDER BY t.expires_at",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([before], |r| {
                Ok(DueToken {
                    connection_id: r.get(0)?,
                    connection_name: r.get(1)?,
                    kind: r.get(2)?,
                    expires_at: r.get(3)?,
                    team_id: r.get(4)?,
                    app_id: r.get(5)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// The soonest expiry at or after `after` among tokens that rotation looks after.
    fn next_expiry(&self, after: i64) -> StoreResult<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MIN(expires_at) FROM tokens WHERE expires_at >= ?1 AND refresh_token IS NOT NULL
                 AND status NOT IN ('needs_reauth', 'revoked', 'uninstalled')",
                [after],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }
}
