//! The embedded backend: one encrypted SQLite file (WAL, `synchronous=FULL`), with a lease
//! row per token for single flight across processes on the same machine.

mod apps;
mod backend;
mod calls;
mod columns;
mod connections;
mod current;
mod error;
mod events;
mod hooks;
mod installs;
mod leases;
mod proxy_keys;
mod rate_holds;
mod reserve;
mod schema;
mod sdk_rows;
mod tokens;

use super::cipher::Cipher;
use super::error::{StoreError, StoreResult};
use super::{key, keyring};
use rusqlite::{Connection as Sqlite, OpenFlags, TransactionBehavior};
pub use sdk_rows::sdk_installations;
use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(2500);

/// AAD of the value that proves the key opens this database.
const KEY_CHECK: &str = "meta:key_check";

pub struct SqliteStore {
    conn: Sqlite,
    cipher: Cipher,
    path: PathBuf,
    key_source: key::KeySource,
    /// What opening changed that the user should hear about once (a mode made owner-only).
    notices: Vec<String>,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path`, with the key from `XOX_KEY`
    /// or the key file beside it.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let env_key = std::env::var(key::KEY_ENV).ok();
        SqliteStore::open_with(path, env_key.as_deref(), keyring::enabled())
    }

    /// Open with this key (or the key file beside the database), never the keyring.
    pub fn open_with_key(path: &Path, env_key: Option<&str>) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, env_key, false)
    }

    pub(in crate::store) fn open_with(
        path: &Path,
        env_key: Option<&str>,
        use_keyring: bool,
    ) -> StoreResult<SqliteStore> {
        create_owner_only(path)?;
        let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        // Another program's database is refused before anything in it changes: the
        // journal mode below is written into the file.
        refuse_foreign(&conn, path)?;
        let notices = tighten_modes(path);
        // WAL lets readers (`xox token`, the dashboard) run while another process writes;
        // FULL makes a committed token write survive power loss, since a lost rotated
        // refresh token cannot be recovered. Switching a new file to WAL takes a lock that
        // many first runs may want at once: it waits its turn like schema creation.
        with_patience(|| {
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| sql_err(path, e))
        })?;
        let mut store_conn = conn;
        let needs_key_check = with_patience(|| migrate(&mut store_conn, path))?;
        let recorded = recorded_key_source(&store_conn);
        let master = key::resolve(
            path,
            env_key,
            needs_key_check,
            recorded.as_deref(),
            use_keyring,
        )?;
        let mut store = SqliteStore {
            conn: store_conn,
            cipher: Cipher::new(&master.bytes),
            path: path.to_path_buf(),
            key_source: master.source,
            notices,
        };
        with_patience(|| store.check_key(needs_key_check))?;
        if needs_key_check {
            let key = match &store.key_source {
                key::KeySource::File(file) => format!(
                    "its key is in {} (back both up together: without the key the tokens cannot be read)",
                    file.display()
                ),
                key::KeySource::Env => "its key is the one in XOX_KEY".to_owned(),
                key::KeySource::Keyring => "its key is in the OS keyring".to_owned(),
            };
            store.notices.push(format!(
                "created a new xox database at {}; {key}",
                path.display()
            ));
        }
        with_patience(|| store.fill_token_digests())?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Prove the key: decrypt the stored check value, or store one for a new database.
    fn check_key(&self, is_new: bool) -> StoreResult<()> {
        if is_new {
            let sealed = self.cipher.seal(KEY_CHECK, b"xox");
            // Where the key lives is not a secret; it makes a missing key findable.
            self.conn
                .execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('key_source', ?1)",
                    [self.key_source.name()],
                )
                .and_then(|_| {
                    self.conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('key_check', ?1)",
                        [sealed],
                    )
                })
                .map_err(|e| self.sql(e))?;
        }
        let sealed: Vec<u8> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sql(e))?;
        match self.cipher.open(KEY_CHECK, &sealed) {
            Ok(_) => Ok(()),
            Err(_) => Err(StoreError::WrongKey(self.path.clone())),
        }
    }

    /// Give tokens stored before schema 4 their digests, once: the migration cannot, since
    /// it runs before the key is known.
    fn fill_token_digests(&mut self) -> StoreResult<()> {
        if self.has_token_digests()? {
            return Ok(());
        }
        let notices = self.write(|tx, cipher| {
            let notices = tokens::fill_digests(tx, cipher)?;
            tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('token_digests', 1)",
                [],
            )?;
            Ok(notices)
        })?;
        self.notices.extend(notices);
        Ok(())
    }

    fn has_token_digests(&self) -> StoreResult<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'token_digests')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }

    fn sql(&self, e: rusqlite::Error) -> StoreError {
        sql_err(&self.path, e)
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so
    /// two processes never both read-then-write and deadlock on the upgrade.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &Cipher) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let value = f(&tx, &self.cipher).map_err(|e| match e {
            StoreError::DiskFull(_) => StoreError::DiskFull(path.clone()),
            other => other,
        })?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(value)
    }
}

/// A connection to the existing file at `path` (`access`: read-write or read-only), one
/// per thread, that waits [`BUSY_TIMEOUT`] for another process's lock.
fn connect(path: &Path, access: OpenFlags) -> StoreResult<Sqlite> {
    let conn = Sqlite::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| sql_err(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sql_err(path, e))?;
    Ok(conn)
}

fn sql_err(path: &Path, e: rusqlite::Error) -> StoreError {
    error::from_sqlite(path, BUSY_TIMEOUT.as_millis() as u64, e)
}

/// Create the database file (and its folder) owner-only before SQLite touches it; SQLite
/// then gives the -wal and -shm files the same mode.
fn create_owner_only(path: &Path) -> StoreResult<()> {
    let cannot = |e: std::io::Error| StoreError::CannotOpen {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(cannot)?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if path.is_dir() {
                return Err(cannot(std::io::Error::other("it is a directory")));
            }
            Ok(())
        }
        Err(e) => Err(cannot(e)),
    }
}

/// How long opening waits for other processes creating or upgrading the schema.
const SCHEMA_PATIENCE: Duration = Duration::from_secs(30);

/// Run `step` again while the database is busy, for up to [`SCHEMA_PATIENCE`]: hundreds
/// of processes may start on a new database at once, and each must get its turn.
fn with_patience<T>(mut step: impl FnMut() -> StoreResult<T>) -> StoreResult<T> {
    let started = std::time::Instant::now();
    loop {
        match step() {
            Err(StoreError::Locked { .. }) if started.elapsed() < SCHEMA_PATIENCE => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Refuse a database another program made, reading only. One statement, so the version
/// and the tables are seen in one snapshot while another process may be creating them.
fn refuse_foreign(conn: &Sqlite, path: &Path) -> StoreResult<()> {
    let foreign = conn
        .query_row(schema::FOREIGN_CHECK, [], |r| r.get(0))
        .map_err(|e| sql_err(path, e))?;
    if foreign {
        return Err(StoreError::ForeignDatabase(path.to_path_buf()));
    }
    Ok(())
}

/// Make the database and its -wal and -shm files owner-only where they are not. The
/// companions take the database's mode when SQLite makes them, so one notice, for the
/// database, tells the story.
fn tighten_modes(path: &Path) -> Vec<String> {
    let notice = crate::paths::tighten_to_owner_only(path).map(|mode| {
        format!(
            "note: {} could be read by others (mode {mode:o}); it is now 600",
            path.display()
        )
    });
    for suffix in ["-wal", "-shm"] {
        crate::paths::tighten_to_owner_only(&companion(path, suffix));
    }
    notice.into_iter().collect()
}

/// The database's `-wal` or `-shm` file.
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Bring the schema up to date. Returns whether the database has no key check yet
/// (a fresh file), in which case a key may be created for it.
fn migrate(conn: &mut Sqlite, path: &Path) -> StoreResult<bool> {
    // Fast path for the common case (every `xox token` call): an up-to-date schema needs
    // no write lock, so many processes can open the database at once.
    let current = schema::version(conn).map_err(|e| sql_err(path, e))?;
    if current == schema::LATEST && has_key_check(conn).map_err(|e| sql_err(path, e))? {
        return Ok(false);
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql_err(path, e))?;
    let version = schema::version(&tx).map_err(|e| sql_err(path, e))?;
    if version > schema::LATEST {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            known: schema::LATEST,
        });
    }
    schema::migrate(&tx, version).map_err(|e| sql_err(path, e))?;
    let has_check = has_key_check(&tx).map_err(|e| sql_err(path, e))?;
    tx.commit().map_err(|e| sql_err(path, e))?;
    Ok(!has_check)
}

/// Where the key was put when the database was made (`file`, `env`, `keyring`): not a
/// secret, and it makes a missing key findable.
fn recorded_key_source(conn: &Sqlite) -> Option<String> {
    conn.query_row(
        "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'key_source'",
        [],
        |r| r.get(0),
    )
    .ok()
}

fn has_key_check(conn: &Sqlite) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'key_check')",
        [],
        |r| r.get(0),
    )
}
