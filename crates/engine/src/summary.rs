//! What the dashboard shows in one go (`Snapshot`), and the counts its header and `list`
//! print (`Summary`), computed one way for both.

use super::failures::{ExplainedCall, explain};
use super::{Engine, EngineResult};
use crate::store::{App, CallState, Connection, Health, ProxyKey};
use std::time::Duration;

/// Everything the dashboard loads from the store at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub connections: Vec<Connection>,
    pub failed: Vec<ExplainedCall>,
    pub apps: Vec<App>,
    pub proxy_keys: Vec<ProxyKey>,
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
            open_failures: failed
                .iter()
                .filter(|f| f.call.state != CallState::ReplayedOk)
                .count(),
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
                Ok::<_, crate::store::StoreError>(Snapshot {
                    connections,
                    failed,
                    apps,
                    proxy_keys,
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
