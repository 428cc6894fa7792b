//! In-process single flight: one refresh per (connection, token kind) at a time.

use crate::slack::TokenKind;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// One flight slot per token.
type Slot = Arc<AsyncMutex<()>>;

/// Callers for the same token queue on one async mutex; whoever gets it after the first
/// re-reads the store and finds the token already fresh, so only one refresh is made.
#[derive(Default)]
pub struct SingleFlight {
    slots: Mutex<HashMap<(String, TokenKind), Slot>>,
}

/// A caller's turn in the flight; the next caller's comes when it is dropped.
pub struct Turn {
    _guard: OwnedMutexGuard<()>,
    /// Did another caller in this process hold the flight when this one came?
    pub waited: bool,
}

impl SingleFlight {
    pub async fn enter(&self, connection_id: &str, kind: TokenKind) -> Turn {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots
                .entry((connection_id.to_owned(), kind))
                .or_default()
                .clone()
        };
        match slot.clone().try_lock_owned() {
            Ok(guard) => Turn {
                _guard: guard,
                waited: false,
            },
            Err(_) => Turn {
                _guard: slot.lock_owned().await,
                waited: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_holder_per_key() {
        let flights = Arc::new(SingleFlight::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (flights, inside, max) = (flights.clone(), inside.clone(), max.clone());
                tokio::spawn(async move {
                    let _guard = flights.enter("c1", TokenKind::Bot).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
        // Another key is not held up, and only a caller that queued says it waited.
        let a = flights.enter("c1", TokenKind::Bot).await;
        let b = flights.enter("c1", TokenKind::User).await;
        assert!(!a.waited && !b.waited);
        let queued = tokio::spawn({
            let flights = flights.clone();
            async move { flights.enter("c1", TokenKind::Bot).await.waited }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(a);
        assert!(queued.await.unwrap());
    }
}
