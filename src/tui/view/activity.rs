//! The header's last hour at a glance: refreshes, the proxies' calls and failures, each a
//! sparkline of four-minute slices.

use super::Palette;
use crate::engine::{Activity, in_buckets};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::bar;
use ratatui::text::Span;
use ratatui::widgets::Sparkline;

/// A slice with nothing in it is a dot, so that an empty hour reads as a line of time and
/// a single event (the lowest bar) differs from none.
const QUIET_SLICE: bar::Set = bar::Set {
    empty: "·",
    ..bar::NINE_LEVELS
};

/// Slices of the hour: four minutes each.
const SLICES: usize = 15;
/// Below this width the proxies' calls give way.
const CALLS_FROM: u16 = 78;

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette, now: i64) {
    let activity = Activity::of(&app.snapshot, now, SLICES);
    let calls = in_buckets(app.proxy_calls.iter().copied(), now, SLICES);
    let mut series = vec![("refreshes", activity.refreshes, Color::Green)];
    if area.width >= CALLS_FROM {
        series.push(("calls", calls, Color::Cyan));
    }
    series.push(("failures", activity.failures, Color::Red));
    let mut widths = vec![Constraint::Length(3)];
    for (label, _, _) in &series {
        widths.push(Constraint::Length(label.len() as u16 + 1));
        widths.push(Constraint::Length(SLICES as u16 + 1));
    }
    widths.push(Constraint::Fill(1));
    let cells = Layout::horizontal(widths).split(area);
    frame.render_widget(Span::styled("1h", p.bold()), cells[0]);
    for (i, (label, data, color)) in series.into_iter().enumerate() {
        let total: u64 = data.iter().sum();
        // The label says how many; an hour with nothing in it stays a flat line.
        let style = if total > 0 {
            p.fg(color)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        };
        frame.render_widget(Span::styled(label, style), cells[1 + 2 * i]);
        let max = data.iter().copied().max().unwrap_or(0).max(1);
        frame.render_widget(
            Sparkline::default()
                .data(&data)
                .max(max)
                .bar_set(QUIET_SLICE)
                .style(style),
            cells[2 + 2 * i],
        );
    }
}
