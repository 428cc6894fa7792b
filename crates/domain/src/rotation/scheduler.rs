//! The auto-refresh scheduler: sleep until the next token enters its window, refresh what is
//! due through the same single-flight path, back off on failure.

use super::refresh_all::{DEFAULT_CONCURRENCY, refresh_due};
use super::rotator::Rotator;
use super::stop::StopLevel;
use crate::slack::TokenKind;
use crate::store::now_unix;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// Look at the database at least this often, to notice tokens other processes added.
const RESCAN_SECS: i64 = 60;
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 15 * 60;

#[derive(Debug, Clone)]
pub enum WatchEvent {
    Refreshed {
        connection: String,
        kind: TokenKind,
        expires_at: Option<i64>,
    },
    Failed {
        connection: String,
        kind: TokenKind,
        error: String,
        retry_in_secs: i64,
    },
    /// Nothing due; the next look is at this unix time.
    Sleeping {
        until: i64,
    },
    StoreError(String),
}

/// 30 s, 60 s, 120 s, … up to 15 minutes.
fn backoff_secs(failures: u32) -> i64 {
    (FIRST_BACKOFF_SECS << failures.saturating_sub(1).min(10)).min(MAX_BACKOFF_SECS)
}

/// Keep tokens fresh until `until` completes or the rotator's stop is asked for. A stop
/// during a pass lets the refreshes in flight finish and save; no new one starts.
pub async fn watch(
    rotator: &Rotator,
    window: Duration,
    until: impl Future<Output = ()>,
    report: &(dyn Fn(WatchEvent) + Sync),
) {
    let window = window.as_secs() as i64;
    let mut backoff: HashMap<(String, TokenKind), (u32, i64)> = HashMap::new();
    tokio::pin!(until);
    while rotator.stop.level() == StopLevel::Running {
        let now = now_unix();
        let scan = rotator
            .store()
            .run(move |s| {
                Ok::<_, crate::store::StoreError>((
                    s.due_tokens(now + window)?,
                    s.next_expiry(now + window)?,
                ))
            })
            .await;
        let (due, next_expiry) = match scan {
            Ok(found) => found,
            Err(e) => {
                report(WatchEvent::StoreError(e.to_string()));
                (Vec::new(), None)
            }
        };
        let due: Vec<_> = due
            .into_iter()
            .filter(|t| {
                backoff
                    .get(&(t.connection_id.clone(), t.kind))
                    .is_none_or(|(_, at)| *at <= now)
            })
            .collect();
        if !due.is_empty() {
            let result =
                refresh_due(rotator, due, window, DEFAULT_CONCURRENCY, &|_, _, _| {}).await;
            for item in result.items {
                let key = (item.connection_id.clone(), item.kind);
                match item.outcome {
                    Ok(expires_at) => {
                        backoff.remove(&key);
                        if item.refreshed {
                            report(WatchEvent::Refreshed {
                                connection: item.connection,
                                kind: item.kind,
                                expires_at,
                            });
                        }
                    }
                    Err(error) => {
                        let failures = backoff.get(&key).map_or(0, |(n, _)| *n) + 1;
                        let retry_in_secs = backoff_secs(failures);
                        backoff.insert(key, (failures, now_unix() + retry_in_secs));
                        report(WatchEvent::Failed {
                            connection: item.connection,
                            kind: item.kind,
                            error,
                            retry_in_secs,
                        });
                    }
                }
            }
        }
        let now = now_unix();
        let wake = [
            next_expiry.map(|at| at - window),
            backoff.values().map(|(_, at)| *at).min(),
            Some(now + RESCAN_SECS),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + RESCAN_SECS)
        .max(now + 1);
        report(WatchEvent::Sleeping { until: wake });
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs((wake - now) as u64)) => {}
            _ = rotator.stop.reached(StopLevel::Finish) => return,
            _ = &mut until => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(5), 480);
        assert_eq!(backoff_secs(6), 900);
        assert_eq!(backoff_secs(60), 900);
    }
}
