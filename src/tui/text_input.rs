//! The modes where keys are text: the `/` filter and the call console.

use super::app::{App, Effect, Job, Mode};
use super::update::refresh_rows;
use crate::slack::TokenKind;
use crate::slack::catalogue::catalogue;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;

pub(super) fn on_filter_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    match key.code {
        KeyCode::Enter => app.mode = Mode::Dashboard,
        KeyCode::Esc => {
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
    match key.code {
        KeyCode::Esc => app.mode = Mode::Dashboard,
        KeyCode::Tab => {
            let text = app.console.value().to_owned();
            if !text.contains(' ')
                && let Some(name) = catalogue().complete(&text).next()
            {
                app.console = tui_input::Input::new(name.to_owned());
            }
        }
        KeyCode::BackTab => {
            app.console_kind = match app.console_kind {
                None => Some(TokenKind::Bot),
                Some(TokenKind::Bot) => Some(TokenKind::User),
                Some(TokenKind::User) => None,
            };
        }
        KeyCode::Enter => {
            let mut words = app.console.value().split_whitespace().map(str::to_owned);
            let (Some(method), Some(conn)) = (
                words.next(),
                app.selected_connection().map(|c| c.name.clone()),
            ) else {
                return vec![];
            };
            app.mode = Mode::Dashboard;
            app.busy.insert(Job::Call);
            return vec![Effect::Call {
                conn,
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
