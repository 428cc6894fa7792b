//! The real event loop on a TestBackend, driven by scripted keys, against the demo's
//! simulator and database: refresh a connection, open an error, replay it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;
use xox::rotation::{RetryPolicy, Rotator, StoreHandle};
use xox::slack::{SlackClient, TokenKind};
use xox::store::Store;
use xox::tui::app::{App, Msg};
use xox::tui::effects::{Executor, StoreOpener};

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

/// A rotator on its own connection to the demo database.
fn rotator(demo: &xox::demo::Demo) -> Arc<Rotator> {
    let store = Store::open_with_key(&demo.db, None).unwrap();
    let client = SlackClient::new(demo.sim.base_url(), Duration::from_secs(5)).unwrap();
    Arc::new(Rotator::new(
        StoreHandle::new(store),
        client,
        RetryPolicy::for_timeout(Duration::from_secs(5)),
    ))
}

fn executor(demo: &xox::demo::Demo) -> (Executor, tokio::sync::mpsc::UnboundedReceiver<Msg>) {
    let db = demo.db.clone();
    let open_store: StoreOpener = Arc::new(move || Store::open_with_key(&db, None));
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    let cert_dir = demo.db.parent().unwrap().to_path_buf();
    (
        Executor::new(
            rotator(demo),
            open_store,
            tx,
            cert_dir,
            true,
            Duration::from_secs(60),
        ),
        inbox,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_by_another_process_show_up_without_a_restart() {
    let demo = xox::demo::start().await.unwrap();
    let (mut exec, inbox) = executor(&demo);
    let mut app = App::new("demo".into(), false, true);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Another "process": its own SQLite connection and lease owner.
    let other = rotator(&demo);
    let conn = Store::open_with_key(&demo.db, None)
        .unwrap()
        .connection("acme-rotating")
        .unwrap();
    let generation = conn.token(TokenKind::Bot).unwrap().generation;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let target = xox::rotation::Target::of(&conn, TokenKind::Bot);
        other
            .refresh_if(&target, xox::rotation::Need::NotRewrittenSince(generation))
            .await
            .unwrap();
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
        xox::store::now_unix,
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
    let demo = xox::demo::start().await.unwrap();
    let store = Store::open_with_key(&demo.db, None).unwrap();
    let beta = store.connection("beta-expiring").unwrap();
    let generation = beta.token(TokenKind::Bot).unwrap().generation;
    let client = SlackClient::new(demo.sim.base_url(), Duration::from_secs(5)).unwrap();
    let rotator = Arc::new(Rotator::new(
        StoreHandle::new(store),
        client,
        RetryPolicy::for_timeout(Duration::from_secs(5)),
    ));
    let db = demo.db.clone();
    let open_store: StoreOpener = Arc::new(move || Store::open_with_key(&db, None));
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    let cert_dir = demo.db.parent().unwrap().to_path_buf();
    let mut exec = Executor::new(
        rotator,
        open_store,
        tx,
        cert_dir,
        true,
        Duration::from_secs(60),
    );
    let mut app = App::new("demo".into(), false, true);
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
        (
            800,
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
            xox::store::now_unix,
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
    assert_eq!(replayed.call.state, "replayed_ok");
    assert_eq!(
        demo.sim.counters().refresh_grants,
        2,
        "beta-expiring's refresh, after the demo's own spent token"
    );
}
