//! `StoreHandle`: one store shared by async tasks; every use runs on the blocking pool.

use crate::store::Store;
use std::sync::{Arc, Mutex};

/// SQLite calls block (and may wait on another process's lock), so they never run on an
/// async worker: each goes to `spawn_blocking`, one at a time through the mutex.
#[derive(Clone)]
pub struct StoreHandle(Arc<Mutex<Store>>);

impl StoreHandle {
    pub fn new(store: Store) -> StoreHandle {
        StoreHandle(Arc::new(Mutex::new(store)))
    }

    pub async fn run<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut store)
        })
        .await
        .expect("a store task does not panic")
    }
}
