//! The connections table: one row per connection, only the rows on screen are built.

use super::fit::ellipsized;
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

/// The connection's token of the first of `kinds` it holds, with its type (or `config`
/// for an app configuration token, whose prefix is a user token's), scope count and expiry.
fn token_cell(c: &Connection, kinds: &[TokenKind], p: &Palette, now: i64) -> Cell<'static> {
    let Some(t) = kinds.iter().find_map(|kind| c.token(*kind)) else {
        return Cell::from("-");
    };
    let type_label = match t.kind {
        TokenKind::Config => "config",
        _ => t.token_type.as_str(),
    };
    Cell::from(Line::from(vec![
        Span::styled(
            format!("{type_label:<width$} ", width = TYPE_WIDTH),
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
        other => other.to_string().replace('_', " "),
    };
    Cell::from(Span::styled(label, p.health(health)))
}

/// Below this width the team column gives way to the name.
const TEAM_COLUMN_FROM: u16 = 100;
/// The name never gets less: the user token's column goes first.
const NAME_AT_LEAST: u16 = 16;
const STATUS_WIDTH: u16 = 13;
/// The selection marker's columns.
const MARKER: u16 = 2;

/// Which columns fit in `width`, dropped least useful first (the team, then the user
/// token), never the name; and the widths the name and the team get.
struct Columns {
    team: Option<u16>,
    user: bool,
    name: u16,
}

impl Columns {
    fn for_width(width: u16) -> Columns {
        let fixed = |user: bool| {
            let tokens = if user { 2 } else { 1 };
            MARKER + tokens * (TOKEN_WIDTH + 1) + 1 + STATUS_WIDTH
        };
        let user = width >= fixed(true) + NAME_AT_LEAST;
        let rest = width.saturating_sub(fixed(user));
        if width >= TEAM_COLUMN_FROM {
            // Name and team share what is left, three to two, with a space between.
            let rest = rest.saturating_sub(1);
            let name = rest * 3 / 5;
            return Columns {
                team: Some(rest - name),
                user,
                name,
            };
        }
        Columns {
            team: None,
            user,
            name: rest,
        }
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette, now: i64) {
    let columns = Columns::for_width(area.width);
    let page = app.page();
    let end = (app.offset + page).min(app.rows.len());
    let rows: Vec<Row> = app.rows[app.offset.min(end)..end]
        .iter()
        .map(|&i| {
            let c = &app.snapshot.connections[i];
            let mut cells = vec![Cell::from(ellipsized(&c.name, columns.name.into()))];
            if let Some(team) = columns.team {
                let label = crate::engine::describe::team_short(c);
                cells.push(Cell::from(ellipsized(&label, team.into())));
            }
            // Bot, app-level and configuration tokens share the first column: a
            // connection holds one of them (app-level and configuration tokens are
            // kept alone), and its type says which.
            cells.push(token_cell(
                c,
                &[TokenKind::Bot, TokenKind::App, TokenKind::Config],
                p,
                now,
            ));
            if columns.user {
                cells.push(token_cell(c, &[TokenKind::User], p, now));
            }
            cells.push(status_cell(app, c, p, now));
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
    let (token, user) = (token_header("TOKEN"), token_header("USER"));
    let mut header = vec!["NAME".to_owned()];
    let mut widths = vec![Constraint::Length(columns.name)];
    if let Some(team) = columns.team {
        header.push("TEAM".into());
        widths.push(Constraint::Length(team));
    }
    header.push(token);
    widths.push(Constraint::Length(TOKEN_WIDTH));
    if columns.user {
        header.push(user);
        widths.push(Constraint::Length(TOKEN_WIDTH));
    }
    header.push("STATUS".into());
    widths.push(Constraint::Fill(1));
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
