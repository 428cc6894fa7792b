//! The engine: every workflow written once (usable token, refresh, exchange, revoke, call and
//! record, replay, explained failures, import, login, summaries), with typed inputs and
//! results. Front ends parse and present; nothing here prints or touches a terminal.

mod app_settings;
mod apps;
mod calling;
mod copy;
pub mod demo_world;
pub mod describe;
mod error;
mod failures;
mod install;
mod manifest;
mod proxy_cache;
mod proxy_keys;
mod proxying;
mod rotate;
mod sdk_import;
mod summary;
mod usable;

pub use app_settings::AppChanges;
pub use calling::{CallFailure, CallReport};
pub use copy::{CopyReport, copy_between};
pub use error::{EngineError, EngineResult};
pub use failures::ExplainedCall;
pub use install::{Imported, LoginRequest};
pub use manifest::PushedManifest;
pub use proxy_keys::NewProxyKey;
pub use proxying::{ProxyAnswer, ProxyOutcome, ProxyRequest};
pub use rotate::{Exchanged, Refreshed, TokenRef};
pub use sdk_import::SdkImport;
pub use summary::{Snapshot, Summary};
pub use usable::{TokenWarning, UsableToken};

use crate::rotation::{RetryPolicy, Rotator, Stop};
use crate::slack::SlackClient;
use crate::store::{Backend, StoreHandle};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Where the store and Slack are, and how patient to be with Slack.
#[derive(Debug, Clone)]
pub struct Settings {
    pub db: PathBuf,
    pub slack_url: String,
    pub http_timeout: Duration,
    /// How close to expiry a token is refreshed ahead of use, by `R` and by auto-refresh.
    pub window: Duration,
    /// The process's stop: shared with every rotation, so a stop never cuts one short.
    pub stop: Stop,
}

/// One store and one Slack, shared by every workflow (and, behind an `Arc`, by tasks).
pub struct Engine {
    store: StoreHandle,
    settings: Settings,
    location: String,
    /// Made on first use: the hot path of `xox token` never builds an HTTP client.
    rotator: OnceLock<Arc<Rotator>>,
    notices: Vec<String>,
    proxy_cache: proxy_cache::ProxyCache,
}

impl Engine {
    /// Open (creating if needed) the store that `settings.db` names.
    pub fn open(settings: Settings) -> EngineResult<Engine> {
        let backend = crate::store::open(&settings.db)?;
        Ok(Engine::with_backend(backend, settings))
    }

    /// An engine over a backend opened elsewhere (the demo's, a test's).
    pub fn with_backend(mut backend: Box<dyn Backend>, settings: Settings) -> Engine {
        let location = backend.location();
        let notices = backend.take_notices();
        Engine {
            store: StoreHandle::new(backend),
            settings,
            location,
            rotator: OnceLock::new(),
            notices,
            proxy_cache: Default::default(),
        }
    }

    /// What opening the store changed that the user should hear about once.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Where the store lives, as a person reads it.
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn slack_url(&self) -> &str {
        &self.settings.slack_url
    }

    pub fn window(&self) -> Duration {
        self.settings.window
    }

    pub fn stop(&self) -> &Stop {
        &self.settings.stop
    }

    /// The folder beside the database, where the callback's certificate is kept (for a
    /// store on a server, the folder a file would be in).
    pub fn data_dir(&self) -> PathBuf {
        let file = if crate::store::is_server(&self.settings.db) {
            crate::paths::default_db()
        } else {
            self.settings.db.clone()
        };
        file.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    pub(crate) fn store(&self) -> &StoreHandle {
        &self.store
    }

    pub(crate) fn client(&self) -> EngineResult<SlackClient> {
        Ok(SlackClient::new(
            &self.settings.slack_url,
            self.settings.http_timeout,
        )?)
    }

    pub(crate) fn rotator(&self) -> EngineResult<&Arc<Rotator>> {
        if let Some(rotator) = self.rotator.get() {
            return Ok(rotator);
        }
        let rotator = Arc::new(
            Rotator::new(
                self.store.clone(),
                self.client()?,
                RetryPolicy::for_timeout(self.settings.http_timeout),
            )
            .with_stop(self.settings.stop.clone()),
        );
        Ok(self.rotator.get_or_init(|| rotator))
    }
}
