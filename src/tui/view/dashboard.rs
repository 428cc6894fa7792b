//! The connections table: one row per connection, only the rows on screen are built.

use super::{Palette, spinner};
use crate::engine::TokenKind;
use crate::engine::describe;
use crate::engine::{Connection, Health};
use crate::tui::app::{App, Job};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

/// The widest token type name (`xoxe.xoxb`), so the `#` and EXPIRES parts of every row line
/// up whatever the type.
const TYPE_WIDTH: usize = 9;
/// Type, scope count and the widest countdown (`11h 42m`, `expired`), with their spaces.
const TOKEN_WIDTH: u16 = TYPE_WIDTH as u16 + 1 + 3 + 8;

/// The token column's header, laid out like its cells.
fn token_header(kind: &str) -> String {
    format!("{kind:<width$} {:>2} EXPIRES", "#", width = TYPE_WIDTH)
}

fn token_cell(c: &Connection, kind: TokenKind, p: &Palette, now: i64) -> Cell<'static> {
    let Some(t) = c.token(kind) else {
        return Cell::from("-");
    };
    Cell::from(Line::from(vec![
        Span::styled(
            format!("{:<width$} ", t.token_type.as_str(), width = TYPE_WIDTH),
            p.bold(),
        ),
        Span::raw(format!("{:>2} ", t.scopes.len())),
        Span::styled(
            describe::countdown(t.expires_at, now),
            p.urgency(t.expires_at, now),
        ),
    ]))
}

fn status_cell(app: &App, c: &Connection, p: &Palette, now: i64) -> Cell<'static> {
    let refreshing = app
        .busy
        .iter()
        .any(|job| matches!(job, Job::Refresh(t) if t.connection_id == c.id));
    if refreshing {
        return Cell::from(Span::styled(
            format!("{} refreshing", spinner(app)),
            p.fg(Color::Cyan),
        ));
    }
    let health = c.health(now);
    let label = match health {
        Health::NeedsReauth => "needs re-auth".to_owned(),
        other => other.to_string(),
    };
    Cell::from(Span::styled(label, p.health(health)))
}

/// Below this width the team column gives way to the name.
const TEAM_COLUMN_FROM: u16 = 100;

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette, now: i64) {
    let wide = area.width >= TEAM_COLUMN_FROM;
    let page = app.page();
    let end = (app.offset + page).min(app.rows.len());
    let rows: Vec<Row> = app.rows[app.offset.min(end)..end]
        .iter()
        .map(|&i| {
            let c = &app.snapshot.connections[i];
            let team = crate::engine::describe::team_short(c);
            let mut cells = vec![Cell::from(c.name.clone())];
            if wide {
                cells.push(Cell::from(team));
            }
            cells.extend([
                token_cell(c, TokenKind::Bot, p, now),
                token_cell(c, TokenKind::User, p, now),
                status_cell(app, c, p, now),
            ]);
            Row::new(cells)
        })
        .collect();
    let title = if app.rows.len() == app.snapshot.connections.len() {
        format!(" connections ({}) ", app.rows.len())
    } else {
        format!(
            " connections ({} of {}) ",
            app.rows.len(),
            app.snapshot.connections.len()
        )
    };
    let token_width = Constraint::Length(TOKEN_WIDTH);
    let (bot, user) = (token_header("BOT"), token_header("USER"));
    let (header, widths) = if wide {
        (
            vec!["NAME", "TEAM", bot.as_str(), user.as_str(), "STATUS"],
            vec![
                Constraint::Fill(3),
                Constraint::Fill(2),
                token_width,
                token_width,
                Constraint::Length(14),
            ],
        )
    } else {
        (
            vec!["NAME", bot.as_str(), user.as_str(), "STATUS"],
            vec![
                Constraint::Fill(1),
                token_width,
                token_width,
                Constraint::Length(13),
            ],
        )
    };
    let header = Row::new(header).style(p.bold());
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::default().borders(Borders::TOP).title(title))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▶ ");
    let mut state = TableState::default()
        .with_selected((!app.rows.is_empty()).then(|| app.selected - app.offset));
    frame.render_stateful_widget(table, area, &mut state);
    if app.snapshot.connections.is_empty() {
        let hint = "no connections yet: press a to install an app, or use xox import / xox login";
        frame.render_widget(
            Line::from(hint),
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            },
        );
    }
}
