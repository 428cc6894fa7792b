//! The CLI's text tables and JSON shapes (times and tokens read as in `engine::describe`).

pub use crate::engine::describe::*;

use crate::engine::{Connection, TokenInfo};
use serde_json::{Value, json};

pub fn token_json(t: &TokenInfo, now: i64) -> Value {
    json!({
        "kind": t.kind,
        "type": t.token_type.as_str(),
        "rotating": t.rotating,
        "scopes": t.scopes.iter().collect::<Vec<_>>(),
        "expires_at": t.expires_at.map(rfc3339),
        "status": t.health(now),
        "status_reason": t.status_reason,
        "redacted": t.redacted,
        "generation": t.generation,
    })
}

/// The shape `list --json` prints for each connection (DESIGN.md's CLI contract).
pub fn connection_json(c: &Connection, now: i64) -> Value {
    json!({
        "name": c.name,
        "id": c.id,
        "app": c.app_name,
        "team_id": c.team_id,
        "team_name": c.team_name,
        "enterprise_id": c.enterprise_id,
        "enterprise_install": c.enterprise_install,
        "covered_teams": c.covered_teams,
        "authed_user_id": c.authed_user_id,
        "bot_user_id": c.bot_user_id,
        "status": c.health(now),
        "tokens": c.tokens.iter().map(|t| token_json(t, now)).collect::<Vec<_>>(),
    })
}

/// Rows of cells as left-aligned columns separated by two spaces, trailing space trimmed.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&[
            vec!["NAME".into(), "X".into()],
            vec!["longer-name".into(), "y".into()],
        ]);
        assert_eq!(t, "NAME         X\nlonger-name  y\n");
    }
}
