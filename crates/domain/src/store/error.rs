//! `StoreError`: every way opening or using the database can fail, each a one-line sentence.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} is not an SQLite database (is --db pointing at the right file?)", .0.display())]
    NotADatabase(PathBuf),
    #[error("{} is an SQLite database, but not one of xox's", .0.display())]
    ForeignDatabase(PathBuf),
    #[error("{} was written by a newer xox (schema {found}, this xox knows up to {known}); upgrade xox", .path.display())]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{} is locked by another process; waited {waited_ms} ms, try again", .path.display())]
    Locked { path: PathBuf, waited_ms: u64 },
    #[error("the disk holding {} is full; free some space and try again", .0.display())]
    DiskFull(PathBuf),
    #[error("cannot open {}: {detail}", .path.display())]
    CannotOpen { path: PathBuf, detail: String },
    #[error("{} is read-only here; xox needs to write to it", .0.display())]
    ReadOnly(PathBuf),
    #[error("the key does not open {}: it was encrypted with another key (check XOX_KEY or the key file)", .0.display())]
    WrongKey(PathBuf),
    #[error("{} is encrypted but its key is missing: {hint}", .db.display())]
    KeyMissing { db: PathBuf, hint: String },
    #[error("key file {} can be read by other users (mode {mode:o}); run: chmod 600 {}", .path.display(), .path.display())]
    KeyFileTooOpen { path: PathBuf, mode: u32 },
    #[error("key file {} is damaged: {detail}", .path.display())]
    BadKeyFile { path: PathBuf, detail: String },
    #[error("XOX_KEY must be 32 bytes in base64 (for example: head -c32 /dev/urandom | base64)")]
    BadEnvKey,
    #[error(
        "a stored secret ({what}) failed to decrypt: the database was changed outside xox or the key is wrong"
    )]
    Decrypt { what: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(
        "this {kind} token is already held by connection {owner}: one token chain has one owner, since a refresh by one would break the other; use {owner}, or pass --replace to move it here"
    )]
    HeldElsewhere {
        owner: String,
        kind: crate::slack::TokenKind,
    },
    #[error("database error: {0}")]
    Sqlite(String),
    #[error("PostgreSQL at {location}: {detail}")]
    Postgres {
        location: String,
        detail: String,
        /// The session was lost or the server is restarting: the same call may land later.
        passing: bool,
    },
    #[error(
        "a PostgreSQL store needs its key in XOX_KEY, the same on every host (for a new store: XOX_KEY=$(head -c32 /dev/urandom | base64))"
    )]
    PostgresKeyMissing,
}

impl StoreError {
    /// A write that may land if tried again: another process holds the lock, the disk is
    /// full for now, or the PostgreSQL server went away or is restarting.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Locked { .. }
                | StoreError::DiskFull(_)
                | StoreError::Postgres { passing: true, .. }
        )
    }

    /// The session went away with a statement sent: it may have been done all the same,
    /// its answer lost. A locked or full file, by contrast, took nothing.
    pub fn may_have_landed(&self) -> bool {
        matches!(self, StoreError::Postgres { passing: true, .. })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
