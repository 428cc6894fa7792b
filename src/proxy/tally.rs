//! The proxy's counts: per key in memory, written to the store once a second (one write
//! per key rather than one per request), and totals for the proxy's own lines.

use crate::engine::Engine;
use crate::engine::now_unix;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
struct Since {
    requests: u64,
    failures: u64,
    last: i64,
}

#[derive(Default)]
pub struct Tally {
    pending: Mutex<HashMap<String, Since>>,
    pub requests: AtomicU64,
    pub failures: AtomicU64,
    pub rate_limited: AtomicU64,
}

impl Tally {
    pub fn count(&self, key_id: Option<&str>, failed: bool, rate_limited: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        if rate_limited {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(id) = key_id {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            // Looked up before inserting, so a known key costs no allocation.
            let since = match pending.get_mut(id) {
                Some(since) => since,
                None => pending.entry(id.to_owned()).or_default(),
            };
            since.requests += 1;
            since.failures += u64::from(failed);
            since.last = now_unix();
        }
    }

    /// Write what was counted since the last flush. Counts that cannot be written are
    /// dropped with a log line: they are statistics, and the requests were served.
    pub async fn flush(&self, engine: &Engine) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (id, since) in pending {
            if let Err(e) = engine
                .count_proxy_use(&id, since.requests, since.failures, since.last)
                .await
            {
                tracing::warn!(error = %e, "could not store the proxy's counts");
            }
        }
    }
}
