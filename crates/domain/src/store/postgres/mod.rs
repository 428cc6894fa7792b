//! The shared backend: a PostgreSQL server, for fleets of hosts that hold the same tokens.
//! Secrets are sealed with the key from `XOX_KEY` before they leave the process, so the
//! server never sees a token or the key.

mod apps;
mod backend;
mod calls;
mod connections;
mod events;
mod feed;
mod hooks;
mod installs;
mod leases;
mod proxy_keys;
mod rate_holds;
mod rows;
mod schema;
mod server;
mod tokens;

use super::cipher::Cipher;
use super::error::{StoreError, StoreResult};
use crate::slack::TokenKind;
use postgres::types::Type;
use postgres::{Client, Transaction};
use server::Server;
use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// AAD of the value that proves the key opens this store (as in the file).
const KEY_CHECK: &str = "meta:key_check";

/// One session on the store. A process that does several things at once opens more of
/// them ([`PostgresStore::sibling`]), which share the refresh locks, the kept lease
/// sessions and the change feed.
pub struct PostgresStore {
    /// In a cell because the seam's reads take `&self` and the driver's take `&mut`.
    client: RefCell<Option<Client>>,
    cipher: Arc<Cipher>,
    server: Server,
    schema: String,
    /// The URL without its password, for messages.
    location: String,
    notices: Vec<String>,
    shared: Arc<Shared>,
}

/// What the sessions of one store in a process share. A refresh lock is taken through one
/// session and freed through whichever commits the pair, so the locks' sessions are kept
/// here, not by the session that took them.
#[derive(Default)]
struct Shared {
    /// Refresh locks held: each a session of its own, in a transaction holding the lock.
    leases: Mutex<HashMap<(String, TokenKind), Client>>,
    /// Lease sessions between leases, each outside any transaction.
    idle_sessions: Mutex<Vec<Client>>,
    feed: OnceLock<tokio::sync::watch::Receiver<u64>>,
}

/// Closing a session blocks on the driver's own runtime, which it may not do on a thread
/// that drives async tasks (where a command's engine ends): sessions are closed on a thread
/// of their own, which nobody waits for. Sessions outside a transaction may close after
/// the process has gone (its exit closes their sockets), which the server takes as an
/// ordinary disconnect and does not log; not waiting spares `xox token` a thread's start
/// on a machine the server's exiting session keeps busy.
fn close_elsewhere<T: Send + 'static>(sessions: T) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || drop(sessions))
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            close_elsewhere(client);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let leases = std::mem::take(self.leases.get_mut().unwrap_or_else(|p| p.into_inner()));
        let had_leases = !leases.is_empty();
        let idle = std::mem::take(
            self.idle_sessions
                .get_mut()
                .unwrap_or_else(|p| p.into_inner()),
        );
        // Most processes (every `xox token`) never take a lease: no thread for nothing.
        if had_leases || !idle.is_empty() {
            // A held lock's session is in a transaction, which the server would log as cut
            // off if the process exited first: that close is waited for.
            let closing = close_elsewhere((leases, idle));
            if had_leases {
                let _ = closing.join();
            }
        }
    }
}

/// A lock over shared sessions; a panic elsewhere leaves the map itself whole.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        failure("the PostgreSQL store", &e)
    }
}

/// `e` as a store error at `location`, marked passing when trying again may help.
fn failure(location: &str, e: &postgres::Error) -> StoreError {
    StoreError::Postgres {
        location: location.to_owned(),
        detail: server_error(e),
        passing: is_passing(e),
    }
}

/// Lost sessions, a server starting or shutting down, and one with all its connection
/// slots taken pass; so do serialization failures and deadlocks, which the server asks
/// callers to retry. Anything the server refused on
/// its merits (a constraint, a permission, a bad login) does not.
fn is_passing(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    match e.code() {
        // Not the server's answer: the connection failed or was lost.
        None => true,
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                ]
                .contains(code)
        }
    }
}

/// The first session, waited for as the store's reads are (`READ_PATIENCE`): a server
/// restarting, or refusing while it starts or stops, is no reason to fail a command.
fn connect_patiently(server: &server::Server) -> Result<Client, postgres::Error> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        match server.connect() {
            Err(e) if is_passing(&e) && started.elapsed() < super::READ_PATIENCE => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

/// Is `location` a PostgreSQL URL (rather than a file path)?
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl PostgresStore {
    /// Connect to the server at `url`, bring xox's schema up to date, and prove the key.
    pub fn open(url: &str) -> StoreResult<PostgresStore> {
        let env_key = std::env::var(super::key::KEY_ENV).ok();
        PostgresStore::open_with_key(url, env_key.as_deref())
    }

    pub fn open_with_key(url: &str, env_key: Option<&str>) -> StoreResult<PostgresStore> {
        PostgresStore::open_on_own_thread(url, env_key, true)
    }

    /// Open the store at `url` only if it is there: a mistyped schema is an error, not a
    /// new, empty store.
    pub fn open_existing(url: &str) -> StoreResult<PostgresStore> {
        let env_key = std::env::var(super::key::KEY_ENV).ok();
        PostgresStore::open_on_own_thread(url, env_key.as_deref(), false)
    }

    fn open_on_own_thread(
        url: &str,
        env_key: Option<&str>,
        create: bool,
    ) -> StoreResult<PostgresStore> {
        // The driver runs a runtime of its own for each session, which it may not start on
        // a thread that drives async tasks (commands open their store from one): opening is
        // done on a thread of its own. Later calls arrive on the blocking pool, where it may.
        std::thread::scope(|scope| {
            scope
                .spawn(|| PostgresStore::open_here(url, env_key, create))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    fn open_here(url: &str, env_key: Option<&str>, create: bool) -> StoreResult<PostgresStore> {
        let server::Target {
            server,
            schema,
            location,
        } = server::parse(url)?;
        let key = env_key.ok_or(StoreError::PostgresKeyMissing)?;
        let key = super::key::decode(key).ok_or(StoreError::BadEnvKey)?;
        let failed = |e: postgres::Error| failure(&location, &e);
        let mut client = connect_patiently(&server).map_err(failed)?;
        let cipher = Cipher::new(&key);
        // The common case (every `xox token`): an up-to-date schema with its key check is
        // read in one statement, without the migration lock or a write.
        let (version, stored) = match schema::ready_key_check(&mut client, &schema) {
            Some(stored) => (schema::LATEST, stored),
            None => {
                let mut tx = client.transaction().map_err(failed)?;
                let version = schema::locked_version(&mut tx, &schema).map_err(failed)?;
                if version == 0 && !create {
                    return Err(StoreError::NotFound(format!(
                        "no xox store in schema {schema} at {location}: check --db or XOX_DB (`xox import`, `xox login`, `xox app add` or `xox db copy` makes one)"
                    )));
                }
                if version > schema::LATEST {
                    // Dropped unfinished: the transaction rolls back, the store is untouched.
                    return Err(StoreError::NewerSchema {
                        path: location.clone().into(),
                        found: version,
                        known: schema::LATEST,
                    });
                }
                schema::migrate(&mut tx, version).map_err(failed)?;
                let sealed = cipher.seal(KEY_CHECK, b"xox");
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
                    &[&sealed],
                )
                .map_err(failed)?;
                let stored: Vec<u8> = tx
                    .query_one("SELECT value FROM meta WHERE key = 'key_check'", &[])
                    .map_err(failed)?
                    .get(0);
                tx.commit().map_err(failed)?;
                (version, stored)
            }
        };
        if cipher.open(KEY_CHECK, &stored).is_err() {
            return Err(StoreError::WrongKey(location.into()));
        }
        let notices = if version == 0 {
            vec![format!(
                "created a new xox database at {location}; its key is the one in XOX_KEY (every host needs the same)"
            )]
        } else {
            Vec::new()
        };
        Ok(PostgresStore {
            client: RefCell::new(Some(client)),
            cipher: Arc::new(cipher),
            server,
            schema,
            location,
            notices,
            shared: Arc::default(),
        })
    }

    /// A maker of more sessions on the same store, sharing this one's locks and feed: for
    /// a process that serves many callers at once, so that one caller's statements do not
    /// wait on another's.
    pub fn session_maker(&self) -> impl Fn() -> StoreResult<PostgresStore> + Send + Sync + use<> {
        let (cipher, server, schema, location, shared) = (
            self.cipher.clone(),
            self.server.clone(),
            self.schema.clone(),
            self.location.clone(),
            self.shared.clone(),
        );
        move || {
            let store = PostgresStore {
                client: RefCell::new(None),
                cipher: cipher.clone(),
                server: server.clone(),
                schema: schema.clone(),
                location: location.clone(),
                notices: Vec::new(),
                shared: shared.clone(),
            };
            store.db()?;
            Ok(store)
        }
    }

    /// A session in xox's schema (the server puts it there at login).
    fn connect(&self) -> StoreResult<Client> {
        self.server.connect().map_err(|e| self.err(e))
    }

    /// The store's session, opened again if the server dropped it (a restart).
    fn db(&self) -> StoreResult<RefMut<'_, Client>> {
        let mut client = self.client.borrow_mut();
        if client.as_ref().is_none_or(Client::is_closed) {
            *client = Some(self.connect()?);
        }
        Ok(RefMut::map(client, |c| {
            c.as_mut().expect("connected just above")
        }))
    }

    /// Run the idempotent `f` on the store's session, and once more on a new one when that
    /// session turns out to be lost (the server restarted since it was last used).
    fn with_db<T>(&self, f: impl Fn(&mut Client) -> Result<T, postgres::Error>) -> StoreResult<T> {
        let first = f(&mut *self.db()?);
        match first {
            Err(e) if is_passing(&e) => {
                self.client.replace(None);
                f(&mut *self.db()?).map_err(|e| self.err(e))
            }
            done => done.map_err(|e| self.err(e)),
        }
    }

    fn err(&self, e: postgres::Error) -> StoreError {
        failure(&self.location, &e)
    }

    /// The channel every commit notifies, for waiters and dashboards on other hosts.
    fn channel(&self) -> String {
        format!("xox_{}", self.schema)
    }

    /// Run `f` in a transaction that notifies the store's channel when it commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>, &Cipher) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut client = self.db()?;
        let mut tx = client.transaction().map_err(|e| self.err(e))?;
        let value = f(&mut tx, &self.cipher)?;
        tx.query_typed("SELECT pg_notify($1, '')", &[(&self.channel(), Type::TEXT)])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(value)
    }

    pub fn location(&self) -> &str {
        &self.location
    }
}

/// The server's own words for what went wrong, or the driver's (a refused connection).
fn server_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => {
            let mut current: &dyn std::error::Error = e;
            while let Some(next) = current.source() {
                current = next;
            }
            let detail = current.to_string();
            if detail.contains("UnknownIssuer") {
                format!(
                    "{detail}: no trusted root signed the server's certificate (name its CA with sslrootcert=PATH in the URL)"
                )
            } else {
                detail
            }
        }
    }
}
