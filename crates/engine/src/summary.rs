//! What the dashboard shows in one go (`Snapshot`), and the counts its header and `list`
//! print (`Summary`), computed one way for both.

use super::failures::{ExplainedCall, explain, standing};
use super::{Engine, EngineResult};
use crate::store::{App, Connection, EventAction, Health, Outcome, ProxyKey, now_unix};
use std::time::Duration;

/// Everything the dashboard loads from the store at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub connections: Vec<Connection>,
    pub failed: Vec<ExplainedCall>,
    pub apps: Vec<App>,
    pub proxy_keys: Vec<ProxyKey>,
    /// Every refresh of the last [`ACTIVITY_SECS`] and how it went, oldest first.
    pub refreshes: Vec<(i64, Outcome)>,
}

/// How far back the dashboard's activity reaches: an hour.
pub const ACTIVITY_SECS: i64 = 3600;

/// The last hour in `buckets` equal slices, oldest first, for a sparkline: refreshes that
/// worked, and failures (failed calls and refreshes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub refreshes: Vec<u64>,
    pub failures: Vec<u64>,
}

impl Activity {
    pub fn of(snapshot: &Snapshot, now: i64, buckets: usize) -> Activity {
        let refreshes = snapshot
            .refreshes
            .iter()
            .filter(|(_, outcome)| *outcome == Outcome::Ok)
            .map(|(at, _)| (*at, 1));
        let failures = snapshot.failed.iter().map(|f| (f.call.at, 1)).chain(
            snapshot
                .refreshes
                .iter()
                .filter(|(_, outcome)| outcome.is_failure())
                .map(|(at, _)| (*at, 1)),
        );
        Activity {
            refreshes: in_buckets(refreshes, now, buckets),
            failures: in_buckets(failures, now, buckets),
        }
    }
}

/// `counts` at their times, summed into `buckets` equal slices of the hour before `now`,
/// oldest first; what falls outside the hour is left out.
pub fn in_buckets(counts: impl Iterator<Item = (i64, u64)>, now: i64, buckets: usize) -> Vec<u64> {
    let mut sums = vec![0; buckets];
    if buckets == 0 {
        return sums;
    }
    for (at, count) in counts {
        let ago = now - at;
        if !(0..ACTIVITY_SECS).contains(&ago) {
            continue;
        }
        let slice = (ago * buckets as i64 / ACTIVITY_SECS) as usize;
        sums[buckets - 1 - slice] += count;
    }
    sums
}

/// The counts that say whether anything needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub connections: usize,
    /// Connections with a token expiring within `window`.
    pub expiring: usize,
    /// Connections whose worst token needs re-auth or was revoked.
    pub need_reauth: usize,
    /// Failed calls not yet replayed successfully.
    pub open_failures: usize,
    /// The refresh window `expiring` counts within: the one `R` and auto-refresh use.
    pub window: Duration,
}

impl Summary {
    pub fn of(
        connections: &[Connection],
        failed: &[ExplainedCall],
        window: Duration,
        now: i64,
    ) -> Summary {
        let within = window.as_secs() as i64;
        Summary {
            connections: connections.len(),
            expiring: connections
                .iter()
                .filter(|c| {
                    c.tokens
                        .iter()
                        .any(|t| t.expires_at.is_some_and(|at| at - now <= within))
                })
                .count(),
            need_reauth: connections
                .iter()
                .filter(|c| matches!(c.health(now), Health::NeedsReauth | Health::Revoked))
                .count(),
            open_failures: failed.iter().filter(|f| standing(&f.call)).count(),
            window,
        }
    }
}

impl Engine {
    /// Connections, explained failed calls and apps, read together.
    pub async fn snapshot(&self) -> EngineResult<Snapshot> {
        Ok(self
            .store()
            .run(|s| {
                let connections = s.connections()?;
                // A dismissed call is set aside: the dashboard no longer shows it.
                let calls = s
                    .calls()?
                    .into_iter()
                    .filter(|c| c.state != crate::store::CallState::Dismissed)
                    .collect();
                let failed = explain(s, calls)?;
                let apps = s.apps()?;
                let proxy_keys = s.proxy_keys()?;
                let refreshes = s.event_times(EventAction::Refresh, now_unix() - ACTIVITY_SECS)?;
                Ok::<_, crate::store::StoreError>(Snapshot {
                    connections,
                    failed,
                    apps,
                    proxy_keys,
                    refreshes,
                })
            })
            .await?)
    }
}

/// What the store says for metrics: every connection (with its tokens' health and
/// expiry), and the refreshes in the trail by outcome, every host's.
#[derive(Debug, Clone, Default)]
pub struct StoreFacts {
    pub connections: Vec<Connection>,
    pub refreshes: Vec<(crate::store::Outcome, i64)>,
    /// Hook deliveries kept (the last week's), by state: every host's.
    pub hook_deliveries: Vec<(crate::store::hooks::DeliveryState, i64)>,
}

impl Engine {
    pub async fn store_facts(&self) -> EngineResult<StoreFacts> {
        self.store()
            .read(|s| -> EngineResult<StoreFacts> {
                Ok(StoreFacts {
                    connections: s.connections()?,
                    refreshes: s.event_counts(crate::store::EventAction::Refresh)?,
                    hook_deliveries: s.delivery_counts()?,
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fall_in_their_slice_of_the_hour_oldest_first() {
        let now = 10_000;
        let counts = [
            (now, 1),
            (now - 59, 2),
            (now - 3599, 4),
            (now - 3600, 8),
            (now + 5, 16),
        ];
        // Four slices of fifteen minutes: the newest holds now and a minute ago.
        assert_eq!(in_buckets(counts.into_iter(), now, 4), vec![4, 0, 0, 3]);
        assert_eq!(in_buckets(counts.into_iter(), now, 0), Vec::<u64>::new());
    }
}
