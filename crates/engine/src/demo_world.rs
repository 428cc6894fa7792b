//! The demo world: a simulator and a temporary database seeded with connections worth looking at.

use super::{Engine, Settings};
use crate::sim::{Simulator, presets};
use crate::slack::{TokenKind, parse_grant};
use crate::store::{
    App, AppStore, ConnectionStore, EventAction, HeldElsewhere, NewApp, SqliteStore, TokenStatus,
    TokenStore,
};
use anyhow::Context as _;
use std::path::PathBuf;

/// A running demo: dropping it stops the simulator and deletes the database.
pub struct Demo {
    pub sim: Simulator,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
    _at_exit: crate::cleanup::RemoveAtExit,
}

struct Seed {
    name: &'static str,
    app: &'static str,
    team: (&'static str, &'static str),
    bot_scopes: &'static str,
    user_scopes: &'static str,
    /// Lifetime of this install's rotating tokens, when it should differ from 12 h.
    lifetime: Option<i64>,
    /// Installed before the app turned token rotation on: its tokens are long-lived, and
    /// `e` exchanges them.
    before_rotation: bool,
}

const SEEDS: &[Seed] = &[
    Seed {
        name: "acme-classic",
        app: "demo-classic",
        team: ("T0ACME", "Acme Corp"),
        bot_scopes: "chat:write,channels:read,users:read",
        user_scopes: "search:read",
        lifetime: None,
        before_rotation: false,
    },
    Seed {
        name: "acme-rotating",
        app: "demo-rotating",
        team: ("T0ACME", "Acme Corp"),
        bot_scopes: "chat:write,channels:read,channels:history,users:read",
        user_scopes: "search:read,users.profile:write",
        lifetime: None,
        before_rotation: false,
    },
    Seed {
        name: "beta-expiring",
        app: "demo-rotating",
        team: ("T0BETA", "Beta Labs"),
        bot_scopes: "chat:write,team:read",
        user_scopes: "",
        lifetime: Some(110),
        before_rotation: false,
    },
    Seed {
        name: "delta-longlived",
        app: "demo-rotating",
        team: ("T0DELTA", "Delta Inc"),
        bot_scopes: "chat:write,channels:read",
        user_scopes: "",
        lifetime: None,
        before_rotation: true,
    },
    Seed {
        name: "gamma-reauth",
        app: "demo-rotating",
        team: ("T0GAMMA", "Gamma Ltd"),
        bot_scopes: "chat:write",
        user_scopes: "",
        lifetime: None,
        before_rotation: false,
    },
];

/// A call the demo makes for real, over HTTP, and that fails, so there is something to inspect.
struct FailingCall {
    conn: &'static str,
    kind: TokenKind,
    method: &'static str,
    args: &'static [(&'static str, &'static str)],
}

const FAILING_CALLS: &[FailingCall] = &[
    FailingCall {
        conn: "acme-classic",
        kind: TokenKind::Bot,
        method: "reactions.add",
        args: &[
            ("channel", "C0SIMGENERAL"),
            ("name", "tada"),
            ("timestamp", "1.000001"),
        ],
    },
    FailingCall {
        conn: "acme-classic",
        kind: TokenKind::Bot,
        method: "search.messages",
        args: &[("query", "deploy")],
    },
    FailingCall {
        conn: "acme-rotating",
        kind: TokenKind::Bot,
        method: "chat.postMessage",
        args: &[("channel", "#random"), ("text", "hello from xox")],
    },
];

fn store_app(
    store: &mut SqliteStore,
    name: &str,
    client_id: &str,
    rotation: bool,
) -> anyhow::Result<App> {
    Ok(store.add_app(NewApp {
        name: name.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: Some(crate::slack::Secret::new(presets::PRESET_SECRET)),
        pkce: false,
        rotation,
        redirect_uri: "http://localhost:8976/callback".to_owned(),
        bot_scopes: crate::slack::Scopes::parse("chat:write,channels:read,users:read"),
        user_scopes: crate::slack::Scopes::parse("search:read"),
        signing_secret: None,
        forward_to: None,
    })?)
}

/// Start the simulator and seed a fresh temporary database.
pub async fn start() -> anyhow::Result<Demo> {
    let dir = tempfile::Builder::new()
        .prefix("xox-demo-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let at_exit = crate::cleanup::RemoveAtExit::new(dir.path().to_owned());
    let db = dir.path().join("xox-demo.db");
    let sim = Simulator::start(0)
        .await
        .context("cannot start the simulator")?;
    sim.add_preset_apps();
    // The demo's Slack approves installs at once, so a login completes without a browser
    // (any HTTP client that follows redirects will do).
    sim.with_world(|w| w.config.auto_consent = true);
    let mut store = SqliteStore::open_with_key(&db, None)?;
    let apps = [
        store_app(
            &mut store,
            "demo-rotating",
            presets::ROTATING_CLIENT_ID,
            true,
        )?,
        store_app(
            &mut store,
            "demo-classic",
            presets::CLASSIC_CLIENT_ID,
            false,
        )?,
    ];
    for seed in SEEDS {
        let app = apps
            .iter()
            .find(|a| a.name == seed.app)
            .expect("seeds name stored apps");
        let answer = sim.with_world(|w| {
            let normal = w.config.token_lifetime_secs;
            w.config.token_lifetime_secs = seed.lifetime.unwrap_or(normal);
            let rotating = w.app(&app.client_id).filter(|_| seed.before_rotation);
            if let Some(rotating) = &rotating {
                w.register_app(crate::sim::SimApp {
                    rotation: false,
                    ..rotating.clone()
                });
            }
            let answer = w.seed_install(
                &app.client_id,
                Some(seed.team),
                seed.bot_scopes,
                seed.user_scopes,
            );
            if let Some(rotating) = rotating {
                w.register_app(rotating);
            }
            w.config.token_lifetime_secs = normal;
            answer
        });
        let answer =
            answer.map_err(|r| anyhow::anyhow!("seeding {}: {}", seed.name, r.explanation))?;
        store.save_grant(
            app,
            seed.name,
            &parse_grant(&answer)?,
            EventAction::Import,
            HeldElsewhere::Refuse,
        )?;
    }
    spend_refresh_token(&sim, &mut store, "gamma-reauth")?;
    let demo = Demo {
        sim,
        db,
        _dir: dir,
        _at_exit: at_exit,
    };
    let engine = demo.engine(
        store,
        crate::slack::client::DEFAULT_HTTP_TIMEOUT,
        Default::default(),
    );
    for failing in FAILING_CALLS {
        let args: Vec<String> = failing
            .args
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        // These calls are meant to fail; the store keeps each failure.
        engine
            .call(failing.conn, failing.method, &args, Some(failing.kind))
            .await?;
    }
    Ok(demo)
}

impl Demo {
    /// Open the demo's database again (its key is the key file beside it, never `XOX_KEY`
    /// or the keyring).
    pub fn open_store(&self) -> crate::store::StoreResult<SqliteStore> {
        SqliteStore::open_with_key(&self.db, None)
    }

    /// An engine on the demo's store and simulator; `window` of one minute, so the token
    /// seeded to expire within two minutes is seen counting down and then refreshed.
    pub fn engine(
        &self,
        store: SqliteStore,
        http_timeout: std::time::Duration,
        stop: crate::rotation::Stop,
    ) -> Engine {
        Engine::with_backend(
            Box::new(store),
            Settings {
                db: self.db.clone(),
                slack_url: self.sim.base_url().to_owned(),
                http_timeout,
                window: std::time::Duration::from_secs(60),
                stop,
            },
        )
    }
}

/// Make a connection's stored refresh token worthless, the way a second worker refreshing
/// behind xox's back would, and record what xox would conclude.
fn spend_refresh_token(sim: &Simulator, store: &mut SqliteStore, name: &str) -> anyhow::Result<()> {
    let conn = store.connection(name)?;
    let refresh = store
        .token_state(&conn.id, TokenKind::Bot)?
        .refresh
        .context("seeded rotating tokens have refresh tokens")?;
    sim.with_world(|w| {
        let mut form = crate::sim::oauth::Form::new();
        form.insert("grant_type".into(), "refresh_token".into());
        form.insert("refresh_token".into(), refresh.expose().to_owned());
        let creds = crate::sim::oauth::Creds {
            client_id: Some(presets::ROTATING_CLIENT_ID.into()),
            client_secret: Some(presets::PRESET_SECRET.into()),
        };
        w.oauth_access(&form, &creds)
            .map_err(|code| anyhow::anyhow!("spending the refresh token: {code}"))
    })?;
    store.set_token_status(
        &conn.id,
        TokenKind::Bot,
        TokenStatus::NeedsReauth,
        Some("invalid_refresh_token: the refresh token was already used"),
    )?;
    Ok(())
}
