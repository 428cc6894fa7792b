//! `StoreHandle`: one backend shared by async tasks; every use runs on the blocking pool.

use super::backend::Backend;
use std::sync::{Arc, Mutex};

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
}
