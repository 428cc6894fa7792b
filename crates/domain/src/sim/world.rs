//! The simulator's world: apps, installs, issued tokens and codes, a movable clock, counters.

use crate::slack::TokenKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Slack's rotating access tokens live 12 hours.
pub const DEFAULT_TOKEN_LIFETIME: i64 = 43_200;
/// Slack keeps at most two live access tokens per rotating install and kind.
pub const MAX_LIVE_ROTATING: usize = 2;
pub const CODE_LIFETIME: i64 = 600;
/// A PKCE app's refresh tokens stop working this long after they were issued.
pub const PKCE_REFRESH_LIFETIME: i64 = 30 * 24 * 3600;
pub const DEFAULT_TEAM: (&str, &str) = ("T0SIMTEAM1", "Sim Workspace");
pub const DEFAULT_USER: &str = "U0SIMUSER1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimConfig {
    /// Lifetime of rotating access tokens, in seconds.
    #[serde(default = "default_lifetime")]
    pub token_lifetime_secs: i64,
    /// Skip the consent page and redirect at once, as if the user pressed Allow.
    #[serde(default)]
    pub auto_consent: bool,
    /// How long a used refresh token keeps working. Slack revokes it "after a short grace
    /// period" of unstated length; 0, the default, is the strict reading.
    #[serde(default)]
    pub refresh_grace_secs: i64,
    /// Calls per second each install may make of a method, by method; past that, 429.
    #[serde(default)]
    pub rate_limits: BTreeMap<String, u32>,
}

fn default_lifetime() -> i64 {
    DEFAULT_TOKEN_LIFETIME
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME,
            auto_consent: false,
            refresh_grace_secs: 0,
            rate_limits: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimApp {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub pkce: bool,
    #[serde(default)]
    pub rotation: bool,
    #[serde(default)]
    pub redirect_urls: Vec<String>,
    #[serde(default)]
    pub app_id: String,
    /// Slack signs its requests to the app with this (the Basic Information page's).
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// The app's Request URL: where Slack sends its events.
    #[serde(default)]
    pub event_url: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Slot {
    pub long_lived: Option<String>,
    /// Live rotating access tokens, oldest first.
    pub live_rotating: VecDeque<String>,
    /// The long-lived token this slot was exchanged from; it dies at the first refresh.
    pub exchanged_from: Option<String>,
    pub refreshes: u64,
}

#[derive(Debug)]
pub(super) struct Install {
    pub client_id: String,
    pub team_id: String,
    pub team_name: String,
    pub user_id: String,
    pub bot_user_id: String,
    pub bot_id: String,
    pub bot_scopes: BTreeSet<String>,
    pub user_scopes: BTreeSet<String>,
    /// An org-wide install: `team_id` is then the enterprise's id.
    pub org_wide: bool,
    /// Deleted user or workspace: every token answers account_inactive / token_revoked.
    pub inactive: bool,
    /// The app was uninstalled (its tokens revoked) until it is installed again.
    pub uninstalled: bool,
    pub bot: Slot,
    pub user: Slot,
    /// The app's app-level token (Socket Mode), and an app configuration token pair.
    pub app: Slot,
    pub config: Slot,
}

/// What an app-level token may do: open Socket Mode connections, list authorizations.
fn app_level_scopes() -> &'static BTreeSet<String> {
    static SCOPES: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    SCOPES.get_or_init(|| {
        ["connections:write", "authorizations:read"]
            .map(String::from)
            .into()
    })
}

/// Configuration tokens carry no OAuth scopes: Slack grants them the manifest methods.
fn no_scopes() -> &'static BTreeSet<String> {
    static NONE: BTreeSet<String> = BTreeSet::new();
    &NONE
}

impl Install {
    pub fn slot(&mut self, kind: TokenKind) -> &mut Slot {
        match kind {
            TokenKind::Bot => &mut self.bot,
            TokenKind::User => &mut self.user,
            TokenKind::App => &mut self.app,
            TokenKind::Config => &mut self.config,
        }
    }

    pub fn scopes(&self, kind: TokenKind) -> &BTreeSet<String> {
        match kind {
            TokenKind::Bot => &self.bot_scopes,
            TokenKind::User => &self.user_scopes,
            TokenKind::App => app_level_scopes(),
            TokenKind::Config => no_scopes(),
        }
    }
}

#[derive(Debug)]
pub(super) struct AccessToken {
    pub install: usize,
    pub kind: TokenKind,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub exchanged: bool,
}

#[derive(Debug)]
pub(super) struct RefreshToken {
    pub install: usize,
    pub kind: TokenKind,
    /// When it was first used: it works until the grace period after that.
    pub spent_at: Option<i64>,
    /// When it was issued: a PKCE app's refresh tokens expire 30 days after.
    pub issued_at: i64,
}

#[derive(Debug, Clone)]
pub(super) struct PendingCode {
    pub client_id: String,
    pub team_id: String,
    pub team_name: String,
    pub user_id: String,
    pub bot_scopes: BTreeSet<String>,
    pub user_scopes: BTreeSet<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub issued_at: i64,
    pub used: bool,
}

/// What the control API reports: proof of how many refreshes really reached "Slack".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    pub refresh_grants: u64,
    pub code_grants: u64,
    pub exchanges: u64,
    pub invalid_refresh_token: u64,
    /// Refresh tokens used again inside the grace period (and answered with a new pair).
    pub refreshes_in_grace: u64,
    /// Bytes sent to upload URLs, and how many of those requests carried an
    /// `Authorization` header (an upload URL needs none).
    pub uploads: u64,
    pub uploads_with_authorization: u64,
    /// Successful refreshes per `team_id/user_id/kind`.
    pub refreshes: BTreeMap<String, u64>,
    /// Web API requests received, per method (OAuth methods and faulted requests included).
    pub calls: BTreeMap<String, u64>,
    /// Requests answered 429 for passing a method's rate limit (`SimConfig::rate_limits`).
    #[serde(default)]
    pub rate_limited: u64,
}

#[derive(Default)]
pub struct World {
    pub config: SimConfig,
    clock_offset: i64,
    pub(super) apps: HashMap<String, SimApp>,
    pub(super) installs: Vec<Install>,
    pub(super) codes: HashMap<String, PendingCode>,
    pub(super) access: HashMap<String, AccessToken>,
    pub(super) refresh: HashMap<String, RefreshToken>,
    pub(super) channels: super::channels::Channels,
    /// Files announced with `files.getUploadURLExternal`, by file id.
    pub(super) uploads: HashMap<String, Upload>,
    /// Files shared, by id.
    pub(super) files: HashMap<String, SharedFile>,
    pub(super) orgs: super::grid::Orgs,
    pub(super) limiter: super::limits::Limiter,
    /// Messages posted, with the install that posted each: what tests read back.
    pub(super) posted: Vec<Posted>,
    /// `http://ADDR:PORT` the simulator answers on: where its webhook URLs point.
    pub(super) address: String,
    /// Incoming webhooks, by the path of their URL.
    pub(super) webhooks: HashMap<String, Webhook>,
    pub counters: Counters,
}

/// A message `chat.postMessage` took, and who sent it.
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    pub channel: String,
    pub text: String,
    /// The install's workspace, or its enterprise for an org-wide install.
    pub install_team: String,
    pub org_wide: bool,
    pub token_kind: TokenKind,
    /// Posted through the install's incoming webhook, with no token.
    pub webhook: bool,
}

/// A file on its way in: announced, then its bytes sent to the upload URL, then completed.
#[derive(Debug, Clone)]
pub(super) struct Upload {
    pub install: usize,
    pub filename: String,
    pub length: usize,
    /// The bytes that arrived at the upload URL.
    pub received: Option<Vec<u8>>,
}

/// One install's incoming webhook: where its posts go.
#[derive(Debug, Clone)]
pub(super) struct Webhook {
    pub install: usize,
    pub channel_id: String,
}

/// A file shared by `files.completeUploadExternal`: its bytes, served at its private URLs
/// to tokens of its workspace.
#[derive(Debug, Clone)]
pub(super) struct SharedFile {
    pub team_id: String,
    pub name: String,
    pub title: String,
    pub bytes: Vec<u8>,
}

pub(super) fn random_alnum(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn digits(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    bytes.iter().map(|b| (b'0' + b % 10) as char).collect()
}

impl World {
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset
    }

    /// Move the simulated clock forward, so tokens expire without waiting.
    pub fn advance_clock(&mut self, secs: i64) {
        self.clock_offset += secs;
    }

    pub fn register_app(&mut self, mut app: SimApp) -> SimApp {
        if app.app_id.is_empty() {
            app.app_id = format!("A0{}", random_alnum(9).to_uppercase());
        }
        self.apps.insert(app.client_id.clone(), app.clone());
        app
    }

    /// A registered app's settings, as the control API took them.
    pub fn app(&self, client_id: &str) -> Option<SimApp> {
        self.apps.get(client_id).cloned()
    }

    pub(super) fn install_for(
        &mut self,
        client_id: &str,
        team: (&str, &str),
        user_id: &str,
    ) -> usize {
        if let Some(i) = self
            .installs
            .iter()
            .position(|i| i.client_id == client_id && i.team_id == team.0 && i.user_id == user_id)
        {
            return i;
        }
        self.installs.push(Install {
            client_id: client_id.to_owned(),
            team_id: team.0.to_owned(),
            team_name: team.1.to_owned(),
            user_id: user_id.to_owned(),
            bot_user_id: format!("U0BOT{}", random_alnum(6).to_uppercase()),
            bot_id: format!("B0{}", random_alnum(8).to_uppercase()),
            bot_scopes: BTreeSet::new(),
            user_scopes: BTreeSet::new(),
            org_wide: self.orgs.enterprise_name(team.0).is_some(),
            inactive: false,
            uninstalled: false,
            bot: Slot::default(),
            user: Slot::default(),
            app: Slot::default(),
            config: Slot::default(),
        });
        self.installs.len() - 1
    }

    /// A long-lived token for the slot, reused across reinstalls as Slack does.
    pub(super) fn long_lived_token(&mut self, install: usize, kind: TokenKind) -> String {
        if let Some(existing) = self.installs[install].slot(kind).long_lived.clone()
            && self.access.get(&existing).is_some_and(|t| !t.revoked)
        {
            return existing;
        }
        let token = match kind {
            TokenKind::App => format!("xapp-1-A0SIM-{}-{}", digits(13), random_alnum(64)),
            TokenKind::Bot => format!("xoxb-{}-{}-{}", digits(11), digits(12), random_alnum(24)),
            // Configuration tokens always rotate; this is never asked for.
            TokenKind::Config => format!("xoxe.xoxp-1-{}", random_alnum(48)),
            TokenKind::User => format!(
                "xoxp-{}-{}-{}-{}",
                digits(11),
                digits(11),
                digits(13),
                random_alnum(32)
            ),
        };
        self.access.insert(
            token.clone(),
            AccessToken {
                install,
                kind,
                expires_at: None,
                revoked: false,
                exchanged: false,
            },
        );
        self.installs[install].slot(kind).long_lived = Some(token.clone());
        token
    }

    /// A new rotating access token and refresh token for the slot. Past two live access
    /// tokens, the oldest is revoked.
    pub(super) fn rotating_pair(
        &mut self,
        install: usize,
        kind: TokenKind,
    ) -> (String, String, i64) {
        let lifetime = self.config.token_lifetime_secs;
        let now = self.now();
        let prefix = match kind {
            TokenKind::Bot => "xoxe.xoxb-1-",
            TokenKind::User | TokenKind::Config => "xoxe.xoxp-1-",
            TokenKind::App => "xapp-1-",
        };
        let access = format!("{prefix}{}", random_alnum(48));
        let refresh = format!("xoxe-1-{}", random_alnum(48));
        self.access.insert(
            access.clone(),
            AccessToken {
                install,
                kind,
                expires_at: Some(now + lifetime),
                revoked: false,
                exchanged: false,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            RefreshToken {
                install,
                kind,
                spent_at: None,
                issued_at: now,
            },
        );
        let slot = self.installs[install].slot(kind);
        slot.live_rotating.push_back(access.clone());
        let mut evicted = Vec::new();
        while slot.live_rotating.len() > MAX_LIVE_ROTATING {
            evicted.extend(slot.live_rotating.pop_front());
        }
        for old in evicted {
            if let Some(t) = self.access.get_mut(&old) {
                t.revoked = true;
            }
        }
        (access, refresh, lifetime)
    }

    /// Switch an app's token rotation (Slack lets it be turned on, never off; the
    /// simulator allows both so tests can mint long-lived tokens first).
    pub fn apps_mut_rotation(&mut self, client_id: &str, rotation: bool) {
        if let Some(app) = self.apps.get_mut(client_id) {
            app.rotation = rotation;
        }
    }

    /// Counters key for an install's slot.
    pub(super) fn slot_key(&self, install: usize, kind: TokenKind) -> String {
        let i = &self.installs[install];
        format!("{}/{}/{}", i.team_id, i.user_id, kind)
    }

    /// Mark an install's user or workspace deleted (tokens answer account_inactive or
    /// token_revoked), as the control API's `deactivate` does.
    pub fn deactivate(&mut self, team_id: &str) -> usize {
        let mut n = 0;
        for i in self.installs.iter_mut().filter(|i| i.team_id == team_id) {
            i.inactive = true;
            n += 1;
        }
        n
    }
}
