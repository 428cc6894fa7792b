//! The modes where keys are text: the `/` filter and the call console. Their few command
//! keys come from the binding table; every other key is typed.

use super::app::{App, Effect, Job, Mode, Status};
use super::keymap::{self, Action, Scope};
use super::rows::refresh_rows;
use crate::engine::{TokenKind, complete_method};
use crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

pub(super) fn on_filter_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    match keymap::action(Scope::Filter, &key) {
        Some(Action::Accept) => app.mode = Mode::Dashboard,
        Some(Action::Cancel) => {
            app.filter.reset();
            app.mode = Mode::Dashboard;
        }
        _ => {
            app.filter.handle_event(&Event::Key(key));
        }
    }
    refresh_rows(app, now);
    vec![]
}

/// The call console: `method key=value ...`, quoted as a shell quotes; Tab completes the
/// method from the catalogue (again and again: the next match), Shift-Tab cycles the token
/// (auto, bot, user, app, config), Enter calls, and the usual line-editing keys (Ctrl-A,
/// Ctrl-E, Ctrl-U, Ctrl-W, Ctrl-K, arrows) edit.
pub(super) fn on_console_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::action(Scope::Console, &key);
    if action != Some(Action::Complete) {
        app.console_completing = None;
    }
    match action {
        Some(Action::Cancel) => app.mode = Mode::Dashboard,
        Some(Action::Complete) => complete(app),
        Some(Action::CycleKind) => {
            app.console_kind = match app.console_kind {
                None => Some(TokenKind::Bot),
                Some(TokenKind::Bot) => Some(TokenKind::User),
                Some(TokenKind::User) => Some(TokenKind::App),
                Some(TokenKind::App) => Some(TokenKind::Config),
                Some(TokenKind::Config) => None,
            };
        }
        Some(Action::Accept) => return call(app),
        _ => {
            app.console.handle_event(&Event::Key(key));
        }
    }
    vec![]
}

/// The method name completed: the first match for what was typed, then on each Tab the
/// next, round again after the last.
fn complete(app: &mut App) {
    let text = app.console.value().to_owned();
    if text.contains(' ') {
        return;
    }
    let (typed, next) = match app.console_completing.take() {
        Some((typed, shown)) => (typed, shown + 1),
        None => (text, 0),
    };
    let matches = complete_method(&typed);
    if matches.is_empty() {
        return;
    }
    let shown = next % matches.len();
    app.console = tui_input::Input::new(matches[shown].to_owned());
    app.console_completing = Some((typed, shown));
}

/// The typed line split as a shell splits it (`text="hi there"` is one argument), and
/// called on the selected connection.
fn call(app: &mut App) -> Vec<Effect> {
    let Some(words) = shlex::split(app.console.value()) else {
        app.status = Some(Status::error(
            "a quote is not closed: close it, or escape it with \\",
        ));
        return vec![];
    };
    let mut words = words.into_iter();
    let (Some(method), Some(connection_id)) = (
        words.next(),
        app.selected_connection().map(|c| c.id.clone()),
    ) else {
        return vec![];
    };
    app.mode = Mode::Dashboard;
    app.busy.insert(Job::Call);
    vec![Effect::Call {
        connection_id,
        kind: app.console_kind,
        method,
        args: words.collect(),
    }]
}
