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
use crate::engine::StopLevel;
use app::{App, Msg};
use crossterm::event::{Event, EventStream, KeyEventKind};
use effects::Executor;
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the dashboard holds the terminal (raw mode, alternate screen).
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Raw mode and the alternate screen, without `ratatui::init`'s panic hook: the terminal is
/// given back exactly once, by [`give_back_terminal`], which the process's panic hook calls.
fn take_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    crossterm::terminal::enable_raw_mode()?;
    TERMINAL_TAKEN.store(true, Ordering::SeqCst);
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
}

/// Leave raw mode and the alternate screen if the dashboard took them, once: a second
/// "leave" would move the cursor back over what was printed since (a panic's message).
pub fn give_back_terminal() {
    if TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        // Errors are ignored, not printed: a terminal that closed (an ssh session dropped,
        // a tmux session killed) fails every write, and `ratatui::restore`'s `eprintln!`
        // would then panic inside the panic hook and abort before the demo's files go.
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Gives the terminal back however the dashboard ends (errors and panics included).
struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        give_back_terminal();
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
    let _guard = RestoreGuard;
    // Never dropped: ratatui's `Terminal` shows the cursor on drop and prints (with a
    // panicking `eprintln!`) when that fails, as it does on a closed terminal. The guard
    // shows the cursor instead, ignoring errors; the few buffers go with the process.
    let mut terminal = std::mem::ManuallyDrop::new(take_terminal()?);
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
        crate::engine::now_unix,
    );
    // SIGTERM (or SIGINT from outside the raw-mode terminal) closes the dashboard; the jobs
    // it started keep running, and the process waits for their rotations to save.
    tokio::select! {
        outcome = dashboard => outcome?,
        () = stop.reached(StopLevel::Finish) => {}
        () = panic_for_tests() => {}
    }
    Ok(())
}

/// Debug builds only, for the clean-exit tests: with `XOX_TEST_PANIC` set, the dashboard
/// panics a second after it opens, as a bug would, on the task that owns the terminal.
async fn panic_for_tests() {
    if cfg!(debug_assertions) && std::env::var_os("XOX_TEST_PANIC").is_some() {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        panic!("XOX_TEST_PANIC is set");
    }
    std::future::pending().await
}
#[cfg(test)]
mod tests;
