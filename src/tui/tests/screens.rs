//! What `view` draws: snapshots at 60×20, 80×24 and 120×40, and screens read as text.

use super::*;
use crate::engine::{ErrorCode, EventAction, Outcome};

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
fn screens() {
    snapshot_sizes("dashboard", |_| {});
    snapshot_sizes("detail", |app| {
        press(app, "j");
        update(app, key(KeyCode::Enter), NOW);
    });
    snapshot_sizes("inspector", |app| {
        press(app, "f");
        update(app, key(KeyCode::Enter), NOW);
    });
    snapshot_sizes("help", |app| {
        press(app, "?");
    });
    snapshot_sizes("confirm_exchange", |app| {
        press(app, "e");
    });
    // An app-level token, a configuration token and no token at all: each says what it is.
    snapshot_sizes("token_kinds", |app| {
        let mut with_kinds = snapshot();
        with_kinds.connections.extend([
            connection(
                "acme-socket",
                None,
                vec![token(
                    TokenKind::App,
                    TokenType::AppLevel,
                    "connections:write",
                    None,
                )],
            ),
            connection(
                "acme-config",
                None,
                vec![token(
                    TokenKind::Config,
                    TokenType::RotatingUser,
                    "",
                    Some(NOW + 30_000),
                )],
            ),
            connection("acme-emptied", Some(("T0ACME", "Acme Corp")), vec![]),
        ]);
        update(app, Msg::Loaded(with_kinds), NOW);
    });
    snapshot_sizes("failed_list", |app| {
        press(app, "f");
    });
    snapshot_sizes("long_path_header", |app| {
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
    let event =
        |n: i64, action: EventAction, outcome: Outcome, detail: &str| crate::engine::Event {
            id: n,
            connection_id: id.clone(),
            at: NOW - 100 + n,
            action,
            token_kind: Some(TokenKind::Bot),
            outcome,
            old_expires_at: None,
            new_expires_at: None,
            pid: 1,
            detail: Some(detail.into()),
        };
    app.events.insert(
        id.clone(),
        vec![
            event(
                1,
                EventAction::Refresh,
                Outcome::Slack(ErrorCode::InvalidRefreshToken),
                "spent elsewhere",
            ),
            event(
                2,
                EventAction::Lease,
                Outcome::TakenOver,
                "pid 42 has exited",
            ),
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
fn the_inspector_stays_on_its_call_after_a_failed_replay() {
    let mut app = app();
    press(&mut app, "fG");
    update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(
        press(&mut app, "t"),
        vec![Effect::Replay {
            call: 1,
            kind: Some(TokenKind::User)
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
    use crate::tui::view::wrap;
    assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
    assert_eq!(wrap("", 3), [""]);
    let text = "one two three four five six seven";
    assert_eq!(wrap(text, 7).join(" "), text);
}

#[test]
fn the_header_shows_what_the_governor_held() {
    let mut app = app();
    let before = format!("{}", render(&app, 160, 30).backend());
    assert!(!before.contains("held"), "{before}");
    app.snapshot.proxy_keys[0].held = 35;
    app.snapshot.proxy_keys[0].absorbed = 12;
    let after = format!("{}", render(&app, 160, 30).backend());
    assert!(
        after.contains("3 failed, 35 held, 12 429s absorbed"),
        "{after}"
    );
}

/// The authorize link is drawn whole from the first column at every size, with no border
/// inside it, and y copies it.
#[test]
fn the_login_link_is_whole_and_copied_with_y() {
    let url = "https://slack.com/oauth/v2/authorize?client_id=1000000001.2000000001&scope=chat%3Awrite%2Cchannels%3Aread%2Cusers%3Aread&user_scope=search%3Aread&redirect_uri=http%3A%2F%2Flocalhost%3A8976%2Fcallback&state=Zk3q9Vt2mW8xYc4RbN7pLs1HdJ6eGa0T";
    for (w, h) in SIZES {
        let mut app = app_sized(w, h);
        app.mode = Mode::Login(crate::tui::app::LoginState::Waiting { url: url.into() });
        let screen = screen_text(&render(&app, w, h));
        let rows: Vec<&str> = screen.lines().collect();
        let first = rows.iter().position(|r| r.starts_with("https://")).unwrap();
        let joined: String = rows[first..]
            .iter()
            .take_while(|r| !r.trim().is_empty())
            .map(|r| r.trim_end())
            .collect();
        assert_eq!(joined, url, "at {w}×{h}:\n{screen}");
        assert!(!screen.contains('│'), "no border at {w}×{h}:\n{screen}");
        assert_eq!(press(&mut app, "y"), vec![Effect::CopyLink(url.into())]);
    }
}
