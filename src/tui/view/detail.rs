//! The detail pane: everything about the selected connection, its tokens, recent events and
//! its last error.

use super::Palette;
use super::fit::hanging;
use crate::engine::describe;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, LineGauge, Paragraph, Wrap};

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette, now: i64) {
    let Some(c) = app.selected_connection() else {
        return;
    };
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let width = usize::from(area.width);
    // A field's value wraps under itself; a name and its value (`pid 15295`) are joined by
    // a no-break space so that a wrap never parts them.
    let field = |k: &str, v: String| {
        hanging(
            Span::styled(format!("{k:<13}"), p.bold()),
            vec![Span::raw(v)],
            width,
        )
    };
    let mut lines = field("app", c.app_name.clone());
    lines.extend(field("team", describe::team_label(c)));
    if c.enterprise_id.is_some() {
        lines.extend(field(
            "org",
            format!(
                "{} · {}",
                c.enterprise_id.as_deref().unwrap_or("-"),
                describe::org_reach(c)
            ),
        ));
    }
    lines.extend(field(
        "ids",
        format!(
            "connection\u{a0}{} · app\u{a0}{} · bot\u{a0}user\u{a0}{} · authed\u{a0}user\u{a0}{}",
            c.id,
            dash(&c.slack_app_id),
            dash(&c.bot_user_id),
            dash(&c.authed_user_id)
        ),
    ));
    lines.push(Line::raw(""));
    let mut gauges = Vec::new();
    for t in &c.tokens {
        let expiry = match t.expires_at {
            Some(at) => format!(
                "{} ({})",
                describe::countdown(Some(at), now),
                describe::rfc3339(at)
            ),
            None => "never (long-lived)".into(),
        };
        let health = t.health(now);
        lines.extend(hanging(
            Span::styled(format!("{} token  ", t.kind), p.bold()),
            vec![
                Span::raw(format!("{} {}  ", t.token_type, t.redacted)),
                Span::styled(expiry, p.urgency(t.expires_at, now)),
                Span::raw(format!("  gen\u{a0}{}  ", t.generation)),
                Span::styled(health.to_string(), p.health(health)),
            ],
            width,
        ));
        // A rotating token's life so far, drawn under it once the lines are laid out.
        if let Some(at) = t.expires_at.filter(|_| t.rotating) {
            gauges.push((lines.len(), lifetime_left(at, t.updated_at, now)));
            lines.push(Line::raw(""));
        }
        if let Some(reason) = &t.status_reason {
            lines.extend(hanging(
                Span::raw("  reason: "),
                vec![Span::raw(reason.clone())],
                width,
            ));
        }
        lines.extend(hanging(
            Span::raw(format!("  scopes ({}): ", t.scopes.len())),
            vec![Span::raw(t.scopes.iter().collect::<Vec<_>>().join(", "))],
            width,
        ));
    }
    let keys: Vec<_> = app
        .snapshot
        .proxy_keys
        .iter()
        .filter(|k| k.connection_id.as_deref() == Some(c.id.as_str()))
        .collect();
    if !keys.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("proxy keys", p.bold()));
        for k in keys {
            lines.extend(hanging(
                Span::raw("  "),
                vec![Span::raw(format!(
                    "{} {} token{}  {}\u{a0}calls, {}\u{a0}failed  last\u{a0}used\u{a0}{}",
                    k.id,
                    k.kind,
                    k.label
                        .as_deref()
                        .map(|l| format!(" \"{l}\""))
                        .unwrap_or_default(),
                    k.requests,
                    k.failures,
                    k.last_used_at
                        .map(describe::rfc3339)
                        .unwrap_or_else(|| "never".into())
                ))],
                width,
            ));
        }
    }
    if let Some(failed) = app
        .snapshot
        .failed
        .iter()
        .find(|f| f.call.connection_id == c.id)
    {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("last error   ", p.bold()),
            Span::raw(format!(
                "#{} {} ({}): {}",
                failed.call.id, failed.call.method, failed.call.token_kind, failed.call.error
            )),
        ]));
    }
    // The last refresh, exchange or revoke that did not work, with Slack's words. A lease
    // taken over from a crashed process is history, not a failure of the connection.
    let failed_event = app
        .events
        .get(&c.id)
        .and_then(|events| events.iter().rev().find(|e| e.outcome.is_failure()));
    if let Some(e) = failed_event {
        lines.push(Line::from(vec![
            Span::styled("last failure ", p.bold()),
            Span::raw(format!(
                "{} {} {}: {}",
                describe::rfc3339(e.at),
                e.action,
                e.outcome,
                e.detail.clone().unwrap_or_default()
            )),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("recent events", p.bold()));
    match app.events.get(&c.id) {
        None => lines.push(Line::raw("  loading…")),
        Some(events) => {
            for e in events.iter().rev().take(8) {
                let kind = e
                    .token_kind
                    .map_or_else(|| "-".to_owned(), |k| k.to_string());
                let new = e
                    .new_expires_at
                    .map(describe::rfc3339)
                    .unwrap_or_else(|| "-".into());
                lines.extend(hanging(
                    Span::raw("  "),
                    vec![Span::raw(format!(
                        "{}  {:<8} {:<4} {:<22} new\u{a0}expiry\u{a0}{new}  pid\u{a0}{}",
                        describe::rfc3339(e.at),
                        // As text first: their `Display` ignores the padding.
                        e.action.to_string(),
                        kind,
                        e.outcome.to_string(),
                        e.pid
                    ))],
                    width,
                ));
            }
        }
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(format!(" {} ", c.name));
    let inner = block.inner(area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
    // Every line before the last gauge is laid out to the width already (`hanging`), so
    // its row is its index.
    for (row, (ratio, label)) in gauges {
        let y = inner.y + row as u16;
        if y >= inner.bottom() {
            break;
        }
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(label)
            .filled_style(p.fg(if ratio < 0.1 {
                Color::Red
            } else if ratio < 0.2 {
                Color::Yellow
            } else {
                Color::Green
            }))
            .filled_symbol(symbols::line::THICK_HORIZONTAL)
            .unfilled_symbol(symbols::line::HORIZONTAL);
        let width = inner.width.saturating_sub(2).min(60);
        frame.render_widget(
            gauge,
            Rect {
                x: inner.x + 2,
                y,
                width,
                height: 1,
            },
        );
    }
}

/// How long Slack's rotating tokens live: twelve hours.
const ROTATING_LIFE_SECS: i64 = 12 * 3600;

/// What is left of a token's life (from when it was stored to when it expires), as a
/// ratio and as words.
fn lifetime_left(expires_at: i64, stored_at: i64, now: i64) -> (f64, String) {
    // A token stored long before (its row written for another reason since) is measured
    // against the life Slack gives.
    let life = match expires_at - stored_at {
        life if (1..=2 * ROTATING_LIFE_SECS).contains(&life) => life,
        _ => ROTATING_LIFE_SECS,
    };
    let left = (expires_at - now).clamp(0, life);
    (
        left as f64 / life as f64,
        format!(
            "{} of {} left",
            describe::countdown(Some(expires_at), now),
            describe::countdown(Some(now + life), now)
        ),
    )
}
