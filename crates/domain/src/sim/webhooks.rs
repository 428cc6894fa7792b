//! Incoming webhooks as hooks.slack.com serves them: an install that asked for the
//! `incoming-webhook` scope gets a URL that posts to its channel with no token (the URL is
//! the secret), answered in plain text.

use super::world::{Posted, Webhook, World, random_alnum};
use crate::slack::TokenKind;
use serde_json::{Value, json};

/// Where webhook URLs point, below the simulator's own address.
pub const WEBHOOK_PATH: &str = "/_hooks/services/";

impl World {
    /// A new webhook for `install`, as the install's answer carries it: its URL points at
    /// the simulator, as Slack's point at hooks.slack.com.
    pub(super) fn new_webhook(&mut self, install: usize, team_id: &str) -> Value {
        let path = format!(
            "{WEBHOOK_PATH}{team_id}/B0{}/{}",
            random_alnum(8).to_uppercase(),
            random_alnum(24)
        );
        self.webhooks.insert(
            path.clone(),
            Webhook {
                install,
                channel_id: "C0SIMGENERAL".into(),
            },
        );
        json!({
            "channel": "#general", "channel_id": "C0SIMGENERAL",
            "configuration_url": format!("https://sim.slack.com/services/B0{}", random_alnum(8)),
            "url": format!("{}{path}", self.address),
        })
    }

    /// A POST of `body` to the webhook at `path`: its status and plain-text answer.
    pub fn post_to_webhook(&mut self, path: &str, body: &[u8]) -> (u16, &'static str) {
        let Some(hook) = self.webhooks.get(path).cloned() else {
            return (404, "no_service");
        };
        let install = &self.installs[hook.install];
        if install.uninstalled {
            return (404, "no_service");
        }
        let Ok(Value::Object(payload)) = serde_json::from_slice::<Value>(body) else {
            return (400, "invalid_payload");
        };
        let text = payload.get("text").and_then(Value::as_str).unwrap_or("");
        if text.is_empty() && payload.get("blocks").is_none() {
            return (400, "no_text");
        }
        let posted = Posted {
            channel: hook.channel_id,
            text: text.to_owned(),
            install_team: install.team_id.clone(),
            org_wide: install.org_wide,
            token_kind: TokenKind::Bot,
            webhook: true,
        };
        self.posted.push(posted);
        (200, "ok")
    }
}
