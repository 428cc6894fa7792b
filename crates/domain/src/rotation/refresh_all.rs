//! Refresh every due token: concurrently across workspaces, one at a time within a
//! workspace and app, so Slack's per-workspace, per-app limits are respected.

use super::rotator::{Need, Rotator, Target};
use super::stop::StopLevel;
use crate::slack::TokenKind;
use crate::store::DueToken;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many workspaces are refreshed at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct ItemResult {
    pub connection_id: String,
    pub connection: String,
    pub kind: TokenKind,
    /// The new expiry, or why it failed.
    pub outcome: Result<Option<i64>, String>,
    /// False when another caller had already refreshed it.
    pub refreshed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RefreshReport {
    pub items: Vec<ItemResult>,
    pub elapsed: Duration,
}

impl RefreshReport {
    pub fn failed(&self) -> usize {
        self.items.iter().filter(|i| i.outcome.is_err()).count()
    }
}

/// Refresh `due` (tokens expiring within `within_secs`), calling `progress(done, total,
/// failed)` after each.
pub async fn refresh_due(
    rotator: &Rotator,
    due: Vec<DueToken>,
    within_secs: i64,
    concurrency: usize,
    progress: &(dyn Fn(usize, usize, usize) + Sync),
) -> RefreshReport {
    let started = Instant::now();
    let total = due.len();
    let mut groups: BTreeMap<(String, Option<String>), Vec<DueToken>> = BTreeMap::new();
    for token in due {
        groups
            .entry((token.app_id.clone(), token.team_id.clone()))
            .or_default()
            .push(token);
    }
    let (done, failed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let per_group = futures_util::stream::iter(groups.into_values())
        .map(|group| {
            let (done, failed) = (&done, &failed);
            async move {
                let mut results = Vec::with_capacity(group.len());
                for token in group {
                    // A stop lets the refresh in flight finish, and starts no other.
                    if rotator.stop.level() >= StopLevel::Finish {
                        break;
                    }
                    let target = Target {
                        connection_id: token.connection_id.clone(),
                        connection_name: token.connection_name.clone(),
                        app_id: token.app_id.clone(),
                        kind: token.kind,
                    };
                    // The need is re-checked: another process may have refreshed it already.
                    let outcome = rotator
                        .refresh_if(&target, Need::ExpiresWithin(within_secs))
                        .await;
                    if outcome.is_err() {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(finished, total, failed.load(Ordering::Relaxed));
                    results.push(ItemResult {
                        connection_id: token.connection_id,
                        connection: token.connection_name,
                        kind: token.kind,
                        refreshed: outcome.as_ref().is_ok_and(|f| f.refreshed),
                        outcome: outcome.map(|f| f.expires_at).map_err(|e| e.to_string()),
                    });
                }
                results
            }
        })
        .buffer_unordered(concurrency.max(1));
    let items = per_group
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    RefreshReport {
        items,
        elapsed: started.elapsed(),
    }
}
