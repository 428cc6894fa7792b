//! Storage: the seam every workflow stores through (`Backend`, shared as `StoreHandle`), the
//! model it speaks, encryption of secrets, and the backends behind it.

pub mod backend;
pub mod cipher;
mod commit;
mod error;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod handle;
pub mod hooks;
pub mod key;
pub mod key_scope;
mod keyring;
pub mod lease_owner;
pub mod model;
pub mod postgres;
mod rules;
mod sealed;
mod sqlite;
mod vocabulary;

pub use backend::{
    AppStore, Backend, CallStore, CommitOutcome, ConnectionStore, DueToken, EventStore, HookStore,
    InstallCandidate, InstallStore, Lease, ProxyKeyStore, RateHold, RateHolds, RefreshLock,
    TokenState, TokenStore,
};
pub use error::{StoreError, StoreResult};
pub use handle::{Passing, READ_PATIENCE, StoreHandle};
pub use model::*;
pub use rules::pick_install;
pub use sqlite::{BUSY_TIMEOUT, SqliteStore, sdk_installations};

use std::path::Path;

/// Open the store at `location` (creating it if needed): a PostgreSQL URL, with the key
/// from `XOX_KEY`; or a file, with the key from `XOX_KEY`, the key file beside it, or the
/// OS keyring.
pub fn open(location: &Path) -> StoreResult<Box<dyn Backend>> {
    if let Some(url) = location.to_str().filter(|l| postgres::is_url(l)) {
        return Ok(Box::new(postgres::PostgresStore::open(url)?));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// Open the store at `location` only if it is there: a command that only uses a store
/// never makes one where a mistyped `--db` points.
pub fn open_existing(location: &Path) -> StoreResult<Box<dyn Backend>> {
    if let Some(url) = location.to_str().filter(|l| postgres::is_url(l)) {
        return Ok(Box::new(postgres::PostgresStore::open_existing(url)?));
    }
    if !location.exists() {
        return Err(StoreError::NotFound(format!(
            "no xox database at {}: check --db or XOX_DB (`xox import`, `xox login`, `xox app add` or `xox db copy` makes one)",
            location.display()
        )));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// Open the store at `location` with its own key, for copying between stores under
/// different keys: a server's from `XOX_KEY` (every host shares it), a file's from the key
/// file beside it or the keyring (a new file gets a new one), and `XOX_KEY` only for a file
/// that was made with it.
pub fn open_with_own_key(location: &Path) -> StoreResult<Box<dyn Backend>> {
    if is_server(location) {
        return open(location);
    }
    let env_key = std::env::var(key::KEY_ENV).ok();
    match SqliteStore::open_with(location, None, keyring::enabled()) {
        Err(StoreError::KeyMissing { .. }) if env_key.is_some() => Ok(Box::new(
            SqliteStore::open_with(location, env_key.as_deref(), keyring::enabled())?,
        )),
        opened => Ok(Box::new(opened?)),
    }
}

/// Does `location` name a server rather than a file?
pub fn is_server(location: &Path) -> bool {
    location.to_str().is_some_and(postgres::is_url)
}
