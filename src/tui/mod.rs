//! The dashboard: Elm-style `App` / `Msg` / `update` / `view`, an effect executor on tokio
//! tasks, and one event loop. Nothing here does Slack or SQLite work on the UI task.

pub mod app;
pub mod effects;
pub mod event_loop;
pub mod keymap;
mod text_input;
pub mod update;
pub mod view;

use crate::rotation::Rotator;
use app::{App, Msg};
use crossterm::event::{Event, EventStream, KeyEventKind};
use effects::{Executor, StoreOpener};
use futures_util::StreamExt;
use std::path::PathBuf;
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
    pub rotator: Arc<Rotator>,
    pub open_store: StoreOpener,
    pub db_label: String,
    pub cert_dir: PathBuf,
    /// In the demo, login links are followed by xox itself (the simulator approves at once).
    pub demo: bool,
    /// How close to expiry auto-refresh and `R` refresh a token.
    pub window: std::time::Duration,
}

/// Run the dashboard in the terminal until the user quits.
pub async fn run(setup: Setup) -> anyhow::Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = App::new(setup.db_label, true, no_color);
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    let mut exec = Executor::new(
        setup.rotator,
        setup.open_store,
        tx,
        setup.cert_dir,
        setup.demo,
        setup.window,
    );
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
    event_loop::run(
        &mut terminal,
        &mut app,
        &mut exec,
        inbox,
        events,
        crate::store::now_unix,
    )
    .await?;
    Ok(())
}
#[cfg(test)]
mod tests;
