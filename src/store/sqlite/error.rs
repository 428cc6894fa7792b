//! SQLite's errors as `StoreError` sentences that say what happened to which file.

use crate::store::error::StoreError;

/// Errors inside a transaction: the write lock is already held there, so they are not
/// "locked" errors and carry no path.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(e.to_string())
    }
}

/// Map an SQLite error to a sentence that says what happened to which file.
pub(super) fn from_sqlite(path: &std::path::Path, busy_ms: u64, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Locked {
            path,
            waited_ms: busy_ms,
        },
        Some(C::NotADatabase) => StoreError::NotADatabase(path),
        Some(C::ReadOnly) => StoreError::ReadOnly(path),
        Some(C::CannotOpen | C::PermissionDenied) => StoreError::CannotOpen {
            path,
            detail: "the file or its folder cannot be opened for writing".into(),
        },
        Some(C::DatabaseCorrupt) => StoreError::CannotOpen {
            path,
            detail: "the database file is corrupt".into(),
        },
        _ => StoreError::Sqlite(e.to_string()),
    }
}
