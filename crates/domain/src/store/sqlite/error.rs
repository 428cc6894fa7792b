//! SQLite's errors as `StoreError` sentences that say what happened to which file.

use crate::store::error::StoreError;

/// Errors inside a transaction carry no path; `SqliteStore::write` names the file. A full
/// disk keeps its kind there, since a rotated pair's write is retried on it.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull(Default::default()),
            _ => StoreError::Sqlite(e.to_string()),
        }
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
        Some(C::DiskFull) => StoreError::DiskFull(path),
        Some(C::NotADatabase) => StoreError::NotADatabase(path),
        Some(C::ReadOnly) => StoreError::ReadOnly(path),
        Some(C::CannotOpen | C::PermissionDenied) => StoreError::CannotOpen {
            path,
            detail: "the file or its folder cannot be opened for writing".into(),
        },
        Some(C::SystemIoFailure) => StoreError::CannotOpen {
            path,
            detail: "a disk I/O error (is the disk full?)".into(),
        },
        Some(C::DatabaseCorrupt) => StoreError::CannotOpen {
            path,
            detail: "the database file is corrupt".into(),
        },
        _ => StoreError::Sqlite(e.to_string()),
    }
}
