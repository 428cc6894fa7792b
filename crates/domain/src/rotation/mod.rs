//! Rotation: exchange to rotating tokens, refresh that never spends a refresh token twice
//! (in process and across processes), refreshing everything due, and the scheduler.

mod error;
mod exchange;
mod lease;
mod refresh_all;
mod rotator;
mod save;
mod scheduler;
mod single_flight;
mod stop;

pub use crate::store::StoreHandle;
pub use error::RotationError;
pub use refresh_all::{DEFAULT_CONCURRENCY, RefreshReport, refresh_due};
pub use rotator::{Fresh, Need, Patience, RetryPolicy, Rotator, Target};
pub use scheduler::{WatchEvent, watch};
pub use stop::{InFlight, Stop, StopLevel};

/// Slack's SDKs refresh two hours before expiry; so does xox by default.
pub const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

impl Target {
    pub fn of(conn: &crate::store::Connection, kind: crate::slack::TokenKind) -> Target {
        Target {
            connection_id: conn.id.clone(),
            connection_name: conn.name.clone(),
            app_id: conn.app_id.clone(),
            kind,
        }
    }
}
