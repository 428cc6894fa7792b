//! Keys through the keymap into `update`, and the effects and state they leave.

use super::*;

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
    // The scope it failed for is still missing: p says so rather than post again.
    assert!(press(&mut app, "p").is_empty());
    let status = app.status.clone().unwrap();
    assert_eq!(status.level, StatusLevel::Error);
    assert!(
        status.text.contains("still lacks reactions:write"),
        "{}",
        status.text
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
    // The selected connection is healthy: a new install beside it is asked for first.
    assert!(press(&mut app, "a").is_empty());
    assert!(matches!(
        &app.mode,
        Mode::Confirm(Confirm::Install { beside, .. }) if beside == "acme-classic"
    ));
    let effects = press(&mut app, "y");
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
    let mut empty = App::new("x".into(), crate::engine::DEFAULT_WINDOW, false, true);
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
    let mut none = App::new("x".into(), crate::engine::DEFAULT_WINDOW, false, true);
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

/// Text with spaces is quoted as in a shell, Tab goes round the matching methods, and
/// the line-editing keys edit.
#[test]
fn the_call_console_quotes_cycles_and_edits_like_a_shell() {
    let ctrl = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    let mut app = app();
    press(&mut app, "c");
    press(&mut app, "chat.post");
    update(&mut app, key(KeyCode::Tab), NOW);
    let first = app.console.value().to_owned();
    update(&mut app, key(KeyCode::Tab), NOW);
    let second = app.console.value().to_owned();
    assert!(first.starts_with("chat.post") && second.starts_with("chat.post"));
    assert_ne!(first, second, "a second Tab offers the next match");
    let matches = crate::engine::complete_method("chat.post");
    for _ in 1..matches.len() {
        update(&mut app, key(KeyCode::Tab), NOW);
    }
    assert_eq!(app.console.value(), first, "and comes round again");
    // Ctrl-U clears the line; Ctrl-A goes to its start.
    update(&mut app, ctrl('u'), NOW);
    assert_eq!(app.console.value(), "");
    press(&mut app, "channel=C1 text=\"hi there\"");
    update(&mut app, ctrl('a'), NOW);
    press(&mut app, "chat.postMessage ");
    let effects = update(&mut app, key(KeyCode::Enter), NOW);
    assert_eq!(
        effects,
        vec![Effect::Call {
            connection_id: "c-acme-classic".into(),
            kind: None,
            method: "chat.postMessage".into(),
            args: vec!["channel=C1".into(), "text=hi there".into()],
        }]
    );
    // An unclosed quote is said, not sent.
    press(&mut app, "c");
    press(&mut app, "chat.postMessage text=\"oops");
    assert!(update(&mut app, key(KeyCode::Enter), NOW).is_empty());
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("quote is not closed")
    );
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
    // On a healthy connection, `a` asks before installing its app again as a new
    // connection; n keeps things as they are.
    login_done(&mut app);
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, "gg");
    assert!(press(&mut app, "a").is_empty());
    assert!(press(&mut app, "n").is_empty());
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, "a");
    assert!(matches!(
        press(&mut app, "y").as_slice(),
        [Effect::Login(LoginRequest::Install { name: None, .. })]
    ));
}
