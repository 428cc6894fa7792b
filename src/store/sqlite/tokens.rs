//! Token rows: sealed access and refresh tokens with their kind, type, scopes and expiry.

use super::SqliteStore;
use crate::slack::{GrantedToken, Scopes, Secret, TokenKind, TokenType};
use crate::store::cipher::Cipher;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{TokenInfo, TokenStatus};
use rusqlite::{OptionalExtension, Row, Transaction, params};

pub(super) const COLUMNS: &str = "connection_id, kind, token_type, scopes, expires_at, rotating, refresh_token IS NOT NULL, generation, status, status_reason, redacted, updated_at";

fn aad(connection_id: &str, kind: TokenKind, field: &str) -> String {
    format!("token:{connection_id}:{kind}:{field}")
}

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

/// Expiry and generation of a stored token, before a write replaces it.
pub(super) struct Previous {
    pub expires_at: Option<i64>,
    pub generation: i64,
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

/// Insert or replace the token in `granted.kind`'s slot, sealed, with the generation bumped.
/// Returns the new expiry. A grant without a refresh token keeps no old refresh token.
pub(super) fn write(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    now: i64,
) -> StoreResult<Option<i64>> {
    let kind = granted.kind;
    let generation = previous(tx, connection_id, kind)?.map_or(0, |p| p.generation) + 1;
    let expires_at = granted.expires_in.map(|secs| now.saturating_add(secs));
    let access = cipher.seal(
        &aad(connection_id, kind, "access"),
        granted.access.expose().as_bytes(),
    );
    let refresh = granted
        .refresh
        .as_ref()
        .map(|r| cipher.seal(&aad(connection_id, kind, "refresh"), r.expose().as_bytes()));
    let rotating = granted.refresh.is_some() || granted.token_type.is_rotating_access();
    tx.execute(
        "INSERT INTO tokens (connection_id, kind, token_type, access_token, refresh_token, redacted, scopes,
                             expires_at, rotating, generation, status, status_reason, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'ok', NULL, ?11)
         ON CONFLICT (connection_id, kind) DO UPDATE SET
             token_type = excluded.token_type, access_token = excluded.access_token,
             refresh_token = excluded.refresh_token, redacted = excluded.redacted,
             scopes = excluded.scopes, expires_at = excluded.expires_at,
             rotating = excluded.rotating, generation = excluded.generation,
             status = 'ok', status_reason = NULL, updated_at = excluded.updated_at",
        params![
            connection_id,
            kind,
            granted.token_type.as_str(),
            access,
            refresh,
            granted.access.redacted(),
            granted.scopes.to_csv(),
            expires_at,
            rotating,
            generation,
            now
        ],
    )?;
    Ok(expires_at)
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

    /// The decrypted access token in `kind`'s slot.
    pub fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret> {
        let blob = self
            .sealed_token(connection_id, kind, "access_token")?
            .ok_or_else(|| StoreError::NotFound(format!("the connection has no {kind} token")))?;
        let plain = self
            .cipher
            .open_string(&aad(connection_id, kind, "access"), &blob)?;
        Ok(Secret::new(plain.as_str()))
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

    /// Replace a token's recorded scopes with what Slack reports it holds.
    pub fn set_token_scopes(
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

    /// Record what Slack said about a token (revoked, needs re-auth, …) without touching it.
    pub fn set_token_status(
        &mut self,
        connection_id: &str,
        kind: TokenKind,
        status: TokenStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE tokens SET status = ?3, status_reason = ?4 WHERE connection_id = ?1 AND kind = ?2",
                params![connection_id, kind, status, reason],
            )
            .map_err(|e| self.sql(e))?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "the connection has no {kind} token"
            )));
        }
        Ok(())
    }
}
