//! `StoreHandle`: one backend shared by async tasks; every use runs on the blocking pool.

use super::backend::Backend;
use super::error::StoreResult;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a read waits out a store that is out of reach for now: longer than a
/// PostgreSQL restart takes.
pub const READ_PATIENCE: Duration = Duration::from_secs(15);

/// An error that may not happen again if the same call is made later.
pub trait Passing {
    fn passes(&self) -> bool;
}

/// Only a server that went away passes for a read: a locked file has had its wait already
/// (the busy timeout), and a full disk does not stop reads.
impl Passing for super::StoreError {
    fn passes(&self) -> bool {
        matches!(self, super::StoreError::Postgres { passing: true, .. })
    }
}

/// Backend calls block (on disk, on another process's lock, on a server), so they never run
/// on an async worker: each goes to `spawn_blocking`, one at a time through the mutex.
#[derive(Clone)]
pub struct StoreHandle(Arc<Mutex<Box<dyn Backend>>>);

impl StoreHandle {
    pub fn new(backend: Box<dyn Backend>) -> StoreHandle {
        StoreHandle(Arc::new(Mutex::new(backend)))
    }

    pub async fn run<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Backend) -> T + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            // A panic inside another call poisons the lock; the backend itself is still
            // consistent (each call is its own transaction), so carry on with it.
            let mut backend = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(backend.as_mut())
        })
        .await
        .expect("a store task does not panic")
    }

    /// `run` a read again while it fails in a way that passes (a PostgreSQL server
    /// restarting), for up to [`READ_PATIENCE`]: a caller is not
    /// refused a token because the store blinked. Only for calls that change nothing.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Passing + Send + 'static,
        F: Fn(&mut dyn Backend) -> Result<T, E> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let started = Instant::now();
        loop {
            let attempt = f.clone();
            match self.run(move |b| attempt(b)).await {
                Err(e) if e.passes() && started.elapsed() < READ_PATIENCE => {
                    tracing::warn!("the store is out of reach for now; reading again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                outcome => return outcome,
            }
        }
    }

    /// `run` a write again while it fails in a way that may pass (locked, disk full), for up
    /// to `patience`: for writes of tokens Slack has just issued, which exist nowhere else.
    pub async fn run_retrying<T, F>(&self, patience: Duration, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Backend) -> StoreResult<T> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let started = Instant::now();
        loop {
            let attempt = f.clone();
            match self.run(move |b| attempt(b)).await {
                Err(e) if e.is_retryable() && started.elapsed() < patience => {
                    tracing::warn!(error = %e, "saving new tokens; trying again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                outcome => return outcome,
            }
        }
    }
}
