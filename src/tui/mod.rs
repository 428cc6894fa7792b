//! The dashboard: Elm-style `App` / `Msg` / `update` / `view`, an effect executor on tokio
//! tasks, and one event loop. Nothing here does Slack or SQLite work on the UI task.

pub mod app;
pub mod effects;
pub mod event_loop;
pub mod keymap;
mod rows;
mod text_input;
pub mod update;
pub mod view;

use crate::engine::Engine;
use crate::rotation::StopLevel;
use app::{App, Msg};
use crossterm::event::{Event, EventStream, KeyEventKind};
use effects::Executor;
use futures_util::StreamExt;
use std::sync::Arc;

/// Restores the terminal however the dashboard ends (errors included; `ratatui::init`
/// also restores it from the panic hook).
struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Where the dashboard works.
pub struct Setup {
    pub engine: Arc<Engine>,
    pub db_label: String,
    /// In the demo, login links are followed by xox itself (the simulator approves at once).
    pub demo: bool,
}

/// Run the dashboard in the terminal until the user quits.
pub async fn run(setup: Setup) -> anyhow::Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = App::new(setup.db_label, setup.engine.window(), true, no_color);
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    let stop = setup.engine.stop().clone();
    let mut exec = Executor::new(setup.engine, tx, setup.demo);
    let mut terminal = ratatui::init();
    let _guard = RestoreGuard;
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    // Only key presses (not releases) and resizes reach `update`.
    let events = EventStream::new().filter_map(|event| async move {
        match event {
            Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => Some(Msg::Key(key)),
            Ok(Event::Resize(width, height)) => Some(Msg::Resize { width, height }),
            _ => None,
        }
    });
    let events = Box::pin(events);
    let dashboard = event_loop::run(
        &mut terminal,
        &mut app,
        &mut exec,
        inbox,
        events,
        crate::store::now_unix,
    );
    // SIGTERM (or SIGINT from outside the raw-mode terminal) closes the dashboard; the jobs
    // it started keep running, and the process waits for their rotations to save.
    tokio::select! {
        outcome = dashboard => outcome?,
        () = stop.reached(StopLevel::Finish) => {}
    }
    Ok(())
}
#[cfg(test)]
mod tests;
