//! The engine: every workflow written once (usable token, refresh, exchange, revoke, call and
//! record, replay, explained failures, import, login, summaries), with typed inputs and
//! results. Front ends parse and present; nothing here prints or touches a terminal.

mod app_settings;
mod apps;
mod as_stored;
mod calling;
mod copy;
pub mod demo_world;
pub mod describe;
mod error;
mod failures;
mod governor;
mod hooks;
mod install;
mod live;
mod manifest;
mod org_teams;
mod private_files;
mod proxy_cache;
mod proxy_keys;
mod proxying;
mod public_install;
mod rotate;
mod sdk_import;
mod slack_requests;
mod summary;
mod usable;
mod webhook_relay;

pub use app_settings::AppChanges;
pub use as_stored::token_as_stored;
pub use calling::{CallFailure, CallReport};
pub use copy::{CopyReport, copy_between};
pub use error::{EngineError, EngineResult};
pub use failures::{ExplainedCall, blocking_step, standing};
pub use governor::{DEFAULT_MAX_WAIT, GovernorCounts, GovernorSettings};
pub use hooks::{AddedHook, HookTarget, hooks_recorded};
pub use install::{
    Imported, LoginRequest, ScopeCheck, UnknownScope, UnknownScopes, unknown_scopes,
};
pub use manifest::PushedManifest;
pub use org_teams::TEAMS_EVERY;
pub use private_files::{FILE_PATH, PrivateFile};
pub use proxy_keys::{KeyFor, NewProxyKey};
pub use proxying::{ProxyAnswer, ProxyOutcome, ProxyRequest};
pub use public_install::{INSTALL_LIFETIME_SECS, InstallRefusal, InstallStart};
pub use rotate::{Exchanged, Refreshed, TokenRef, TokenRefresh};
pub use sdk_import::SdkImport;
pub use slack_requests::{SlackReply, SlackRequest, SlackRoute};
pub use summary::{ACTIVITY_SECS, Activity, Snapshot, StoreFacts, Summary, in_buckets};
pub use usable::{TokenWarning, UsableToken};
pub use webhook_relay::WebhookPost;

// The domain, named as the engine's own modules inside this crate.
use xox_domain::{calls, delivery, login, rotation, sim, slack, store};
/// Helpers with nothing of Slack in them (terminal-safe text, where files live, temporary
/// folders that go at exit, child processes, listeners that survive a hostile network),
/// shared with the front ends as they are.
pub use xox_domain::{child, cleanup, listener, paths, text};

// The model: what the engine takes and gives back, which the front ends show. These names
// are all of the domain a front end may use; its workflows stay behind the engine's calls.
pub use xox_domain::calls::hints::{CLASSIC_APP, Hint, HintAction};
pub use xox_domain::login::{LoggedIn, LoginError};
pub use xox_domain::rotation::{
    DEFAULT_CONCURRENCY, DEFAULT_WINDOW, RefreshReport, Stop, StopLevel, WatchEvent,
};
pub use xox_domain::sim::{Simulator, presets::preset_apps};
pub use xox_domain::slack::client::{DEFAULT_HTTP_TIMEOUT, DEFAULT_SLACK_URL};
pub use xox_domain::slack::grant::IncomingWebhook;
pub use xox_domain::slack::import_input::MAX_INPUT;
pub use xox_domain::slack::passthrough::{Passthrough, asks_for_part};
pub use xox_domain::slack::sdk_store::SdkStore;
pub use xox_domain::slack::secret::scrub;
pub use xox_domain::slack::{ErrorCode, Scopes, Secret, TokenKind, TokenType};
pub use xox_domain::store::hooks::{
    DeliveryState, Hook, HookEvent, HookVia, LastDelivery, TryResult,
};
pub use xox_domain::store::key_scope::{Arguments, KeyScope};
pub use xox_domain::store::{
    CallState, Connection, Event, EventAction, Health, HeldElsewhere, KeyKind, NewApp, Outcome,
    ProxyKey, ProxyUse, RecordedCall, TokenInfo, TokenStatus, is_server, now_unix,
};

/// Whether `name` could be a registered app's name: what a public URL may carry. The app
/// that keeps tokens imported without one is no app anyone installs.
pub fn check_app_name(name: &str) -> bool {
    xox_domain::store::check_name(name).is_ok() && name != xox_domain::store::STANDALONE_APP
}

/// Whether the catalogue knows `method`.
pub fn is_catalogued(method: &str) -> bool {
    xox_domain::slack::catalogue::catalogue()
        .get(method)
        .is_some()
}

/// A method name the catalogue knows, or the error naming the nearest one it does: what is
/// checked before a call goes to Slack with a typo in it.
pub fn check_method(method: &str) -> EngineResult<()> {
    let catalogue = xox_domain::slack::catalogue::catalogue();
    if catalogue.get(method).is_some() {
        return Ok(());
    }
    Err(EngineError::UnknownMethod {
        method: text::one_line(method).into_owned(),
        nearest: catalogue.nearest(method).map(str::to_owned),
    })
}

/// The catalogue's method names that start with `prefix`, in its order, for completion.
pub fn complete_method(prefix: &str) -> Vec<&'static str> {
    xox_domain::slack::catalogue::catalogue()
        .complete(prefix)
        .collect()
}

use crate::rotation::{RetryPolicy, Rotator};
use crate::slack::SlackClient;
use crate::store::{Backend, StoreHandle};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long to wait for each HTTP answer from Slack: `flag` (`--http-timeout`) before
/// `env` (`XOX_HTTP_TIMEOUT`) before the default. `None` when the one given is not a
/// number of seconds above 0 and at most an hour.
pub fn http_timeout(flag: Option<f64>, env: Option<&str>) -> Option<Duration> {
    let secs = match (flag, env) {
        (Some(secs), _) => secs,
        (None, Some(text)) => text.trim().parse().ok()?,
        (None, None) => DEFAULT_HTTP_TIMEOUT.as_secs_f64(),
    };
    (secs.is_finite() && secs > 0.0 && secs <= 3600.0).then(|| Duration::from_secs_f64(secs))
}

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
    /// The engine's one HTTP client, lent to the rotator. Made on first use: the hot path
    /// of `xox token` never builds one.
    http: OnceLock<SlackClient>,
    rotator: OnceLock<Arc<Rotator>>,
    notices: Vec<String>,
    proxy_cache: proxy_cache::ProxyCache,
    /// The proxy's rate-limit governor, set once when it starts serving.
    governor: OnceLock<governor::Governor>,
    /// What the proxy's file URLs are signed with, read from the store once.
    file_key: OnceLock<Vec<u8>>,
}

impl Engine {
    /// Open (creating if needed) the store that `settings.db` names.
    pub fn open(settings: Settings) -> EngineResult<Engine> {
        let backend = crate::store::open(&settings.db)?;
        Ok(Engine::with_backend(backend, settings))
    }

    /// Open the store that `settings.db` names only if it is there.
    pub fn open_existing(settings: Settings) -> EngineResult<Engine> {
        let backend = crate::store::open_existing(&settings.db)?;
        Ok(Engine::with_backend(backend, settings))
    }

    /// The same engine with its store read in place rather than on the blocking pool: for
    /// a command that runs one task and nothing beside it (`xox token`).
    pub fn with_store_in_place(mut self) -> Engine {
        self.store = self.store.in_place();
        self
    }

    /// An engine over a backend opened elsewhere (the demo's, a test's).
    pub fn with_backend(mut backend: Box<dyn Backend>, settings: Settings) -> Engine {
        let location = backend.location();
        let notices = backend.take_notices();
        Engine {
            store: StoreHandle::new(backend),
            settings,
            location,
            http: OnceLock::new(),
            rotator: OnceLock::new(),
            notices,
            proxy_cache: Default::default(),
            governor: OnceLock::new(),
            file_key: OnceLock::new(),
        }
    }

    /// Govern the proxy's requests as `settings` say (once, before serving); what it does
    /// is counted in the returned counts.
    pub fn govern(&self, settings: GovernorSettings) -> Arc<GovernorCounts> {
        self.governor
            .get_or_init(|| governor::Governor::new(settings))
            .counts
            .clone()
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

    /// How long one request to Slack may take.
    pub fn http_timeout(&self) -> Duration {
        self.settings.http_timeout
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

    pub(crate) fn http(&self) -> EngineResult<&SlackClient> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = SlackClient::new(&self.settings.slack_url, self.settings.http_timeout)?;
        Ok(self.http.get_or_init(|| client))
    }

    pub(crate) fn rotator(&self) -> EngineResult<&Arc<Rotator>> {
        if let Some(rotator) = self.rotator.get() {
            return Ok(rotator);
        }
        let rotator = Arc::new(
            Rotator::new(
                self.store.clone(),
                self.http()?.clone(),
                RetryPolicy::for_timeout(self.settings.http_timeout),
            )
            .with_stop(self.settings.stop.clone()),
        );
        Ok(self.rotator.get_or_init(|| rotator))
    }
}
