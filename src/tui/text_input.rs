//! The modes where keys are text: the `/` filter and the call console. Their few command
//! keys come from the binding table; every other key is typed.

use super::app::{App, Effect, Job, Mode};
use super::keymap::{self, Action, Scope};
use super::rows::refresh_rows;
use crate::engine::{TokenKind, complete_method};
use crossterm::event::{Event, KeyEvent, KeyModifiers};
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

/// The call console: `method key=value ...`; Tab completes the method from the catalogue,
/// Shift-Tab cycles the token (auto, bot, user), Enter calls.
pub(super) fn on_console_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match keymap::action(Scope::Console, &key) {
        Some(Action::Cancel) => app.mode = Mode::Dashboard,
        Some(Action::Complete) => {
            let text = app.console.value().to_owned();
            if !text.contains(' ')
                && let Some(name) = complete_method(&text)
            {
                app.console = tui_input::Input::new(name.to_owned());
            }
        }
        Some(Action::CycleKind) => {
            app.console_kind = match app.console_kind {
                None => Some(TokenKind::Bot),
                Some(TokenKind::Bot) => Some(TokenKind::User),
                Some(TokenKind::User) => Some(TokenKind::App),
                Some(TokenKind::App) => Some(TokenKind::Config),
                Some(TokenKind::Config) => None,
            };
        }
        Some(Action::Accept) => {
            let mut words = app.console.value().split_whitespace().map(str::to_owned);
            let (Some(method), Some(connection_id)) = (
                words.next(),
                app.selected_connection().map(|c| c.id.clone()),
            ) else {
                return vec![];
            };
            app.mode = Mode::Dashboard;
            app.busy.insert(Job::Call);
            return vec![Effect::Call {
                connection_id,
                kind: app.console_kind,
                method,
                args: words.collect(),
            }];
        }
        _ if key.modifiers.contains(KeyModifiers::CONTROL) => {}
        _ => {
            app.console.handle_event(&Event::Key(key));
        }
    }
    vec![]
}
