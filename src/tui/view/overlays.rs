//! What draws over a screen: help, confirmations, the login modal and the call console.

use super::{Palette, centered, scope, spinner, wrap};
use crate::tui::app::{App, Confirm, LoginState, Mode, StatusLevel};
use crate::tui::keymap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn modal(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, width: u16) {
    let height = lines.len() as u16 + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn confirm_text(confirm: &Confirm) -> (&'static str, Vec<String>) {
    match confirm {
        Confirm::Exchange(tokens) => (
            "exchange for rotating tokens?",
            vec![
                format!(
                    "The {} token of {} {}.",
                    tokens
                        .iter()
                        .map(|t| t.kind.as_str())
                        .collect::<Vec<_>>()
                        .join(" and the "),
                    tokens.first().map_or("", |t| t.connection.as_str()),
                    if tokens.len() > 1 {
                        "become 12-hour rotating tokens"
                    } else {
                        "becomes a 12-hour rotating token"
                    }
                ),
                "This cannot be undone: the app's rotation stays on, and the long-lived token stops working at the first refresh.".into(),
            ]
            .into_iter()
            .chain(
                (tokens.len() > 1)
                    .then(|| "b: only the bot token · u: only the user token · y: both".to_owned()),
            )
            .collect(),
        ),
        Confirm::Revoke(t) => (
            "revoke the token?",
            vec![
                format!(
                    "auth.revoke the {} token of {}. Slack will not accept it again;",
                    t.kind, t.connection
                ),
                "getting a new one means installing the app again.".into(),
            ],
        ),
        Confirm::Remove { name, .. } => (
            "remove the connection?",
            vec![
                format!("Delete the tokens of {name} from the database."),
                "Its history and failed calls are kept. The tokens still work at".into(),
                format!("Slack: `xox remove {name} --revoke --yes` revokes them first."),
            ],
        ),
        Confirm::Install {
            app_name, beside, ..
        } => (
            "add another connection?",
            vec![
                format!("{beside} is healthy: there is nothing to re-authorize."),
                format!(
                    "Install {app_name} again, into this or another workspace, as a new connection?"
                ),
            ],
        ),
        Confirm::Copy(t) => (
            "copy the access token?",
            vec![
                format!(
                    "Put the {} token of {} on the clipboard (OSC 52).",
                    t.kind, t.connection
                ),
                "Anything that can read your clipboard can use it.".into(),
            ],
        ),
    }
}

/// The text with the cursor drawn where the editing keys put it, not always at the end.
fn with_cursor(input: &tui_input::Input) -> String {
    let chars: Vec<char> = input.value().chars().collect();
    let at = input.cursor().min(chars.len());
    let (before, after): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    format!("{before}▏{after}")
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette) {
    match &app.mode {
        Mode::Help(under) => {
            // Help for the screen it was opened from, from the same table as the keys; the
            // movement keys share one line, so that the whole help fits 80×24.
            let bindings: Vec<_> = keymap::bindings(scope(under), false).collect();
            let moves: Vec<&str> = bindings
                .iter()
                .filter(|b| b.action.is_movement())
                .map(|b| b.keys_label)
                .collect();
            let mut lines: Vec<Line> = Vec::new();
            if !moves.is_empty() {
                lines.push(Line::raw(format!("{}  move", moves.join(" "))));
            }
            lines.extend(
                bindings
                    .iter()
                    .filter(|b| !b.action.is_movement())
                    .map(|b| Line::raw(format!("{:<8} {}", b.keys_label, b.help))),
            );
            lines.push(Line::raw("ctrl-c   quit from anywhere"));
            modal(frame, area, "keys", lines, 56);
        }
        Mode::Messages(_) => {
            // Newest first, each whole.
            let width = area.width.saturating_sub(6);
            let mut lines: Vec<Line> = Vec::new();
            for status in app.messages.iter().rev() {
                let style = match status.level {
                    StatusLevel::Error => p.fg(Color::Red),
                    StatusLevel::Info => p.fg(Color::Green),
                };
                lines.extend(
                    wrap(&status.text, width)
                        .into_iter()
                        .map(|l| Line::styled(l, style)),
                );
            }
            if lines.is_empty() {
                lines.push(Line::raw("no messages yet"));
            }
            lines.truncate(usize::from(area.height.saturating_sub(4)));
            modal(
                frame,
                area,
                "recent messages",
                lines,
                area.width.saturating_sub(2),
            );
        }
        Mode::Confirm(confirm) => {
            let (title, text) = confirm_text(confirm);
            let mut lines: Vec<Line> = text.into_iter().map(Line::raw).collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("y confirm · n/esc cancel", p.bold()));
            modal(frame, area, title, lines, 70);
        }
        Mode::Login(LoginState::Starting) => modal(
            frame,
            area,
            "add a connection",
            vec![Line::raw(format!(
                "{} starting the callback listener…",
                spinner(app)
            ))],
            area.width.saturating_sub(4),
        ),
        // The link whole, on the screen's own lines from the first column, with no border
        // to split it: it is copied by mouse (or with y, by OSC 52) and carries the state
        // the callback checks, so a link cut short would not work.
        Mode::Login(LoginState::Waiting { url }) => {
            let lines = vec![
                Line::styled("add a connection", p.bold()),
                Line::raw("Open this link to install the app; xox waits for Slack's redirect:"),
                Line::raw(""),
                Line::styled(url.clone(), p.fg(Color::Cyan)),
                Line::raw(""),
                Line::raw(format!(
                    "{} waiting for the browser · y copies the link · esc cancels",
                    spinner(app)
                )),
            ];
            frame.render_widget(Clear, area);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
        Mode::Console => {
            let conn = app
                .selected_connection()
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let kind = app.console_kind.map_or("auto", |k| k.as_str());
            let lines = vec![
                Line::raw(format!("on {conn} with the {kind} token:")),
                Line::styled(
                    format!("> {}", with_cursor(&app.console)),
                    p.fg(Color::Cyan),
                ),
            ];
            modal(frame, area, "call", lines, 70);
        }
        _ => {}
    }
}
