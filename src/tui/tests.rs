//! The dashboard without a terminal: the fixtures shared by the tests of keys (`keys`) and
//! of screens (`screens`): a snapshot, a fixed clock, key presses and rendering.

use super::app::{
    App, Confirm, Effect, FailedCall, Job, Mode, Msg, Snapshot, SortKey, Status, StatusLevel,
};
use super::update::update;
use super::view::view;
use crate::engine::{CallState, RecordedCall, TokenStatus};
use crate::engine::{Hint, HintAction};
use crate::engine::{LoginRequest, TokenRef};
use crate::engine::{Scopes, TokenKind, TokenType};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use xox_domain::store::fixtures::{app as registered_app, connection, token};

const NOW: i64 = 1_795_000_000;

fn snapshot() -> Snapshot {
    let mut reauth = token(
        TokenKind::Bot,
        TokenType::RotatingBot,
        "chat:write",
        Some(NOW + 40_000),
    );
    reauth.status = TokenStatus::NeedsReauth;
    reauth.status_reason = Some("invalid_refresh_token".into());
    let connections = vec![
        connection(
            "acme-classic",
            Some(("T0ACME", "Acme Corp")),
            vec![
                token(
                    TokenKind::Bot,
                    TokenType::Bot,
                    "chat:write,channels:read,users:read",
                    None,
                ),
                token(TokenKind::User, TokenType::User, "search:read", None),
            ],
        ),
        connection(
            "acme-rotating",
            Some(("T0ACME", "Acme Corp")),
            vec![
                token(
                    TokenKind::Bot,
                    TokenType::RotatingBot,
                    "chat:write,users:read",
                    Some(NOW + 42_120),
                ),
                token(
                    TokenKind::User,
                    TokenType::RotatingUser,
                    "search:read",
                    Some(NOW + 42_120),
                ),
            ],
        ),
        connection(
            "beta-expiring",
            Some(("T0BETA", "Beta Labs")),
            vec![token(
                TokenKind::Bot,
                TokenType::RotatingBot,
                "chat:write",
                Some(NOW + 249),
            )],
        ),
        connection("gamma-reauth", Some(("T0GAMMA", "Gamma Ltd")), vec![reauth]),
    ];
    // Rotating tokens were stored when Slack issued them, twelve hours before they expire.
    let mut connections = connections;
    for t in connections.iter_mut().flat_map(|c| c.tokens.iter_mut()) {
        if let Some(at) = t.expires_at.filter(|_| t.rotating) {
            t.updated_at = at - 43_200;
        }
    }
    let call = RecordedCall {
        id: 1,
        connection_id: "c-acme-classic".into(),
        token_kind: TokenKind::Bot,
        method: "reactions.add".into(),
        http_status: Some(200),
        error: "missing_scope".into(),
        needed: Some(Scopes::parse("reactions:write")),
        provided: Some(Scopes::parse("chat:write,channels:read,users:read")),
        accepted_scopes: Some(Scopes::parse("reactions:write")),
        retry_after: None,
        at: NOW - 60,
        state: CallState::Open,
        replay_of: None,
    };
    let failed = vec![FailedCall {
        call,
        connection: Some(connections[0].clone()),
        params: vec![],
        response: Some(serde_json::json!({"ok": false, "error": "missing_scope"})),
        hint: Some(Hint {
            text: "the bot token lacks reactions:write, which reactions.add needs: add it as a bot scope, re-authorize, then replay".into(),
            action: HintAction::AddScopes { kind: TokenKind::Bot, scopes: Scopes::parse("reactions:write") },
        }),
        command: Some("xox login --reauth acme-classic --scopes reactions:write".into()),
    }];
    let proxy_keys = vec![crate::engine::ProxyKey {
        id: "k0123456789".into(),
        connection_id: Some("c-acme-rotating".into()),
        connection: Some("acme-rotating".into()),
        app_id: None,
        app: None,
        held: 0,
        absorbed: 0,
        refused: 0,
        scope: Default::default(),
        kind: crate::engine::KeyKind::Auto,
        label: Some("billing worker".into()),
        created_at: NOW - 3_600,
        last_used_at: Some(NOW - 5),
        requests: 1_204,
        failures: 3,
    }];
    Snapshot {
        connections,
        failed,
        apps: vec![registered_app("acme-app")],
        proxy_keys,
        // The hour's refreshes: three that worked (two in the last four minutes), one that
        // did not.
        refreshes: vec![
            (NOW - 2_000, crate::engine::Outcome::Error),
            (NOW - 1_000, crate::engine::Outcome::Ok),
            (NOW - 100, crate::engine::Outcome::Ok),
            (NOW - 30, crate::engine::Outcome::Ok),
        ],
    }
}

fn app() -> App {
    let mut app = App::new(
        "/home/me/.local/share/xox/xox.db".into(),
        crate::engine::DEFAULT_WINDOW,
        true,
        true,
    );
    update(&mut app, Msg::Loaded(snapshot()), NOW);
    app
}

/// The login the dashboard started has ended well.
fn login_done(app: &mut App) {
    update(
        app,
        Msg::Done {
            job: Job::Login,
            result: Ok("logged in".into()),
        },
        NOW,
    );
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| update(app, key(KeyCode::Char(c)), NOW))
        .collect()
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f, NOW)).unwrap();
    terminal
}

/// The sizes every screen is drawn at.
const SIZES: [(u16, u16); 3] = [(60, 20), (80, 24), (120, 40)];

/// The app in a terminal of `width`×`height`.
fn app_sized(width: u16, height: u16) -> App {
    let mut app = app();
    update(&mut app, Msg::Resize { width, height }, NOW);
    app
}

/// Each screen at 60×20, 80×24 and 120×40.
fn snapshot_sizes(name: &str, setup: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let mut app = app_sized(w, h);
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h).backend());
    }
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect()
}

mod keys;
mod screens;
