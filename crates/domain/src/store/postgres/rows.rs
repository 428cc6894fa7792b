//! Rows read back from PostgreSQL: text is cleaned of control characters, since another
//! program may have written it, and an enum this xox does not know refuses the row.

use crate::slack::{Scopes, TokenKind, TokenType};
use crate::store::error::{StoreError, StoreResult};
use crate::store::model::{App, Connection, Event, KeyKind, ProxyKey, RecordedCall, TokenInfo};
use postgres::Row;

pub(super) fn text(r: &Row, idx: usize) -> String {
    crate::text::into_one_line(r.get(idx))
}

pub(super) fn opt_text(r: &Row, idx: usize) -> Option<String> {
    r.get::<_, Option<String>>(idx)
        .map(crate::text::into_one_line)
}

pub(super) fn kind(text: &str) -> StoreResult<TokenKind> {
    stored(text)
}

/// One of xox's fixed sets read from its stored text: an unknown value is an error.
pub(super) fn stored<T: std::str::FromStr<Err = String>>(text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|e: String| StoreError::Conflict(format!("a stored row is not xox's: {e}")))
}

pub(super) const APP_COLUMNS: &str = "id, name, client_id, client_secret IS NOT NULL, pkce, redirect_uri, bot_scopes, user_scopes, created_at, rotation, signing_secret IS NOT NULL, forward_to";

pub(super) fn app(r: &Row) -> App {
    App {
        id: text(r, 0),
        name: text(r, 1),
        client_id: text(r, 2),
        has_secret: r.get(3),
        pkce: r.get(4),
        redirect_uri: text(r, 5),
        bot_scopes: Scopes::parse(r.get(6)),
        user_scopes: Scopes::parse(r.get(7)),
        created_at: r.get(8),
        rotation: r.get(9),
        has_signing_secret: r.get(10),
        forward_to: opt_text(r, 11),
    }
}

/// How many columns [`CONNECTION_COLUMNS`] is.
pub(super) const CONNECTION_WIDTH: usize = 16;

pub(super) const CONNECTION_COLUMNS: &str = "c.id, c.name, c.app_id, a.name, c.team_id, c.team_name, c.enterprise_id, c.enterprise_name,
    c.slack_app_id, c.bot_user_id, c.authed_user_id, c.incoming_webhook IS NOT NULL, c.created_at, c.updated_at, c.enterprise_install,
    ARRAY(SELECT t.team_id FROM covered_teams t WHERE t.connection_id = c.id ORDER BY t.team_id)";

pub(super) fn connection(r: &Row) -> Connection {
    Connection {
        id: text(r, 0),
        name: text(r, 1),
        app_id: text(r, 2),
        app_name: text(r, 3),
        team_id: opt_text(r, 4),
        team_name: opt_text(r, 5),
        enterprise_id: opt_text(r, 6),
        enterprise_name: opt_text(r, 7),
        slack_app_id: opt_text(r, 8),
        bot_user_id: opt_text(r, 9),
        authed_user_id: opt_text(r, 10),
        has_incoming_webhook: r.get(11),
        created_at: r.get(12),
        updated_at: r.get(13),
        enterprise_install: r.get(14),
        covered_teams: r
            .get::<_, Vec<String>>(15)
            .into_iter()
            .map(crate::text::into_one_line)
            .collect(),
        tokens: Vec::new(),
    }
}

/// How many columns [`TOKEN_COLUMNS`] is.
pub(super) const TOKEN_WIDTH: usize = 12;

/// Of `tokens t`.
pub(super) const TOKEN_COLUMNS: &str = "t.connection_id, t.kind, t.token_type, t.scopes, t.expires_at, t.rotating, t.refresh_token IS NOT NULL, t.generation, t.status, t.status_reason, t.redacted, t.updated_at";

/// A token and the connection id it belongs to, from the [`TOKEN_COLUMNS`] starting at
/// column `first` of `r`.
pub(super) fn token(r: &Row, first: usize) -> StoreResult<(String, TokenInfo)> {
    let at = |i: usize| first + i;
    Ok((
        r.get(at(0)),
        TokenInfo {
            kind: kind(r.get(at(1)))?,
            token_type: TokenType::parse(r.get(at(2))),
            scopes: Scopes::parse(r.get(at(3))),
            expires_at: r.get(at(4)),
            rotating: r.get(at(5)),
            has_refresh_token: r.get(at(6)),
            generation: r.get(at(7)),
            status: stored(r.get(at(8)))?,
            status_reason: opt_text(r, at(9)),
            redacted: text(r, at(10)),
            updated_at: r.get(at(11)),
        },
    ))
}

pub(super) const EVENT_COLUMNS: &str = "id, connection_id, at, action, token_kind, outcome, old_expires_at, new_expires_at, pid, detail";

pub(super) fn event(r: &Row) -> StoreResult<Event> {
    Ok(Event {
        id: r.get(0),
        connection_id: text(r, 1),
        at: r.get(2),
        action: stored(r.get(3))?,
        token_kind: r.get::<_, Option<&str>>(4).map(kind).transpose()?,
        outcome: stored(r.get(5))?,
        old_expires_at: r.get(6),
        new_expires_at: r.get(7),
        pid: r.get(8),
        detail: opt_text(r, 9),
    })
}

pub(super) const CALL_COLUMNS: &str = "id, connection_id, token_kind, method, http_status, error, needed, provided, accepted_scopes, retry_after, at, state, replay_of";

pub(super) fn call(r: &Row) -> StoreResult<RecordedCall> {
    let scopes = |i: usize| r.get::<_, Option<&str>>(i).map(Scopes::parse);
    Ok(RecordedCall {
        id: r.get(0),
        connection_id: text(r, 1),
        token_kind: kind(r.get(2))?,
        method: text(r, 3),
        http_status: r
            .get::<_, Option<i64>>(4)
            .and_then(|s| u16::try_from(s).ok()),
        error: text(r, 5),
        needed: scopes(6),
        provided: scopes(7),
        accepted_scopes: scopes(8),
        retry_after: r
            .get::<_, Option<i64>>(9)
            .and_then(|v| u64::try_from(v).ok()),
        at: r.get(10),
        state: stored(r.get(11))?,
        replay_of: r.get(12),
    })
}

pub(super) const KEY_COLUMNS: &str = "k.id, k.connection_id, c.name, k.kind, k.label, k.created_at, k.last_used_at, k.requests, k.failures, k.app_id, a.name, k.held, k.absorbed, k.methods, k.channels, k.read_only, k.expires_at, k.refused";

/// Keys with what they stand for: a connection, or an app.
pub(super) const KEY_TABLES: &str = "proxy_keys k LEFT JOIN connections c ON c.id = k.connection_id LEFT JOIN apps a ON a.id = k.app_id";

pub(super) fn proxy_key(r: &Row) -> StoreResult<ProxyKey> {
    Ok(ProxyKey {
        id: text(r, 0),
        connection_id: opt_text(r, 1),
        connection: opt_text(r, 2),
        app_id: opt_text(r, 9),
        app: opt_text(r, 10),
        held: r.get(11),
        absorbed: r.get(12),
        kind: r
            .get::<_, &str>(3)
            .parse::<KeyKind>()
            .map_err(|e| StoreError::Conflict(format!("a stored row is not xox's: {e}")))?,
        label: opt_text(r, 4),
        created_at: r.get(5),
        last_used_at: r.get(6),
        requests: r.get(7),
        failures: r.get(8),
        refused: r.get(17),
        scope: crate::store::key_scope::KeyScope::from_columns(
            opt_text(r, 13),
            opt_text(r, 14),
            r.get(15),
            r.get(16),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widths_count_the_columns() {
        assert_eq!(CONNECTION_COLUMNS.split(',').count(), CONNECTION_WIDTH);
        assert_eq!(TOKEN_COLUMNS.split(',').count(), TOKEN_WIDTH);
    }
}
