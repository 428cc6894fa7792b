//! What rotation needs from the store: a token's full state, a compare-and-swap write of a
//! new pair with its event, and the tokens that are due.

use super::events::insert as insert_event;
use super::{SqliteStore, tokens};
use crate::slack::{GrantedToken, TokenKind};
use crate::store::EventAction;
use crate::store::backend::{CommitOutcome, DueToken, TokenState};
use crate::store::cipher::Cipher;
use crate::store::commit::{PairWrites, Previous, commit_pair};
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::NewEvent;
use crate::store::model::{HeldElsewhere, TokenStatus, now_unix};
use rusqlite::{OptionalExtension, Transaction, params};

impl SqliteStore {
    pub fn token_state(&self, connection_id: &str, kind: TokenKind) -> StoreResult<TokenState> {
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

    /// Store a new pair only if the token is still at `expected_generation`, with its event,
    /// and give back the lease, all in one transaction (`commit_pair`), durably stored
    /// (`synchronous=FULL`) before anything uses it. A full disk gives back the reserve
    /// (`reserve_space`) and tries once more.
    pub fn commit_rotation(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        expected_generation: i64,
        action: EventAction,
        lease_owner: &str,
    ) -> StoreResult<CommitOutcome> {
        let now = now_unix();
        let commit = |store: &mut SqliteStore| {
            store.write(|tx, cipher| {
                let mut writes = PairWritesInTx { tx, cipher, now };
                commit_pair(
                    &mut writes,
                    connection_id,
                    granted,
                    expected_generation,
                    action,
                    lease_owner,
                )
            })
        };
        match commit(self) {
            Err(StoreError::DiskFull(_)) if self.release_reserve() => commit(self),
            outcome => outcome,
        }
    }

    /// Rotating tokens with a refresh token that expire before `before` and are not
    /// waiting for a re-auth, soonest first.
    pub fn due_tokens(&self, before: i64) -> StoreResult<Vec<DueToken>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.connection_id, c.name, t.kind, t.expires_at, c.team_id, c.app_id
                 FROM tokens t JOIN connections c ON c.id = t.connection_id
                 WHERE t.expires_at IS NOT NULL AND t.expires_at < ?1 AND t.refresh_token IS NOT NULL
                   AND t.status NOT IN ('needs_reauth', 'revoked')
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
    pub fn next_expiry(&self, after: i64) -> StoreResult<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MIN(expires_at) FROM tokens WHERE expires_at >= ?1 AND refresh_token IS NOT NULL
                 AND status NOT IN ('needs_reauth', 'revoked')",
                [after],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }
}

/// A rotated pair's writes, in an SQLite write transaction.
struct PairWritesInTx<'a> {
    tx: &'a Transaction<'a>,
    cipher: &'a Cipher,
    now: i64,
}

impl PairWrites for PairWritesInTx<'_> {
    fn end_lease(&mut self, connection_id: &str, kind: TokenKind, owner: &str) -> StoreResult<()> {
        Ok(super::leases::release(self.tx, connection_id, kind, owner)?)
    }

    fn previous(&mut self, connection_id: &str, kind: TokenKind) -> StoreResult<Option<Previous>> {
        Ok(tokens::previous(self.tx, connection_id, kind)?)
    }

    fn write_pair(
        &mut self,
        connection_id: &str,
        granted: &GrantedToken,
        _old: &Previous,
    ) -> StoreResult<Option<i64>> {
        // A rotated pair is new: were it somehow held elsewhere, this slot still owns it.
        tokens::write(
            self.tx,
            self.cipher,
            connection_id,
            granted,
            self.now,
            HeldElsewhere::Move,
        )
    }

    fn add_event(&mut self, event: &NewEvent<'_>) -> StoreResult<()> {
        Ok(insert_event(self.tx, event)?)
    }
}
