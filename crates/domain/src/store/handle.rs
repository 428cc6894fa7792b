//! `StoreHandle`: a backend shared by async tasks, every use on the blocking pool; a
//! server's store with a few sessions at once.

use super::backend::{Backend, SessionMaker};
use super::error::{StoreError, StoreResult};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

/// How many sessions serve one process's callers at once, where the backend can open more
/// (a server). Few: each is a process on the server, per host.
const MAX_SESSIONS: usize = 4;

type Session = Arc<Mutex<Box<dyn Backend>>>;

/// The sessions open so far, and how to open another.
struct Sessions {
    open: Mutex<Vec<Session>>,
    more: Option<SessionMaker>,
    turn: AtomicUsize,
}

impl Sessions {
    /// A free session; else a new one while there are fewer than [`MAX_SESSIONS`] (opened
    /// when first needed, so `xox token` opens one); else the next in turn, to wait for.
    fn pick(&self) -> Session {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let free = open
            .iter()
            .find(|s| !matches!(s.try_lock(), Err(TryLockError::WouldBlock)));
        if let Some(free) = free {
            return free.clone();
        }
        if open.len() < MAX_SESSIONS
            && let Some(more) = &self.more
            && let Ok(session) = more()
        {
            let session = Arc::new(Mutex::new(session));
            open.push(session.clone());
            return session;
        }
        open[self.turn.fetch_add(1, Ordering::Relaxed) % open.len()].clone()
    }
}

/// How long a read waits out a store that is out of reach for now: longer than a
/// PostgreSQL restart takes.
pub const READ_PATIENCE: Duration = Duration::from_secs(15);

/// An error that may not happen again if the same call is made later.
pub trait Passing {
    fn passes(&self) -> bool;
}

/// Only a server that went away passes for a read: a locked file has had its wait already
/// (the busy timeout), and a full disk does not stop reads.
impl Passing for StoreError {
    fn passes(&self) -> bool {
        matches!(self, StoreError::Postgres { passing: true, .. })
    }
}

/// Backend calls block (on disk, on another process's lock, on a server), so they never run
/// on an async worker: each goes to `spawn_blocking`, one at a time per session; or, for a
/// process with one task, in place (see [`StoreHandle::in_place`]).
#[derive(Clone)]
pub struct StoreHandle {
    sessions: Arc<Sessions>,
    in_place: bool,
}

impl StoreHandle {
    pub fn new(backend: Box<dyn Backend>) -> StoreHandle {
        let more = backend.session_maker();
        StoreHandle {
            sessions: Arc::new(Sessions {
                open: Mutex::new(vec![Arc::new(Mutex::new(backend))]),
                more,
                turn: AtomicUsize::new(0),
            }),
            in_place: false,
        }
    }

    /// Reads ([`StoreHandle::read`]) of a file made on the calling thread: for a process
    /// that runs one task (`xox token`), whose read then holds up a thread nothing else is
    /// waiting for, and which never starts the blocking pool's thread (a fifth of a
    /// millisecond of every run). Only reads: a WAL reader waits on no lock, where a write
    /// may wait seconds for another process while a refresh's lease must be renewed. Only
    /// a file: a server's client runs a runtime of its own, which cannot start inside this
    /// one (a store with a session maker is a server's).
    pub fn in_place(self) -> StoreHandle {
        let in_place = self.sessions.more.is_none();
        StoreHandle { in_place, ..self }
    }

    pub async fn run<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Backend) -> T + Send + 'static,
    {
        self.run_where(false, f).await
    }

    async fn run_where<T, F>(&self, in_place: bool, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Backend) -> T + Send + 'static,
    {
        let sessions = self.sessions.clone();
        if in_place {
            let session = sessions.pick();
            let mut backend = session.lock().unwrap_or_else(|p| p.into_inner());
            return f(backend.as_mut());
        }
        tokio::task::spawn_blocking(move || {
            let session = sessions.pick();
            // A panic inside another call poisons the lock; the backend itself is still
            // consistent (each call is its own transaction), so carry on with it.
            let mut backend = session.lock().unwrap_or_else(|p| p.into_inner());
            f(backend.as_mut())
        })
        .await
        .expect("a store task does not panic")
    }

    /// `run` a read again while it fails in a way that passes (a PostgreSQL server
    /// restarting), for up to [`READ_PATIENCE`]: a caller is not refused a token because
    /// the store blinked. Only for calls that change nothing.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Passing + std::fmt::Display + Send + 'static,
        F: Fn(&mut dyn Backend) -> Result<T, E> + Send + Sync + 'static,
    {
        self.retrying(
            READ_PATIENCE,
            E::passes,
            "reading the store",
            self.in_place,
            f,
        )
        .await
    }

    /// `run` a write again while it fails in a way that may pass (locked, disk full, a
    /// server away), for up to `patience`: for writes of tokens Slack has just issued,
    /// which exist nowhere else, and for freeing a refresh lock.
    pub async fn run_retrying<T, F>(&self, patience: Duration, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Backend) -> StoreResult<T> + Send + Sync + 'static,
    {
        self.retrying(
            patience,
            StoreError::is_retryable,
            "writing to the store",
            false,
            f,
        )
        .await
    }

    /// `run` `f` again (in place or not), a quarter second apart, while its error `passes`
    /// and `patience` lasts; `doing` names the attempt in the log.
    async fn retrying<T, E, F>(
        &self,
        patience: Duration,
        passes: fn(&E) -> bool,
        doing: &'static str,
        in_place: bool,
        f: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: std::fmt::Display + Send + 'static,
        F: Fn(&mut dyn Backend) -> Result<T, E> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let started = Instant::now();
        loop {
            let attempt = f.clone();
            match self.run_where(in_place, move |b| attempt(b)).await {
                Err(e) if passes(&e) && started.elapsed() < patience => {
                    tracing::warn!(error = %e, "{doing}; trying again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                outcome => return outcome,
            }
        }
    }
}
