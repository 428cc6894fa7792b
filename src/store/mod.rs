//! Storage: the seam every workflow stores through (`Backend`, shared as `StoreHandle`), the
//! model it speaks, encryption of secrets, and the backends behind it.

pub mod backend;
pub mod cipher;
mod error;
#[cfg(test)]
pub mod fixtures;
mod handle;
pub mod key;
mod keyring;
pub mod lease_owner;
pub mod model;
pub mod postgres;
mod sqlite;

pub use backend::{Backend, CommitOutcome, DueToken, Lease, TokenState};
pub use error::{StoreError, StoreResult};
pub use handle::StoreHandle;
pub use model::*;
pub use sqlite::{BUSY_TIMEOUT, SqliteStore, sdk_installations};

use std::path::Path;

/// Open the store at `location` (creating it if needed), with the key from `XOX_KEY`, the
/// key file beside it, or the OS keyring.
pub fn open(location: &Path) -> StoreResult<Box<dyn Backend>> {
    Ok(Box::new(SqliteStore::open(location)?))
}
