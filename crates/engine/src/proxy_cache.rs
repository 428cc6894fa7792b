//! What the proxy last read from the store for each key, reused for one second: the key,
//! its connection and the tokens it handed out, so a busy app's requests do not each wait
//! on the database. A second is safe: a token another process rotates meanwhile stays
//! valid at Slack until it expires, and a revoked key or a refresh here clears the entry.

use crate::slack::{Secret, TokenKind};
use crate::store::{Connection, ProxyKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FRESH_FOR: Duration = Duration::from_secs(1);

/// Shared, not copied: a request that finds its key here takes a reference to it.
#[derive(Clone)]
pub(super) struct Entry {
    pub key: Arc<ProxyKey>,
    pub connection: Arc<Connection>,
    /// Tokens the usable-token policy handed out, by kind.
    pub tokens: HashMap<TokenKind, Secret>,
}

type Entries = HashMap<[u8; 32], (Instant, Arc<Entry>)>;

#[derive(Default)]
pub(super) struct ProxyCache(Mutex<Entries>);

/// Where a key is kept in memory: a hash of it, not the key.
fn slot(key: &Secret) -> [u8; 32] {
    Sha256::digest(key.expose().as_bytes()).into()
}

impl ProxyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &Secret) -> Option<Arc<Entry>> {
        let mut entries = self.lock();
        let slot = slot(key);
        match entries.get(&slot) {
            Some((at, entry)) if at.elapsed() < FRESH_FOR => Some(entry.clone()),
            Some(_) => {
                entries.remove(&slot);
                None
            }
            None => None,
        }
    }

    /// Keep `entry` for `key`, with `token` as its `kind` token (an entry already fresh
    /// keeps its age, so nothing stays longer than a second after it was read).
    pub fn put(&self, key: &Secret, entry: Entry, token: Option<(TokenKind, Secret)>) {
        let mut entries = self.lock();
        let (_, kept) = entries
            .entry(slot(key))
            .or_insert_with(|| (Instant::now(), Arc::new(entry)));
        if let Some((kind, token)) = token {
            Arc::make_mut(kept).tokens.insert(kind, token);
        }
    }

    pub fn forget(&self, key: &Secret) {
        self.lock().remove(&slot(key));
    }
}
