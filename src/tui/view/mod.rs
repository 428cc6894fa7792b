//! `view`: draws `App` into a frame. Pure: countdowns come from `now`, nothing is stored.

mod activity;
mod dashboard;
mod detail;
mod failed;
mod fit;
mod overlays;

use super::app::{App, Job, Mode, Status, StatusLevel};
use super::keymap::{self, Action, scope};
use crate::engine::Health;
use crate::engine::Summary;
use crate::engine::describe::window_label;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const MIN_SIZE: (u16, u16) = (60, 12);
const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// Colours unless NO_COLOR asked for none; emphasis stays either way.
pub(super) struct Palette {
    plain: bool,
}

impl Palette {
    pub fn fg(&self, color: Color) -> Style {
        if self.plain {
            Style::default()
        } else {
            Style::default().fg(color)
        }
    }

    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// How urgent an expiry is: red when expired or under 10 minutes, yellow inside the
    /// two-hour refresh window, green beyond it; plain for long-lived tokens.
    pub fn urgency(&self, expires_at: Option<i64>, now: i64) -> Style {
        match expires_at.map(|at| at - now) {
            None => Style::default(),
            Some(left) if left < 600 => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Some(left) if left < 7200 => self.fg(Color::Yellow),
            Some(_) => self.fg(Color::Green),
        }
    }

    pub fn health(&self, health: Health) -> Style {
        match health {
            Health::Ok => self.fg(Color::Green),
            Health::NoTokens => self.fg(Color::Yellow),
            _ => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }
}

pub(super) fn spinner(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

pub fn view(app: &App, frame: &mut Frame, now: i64) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "xox needs at least {}×{}; this terminal is {}×{}",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    let palette = Palette {
        plain: app.no_color,
    };
    // A long status wraps onto more lines (up to a quarter of the screen) instead of being
    // cut at the edge; `m` shows it whole whatever its length.
    let status_lines = status_text(app, area.width, (area.height / 4).max(1));
    let header_lines = header_lines(app, &palette, now, area.width);
    let [header, activity, body, status, footer] = Layout::vertical([
        Constraint::Length(header_lines.len() as u16),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(status_lines.len().max(1) as u16),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_lines), header);
    activity::render(app, frame, activity, &palette, now);
    // An overlay (help, messages) draws over the screen it was opened from.
    let mut under = &app.mode;
    while let Mode::Help(inner) | Mode::Messages(inner) = under {
        under = inner;
    }
    match under {
        Mode::Detail => detail::render(app, frame, body, &palette, now),
        Mode::Failed => failed::render_list(app, frame, body, &palette),
        Mode::Inspector { scroll } => failed::render_inspector(app, frame, body, &palette, *scroll),
        _ => dashboard::render(app, frame, body, &palette, now),
    }
    frame.render_widget(status_paragraph(app, status_lines, &palette), status);
    frame.render_widget(footer_line(app, footer.width), footer);
    overlays::render(app, frame, area, &palette);
}

/// The database (and in the demo the simulator's address) whole, wrapped when it is longer
/// than the screen is wide: users are told to copy it. Then the summary, as much as fits.
fn header_lines(app: &App, p: &Palette, now: i64, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let conns = &app.snapshot.connections;
    let summary = Summary::of(conns, &app.snapshot.failed, app.window, now);
    let (expiring, reauth, open_failed) =
        (summary.expiring, summary.need_reauth, summary.open_failures);
    let auto = if app.auto_refresh {
        "auto-refresh on"
    } else {
        "auto-refresh off"
    };
    let sep = || Span::raw(" · ");
    let filtering = !app.filter.value().is_empty() || app.mode == Mode::Filter;
    let mut lines = fit::hanging(
        Span::styled("xox ", p.bold()),
        vec![Span::raw(app.db_label.clone())],
        width,
    );
    // The summary's parts, most useful first; what does not fit is dropped from the end.
    let mut parts = Vec::new();
    if filtering {
        parts.push(Span::styled(
            format!("filter: {}▏", app.filter.value()),
            p.fg(Color::Cyan),
        ));
    }
    parts.extend([
        Span::raw(format!("{} connections", conns.len())),
        Span::styled(
            format!("{expiring} expiring <{}", window_label(summary.window)),
            if expiring > 0 {
                p.fg(Color::Yellow)
            } else {
                Style::default()
            },
        ),
        Span::styled(
            format!("{reauth} need re-auth"),
            if reauth > 0 {
                p.fg(Color::Red)
            } else {
                Style::default()
            },
        ),
        Span::styled(
            format!("{open_failed} failed"),
            if open_failed > 0 {
                p.fg(Color::Red)
            } else {
                Style::default()
            },
        ),
        Span::raw(auto),
        Span::raw(format!("sort {}", app.sort.label())),
    ]);
    // With proxy keys, what the proxy has served comes after the counts that need action.
    let keys = &app.snapshot.proxy_keys;
    if !keys.is_empty() {
        let calls: i64 = keys.iter().map(|k| k.requests).sum();
        let failures: i64 = keys.iter().map(|k| k.failures).sum();
        // What the governor held or waited out is not a failure, but it is worth seeing.
        let held: i64 = keys.iter().map(|k| k.held).sum();
        let absorbed: i64 = keys.iter().map(|k| k.absorbed).sum();
        let mut governed = if held + absorbed > 0 {
            format!(", {held} held, {absorbed} 429s absorbed")
        } else {
            String::new()
        };
        // What keys' scopes refused never reached Slack: not a failure either.
        let refused: i64 = keys.iter().map(|k| k.refused).sum();
        if refused > 0 {
            governed.push_str(&format!(", {refused} out of scope"));
        }
        parts.insert(
            parts.len() - 2,
            Span::styled(
                format!("proxy {calls} calls, {failures} failed{governed}"),
                if failures > 0 {
                    p.fg(Color::Red)
                } else {
                    Style::default()
                },
            ),
        );
    }
    let mut second: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for part in parts {
        let needs = part.content.chars().count() + if second.is_empty() { 0 } else { 3 };
        // A part that does not fit gives way; a shorter one after it may still fit.
        if used + needs > width {
            continue;
        }
        if !second.is_empty() {
            second.push(sep());
        }
        used += needs;
        second.push(part);
    }
    lines.push(Line::from(second));
    lines
}

/// `text` broken at spaces into lines of at most `width` characters; a word longer than a
/// line is cut.
pub(super) fn wrap(text: &str, width: u16) -> Vec<String> {
    let width = usize::from(width.max(1));
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.len() <= width {
            line.push(' ');
        } else if len > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line.extend(word);
    }
    lines.push(line);
    lines
}

/// The status line's text, wrapped to `width` and kept to `max` lines; what is left out is
/// pointed to.
fn status_text(app: &App, width: u16, max: u16) -> Vec<String> {
    let busy = app.busy.iter().filter(|j| **j != Job::AutoRefresh).count();
    if busy > 0 {
        return vec![format!("{} working on {busy} job(s)…", spinner(app))];
    }
    let Some(status) = &app.status else {
        return vec![];
    };
    let mut lines = wrap(&status.text, width);
    if lines.len() > usize::from(max) {
        lines.truncate(usize::from(max));
        let more = " … m shows all";
        let last = lines.last_mut().expect("max is at least 1");
        let keep = usize::from(width).saturating_sub(more.chars().count());
        *last = last.chars().take(keep).collect::<String>() + more;
    }
    lines
}

fn status_paragraph(app: &App, lines: Vec<String>, p: &Palette) -> Paragraph<'static> {
    let style = match (&app.status, app.busy.iter().any(|j| *j != Job::AutoRefresh)) {
        (_, true) => p.fg(Color::Cyan),
        (
            Some(Status {
                level: StatusLevel::Error,
                ..
            }),
            _,
        ) => p.fg(Color::Red),
        _ => p.fg(Color::Green),
    };
    Paragraph::new(
        lines
            .into_iter()
            .map(|l| Line::styled(l, style))
            .collect::<Vec<_>>(),
    )
}

/// The keys of the screen, as many as fit in `width`: the last ones go first, but never
/// the way back (or out) and `?`, which lists them all.
fn footer_line(app: &App, width: u16) -> Paragraph<'static> {
    let lead = match app.mode {
        Mode::Filter => Some("type to filter"),
        Mode::Console => Some("method key=value …"),
        Mode::Login(_) => Some("waiting for the browser"),
        Mode::Help(_) => Some("any key closes help"),
        Mode::Messages(_) => Some("any key closes the messages"),
        _ => None,
    };
    let entries: Vec<(String, bool)> = match app.mode {
        Mode::Help(_) | Mode::Messages(_) => Vec::new(),
        _ => keymap::bindings(scope(&app.mode), true)
            .map(|b| {
                let kept = matches!(b.action, Action::Back | Action::Cancel | Action::Help);
                (
                    format!("{} {}", b.keys_label, b.footer.unwrap_or(b.help)),
                    kept,
                )
            })
            .collect(),
    };
    Paragraph::new(Span::styled(
        fit::fitted(lead, entries, usize::from(width)),
        Style::default().add_modifier(Modifier::DIM),
    ))
}

/// A rectangle of `width`×`height` centred in `area` (clamped to it).
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (w, h) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
