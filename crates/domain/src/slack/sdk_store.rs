//! Installations python-slack-sdk kept (its `FileInstallationStore` JSON, or a row of its
//! `SQLite3InstallationStore` read into the same fields), turned into grants to store.

use super::grant::{Grant, GrantShape, GrantedToken};
use super::{Scopes, Secret, TokenKind, TokenType};
use serde_json::Value;

/// Where an app kept its installs before it used xox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdkStore {
    /// `SQLite3InstallationStore`: a database file with `slack_installations`.
    Sqlite,
    /// `FileInstallationStore`: a folder of `installer-*-latest` JSON files.
    Files,
}

/// One installation: the grant, and who installed it (for the connection's name).
#[derive(Debug, Clone)]
pub struct SdkInstallation {
    pub grant: Grant,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{where_}: {what}")]
pub struct SdkStoreError {
    pub where_: String,
    pub what: String,
}

fn text(record: &Value, field: &str) -> Option<String> {
    record
        .get(field)?
        .as_str()
        .map(|s| crate::text::into_one_line(s.to_owned()))
        .filter(|s| !s.is_empty())
}

/// Scopes as the SDK keeps them: a list in its files, comma-separated in its database.
fn scopes(record: &Value, field: &str) -> Scopes {
    match record.get(field) {
        Some(Value::Array(items)) => Scopes::parse(
            &items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(Value::String(csv)) => Scopes::parse(csv),
        _ => Scopes::default(),
    }
}

fn token(record: &Value, kind: TokenKind, prefix: &str, now: i64) -> Option<GrantedToken> {
    let access = text(record, &format!("{prefix}_token"))?;
    let expires_at = record
        .get(format!("{prefix}_token_expires_at"))
        .and_then(Value::as_i64);
    Some(GrantedToken {
        kind,
        token_type: TokenType::classify(&access),
        access: Secret::new(access),
        refresh: text(record, &format!("{prefix}_refresh_token")).map(Secret::new),
        expires_in: expires_at.map(|at| at - now),
        scopes: scopes(record, &format!("{prefix}_scopes")),
    })
}

/// An installation record (either store's fields), as of `now`.
pub fn installation(record: &Value, now: i64) -> Option<SdkInstallation> {
    let tokens: Vec<GrantedToken> = [(TokenKind::Bot, "bot"), (TokenKind::User, "user")]
        .into_iter()
        .filter_map(|(kind, prefix)| token(record, kind, prefix, now))
        .collect();
    if tokens.is_empty() {
        return None;
    }
    Some(SdkInstallation {
        grant: Grant {
            shape: GrantShape::OauthV2,
            tokens,
            team_id: text(record, "team_id"),
            team_name: text(record, "team_name"),
            enterprise_id: text(record, "enterprise_id"),
            enterprise_name: text(record, "enterprise_name"),
            is_enterprise_install: record
                .get("is_enterprise_install")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            slack_app_id: text(record, "app_id"),
            bot_user_id: text(record, "bot_user_id"),
            authed_user_id: text(record, "user_id"),
            incoming_webhook: None,
        },
        client_id: text(record, "client_id"),
        user_id: text(record, "user_id"),
    })
}

/// Every `installer-*-latest` file under `dir` (the latest per workspace and user),
/// parsed; a file that is not an installation is an error that names it.
pub fn read_files(dir: &std::path::Path, now: i64) -> Result<Vec<SdkInstallation>, SdkStoreError> {
    let fail = |path: &std::path::Path, what: String| SdkStoreError {
        where_: path.display().to_string(),
        what,
    };
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| fail(&folder, e.to_string()))?;
        for entry in entries {
            let path = entry.map_err(|e| fail(&folder, e.to_string()))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                folders.push(path);
            // `installer-latest` repeats the workspace's newest `installer-USER-latest`.
            } else if name.starts_with("installer-")
                && name.ends_with("-latest")
                && name != "installer-latest"
            {
                let bytes = std::fs::read(&path).map_err(|e| fail(&path, e.to_string()))?;
                let record: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| fail(&path, format!("not an installation: {e}")))?;
                let mut installation = installation(&record, now)
                    .ok_or_else(|| fail(&path, "holds no token".into()))?;
                // The folder above the workspace's is the client id, when the store had one.
                if installation.client_id.is_none() {
                    installation.client_id = path
                        .parent()
                        .and_then(|p| p.parent())
                        .filter(|p| p != &dir)
                        .and_then(|p| p.file_name())
                        .and_then(|n| n.to_str())
                        .map(str::to_owned);
                }
                found.push(installation);
            }
        }
    }
    Ok(found)
}
