//! The dashboard without a terminal: `update` driven by keys through the keymap, and `view`
//! snapshots at fixed sizes with a fixed clock.

use super::app::{
    App, Confirm, Effect, FailedCall, Job, Mode, Msg, Snapshot, SortKey, Status, StatusLevel,
};
use super::update::update;
use super::view::view;
use crate::calls::hints::{Hint, HintAction};
use crate::engine::{LoginRequest, TokenRef};
use crate::slack::{Scopes, TokenKind, TokenType};
use crate::store::fixtures::{app as registered_app, connection, token};
use crate::store::{CallState, RecordedCall, TokenStatus};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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
    let proxy_keys = vec![crate::store::ProxyKey {
        id: "k0123456789".into(),
        connection_id: "c-acme-rotating".into(),
        connection: "acme-rotating".into(),
        kind: crate::store::KeyKind::Auto,
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
    }
}

fn app() -> App {
    let mut app = App::new(
        "/home/me/.local/share/xox/xox.db".into(),
        crate::rotation::DEFAULT_WINDOW,
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

#[test]
fn moving_and_opening_details() {
    let mut app = app();
    assert_eq!(app.selected_connection().unwrap().name, "acme-classic");
    press(&mut app, "jj");
    assert_eq!(app.selected_connection().unwrap().name, "beta-expiring");
    press(&mut app, "G");
    assert_eq!(app.selected, 3);
    update(&mut app, key(KeyCode::Up), NOW);
    assert_eq!(app.selected, 2);
    let effects = update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(app.mode, Mode::Detail);
    assert_eq!(effects, vec![Effect::LoadEvents("c-beta-expiring".into())]);
    press(&mut app, "q");
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
}

#[test]
fn refresh_marks_the_connection_busy_until_done() {
    let mut app = app();
    press(&mut app, "j");
    let effects = press(&mut app, "r");
    let token = |kind| TokenRef {
        connection_id: "c-acme-rotating".into(),
        connection: "acme-rotating".into(),
        kind,
        generation: 1,
    };
    assert_eq!(
        effects,
        vec![
            Effect::Refresh(token(TokenKind::Bot)),
            Effect::Refresh(token(TokenKind::User))
        ]
    );
    assert!(app.busy.contains(&Job::Refresh(token(TokenKind::Bot))));
    let effects = update(
        &mut app,
        Msg::Done {
            job: Job::Refresh(token(TokenKind::Bot)),
            result: Ok("refreshed".into()),
        },
        NOW,
    );
    assert_eq!(effects, vec![Effect::Reload]);
    assert!(!app.busy.contains(&Job::Refresh(token(TokenKind::Bot))));
    assert_eq!(app.status, Some(Status::info("refreshed")));
    // A long-lived connection has nothing to refresh, and says so.
    press(&mut app, "k");
    assert!(press(&mut app, "r").is_empty());
    assert_eq!(app.status.as_ref().unwrap().level, StatusLevel::Error);
}

#[test]
fn failed_calls_inspector_replay_and_reauth() {
    let mut app = app();
    press(&mut app, "f");
    assert_eq!(app.mode, Mode::Failed);
    update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(app.mode, Mode::Inspector { scroll: 0 });
    press(&mut app, "jj");
    assert_eq!(app.mode, Mode::Inspector { scroll: 2 });
    assert_eq!(
        press(&mut app, "p"),
        vec![Effect::Replay {
            call: 1,
            kind: None
        }]
    );
    assert_eq!(
        press(&mut app, "t"),
        vec![Effect::Replay {
            call: 1,
            kind: Some(TokenKind::User)
        }]
    );
    let effects = press(&mut app, "a");
    assert_eq!(
        effects,
        vec![Effect::Login(LoginRequest::Reauth {
            conn: "c-acme-classic".into(),
            bot: Scopes::parse("reactions:write"),
            user: Scopes::default(),
        })]
    );
    assert!(matches!(app.mode, Mode::Login(_)));
    // When the login ends, the inspector it came from is back.
    login_done(&mut app);
    assert_eq!(app.mode, Mode::Inspector { scroll: 2 });
    press(&mut app, "q");
    assert_eq!(app.mode, Mode::Failed);
}

#[test]
fn irreversible_and_secret_actions_ask_first() {
    let mut app = app();
    press(&mut app, "e");
    let classic_bot = TokenRef {
        connection_id: "c-acme-classic".into(),
        connection: "acme-classic".into(),
        kind: TokenKind::Bot,
        generation: 1,
    };
    let classic_user = TokenRef {
        kind: TokenKind::User,
        ..classic_bot.clone()
    };
    // Both tokens are long-lived: both are offered, and u keeps only the user token.
    assert_eq!(
        app.mode,
        Mode::Confirm(Confirm::Exchange(vec![
            classic_bot.clone(),
            classic_user.clone()
        ]))
    );
    press(&mut app, "u");
    assert_eq!(
        app.mode,
        Mode::Confirm(Confirm::Exchange(vec![classic_user.clone()]))
    );
    assert_eq!(press(&mut app, "y"), vec![Effect::Exchange(classic_user)]);
    // Tokens that already rotate are not offered: it says so at once.
    press(&mut app, "j");
    assert!(press(&mut app, "e").is_empty());
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.text.contains("already rotate"))
    );
    press(&mut app, "k");
    press(&mut app, "x");
    assert_eq!(press(&mut app, "y"), vec![Effect::Revoke(classic_bot)]);
    press(&mut app, "y");
    assert!(matches!(app.mode, Mode::Confirm(Confirm::Copy(_))));
    update(&mut app, key(KeyCode::Esc), NOW);
    assert_eq!(app.mode, Mode::Dashboard);
}

#[test]
fn filter_sort_auto_refresh_help_and_ctrl_c() {
    let mut app = app();
    press(&mut app, "/");
    press(&mut app, "beta");
    assert_eq!(app.rows.len(), 1);
    update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, "/");
    update(&mut app, key(KeyCode::Esc), NOW);
    assert_eq!(app.rows.len(), 4);
    press(&mut app, "/");
    press(&mut app, "search:read");
    assert_eq!(app.rows.len(), 2, "scopes are searched too");
    update(&mut app, key(KeyCode::Esc), NOW);
    press(&mut app, "g");
    press(&mut app, "s");
    assert_eq!(app.sort, SortKey::Expiry);
    assert_eq!(
        app.selected_connection().map(|c| c.name.as_str()),
        Some("acme-classic"),
        "the selection follows the connection"
    );
    assert_eq!(app.snapshot.connections[app.rows[0]].name, "beta-expiring");
    assert_eq!(press(&mut app, "A"), vec![Effect::SetAutoRefresh(false)]);
    press(&mut app, "?");
    assert!(matches!(app.mode, Mode::Help(_)));
    press(&mut app, "z");
    assert_eq!(app.mode, Mode::Dashboard);
    let quit = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        NOW,
    );
    assert_eq!(quit, vec![Effect::Quit]);
}

/// Esc closes, leaves or clears, in that order, and never quits; q quits at the top.
#[test]
fn esc_never_quits_and_clears_an_applied_filter() {
    let mut app = app();
    press(&mut app, "/beta");
    update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!((app.mode.clone(), app.rows.len()), (Mode::Dashboard, 1));
    assert_eq!(update(&mut app, key(KeyCode::Esc), NOW), vec![]);
    assert_eq!(app.rows.len(), 4, "the filter is cleared");
    assert_eq!(update(&mut app, key(KeyCode::Esc), NOW), vec![]);
    press(&mut app, "?");
    assert_eq!(update(&mut app, key(KeyCode::Esc), NOW), vec![]);
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
}

/// After a re-auth that granted the scope, the inspector ticks it: what the token holds now
/// sits beside what it held when the call failed.
#[test]
fn the_inspector_ticks_a_needed_scope_the_token_holds_now() {
    let mut app = app();
    press(&mut app, "f");
    update(&mut app, key(KeyCode::Enter), NOW);
    let before = format!("{:?}", render(&app, 120, 40).backend());
    assert!(before.contains("✗ reactions:write"), "{before}");
    let mut after = snapshot();
    after.connections[0].tokens[0].scopes = Scopes::parse("chat:write,reactions:write");
    update(&mut app, Msg::Loaded(after), NOW);
    let screen = format!("{:?}", render(&app, 120, 40).backend());
    assert!(screen.contains("✓ reactions:write"), "{screen}");
    assert!(screen.contains("HOLDS NOW") && screen.contains("PROVIDED THEN"));
}

#[test]
fn removing_a_connection_asks_first() {
    let mut app = app();
    assert_eq!(press(&mut app, "d"), vec![]);
    let Mode::Confirm(Confirm::Remove { id, name }) = app.mode.clone() else {
        panic!("{:?}", app.mode);
    };
    assert_eq!(name, "acme-classic");
    assert_eq!(press(&mut app, "n"), vec![]);
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, "d");
    assert_eq!(
        press(&mut app, "y"),
        vec![Effect::Remove {
            id: id.clone(),
            name
        }]
    );
    assert!(app.busy.contains(&Job::Remove(id)));
}

#[test]
fn adding_a_connection_takes_the_selected_or_first_app() {
    let mut app = app();
    let effects = press(&mut app, "a");
    assert_eq!(
        effects,
        vec![Effect::Login(LoginRequest::Install {
            app: "a1".into(),
            name: None,
            bot: None,
            user: None,
            team: None,
        })]
    );
    update(&mut app, key(KeyCode::Esc), NOW);
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(app.busy.len(), 0);
    // An empty database: the first registered app, or a hint when there is none.
    let mut empty = App::new("x".into(), crate::rotation::DEFAULT_WINDOW, false, true);
    update(
        &mut empty,
        Msg::Loaded(Snapshot {
            apps: vec![registered_app("only")],
            ..Snapshot::default()
        }),
        NOW,
    );
    assert!(
        matches!(press(&mut empty, "a").as_slice(), [Effect::Login(LoginRequest::Install { app, .. })] if app == "app-only")
    );
    let mut none = App::new("x".into(), crate::rotation::DEFAULT_WINDOW, false, true);
    assert!(press(&mut none, "a").is_empty());
    assert!(none.status.as_ref().unwrap().text.contains("xox app add"));
}

#[test]
fn the_call_console_completes_methods_and_calls() {
    let mut app = app();
    press(&mut app, "c");
    assert_eq!(app.mode, Mode::Console);
    press(&mut app, "chat.postM");
    update(&mut app, key(KeyCode::Tab), NOW);
    assert_eq!(app.console.value(), "chat.postMessage");
    press(&mut app, " channel=C1");
    update(&mut app, key(KeyCode::BackTab), NOW);
    let effects = update(&mut app, key(KeyCode::Enter), NOW);
    let expected = Effect::Call {
        connection_id: "c-acme-classic".into(),
        kind: Some(TokenKind::Bot),
        method: "chat.postMessage".into(),
        args: vec!["channel=C1".into()],
    };
    assert_eq!(effects, vec![expected]);
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f, NOW)).unwrap();
    terminal
}

/// Each screen at 80×24 and 120×40.
fn snapshot_both(name: &str, setup: impl Fn(&mut App)) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app();
        update(
            &mut app,
            Msg::Resize {
                width: w,
                height: h,
            },
            NOW,
        );
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h).backend());
    }
}

#[test]
fn screens() {
    snapshot_both("dashboard", |_| {});
    snapshot_both("detail", |app| {
        press(app, "j");
        update(app, key(KeyCode::Enter), NOW);
    });
    snapshot_both("inspector", |app| {
        press(app, "f");
        update(app, key(KeyCode::Enter), NOW);
    });
    snapshot_both("help", |app| {
        press(app, "?");
    });
    snapshot_both("confirm_exchange", |app| {
        press(app, "e");
    });
    snapshot_both("long_path_header", |app| {
        app.db_label = "~/work/clients/acme-corporation/slack-integrations/production/state/xox.db · Slack simulator at http://127.0.0.1:45678".into();
        press(app, "/");
        press(app, "acme");
    });
}

#[test]
fn the_detail_pane_names_the_last_failure_not_a_lease_takeover() {
    let mut app = app();
    press(&mut app, "jj");
    let effects = update(&mut app, key(KeyCode::Enter), NOW);
    let Some(Effect::LoadEvents(id)) = effects.first() else {
        panic!("{effects:?}");
    };
    let event = |n: i64, action: &str, outcome: &str, detail: &str| crate::store::Event {
        id: n,
        connection_id: id.clone(),
        at: NOW - 100 + n,
        action: action.into(),
        token_kind: Some(TokenKind::Bot),
        outcome: outcome.into(),
        old_expires_at: None,
        new_expires_at: None,
        pid: 1,
        detail: Some(detail.into()),
    };
    app.events.insert(
        id.clone(),
        vec![
            event(1, "refresh", "invalid_refresh_token", "spent elsewhere"),
            event(2, "lease", "taken_over", "pid 42 has exited"),
        ],
    );
    let text = format!("{}", render(&app, 120, 40).backend());
    let last_failure = text
        .lines()
        .find(|l| l.contains("last failure"))
        .expect("a last failure line");
    assert!(
        last_failure.contains("refresh invalid_refresh_token"),
        "{last_failure}"
    );
    assert!(
        text.contains("taken_over"),
        "the takeover is still in the recent events"
    );
}

#[test]
fn a_terminal_too_small_says_so() {
    let mut app = app();
    update(
        &mut app,
        Msg::Resize {
            width: 40,
            height: 10,
        },
        NOW,
    );
    let terminal = render(&app, 40, 10);
    let text = format!("{}", terminal.backend());
    assert!(text.contains("xox needs at least 60×12"), "{text}");
}

#[test]
fn add_on_a_connection_that_needs_reauth_reauthorizes_it_in_place() {
    let mut app = app();
    press(&mut app, "G");
    assert_eq!(app.selected_connection().unwrap().name, "gamma-reauth");
    assert_eq!(
        press(&mut app, "a"),
        vec![Effect::Login(LoginRequest::Reauth {
            conn: "c-gamma-reauth".into(),
            bot: Scopes::default(),
            user: Scopes::default(),
        })]
    );
    // On a healthy connection, `a` installs its app again as a new connection.
    login_done(&mut app);
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, "gg");
    assert!(matches!(
        press(&mut app, "a").as_slice(),
        [Effect::Login(LoginRequest::Install { name: None, .. })]
    ));
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect()
}

#[test]
fn the_inspector_stays_on_its_call_after_a_failed_replay() {
    let mut app = app();
    press(&mut app, "fG");
    update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(
        press(&mut app, "p"),
        vec![Effect::Replay {
            call: 1,
            kind: None
        }]
    );
    // The replay failed again: a new call, linked to #1, now heads the list.
    let mut snapshot = snapshot();
    let mut replay = snapshot.failed[0].clone();
    replay.call.id = 2;
    replay.call.replay_of = Some(1);
    replay.call.error = "not_in_channel".into();
    replay.hint = Some(Hint {
        text: "the bot is not in the channel".into(),
        action: HintAction::JoinChannel("C0SIMGENERAL".into()),
    });
    replay.command =
        Some("xox call conversations.join channel=C0SIMGENERAL --conn acme-classic".into());
    snapshot.failed[0].call.state = CallState::ReplayFailed;
    snapshot.failed.insert(0, replay);
    update(&mut app, Msg::Loaded(snapshot), NOW);
    assert_eq!(app.mode, Mode::Inspector { scroll: 0 });
    assert_eq!(app.selected_failed().unwrap().call.id, 1);
    let screen = screen_text(&render(&app, 120, 40));
    assert!(screen.contains(" call #1 · reactions.add"), "{screen}");
    assert!(screen.contains("as call #2"), "{screen}");
    assert!(
        screen.contains("xox call conversations.join channel=C0SIMGENERAL"),
        "{screen}"
    );
    // `a` acts on the latest attempt's hint, which re-auth does not fix; `p` replays #1.
    assert!(press(&mut app, "a").is_empty());
    assert_eq!(app.status.as_ref().unwrap().level, StatusLevel::Error);
    assert_eq!(
        press(&mut app, "p"),
        vec![Effect::Replay {
            call: 1,
            kind: None
        }]
    );
}

#[test]
fn a_long_status_wraps_and_m_shows_every_message_whole() {
    let mut app = app();
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
        NOW,
    );
    let long = "replay of #1 failed: Slack answered missing_scope to reactions.add: the token lacks a scope the method needs (needed: reactions:write; provided: chat:write); next: xox login --reauth acme-classic --scopes reactions:write";
    update(
        &mut app,
        Msg::Done {
            job: Job::Replay(1),
            result: Err(long.into()),
        },
        NOW,
    );
    let screen = screen_text(&render(&app, 80, 24));
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("(needed: reactions:write; provided: chat:write)"),
        "{screen}"
    );
    assert!(flat.contains("--scopes reactions:write"), "{screen}");
    update(
        &mut app,
        Msg::Done {
            job: Job::Refresh(TokenRef {
                connection_id: "c".into(),
                connection: "c".into(),
                kind: TokenKind::Bot,
                generation: 1,
            }),
            result: Ok("refreshed c bot".into()),
        },
        NOW,
    );
    assert_eq!(app.messages.len(), 2);
    press(&mut app, "m");
    assert!(matches!(app.mode, Mode::Messages(_)));
    let screen = screen_text(&render(&app, 80, 24));
    assert!(screen.contains("recent messages"), "{screen}");
    let flat = screen
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("refreshed c bot"), "{screen}");
    assert!(flat.contains("--scopes reactions:write"), "{screen}");
    press(&mut app, "x");
    assert_eq!(app.mode, Mode::Dashboard);
    // Over the inspector, the inspector stays drawn beneath.
    press(&mut app, "f");
    update(&mut app, key(KeyCode::Enter), NOW);
    press(&mut app, "m");
    let screen = screen_text(&render(&app, 120, 40));
    assert!(screen.contains(" call #1 · reactions.add"), "{screen}");
}

#[test]
fn wrapping_keeps_every_character() {
    use super::view::wrap;
    assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
    assert_eq!(wrap("", 3), [""]);
    let text = "one two three four five six seven";
    assert_eq!(wrap(text, 7).join(" "), text);
}
