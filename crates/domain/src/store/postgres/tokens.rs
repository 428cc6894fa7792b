//! Token rows on PostgreSQL: sealed access and refresh tokens, their digests for one owner
//! per token chain, and the generation every write bumps.

use crate::slack::{GrantedToken, TokenKind};
use crate::store::cipher::Cipher;
use crate::store::commit::Previous;
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{HeldElsewhere, NewEvent, now_unix};
use postgres::GenericClient;
use postgres::types::Type;

use crate::store::sealed;

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
