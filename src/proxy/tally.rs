//! The proxy's counts: per key in memory, written to the store once a second (one write
//! per key rather than one per request), and totals for the proxy's own lines.

use crate::engine::now_unix;
use crate::engine::{Engine, ProxyUse};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
struct Since {
    counted: ProxyUse,
    last: i64,
}

/// What one request came to, for the counts.
pub struct Counted<'a> {
    pub key_id: Option<&'a str>,
    pub failed: bool,
    /// The key's scope refused it (not a failure).
    pub out_of_scope: bool,
    pub rate_limited: bool,
    /// It waited for its turn under the governor.
    pub held: bool,
    /// Slack's 429s the governor waited out for it.
    pub absorbed: u32,
}

impl Counted<'_> {
    /// A request refused before it had a key.
    pub fn refused() -> Counted<'static> {
        Counted {
            key_id: None,
            failed: true,
            out_of_scope: false,
            rate_limited: false,
            held: false,
            absorbed: 0,
        }
    }
}

#[derive(Default)]
pub struct Tally {
    pending: Mutex<HashMap<String, Since>>,
    pub requests: AtomicU64,
    pub failures: AtomicU64,
    pub rate_limited: AtomicU64,
}

impl Tally {
    pub fn count(&self, request: Counted<'_>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if request.failed {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        if request.rate_limited {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(id) = request.key_id {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            // Looked up before inserting, so a known key costs no allocation.
            let since = match pending.get_mut(id) {
                Some(since) => since,
                None => pending.entry(id.to_owned()).or_default(),
            };
            since.counted.requests += 1;
            since.counted.failures += u64::from(request.failed);
            since.counted.held += u64::from(request.held);
            since.counted.absorbed += u64::from(request.absorbed);
            since.counted.refused += u64::from(request.out_of_scope);
            since.last = now_unix();
        }
    }

    /// Write what was counted since the last flush. Counts that cannot be written are
    /// dropped with a log line: they are statistics, and the requests were served.
    pub async fn flush(&self, engine: &Engine) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (id, since) in pending {
            if let Err(e) = engine.count_proxy_use(&id, since.counted, since.last).await {
                tracing::warn!(error = %e, "could not store the proxy's counts");
            }
        }
    }
}
