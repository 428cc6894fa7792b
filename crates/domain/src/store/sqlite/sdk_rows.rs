//! python-slack-sdk's `SQLite3InstallationStore`, read only: the latest installation row
//! per app, workspace (or org) and user, as records with the SDK's own field names.

use crate::store::error::{StoreError, StoreResult};
use rusqlite::{OpenFlags, Row};
use serde_json::{Value, json};
use std::path::Path;

const FIELDS: [&str; 17] = [
    "client_id",
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "user_token_expires_at",
];

fn record(r: &Row<'_>) -> rusqlite::Result<Value> {
    let mut object = serde_json::Map::new();
    for (i, field) in FIELDS.iter().enumerate() {
        let value = match r.get_ref(i)? {
            rusqlite::types::ValueRef::Integer(n) => json!(n),
            rusqlite::types::ValueRef::Text(t) => {
                let text = String::from_utf8_lossy(t).into_owned();
                // Expiry is seconds; a text form of a number is read as one.
                match (field.ends_with("_expires_at"), text.parse::<i64>()) {
                    (true, Ok(n)) => json!(n),
                    _ => json!(text),
                }
            }
            rusqlite::types::ValueRef::Real(f) => json!(f as i64),
            _ => Value::Null,
        };
        object.insert((*field).to_owned(), value);
    }
    Ok(Value::Object(object))
}

/// Every latest installation in the SDK's database at `path`, opened read-only: the file
/// is another program's, and nothing here may change it.
pub fn sdk_installations(path: &Path) -> StoreResult<Vec<Value>> {
    let cannot = |detail: String| StoreError::CannotOpen {
        path: path.to_path_buf(),
        detail,
    };
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| cannot(e.to_string()))?;
    let sql = format!(
        "SELECT {} FROM slack_installations i
         WHERE i.id = (SELECT j.id FROM slack_installations j
                       WHERE j.client_id = i.client_id AND j.enterprise_id = i.enterprise_id
                         AND j.team_id = i.team_id AND j.user_id = i.user_id
                       ORDER BY j.installed_at DESC, j.id DESC LIMIT 1)
         ORDER BY i.id",
        FIELDS.join(", ")
    );
    let mut stmt = conn.prepare(&sql).map_err(|e| {
        cannot(format!(
            "not a python-slack-sdk installation store (no slack_installations table as it makes one): {e}"
        ))
    })?;
    let rows = stmt
        .query_map([], record)
        .map_err(|e| cannot(e.to_string()))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| cannot(e.to_string()))
}
