//! The detail pane: everything about the selected connection, its tokens, recent events and
//! its last error.

use super::Palette;
use crate::engine::describe;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(app: &App, frame: &mut Frame, area: Rect, p: &Palette, now: i64) {
    let Some(c) = app.selected_connection() else {
        return;
    };
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<13}"), p.bold()),
            Span::raw(v),
        ])
    };
    let mut lines = vec![
        field("app", c.app_name.clone()),
        field("team", describe::team_label(c)),
    ];
    if c.enterprise_id.is_some() {
        lines.push(field(
            "org",
            format!(
                "{} · {}",
                c.enterprise_id.as_deref().unwrap_or("-"),
                describe::org_reach(c)
            ),
        ));
    }
    lines.extend([
        field(
            "ids",
            format!(
                "connection {} · app {} · bot user {} · authed user {}",
                c.id,
                dash(&c.slack_app_id),
                dash(&c.bot_user_id),
                dash(&c.authed_user_id)
            ),
        ),
        Line::raw(""),
    ]);
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
        lines.push(Line::from(vec![
            Span::styled(format!("{} token  ", t.kind), p.bold()),
            Span::raw(format!("{} {}  ", t.token_type, t.redacted)),
            Span::styled(expiry, p.urgency(t.expires_at, now)),
            Span::raw(format!("  gen {}  ", t.generation)),
            Span::styled(health.to_string(), p.health(health)),
        ]));
        if let Some(reason) = &t.status_reason {
            lines.push(Line::raw(format!("  reason: {reason}")));
        }
        lines.push(Line::raw(format!(
            "  scopes ({}): {}",
            t.scopes.len(),
            t.scopes.iter().collect::<Vec<_>>().join(", ")
        )));
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
            lines.push(Line::raw(format!(
                "  {} {} token{}  {} calls, {} failed  last used {}",
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
            )));
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
                lines.push(Line::raw(format!(
                    "  {}  {:<8} {:<4} {:<22} new expiry {new}  pid {}",
                    describe::rfc3339(e.at),
                    e.action,
                    kind,
                    e.outcome,
                    e.pid
                )));
            }
        }
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(format!(" {} ", c.name));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
