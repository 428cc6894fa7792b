//! Failed calls: the list, and the error inspector for one of them.

use super::Palette;
use super::fit::{ellipsized, hanging};
use crate::engine::ErrorCode;
use crate::engine::{blocking_step, describe, standing};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

pub fn render_list(app: &App, frame: &mut Frame, area: Rect, p: &Palette) {
    // The marker, the fixed columns (id, kind, state) and the spaces between six columns;
    // connection, method and error share the rest, two to three to three.
    let rest = area.width.saturating_sub(2 + 5 + 5 + 13 + 5);
    let (conn, method) = (rest * 2 / 8, rest * 3 / 8);
    let error = rest - conn - method;
    let rows: Vec<Row> = app
        .snapshot
        .failed
        .iter()
        .map(|f| {
            Row::new(vec![
                format!("#{}", f.call.id),
                ellipsized(f.connection_label(), conn.into()),
                ellipsized(&f.call.method, method.into()),
                f.call.token_kind.to_string(),
                ellipsized(&f.call.error, error.into()),
                f.call.state.to_string(),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(conn),
        Constraint::Length(method),
        Constraint::Length(5),
        Constraint::Length(error),
        Constraint::Length(13),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(["ID", "CONNECTION", "METHOD", "KIND", "ERROR", "STATE"]).style(p.bold()))
        .block(
            Block::default()
                .borders(Borders::TOP)
                .title(format!(" failed calls ({}) ", app.snapshot.failed.len())),
        )
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▶ ");
    let mut state = TableState::default()
        .with_selected((!app.snapshot.failed.is_empty()).then_some(app.failed_selected));
    frame.render_stateful_widget(table, area, &mut state);
}

pub fn render_inspector(app: &App, frame: &mut Frame, area: Rect, p: &Palette, scroll: u16) {
    let Some(f) = app.selected_failed() else {
        return;
    };
    let call = &f.call;
    // Each head line is a label and its text; a long text wraps under itself, clear of
    // the labels' column.
    let mut top: Vec<(&'static str, Vec<Span<'static>>)> = Vec::new();
    let error_text = |call: &crate::engine::RecordedCall| {
        vec![
            Span::styled(call.error.clone(), p.fg(Color::Red)),
            Span::raw(format!(
                "  {}",
                ErrorCode::parse(&call.error).meaning().unwrap_or("")
            )),
        ]
    };
    top.push(("error     ", error_text(call)));
    // After a failed replay the call stays on screen; its latest attempt's error, hint and
    // command are the ones that apply now.
    let latest = app.latest_attempt();
    if let Some(attempt) = latest {
        top.push((
            "replayed  ",
            vec![Span::raw(format!(
                "as call #{} at {}, which failed:",
                attempt.call.id,
                describe::rfc3339(attempt.call.at)
            ))],
        ));
        top.push(("now       ", error_text(&attempt.call)));
    }
    let current = latest.unwrap_or(f);
    let hint = current
        .hint
        .as_ref()
        .map(|h| h.text.clone())
        .unwrap_or_default();
    top.push(("hint      ", vec![Span::raw(hint)]));
    // The hint's own step failed for a scope: its re-auth is what comes next.
    let blocked = blocking_step(current, &app.snapshot.failed);
    if let Some(step) = blocked {
        let mut text = vec![Span::raw(format!(
            "{} failed as call #{}: ",
            step.call.method, step.call.id
        ))];
        text.extend(error_text(&step.call));
        if let Some(h) = &step.hint {
            text.push(Span::raw(format!("; {}", h.text)));
        }
        top.push(("step      ", text));
    }
    let command = blocked.unwrap_or(current).command.as_ref();
    if let Some(command) = command.filter(|_| standing(call)) {
        top.push((
            "next      ",
            vec![Span::styled(command.clone(), p.fg(Color::Cyan))],
        ));
    }
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    top.push((
        "http      ",
        vec![Span::raw(format!(
            "{} · retry-after\u{a0}{} · accepted\u{a0}scopes\u{a0}{} · {} · {}",
            opt(call.http_status.map(|s| s.to_string())),
            opt(call.retry_after.map(|s| format!("{s}s"))),
            opt(call.accepted_scopes.as_ref().map(|s| s.to_csv())),
            describe::rfc3339(call.at),
            call.state
        ))],
    ));
    let top: Vec<Line> = top
        .into_iter()
        .flat_map(|(label, text)| {
            hanging(Span::styled(label, p.bold()), text, usize::from(area.width))
        })
        .collect();
    // What the call needed, what the token had then, and what it holds now (after a
    // re-auth, say): each needed scope is ticked when the token holds it now.
    let now_held = app
        .snapshot
        .connections
        .iter()
        .find(|c| c.id == call.connection_id)
        .or(f.connection.as_ref())
        .and_then(|c| c.token(call.token_kind))
        .map(|t| t.scopes.clone());
    let needed: Vec<Line> = call
        .needed
        .iter()
        .flat_map(|n| n.iter())
        .map(|s| {
            let held = now_held.as_ref().is_some_and(|h| h.contains(s));
            if held {
                Line::styled(format!("✓ {s}"), p.fg(Color::Green))
            } else {
                Line::styled(
                    format!("✗ {s}"),
                    p.fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            }
        })
        .collect();
    let scope_list = |scopes: Option<&crate::engine::Scopes>| -> Vec<Line> {
        scopes
            .iter()
            .flat_map(|s| s.iter())
            .map(|s| Line::raw(s.to_owned()))
            .collect()
    };
    let provided = scope_list(call.provided.as_ref());
    let holds = scope_list(now_held.as_ref());
    let scope_rows = needed.len().max(provided.len()).max(holds.len()).max(1) as u16 + 1;
    let title = format!(
        " call #{} · {} · {} token · {} ",
        call.id,
        call.method,
        call.token_kind,
        f.connection_label()
    );
    let block = Block::default().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let head_rows = top.len() as u16;
    let head_text = Paragraph::new(top);
    let [head, scopes, body] = Layout::vertical([
        Constraint::Length(head_rows + 1),
        Constraint::Length(scope_rows),
        // The head and the scopes first: the answer scrolls, and takes what is left.
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(head_text, head);
    let columns: [Rect; 3] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(scopes);
    for (area, title, lines) in [
        (columns[0], "NEEDED (✓ held now)", needed),
        (columns[1], "PROVIDED THEN", provided),
        (columns[2], "HOLDS NOW", holds),
    ] {
        let mut all = vec![Line::styled(title, p.bold())];
        all.extend(lines);
        frame.render_widget(Paragraph::new(all), area);
    }
    let answer = f
        .response
        .as_ref()
        .map(|b| serde_json::to_string_pretty(b).unwrap_or_default())
        .unwrap_or_else(|| "(no answer body)".into());
    let raw = Paragraph::new(answer)
        .block(
            Block::default()
                .borders(Borders::TOP)
                .title(" answer (j/k scroll) "),
        )
        .scroll((scroll, 0));
    frame.render_widget(raw, body);
}
