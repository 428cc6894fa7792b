//! Driving the dashboard's real update/effect loop without a terminal: keys in, effects run
//! by the real executor against the engine, results fed back until every job is done.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use xox::engine::Engine;
use xox::tui::app::{App, Effect, Msg};
use xox::tui::effects::Executor;
use xox::tui::update::update;

pub struct Dashboard {
    pub app: App,
    exec: Executor,
    inbox: UnboundedReceiver<Msg>,
}

pub fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

impl Dashboard {
    /// A dashboard on `engine`; `follow_login_links` lets it play the browser itself.
    pub fn new(engine: Arc<Engine>, follow_login_links: bool) -> Dashboard {
        let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
        Dashboard {
            app: App::new(
                "test".into(),
                xox_domain::rotation::DEFAULT_WINDOW,
                false,
                true,
            ),
            exec: Executor::new(engine, tx, follow_login_links),
            inbox,
        }
    }

    /// Apply `msg` and run its effects, then keep handling what the tasks send back until
    /// no job is busy and every reload asked for has arrived.
    pub async fn drive(&mut self, msg: Msg) {
        let now = xox_domain::store::now_unix;
        let mut reloads = 0;
        let mut apply = |app: &mut App, exec: &mut Executor, msg: Msg| {
            if matches!(msg, Msg::Loaded(_)) {
                reloads -= 1;
            }
            for effect in update(app, msg, now()) {
                if effect == Effect::Reload {
                    reloads += 1;
                }
                exec.run(effect);
            }
            reloads
        };
        let mut pending = apply(&mut self.app, &mut self.exec, msg);
        while !self.app.busy.is_empty() || pending > 0 {
            let msg = tokio::time::timeout(Duration::from_secs(15), self.inbox.recv())
                .await
                .expect("the dashboard's job finished")
                .unwrap();
            pending = apply(&mut self.app, &mut self.exec, msg);
        }
    }

    /// Watch the store for other processes' writes, as the real dashboard does.
    pub fn watch_store(&mut self) {
        self.exec.watch_store();
    }

    /// Handle what arrives until `done` holds of the dashboard; how long that took, or
    /// `None` after `limit`.
    pub async fn until(
        &mut self,
        limit: Duration,
        done: impl Fn(&App) -> bool,
    ) -> Option<Duration> {
        let started = std::time::Instant::now();
        while !done(&self.app) {
            let left = limit.checked_sub(started.elapsed())?;
            let msg = tokio::time::timeout(left, self.inbox.recv()).await.ok()??;
            self.drive(msg).await;
        }
        Some(started.elapsed())
    }

    /// Type `text`, one key at a time, each driven to the end.
    pub async fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.drive(key(KeyCode::Char(c))).await;
        }
    }

    /// The screen as drawn at `width`×`height`, one line per row.
    pub fn screen(&self, width: u16, height: u16) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| xox::tui::view::view(&self.app, f, xox_domain::store::now_unix()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
                row.trim_end().to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The status line's text, or "" when there is none.
    pub fn status(&self) -> String {
        self.app
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }
}
