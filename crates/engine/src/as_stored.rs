//! `xox token` in one read: a token handed out as it is stored, from a file store that
//! needs nothing else, with no runtime, log or HTTP client started.

use crate::calls::default_kind;
use crate::slack::{Secret, TokenKind};
use crate::store::{SqliteStore, TokenStore, is_server, now_unix};
use crate::usable::{Judgement, is_due, judge};
use std::path::Path;
use std::time::Duration;

/// The token [`crate::Engine::usable_token`] would hand out without a refresh and
/// without a word, read from the file store at `db` with the key in `env_key` (`XOX_KEY`)
/// or the key file beside it. `None` when that call would do anything more (refresh, warn,
/// refuse, tighten a mode, migrate, ask the keyring or a server) or the read fails: the
/// caller then makes that call, which does it and says so.
pub fn token_as_stored(
    db: &Path,
    env_key: Option<&str>,
    conn: &str,
    kind: Option<TokenKind>,
    within: Duration,
) -> Option<Secret> {
    if is_server(db) {
        return None;
    }
    let store = SqliteStore::open_current(db, env_key).ok()??;
    let not_due = |connection: &_| {
        let kind = default_kind(connection, kind).ok()?;
        (!is_due(connection, kind, within)).then_some(kind)
    };
    let (connection, stored) = store.connection_with_token(conn, &not_due).ok()?;
    let kind = default_kind(&connection, kind).ok()?;
    match judge(&connection, kind, within, now_unix()) {
        Ok(Judgement::AsStored(warnings)) if warnings.is_empty() => stored,
        _ => None,
    }
}
