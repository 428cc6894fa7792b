//! The workspaces an org-wide install covers, as `auth.teams.list` says: read after the
//! install, when Slack says the org's workspaces changed, and again every hour.

use super::{Engine, EngineError, EngineResult};
use crate::rotation::DEFAULT_WINDOW;
use crate::slack::TokenKind;
use crate::store::{Connection, EventAction, Health, NewEvent, Outcome};
use std::time::Duration;

/// How often a serving proxy reads every org-wide install's workspaces again.
pub const TEAMS_EVERY: Duration = Duration::from_secs(3600);

/// Slack's largest page of `auth.teams.list`; an org with more is read page by page.
const PAGE: &str = "1000";
/// The most pages read, so that an answer that never ends cannot keep xox asking.
const MAX_PAGES: usize = 100;

impl Engine {
    /// Ask Slack which workspaces org-wide install `connection` covers, and keep them.
    pub async fn refresh_covered_teams(
        &self,
        connection: &Connection,
    ) -> EngineResult<Vec<String>> {
        let kind = if connection.token(TokenKind::Bot).is_some() {
            TokenKind::Bot
        } else {
            TokenKind::User
        };
        let usable = self
            .usable_token(&connection.id, Some(kind), DEFAULT_WINDOW)
            .await?;
        let client = self.http()?;
        let mut teams = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let mut params = vec![("limit".to_owned(), PAGE.to_owned())];
            if !cursor.is_empty() {
                params.push(("cursor".to_owned(), cursor.clone()));
            }
            let answer = client
                .call("auth.teams.list", &usable.token, &params)
                .await
                .map_err(|error| EngineError::Slack {
                    method: "auth.teams.list",
                    error,
                })?;
            let body = &answer.body;
            for team in body["teams"].as_array().into_iter().flatten() {
                if let Some(id) = team["id"].as_str().filter(|id| valid_id(id)) {
                    teams.push(id.to_owned());
                }
            }
            cursor = body["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            if cursor.is_empty() {
                break;
            }
        }
        teams.sort();
        teams.dedup();
        let (id, kept) = (connection.id.clone(), teams.clone());
        let detail = format!("{} workspaces", teams.len());
        self.store()
            .run(move |s| {
                s.set_covered_teams(&id, &kept)?;
                s.add_event(&NewEvent {
                    connection_id: &id,
                    action: EventAction::Teams,
                    token_kind: Some(kind),
                    outcome: Outcome::Ok,
                    old_expires_at: None,
                    new_expires_at: None,
                    detail: Some(detail),
                    happened: None,
                })
            })
            .await?;
        Ok(teams)
    }

    /// Read every org-wide install's workspaces again; one that fails is logged and kept
    /// as it was.
    pub async fn refresh_all_covered_teams(&self) -> EngineResult<usize> {
        let orgs: Vec<Connection> = self
            .connections()
            .await?
            .into_iter()
            .filter(|c| {
                let health = c.health(crate::store::now_unix());
                c.enterprise_install && !matches!(health, Health::Uninstalled | Health::Revoked)
            })
            .collect();
        for org in &orgs {
            if let Err(e) = self.refresh_covered_teams(org).await {
                tracing::warn!(connection = org.name, error = %e, "could not read an org's workspaces");
            }
        }
        Ok(orgs.len())
    }
}

/// A Slack id as ids are: letters and digits, not too long. Anything else from an answer
/// is not kept.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric())
}
