//! Shared by the dashboard benchmarks: the time from opening the engine to the first frame
//! drawn, as the binary does it (load a snapshot, `update`, `view`).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use xox::engine::{Engine, Settings};
use xox::tui::app::{App, Msg};
use xox_domain::store::{Backend, now_unix};

pub fn settings(db: &std::path::Path) -> Settings {
    Settings {
        db: db.to_path_buf(),
        slack_url: "http://127.0.0.1:9".into(),
        http_timeout: Duration::from_secs(5),
        window: xox_domain::rotation::DEFAULT_WINDOW,
        stop: Default::default(),
    }
}

/// The dashboard state after its first frame (at 120×40), the time to that frame from
/// opening the store, and the part of it spent loading.
pub fn first_frame(
    runtime: &tokio::runtime::Runtime,
    db: &std::path::Path,
    open: impl FnOnce() -> Box<dyn Backend>,
) -> (App, Terminal<TestBackend>, Duration, Duration) {
    let started = Instant::now();
    let engine = Engine::with_backend(open(), settings(db));
    let snapshot = runtime.block_on(engine.snapshot()).unwrap();
    let loaded = started.elapsed();
    let mut app = App::new("bench".into(), engine.window(), false, false);
    app.size = (120, 40);
    xox::tui::update::update(&mut app, Msg::Loaded(snapshot), now_unix());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| xox::tui::view::view(&app, f, now_unix()))
        .unwrap();
    (app, terminal, started.elapsed(), loaded)
}
