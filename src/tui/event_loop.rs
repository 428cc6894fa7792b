//! The one event loop: messages from tasks (other processes' writes among them), terminal
//! events, and a 1 Hz tick while something on screen counts down or spins. Queued messages
//! are drained, then the screen is drawn once. It never waits on the store.

use super::app::{App, Effect, Mode, Msg};
use super::effects::Executor;
use super::update::update;
use super::view::view;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::time::Duration;
use tokio::sync::mpsc;

fn needs_tick(app: &App) -> bool {
    !app.busy.is_empty()
        || matches!(app.mode, Mode::Login(_))
        || app
            .snapshot
            .connections
            .iter()
            .any(|c| c.tokens.iter().any(|t| t.expires_at.is_some()))
}

/// Apply `msg`; run its effects. False once an effect asked to quit.
fn handle(app: &mut App, exec: &mut Executor, msg: Msg, now: i64) -> bool {
    update(app, msg, now)
        .into_iter()
        .all(|effect| exec.run(effect))
}

pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    exec: &mut Executor,
    mut inbox: mpsc::UnboundedReceiver<Msg>,
    mut terminal_events: impl Stream<Item = Msg> + Unpin,
    clock: impl Fn() -> i64,
) -> Result<(), B::Error> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    exec.watch_store();
    for effect in [Effect::Reload, Effect::SetAutoRefresh(app.auto_refresh)] {
        exec.run(effect);
    }
    terminal.draw(|f| view(app, f, clock()))?;
    loop {
        let msg = tokio::select! {
            Some(msg) = inbox.recv() => msg,
            Some(msg) = terminal_events.next() => msg,
            _ = tick.tick(), if needs_tick(app) => Msg::Tick,
            else => return Ok(()),
        };
        if !handle(app, exec, msg, clock()) {
            return Ok(());
        }
        while let Ok(msg) = inbox.try_recv() {
            if !handle(app, exec, msg, clock()) {
                return Ok(());
            }
        }
        terminal.draw(|f| view(app, f, clock()))?;
    }
}
