//! `StoreHandle`: one backend shared by async tasks; every use runs on the blocking pool.

use super::backend::Backend;
use super::error::StoreResult;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
