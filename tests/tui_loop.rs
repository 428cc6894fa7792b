//! The real event loop on a TestBackend, driven by scripted keys, against the demo's
//! simulator and database: refresh a connection, open an error, replay it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;
use xox::engine::Engine;
use xox::engine::demo_world::Demo;
use xox::tui::app::{App, Msg};
use xox::tui::effects::Executor;
use xox_domain::slack::TokenKind;
use xox_domain::store::CallState;

/// Keys, each after a pause long enough for the work the previous one started.
fn script(steps: Vec<(u64, KeyEvent)>) -> impl futures_util::Stream<Item = Msg> + Unpin {
    Box::pin(
        futures_util::stream::iter(steps).then(|(ms, key)| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Msg::Key(key)
        }),
    )
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// An engine on its own connection to the demo database: as another process would have.
fn engine(demo: &Demo) -> Arc<Engine> {
    Arc::new(demo.engine(
        demo.open_store().unwrap(),
        Duration::from_secs(5),
        Default::default(),
    ))
}

fn executor(demo: &Demo) -> (Executor, tokio::sync::mpsc::UnboundedReceiver<Msg>) {
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    (Executor::new(engine(demo), tx, true), inbox)
}

fn app() -> App {
    App::new("demo".into(), Duration::from_secs(60), false, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_by_another_process_show_up_without_a_restart() {
    let demo = xox::engine::demo_world::start().await.unwrap();
    let (mut exec, inbox) = executor(&demo);
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Another "process": its own SQLite connection and lease owner.
    let other = engine(&demo);
    let conn = other.connection("acme-rotating").await.unwrap();
    let generation = conn.token(TokenKind::Bot).unwrap().generation;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        other.refresh(&conn.id, Some(TokenKind::Bot)).await.unwrap();
    });
    let keys = script(vec![(
        3000,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    )]);
    xox::tui::event_loop::run(
        &mut terminal,
        &mut app,
        &mut exec,
        inbox,
        keys,
        xox_domain::store::now_unix,
    )
    .await
    .unwrap();
    let seen = app
        .snapshot
        .connections
        .iter()
        .find(|c| c.name == "acme-rotating")
        .unwrap();
    assert_eq!(
        seen.token(TokenKind::Bot).unwrap().generation,
        generation + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_inspect_and_replay_through_the_event_loop() {
    let demo = xox::engine::demo_world::start().await.unwrap();
    let (mut exec, inbox) = executor(&demo);
    let beta = engine(&demo).connection("beta-expiring").await.unwrap();
    let generation = beta.token(TokenKind::Bot).unwrap().generation;
    let mut app = app();
    app.size = (120, 40);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

    let keys = script(vec![
        (400, key('j')),
        (0, key('j')),
        (0, key('r')),
        (800, key('f')),
        (200, key('j')),
        (0, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        (200, key('t')),
        // Time for the replay to finish even on a loaded machine.
        (
            2500,
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
        ),
    ]);
    let ran = tokio::time::timeout(
        Duration::from_secs(20),
        xox::tui::event_loop::run(
            &mut terminal,
            &mut app,
            &mut exec,
            inbox,
            keys,
            xox_domain::store::now_unix,
        ),
    )
    .await;
    ran.expect("the loop ended on Ctrl-C").unwrap();

    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("call #2 · search.messages · bot token · acme-classic"),
        "the inspector is open:\n{screen}"
    );
    assert!(screen.contains("replayed call #2: ok"), "{screen}");
    let refreshed = app
        .snapshot
        .connections
        .iter()
        .find(|c| c.name == "beta-expiring")
        .unwrap();
    assert_eq!(
        refreshed.token(TokenKind::Bot).unwrap().generation,
        generation + 1,
        "r refreshed the selected connection"
    );
    let replayed = app.snapshot.failed.iter().find(|f| f.call.id == 2).unwrap();
    assert_eq!(replayed.call.state, CallState::ReplayedOk);
    assert_eq!(
        demo.sim.counters().refresh_grants,
        2,
        "beta-expiring's refresh, after the demo's own spent token"
    );
}
