//! Seeding installs without a browser, for the control API, the demo and the benchmarks.

use super::oauth::{AuthorizeRefusal, parse_scopes, refuse};
use super::world::{DEFAULT_TEAM, DEFAULT_USER, PendingCode, World};
use serde_json::Value;

impl World {
    /// Control API: install an app without a browser, answering as a code grant would.
    pub fn seed_install(
        &mut self,
        client_id: &str,
        team: Option<(&str, &str)>,
        bot_scopes: &str,
        user_scopes: &str,
    ) -> Result<Value, AuthorizeRefusal> {
        if !self.apps.contains_key(client_id) {
            return Err(refuse(
                "invalid_client_id",
                format!("no app has client id {client_id}"),
            ));
        }
        let (team_id, team_name) = team.unwrap_or(DEFAULT_TEAM);
        let code = PendingCode {
            client_id: client_id.to_owned(),
            team_name: team_name.to_owned(),
            team_id: team_id.to_owned(),
            user_id: DEFAULT_USER.to_owned(),
            bot_scopes: parse_scopes(Some(&bot_scopes.to_owned()))?,
            user_scopes: parse_scopes(Some(&user_scopes.to_owned()))?,
            redirect_uri: None,
            code_challenge: None,
            issued_at: self.now(),
            used: true,
        };
        if code.bot_scopes.is_empty() && code.user_scopes.is_empty() {
            return Err(refuse(
                "invalid_scope",
                "no scope or user_scope was requested",
            ));
        }
        Ok(self.issue_install(&code))
    }
}
