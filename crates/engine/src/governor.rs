//! The rate-limit governor of `xox proxy`: Slack's 429 for an (install, method) holds every
//! later request for that pair until its `Retry-After` has passed, whichever client sends
//! it, and a request that met the 429 is sent again when the time comes rather than handed
//! back. A wait longer than the longest allowed gets the 429 itself, with what remains.
//! With pacing on, each pair also keeps within a budget per minute from the catalogue's
//! rate tier, so Slack rarely has to say 429 at all.

use crate::slack::catalogue::{Tier, catalogue};
use crate::store::RateHold;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How long a request may be held by default before it gets the 429 itself.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(30);
const MINUTE: Duration = Duration::from_secs(60);

/// How the governor is set: `xox proxy --no-governor --max-wait --pace --pace-override`.
#[derive(Debug, Clone)]
pub struct GovernorSettings {
    pub enabled: bool,
    pub max_wait: Duration,
    pub pace: bool,
    /// Calls per minute by method, in place of the tier's budget.
    pub overrides: HashMap<String, u32>,
}

impl Default for GovernorSettings {
    fn default() -> Self {
        GovernorSettings {
            enabled: true,
            max_wait: DEFAULT_MAX_WAIT,
            pace: false,
            overrides: HashMap::new(),
        }
    }
}

/// What the governor did, since the proxy started.
#[derive(Debug, Default)]
pub struct GovernorCounts {
    /// Requests that waited for a pair's hold or budget before going to Slack.
    pub held: AtomicU64,
    /// 429s Slack gave that the proxy waited out and sent again.
    pub absorbed: AtomicU64,
    /// 429s handed to the app: the wait would have been longer than allowed.
    pub passed: AtomicU64,
}

/// Whether a request may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Sent now; `held` when it waited for its turn first.
    Go { held: bool },
    /// Not within the longest wait: the app gets a 429 with this `Retry-After`.
    TooLong { retry_after: u64 },
}

/// A budget per minute from the catalogue's rate tier (Tier 1 = 1, 2 = 20, 3 = 50,
/// 4 = 100); `None` for special methods, which are left to Slack.
fn tier_budget(method: &str) -> Option<u32> {
    match catalogue().get(method)?.tier {
        Tier::Tier(1) => Some(1),
        Tier::Tier(2) => Some(20),
        Tier::Tier(3) => Some(50),
        Tier::Tier(4) => Some(100),
        _ => None,
    }
}

#[derive(Default)]
pub struct Governor {
    settings: GovernorSettings,
    /// Until when each (install, method) is held, from Slack's `Retry-After`.
    holds: Mutex<HashMap<(String, String), Instant>>,
    /// When each paced pair's calls in the last minute went, and `chat.postMessage`'s per
    /// channel in the last second.
    paced: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Shared with whoever reports them (the proxy's stop line, its metrics).
    pub counts: std::sync::Arc<GovernorCounts>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Governor {
    pub fn new(settings: GovernorSettings) -> Governor {
        Governor {
            settings,
            ..Governor::default()
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// Hold (install, method) for `secs` from now, as Slack asked; the later of two holds
    /// stands. Returns until when it is held.
    pub fn hold(&self, connection: &str, method: &str, secs: u64) -> Instant {
        let until = Instant::now() + Duration::from_secs(secs);
        self.hold_until(connection, method, until)
    }

    /// Hold the pair until `until` (another host's hold, from the store).
    pub fn hold_until(&self, connection: &str, method: &str, until: Instant) -> Instant {
        let mut holds = lock(&self.holds);
        let held = holds
            .entry((connection.to_owned(), method.to_owned()))
            .or_insert(until);
        *held = (*held).max(until);
        // Holds that have passed are dropped as new ones come, so the map stays small.
        let now = Instant::now();
        holds.retain(|_, until| *until > now);
        holds
            .get(&(connection.to_owned(), method.to_owned()))
            .copied()
            .unwrap_or(until)
    }

    /// Whether waiting until `until` is within the longest wait allowed.
    pub fn can_wait(&self, until: Instant) -> bool {
        until.saturating_duration_since(Instant::now()) <= self.settings.max_wait
    }

    /// Wait for the pair's turn: its hold, then (pacing) its budget. `channel` is the
    /// channel a `chat.postMessage` posts to.
    pub async fn turn(&self, connection: &str, method: &str, channel: Option<&str>) -> Turn {
        // Most of the time nothing is held: then no key is built for the lookup.
        let held = {
            let holds = lock(&self.holds);
            (!holds.is_empty())
                .then(|| {
                    holds
                        .get(&(connection.to_owned(), method.to_owned()))
                        .copied()
                })
                .flatten()
        };
        let paced = self.paced_until(connection, method, channel);
        let until = match (held, paced) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => match a.or(b) {
                Some(until) => until,
                None => return Turn::Go { held: false },
            },
        };
        let wait = until.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Turn::Go { held: false };
        }
        if wait > self.settings.max_wait {
            return Turn::TooLong {
                retry_after: wait.as_secs_f64().ceil() as u64,
            };
        }
        self.counts.held.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep_until(until).await;
        Turn::Go { held: true }
    }

    /// With pacing on, when the pair's budget lets this call go: now, or when the oldest
    /// call of the window leaves it. The call is counted in the window at that time.
    fn paced_until(
        &self,
        connection: &str,
        method: &str,
        channel: Option<&str>,
    ) -> Option<Instant> {
        if !self.settings.pace {
            return None;
        }
        // chat.postMessage: one a second per channel, as Slack asks.
        let (key, budget, window) = match (method, channel) {
            ("chat.postMessage", Some(channel))
                if !self.settings.overrides.contains_key(method) =>
            {
                (
                    format!("{connection}|{method}|{channel}"),
                    1,
                    Duration::from_secs(1),
                )
            }
            _ => {
                let budget = self
                    .settings
                    .overrides
                    .get(method)
                    .copied()
                    .or_else(|| tier_budget(method))?;
                (format!("{connection}|{method}"), budget, MINUTE)
            }
        };
        let now = Instant::now();
        let mut paced = lock(&self.paced);
        let calls = paced.entry(key).or_default();
        while calls
            .front()
            .is_some_and(|at| now.duration_since(*at) >= window)
        {
            calls.pop_front();
        }
        // The calls already planned (some in the future) decide when this one goes.
        let at = if calls.len() < budget.max(1) as usize {
            now.max(calls.back().copied().unwrap_or(now))
        } else {
            calls[calls.len() - budget.max(1) as usize] + window
        };
        calls.push_back(at);
        (at > now).then_some(at)
    }

    /// Count a 429 that was waited out, or one handed back.
    pub fn absorbed(&self) {
        self.counts.absorbed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn passed(&self) {
        self.counts.passed.fetch_add(1, Ordering::Relaxed);
    }
}

/// How often a proxy reads the holds other proxies on the store put.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl super::Engine {
    /// Put a hold in the store, for every proxy on it; a store that fails only loses the
    /// sharing, never the request.
    pub(super) async fn share_hold(&self, connection: &str, method: &str, secs: u64) {
        let now = now_ms();
        let hold = RateHold {
            connection_id: connection.to_owned(),
            method: method.to_owned(),
            until_ms: now + (secs as i64).saturating_mul(1000),
        };
        if let Err(e) = self.store().run(move |s| s.put_rate_hold(&hold, now)).await {
            tracing::warn!(error = %e, "could not share a rate-limit hold");
        }
    }

    /// Take the holds the other proxies on the store put, every half second, until `stop`.
    pub async fn follow_rate_holds(&self, stop: impl std::future::Future<Output = ()>) {
        let Some(governor) = self.governor.get().filter(|g| g.enabled()) else {
            return;
        };
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
                () = &mut stop => return,
            }
            let now = now_ms();
            match self.store().read(move |s| s.rate_holds(now)).await {
                Ok(holds) => {
                    for hold in holds {
                        let left = Duration::from_millis((hold.until_ms - now).max(0) as u64);
                        governor.hold_until(
                            &hold.connection_id,
                            &hold.method,
                            Instant::now() + left,
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not read the fleet's rate-limit holds"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_hold_waits_its_pair_only() {
        let governor = Governor::new(GovernorSettings::default());
        governor.hold("c1", "conversations.history", 5);
        let started = Instant::now();
        let go = Turn::Go { held: false };
        assert_eq!(governor.turn("c2", "conversations.history", None).await, go);
        assert_eq!(governor.turn("c1", "chat.postMessage", None).await, go);
        assert!(started.elapsed() < Duration::from_millis(10));
        assert_eq!(
            governor.turn("c1", "conversations.history", None).await,
            Turn::Go { held: true }
        );
        assert!(started.elapsed() >= Duration::from_secs(5));
        assert_eq!(governor.counts.held.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_longest_wait_the_app_gets_the_429() {
        let governor = Governor::new(GovernorSettings {
            max_wait: Duration::from_secs(10),
            ..GovernorSettings::default()
        });
        governor.hold("c1", "m.x", 30);
        assert_eq!(
            governor.turn("c1", "m.x", None).await,
            Turn::TooLong { retry_after: 30 }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pacing_spreads_a_burst_over_the_budget() {
        let mut overrides = HashMap::new();
        overrides.insert("conversations.history".to_owned(), 2);
        let governor = Governor::new(GovernorSettings {
            pace: true,
            max_wait: Duration::from_secs(300),
            overrides,
            ..GovernorSettings::default()
        });
        let started = Instant::now();
        for _ in 0..4 {
            governor.turn("c1", "conversations.history", None).await;
        }
        // Two a minute: the third waits a minute, the fourth too (with it).
        let took = started.elapsed();
        assert!(took >= MINUTE && took < MINUTE * 2, "{took:?}");
        for _ in 0..2 {
            governor.turn("c1", "chat.postMessage", Some("C1")).await;
        }
        assert!(started.elapsed() >= took + Duration::from_secs(1));
    }
}
