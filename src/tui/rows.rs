//! The table's rows: the connections filtered and sorted, and the selection kept in view.

use super::app::{App, SortKey};

/// Filter (name, team, scopes; case-insensitive) and sort the connections into table rows,
/// keeping the selection on connection `keep` (by id) when it is still shown.
pub fn rebuild_rows(app: &mut App, keep: Option<String>, now: i64) {
    let needle = app.filter.value().to_lowercase();
    let conns = &app.snapshot.connections;
    let mut rows: Vec<usize> = (0..conns.len())
        .filter(|&i| {
            if needle.is_empty() {
                return true;
            }
            let c = &conns[i];
            let hay = [
                Some(c.name.as_str()),
                c.team_name.as_deref(),
                c.team_id.as_deref(),
            ];
            hay.iter()
                .flatten()
                .any(|h| h.to_lowercase().contains(&needle))
                || c.tokens
                    .iter()
                    .any(|t| t.scopes.iter().any(|s| s.contains(&needle)))
        })
        .collect();
    let soonest = |i: usize| {
        conns[i]
            .tokens
            .iter()
            .filter_map(|t| t.expires_at)
            .min()
            .unwrap_or(i64::MAX)
    };
    match app.sort {
        SortKey::Name => rows.sort_by(|&a, &b| conns[a].name.cmp(&conns[b].name)),
        SortKey::Expiry => rows.sort_by_key(|&i| soonest(i)),
        SortKey::Team => rows.sort_by(|&a, &b| {
            conns[a]
                .team_name
                .cmp(&conns[b].team_name)
                .then(conns[a].name.cmp(&conns[b].name))
        }),
        SortKey::Status => rows.sort_by_key(|&i| (conns[i].health(now), soonest(i))),
    }
    app.rows = rows;
    let kept = keep.and_then(|id| {
        app.rows
            .iter()
            .position(|&i| app.snapshot.connections[i].id == id)
    });
    app.selected = kept
        .unwrap_or(app.selected)
        .min(app.rows.len().saturating_sub(1));
    keep_selection_visible(app);
}

/// Re-filter and re-sort, the selection following its connection.
pub fn refresh_rows(app: &mut App, now: i64) {
    let keep = app.selected_connection().map(|c| c.id.clone());
    rebuild_rows(app, keep, now);
}

pub fn keep_selection_visible(app: &mut App) {
    let page = app.page();
    if app.selected < app.offset {
        app.offset = app.selected;
    } else if app.selected >= app.offset + page {
        app.offset = app.selected + 1 - page;
    }
    app.offset = app.offset.min(app.rows.len().saturating_sub(1));
}
