//! Refresh one connection's tokens or every token that is due, keep them fresh in the
//! background, exchange a long-lived token for a rotating one, and revoke.

use super::{Engine, EngineError, EngineResult};
use crate::calls::default_kind;
use crate::rotation::{Need, RefreshReport, Target, WatchEvent, refresh_due, watch};
use crate::slack::{TokenKind, TokenType};
use crate::store::{Connection, TokenStatus, now_unix};
use std::future::Future;
use std::time::Duration;

/// One token of one connection, as the user saw it (`generation`): what a refresh acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenRef {
    pub connection_id: String,
    pub connection: String,
    pub kind: TokenKind,
    pub generation: i64,
}

impl TokenRef {
    pub fn of(conn: &Connection, kind: TokenKind) -> Option<TokenRef> {
        conn.token(kind).map(|t| TokenRef {
            connection_id: conn.id.clone(),
            connection: conn.name.clone(),
            kind,
            generation: t.generation,
        })
    }

    /// The token a command acts on when none is named: the first the connection holds in
    /// `TokenKind::ALL`'s order (the bot token when it has one).
    pub fn default_of(conn: &Connection) -> Option<TokenRef> {
        TokenRef::of(conn, default_kind(conn, None).ok()?)
    }

    /// The tokens that can be exchanged for rotating ones: long-lived and not revoked.
    pub fn exchangeable(conn: &Connection) -> Vec<TokenRef> {
        conn.tokens
            .iter()
            .filter(|t| !t.rotating && !t.has_refresh_token && t.expires_at.is_none())
            .filter(|t| t.status != TokenStatus::Revoked)
            .filter_map(|t| TokenRef::of(conn, t.kind))
            .collect()
    }

    /// The tokens a refresh of `conn` acts on: `kind`'s, or every one that rotates.
    pub fn rotating(conn: &Connection, kind: Option<TokenKind>) -> EngineResult<Vec<TokenRef>> {
        let refs: Vec<TokenRef> = match kind {
            Some(kind) => TokenRef::of(conn, default_kind(conn, Some(kind))?)
                .into_iter()
                .collect(),
            None => conn
                .tokens
                .iter()
                .filter(|t| t.has_refresh_token)
                .filter_map(|t| TokenRef::of(conn, t.kind))
                .collect(),
        };
        if refs.is_empty() {
            return Err(EngineError::NothingToRefresh {
                conn: conn.name.clone(),
            });
        }
        Ok(refs)
    }
}

/// How a refresh went: `refreshed` is false when another process had just done it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub connection: String,
    pub kind: TokenKind,
    pub refreshed: bool,
    pub expires_at: Option<i64>,
}

/// What refreshing one of a connection's tokens came to.
#[derive(Debug)]
pub struct TokenRefresh {
    pub kind: TokenKind,
    pub outcome: EngineResult<Refreshed>,
}

/// A long-lived token turned rotating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    pub connection: String,
    pub kind: TokenKind,
    pub token_type: TokenType,
    pub expires_at: Option<i64>,
}

/// Refresh and exchange need the app's credentials: tokens kept under no app have none
/// (configuration tokens need none: their refresh token is the credential).
fn belongs_to_an_app(connection: &Connection) -> EngineResult<()> {
    if connection.is_standalone() {
        return Err(EngineError::Standalone {
            conn: connection.name.clone(),
        });
    }
    Ok(())
}

impl Engine {
    /// Refresh `conn`'s rotating tokens now (only `kind`'s when given).
    pub async fn refresh(
        &self,
        conn: &str,
        kind: Option<TokenKind>,
    ) -> EngineResult<Vec<TokenRefresh>> {
        let connection = self.connection(conn).await?;
        let configuration_only = match kind {
            Some(kind) => kind == TokenKind::Config,
            None => connection
                .tokens
                .iter()
                .all(|t| t.kind == TokenKind::Config),
        };
        if !configuration_only {
            belongs_to_an_app(&connection)?;
        }
        let tokens = TokenRef::rotating(&connection, kind)?;
        let mut done = Vec::new();
        // Each token on its own: a bot token that needs re-auth says nothing of the user
        // token's refresh, which is tried all the same.
        for token in tokens {
            let outcome = self.refresh_token(&token).await;
            done.push(TokenRefresh {
                kind: token.kind,
                outcome,
            });
        }
        Ok(done)
    }

    /// Which token of `conn` a command acts on: `kind`'s, or the default one.
    pub async fn token_ref(&self, conn: &str, kind: Option<TokenKind>) -> EngineResult<TokenRef> {
        let connection = self.connection(conn).await?;
        let kind = default_kind(&connection, kind)?;
        Ok(TokenRef::of(&connection, kind).expect("default_kind checked the token exists"))
    }

    /// Refresh one token unless it was rewritten since the generation the caller saw.
    pub async fn refresh_token(&self, token: &TokenRef) -> EngineResult<Refreshed> {
        let connection = self.connection(&token.connection_id).await?;
        if token.kind != TokenKind::Config {
            belongs_to_an_app(&connection)?;
        }
        let fresh = self
            .rotator()?
            .refresh_if(
                &Target::of(&connection, token.kind),
                Need::NotRewrittenSince(token.generation),
            )
            .await?;
        Ok(Refreshed {
            connection: connection.name,
            kind: token.kind,
            refreshed: fresh.refreshed,
            expires_at: fresh.expires_at,
        })
    }

    /// Refresh every rotating token that expires within `within`, `concurrency` workspaces
    /// at a time; `progress(done, total, failed)` after each.
    pub async fn refresh_due(
        &self,
        within: Duration,
        concurrency: usize,
        progress: &(dyn Fn(usize, usize, usize) + Sync),
    ) -> EngineResult<RefreshReport> {
        let within = within.as_secs() as i64;
        let due = self
            .store()
            .run(move |s| s.due_tokens(now_unix() + within))
            .await?;
        Ok(refresh_due(self.rotator()?, due, within, concurrency, progress).await)
    }

    /// Keep every rotating token fresh until `until` resolves or a stop is asked for,
    /// telling `report` what happens. A stop during a pass lets the refreshes in flight
    /// finish and save.
    pub async fn keep_fresh(
        &self,
        within: Duration,
        until: impl Future<Output = ()>,
        report: &(dyn Fn(WatchEvent) + Sync),
    ) -> EngineResult<()> {
        watch(self.rotator()?, within, until, report).await;
        Ok(())
    }

    /// Turn a long-lived token into a rotating pair (irreversible).
    pub async fn exchange(&self, conn: &str, kind: Option<TokenKind>) -> EngineResult<Exchanged> {
        let connection = self.connection(conn).await?;
        belongs_to_an_app(&connection)?;
        let kind = default_kind(&connection, kind)?;
        let fresh = self
            .rotator()?
            .exchange(&Target::of(&connection, kind))
            .await?;
        let after = self.connection(&connection.id).await?;
        Ok(Exchanged {
            token_type: after
                .token(kind)
                .map_or(TokenType::Unknown, |t| t.token_type),
            connection: connection.name,
            kind,
            expires_at: fresh.expires_at,
        })
    }

    /// The connection's name and the tokens `xox exchange` would turn rotating: `kind`'s,
    /// or every bot and user token that does not rotate yet.
    pub async fn exchangeable(
        &self,
        conn: &str,
        kind: Option<TokenKind>,
    ) -> EngineResult<(String, Vec<TokenKind>)> {
        let connection = self.connection(conn).await?;
        let kinds: Vec<TokenKind> = match kind {
            Some(kind) => vec![default_kind(&connection, Some(kind))?],
            None => connection
                .tokens
                .iter()
                .filter(|t| matches!(t.kind, TokenKind::Bot | TokenKind::User) && !t.rotating)
                .map(|t| t.kind)
                .collect(),
        };
        if kinds.is_empty() {
            // Said by the exchange of the default token, in its own words.
            let kind = default_kind(&connection, None)?;
            return Ok((connection.name, vec![kind]));
        }
        Ok((connection.name, kinds))
    }

    /// Exchange each of the tokens [`Engine::exchangeable`] names, each on its own.
    pub async fn exchange_each(
        &self,
        conn: &str,
        kind: Option<TokenKind>,
    ) -> EngineResult<Vec<(TokenKind, EngineResult<Exchanged>)>> {
        let (_, kinds) = self.exchangeable(conn, kind).await?;
        let mut done = Vec::new();
        for kind in kinds {
            done.push((kind, self.exchange(conn, Some(kind)).await));
        }
        Ok(done)
    }

    /// `auth.revoke` a token and mark it revoked (final). Returns the kind revoked.
    pub async fn revoke(&self, conn: &str, kind: Option<TokenKind>) -> EngineResult<TokenKind> {
        let connection = self.connection(conn).await?;
        let kind = default_kind(&connection, kind)?;
        self.rotator()?
            .revoke(&Target::of(&connection, kind))
            .await?;
        Ok(kind)
    }
}
