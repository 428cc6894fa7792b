//! Token rows on PostgreSQL: sealed access and refresh tokens, their digests for one owner
//! per token chain, and the generation every write bumps.

use super::PostgresStore;
use super::rows::{self, CONNECTION_COLUMNS, TOKEN_COLUMNS};
use crate::slack::{GrantedToken, Scopes, Secret, TokenKind};
use crate::store::backend::{DueToken, TokenState, TokenStore};
use crate::store::cipher::Cipher;
use crate::store::commit::Previous;
use crate::store::error::{StoreError, StoreResult};
use crate::store::hooks::HookNotice;
use crate::store::model::{Connection, HeldElsewhere, NewEvent, TokenStatus, now_unix};
use crate::store::sealed;
use postgres::GenericClient;
use postgres::types::Type;

pub(super) fn previous(
    db: &mut impl GenericClient,
    connection_id: &str,
    kind: TokenKind,
) -> StoreResult<Option<Previous>> {
    Ok(db
        .query_typed_opt(
            "SELECT expires_at, generation FROM tokens WHERE connection_id = $1 AND kind = $2 FOR UPDATE",
            &[(&connection_id, Type::TEXT), (&kind.as_str(), Type::TEXT)],
        )?
        .map(|r| Previous {
            expires_at: r.get(0),
            generation: r.get(1),
        }))
}

pub(super) fn insert_event(db: &mut impl GenericClient, event: &NewEvent<'_>) -> StoreResult<()> {
    db.query_typed(
        "INSERT INTO events (connection_id, at, action, token_kind, outcome, old_expires_at, new_expires_at, pid, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            (&event.connection_id, Type::TEXT),
            (&event.at(), Type::INT8),
            (&event.action.as_str(), Type::TEXT),
            (&event.token_kind.map(TokenKind::as_str), Type::TEXT),
            (&event.outcome.as_str(), Type::TEXT),
            (&event.old_expires_at, Type::INT8),
            (&event.new_expires_at, Type::INT8),
            (&event.pid(), Type::INT8),
            (&event.detail, Type::TEXT),
        ],
    )?;
    if let Some(notice) = HookNotice::from_event(event) {
        super::hooks::record(db, &notice)?;
    }
    Ok(())
}

/// Keep a token in one place: refuse it when another connection holds it, or take it from
/// that connection, leaving an event there that says where it went.
fn claim(
    db: &mut impl GenericClient,
    connection_id: &str,
    kind: TokenKind,
    digests: (&[u8], Option<&[u8]>),
    held: HeldElsewhere,
) -> StoreResult<()> {
    let holders = db.query_typed(
        "SELECT t.connection_id, c.name, t.kind FROM tokens t JOIN connections c ON c.id = t.connection_id
         WHERE (t.access_digest = $1 OR t.refresh_digest = $2)
           AND NOT (t.connection_id = $3 AND t.kind = $4)",
        &[
            (&digests.0, Type::BYTEA),
            (&digests.1, Type::BYTEA),
            (&connection_id, Type::TEXT),
            (&kind.as_str(), Type::TEXT),
        ],
    )?;
    for row in holders {
        let (owner_id, owner, owner_kind): (String, String, &str) =
            (row.get(0), row.get(1), row.get(2));
        let owner_kind = super::rows::kind(owner_kind)?;
        if held == HeldElsewhere::Refuse {
            return Err(StoreError::HeldElsewhere { owner, kind });
        }
        let here: String = db
            .query_one(
                "SELECT name FROM connections WHERE id = $1",
                &[&connection_id],
            )?
            .get(0);
        db.execute(
            "DELETE FROM tokens WHERE connection_id = $1 AND kind = $2",
            &[&owner_id, &owner_kind.as_str()],
        )?;
        insert_event(db, &sealed::moved_event(&owner_id, owner_kind, &here))?;
    }
    Ok(())
}

/// Insert or replace the token in `granted.kind`'s slot, sealed, with the generation bumped.
/// Returns the new expiry.
pub(super) fn write(
    db: &mut impl GenericClient,
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    held: HeldElsewhere,
) -> StoreResult<Option<i64>> {
    let before = previous(db, connection_id, granted.kind)?;
    write_over(db, cipher, connection_id, granted, held, before.as_ref())
}

/// [`write`] over the slot's row as `before` read it, under its row lock, in this
/// transaction (`None`: the slot is empty).
pub(super) fn write_over(
    db: &mut impl GenericClient,
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    held: HeldElsewhere,
    before: Option<&Previous>,
) -> StoreResult<Option<i64>> {
    let kind = granted.kind;
    let now = now_unix();
    let stored = sealed::seal_token(cipher, connection_id, granted, now);
    claim(
        db,
        connection_id,
        kind,
        (&stored.access_digest, stored.refresh_digest.as_deref()),
        held,
    )?;
    let generation = before.map_or(0, |p| p.generation) + 1;
    db.query_typed(
        "INSERT INTO tokens (connection_id, kind, token_type, access_token, refresh_token, redacted, scopes,
                             expires_at, rotating, generation, status, status_reason, updated_at,
                             access_digest, refresh_digest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ok', NULL, $11, $12, $13)
         ON CONFLICT (connection_id, kind) DO UPDATE SET
             token_type = excluded.token_type, access_token = excluded.access_token,
             refresh_token = excluded.refresh_token, redacted = excluded.redacted,
             access_digest = excluded.access_digest, refresh_digest = excluded.refresh_digest,
             scopes = excluded.scopes, expires_at = excluded.expires_at,
             rotating = excluded.rotating, generation = excluded.generation,
             status = 'ok', status_reason = NULL, updated_at = excluded.updated_at",
        &[
            (&connection_id, Type::TEXT),
            (&kind.as_str(), Type::TEXT),
            (&granted.token_type.as_str(), Type::TEXT),
            (&stored.access, Type::BYTEA),
            (&stored.refresh, Type::BYTEA),
            (&granted.access.redacted(), Type::TEXT),
            (&granted.scopes.to_csv(), Type::TEXT),
            (&stored.expires_at, Type::INT8),
            (&stored.rotating, Type::BOOL),
            (&generation, Type::INT8),
            (&now, Type::INT8),
            (&stored.access_digest, Type::BYTEA),
            (&stored.refresh_digest, Type::BYTEA),
        ],
    )?;
    Ok(stored.expires_at)
}

/// The sealed `column` ("access_token" or "refresh_token") of a token slot.
pub(super) fn sealed(
    db: &mut impl GenericClient,
    connection_id: &str,
    kind: TokenKind,
    column: &str,
) -> StoreResult<Option<Vec<u8>>> {
    let sql = format!("SELECT {column} FROM tokens WHERE connection_id = $1 AND kind = $2");
    Ok(db
        .query_typed_opt(
            &sql,
            &[(&connection_id, Type::TEXT), (&kind.as_str(), Type::TEXT)],
        )?
        .and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
}

pub(super) fn no_token(kind: TokenKind) -> StoreError {
    StoreError::NotFound(format!("the connection has no {kind} token"))
}

impl PostgresStore {
    pub(super) fn open_secret(&self, aad: &str, blob: &[u8]) -> StoreResult<Secret> {
        Ok(Secret::new(self.cipher.open_string(aad, blob)?.as_str()))
    }
}

impl TokenStore for PostgresStore {
    fn access_token(&self, connection_id: &str, kind: TokenKind) -> StoreResult<Secret> {
        let blob = sealed(&mut *self.db()?, connection_id, kind, "access_token")?
            .ok_or_else(|| no_token(kind))?;
        self.open_secret(
            &crate::store::sealed::token_aad(connection_id, kind, "access"),
            &blob,
        )
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
            let row = tx
                .query_opt(
                    "SELECT status, generation FROM tokens WHERE connection_id = $1 AND kind = $2 FOR UPDATE",
                    &[&connection_id, &kind.as_str()],
                )?
                .ok_or_else(|| no_token(kind))?;
            let old: TokenStatus = super::rows::stored(row.get(0))?;
            tx.execute(
                "UPDATE tokens SET status = $3, status_reason = $4 WHERE connection_id = $1 AND kind = $2",
                &[&connection_id, &kind.as_str(), &status.as_str(), &reason],
            )?;
            let notice =
                HookNotice::status_change(connection_id, kind, row.get(1), old, status, reason);
            if let Some(notice) = notice {
                super::hooks::record(tx, &notice)?;
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

    fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>> {
        self.db()?
            .query(
                "SELECT t.connection_id, c.name, t.kind, t.expires_at, c.team_id, c.app_id
                 FROM tokens t JOIN connections c ON c.id = t.connection_id
                 WHERE t.expires_at IS NOT NULL AND t.expires_at < $1 AND t.refresh_token IS NOT NULL
                   AND t.status NOT IN ('needs_reauth', 'revoked', 'uninstalled')
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
                 AND status NOT IN ('needs_reauth', 'revoked', 'uninstalled')",
                &[&after],
            )?
            .get(0))
    }
}
