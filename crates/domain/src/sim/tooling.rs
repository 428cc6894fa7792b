//! App-level tokens and app configuration tokens: minted through the control API (as the
//! app settings page does), and configuration tokens rotated with `tooling.tokens.rotate`,
//! single-use like OAuth refresh tokens.

use super::oauth::Form;
use super::world::{DEFAULT_TEAM, DEFAULT_USER, World};
use crate::slack::TokenKind;
use serde_json::{Value, json};

/// Configuration tokens belong to a user in a workspace, not to an app: their install is
/// kept under this client id, which no app has.
const CONFIG_CLIENT: &str = "app-configuration";

impl World {
    /// An app-level token (`xapp-`) for the app with `client_id`, as App-Level Tokens in the
    /// app's settings makes one.
    pub fn mint_app_token(&mut self, client_id: &str) -> Result<String, &'static str> {
        if !self.apps.contains_key(client_id) {
            return Err("invalid_client_id");
        }
        let install = self.install_for(client_id, DEFAULT_TEAM, DEFAULT_USER);
        Ok(self.long_lived_token(install, TokenKind::App))
    }

    /// A configuration token pair for `team`, answered in `tooling.tokens.rotate`'s shape.
    pub fn mint_config_tokens(&mut self, team: (&str, &str)) -> Value {
        let install = self.install_for(CONFIG_CLIENT, team, DEFAULT_USER);
        self.config_answer(install)
    }

    fn config_answer(&mut self, install: usize) -> Value {
        let now = self.now();
        let (token, refresh, lifetime) = self.rotating_pair(install, TokenKind::Config);
        let i = &self.installs[install];
        json!({"ok": true, "token": token, "refresh_token": refresh, "exp": now + lifetime,
               "iat": now, "team_id": i.team_id, "user_id": i.user_id})
    }

    /// `tooling.tokens.rotate`: a used refresh token works only inside the grace period.
    pub fn tooling_rotate(&mut self, form: &Form) -> Result<Value, &'static str> {
        let token = form.get("refresh_token").ok_or("invalid_refresh_token")?;
        let now = self.now();
        let grace = self.config.refresh_grace_secs;
        let Some(record) = self.refresh.get_mut(token).filter(|r| {
            r.kind == TokenKind::Config && r.spent_at.is_none_or(|at| now - at < grace)
        }) else {
            self.counters.invalid_refresh_token += 1;
            return Err("invalid_refresh_token");
        };
        record.spent_at.get_or_insert(now);
        let install = record.install;
        self.counters.refresh_grants += 1;
        *self
            .counters
            .refreshes
            .entry(self.slot_key(install, TokenKind::Config))
            .or_default() += 1;
        Ok(self.config_answer(install))
    }
}
