//! Slack's requests to an app: an event wrapped as Slack wraps it, signed with the app's
//! signing secret, and POSTed to its Request URL; and an uninstall, which revokes the
//! install's tokens and tells the app so.

use super::world::{World, random_alnum};
use crate::slack::TokenKind;
use crate::slack::signature::sign;
use serde_json::{Value, json};
use std::time::Duration;

/// A signed request, ready to send.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    pub body: String,
    pub timestamp: i64,
    pub signature: String,
}

impl World {
    /// The app's install that serves workspace (or org) `team`: the workspace's own, else
    /// the org-wide install of its enterprise.
    fn serving_install(&self, client_id: &str, team: &str) -> Option<usize> {
        let live =
            |i: &&super::world::Install| i.client_id == client_id && !i.inactive && !i.uninstalled;
        let own = self
            .installs
            .iter()
            .position(|i| live(&i) && i.team_id == team);
        own.or_else(|| {
            let (enterprise, _) = self.orgs.enterprise_of(team)?;
            self.installs
                .iter()
                .position(|i| live(&i) && i.org_wide && i.team_id == enterprise)
        })
    }

    /// `event` as Slack sends it to the app installed in `team`, signed: the
    /// `event_callback` envelope with its `authorizations`.
    pub fn event_delivery(
        &self,
        client_id: &str,
        team: &str,
        event: Value,
    ) -> Result<Delivery, &'static str> {
        let install = self
            .serving_install(client_id, team)
            .ok_or("not_installed")?;
        self.signed(client_id, install, team, event)
    }

    fn signed(
        &self,
        client_id: &str,
        install: usize,
        team: &str,
        event: Value,
    ) -> Result<Delivery, &'static str> {
        let app = self.apps.get(client_id).ok_or("invalid_client_id")?;
        let url = app.event_url.clone().ok_or("no_request_url")?;
        let secret = app.signing_secret.as_deref().ok_or("no_signing_secret")?;
        let i = &self.installs[install];
        let enterprise = if i.org_wide {
            Some(i.team_id.clone())
        } else {
            self.orgs.enterprise_of(&i.team_id).map(|(id, _)| id)
        };
        let team_id = if i.org_wide && team == i.team_id {
            Value::Null
        } else {
            json!(team)
        };
        let body = json!({
            "token": "sim-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise,
            "api_app_id": app.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": format!("Ev0{}", random_alnum(9).to_uppercase()),
            "event_time": self.now(),
            "authorizations": [{
                "enterprise_id": enterprise,
                "team_id": if i.org_wide { Value::Null } else { json!(i.team_id) },
                "user_id": i.bot_user_id,
                "is_bot": true,
                "is_enterprise_install": i.org_wide,
            }],
            "is_ext_shared_channel": false,
            "context_team_id": team_id,
            "context_enterprise_id": enterprise,
        })
        .to_string();
        let timestamp = self.now();
        Ok(Delivery {
            url,
            signature: sign(secret, timestamp, body.as_bytes()),
            body,
            timestamp,
        })
    }

    /// The app is removed from workspace (or org) `team`: every token of its install there
    /// is revoked, and Slack tells the app with `tokens_revoked`, then `app_uninstalled`.
    pub fn uninstall(
        &mut self,
        client_id: &str,
        team: &str,
    ) -> Result<Vec<Delivery>, &'static str> {
        let install = self
            .installs
            .iter()
            .position(|i| i.client_id == client_id && i.team_id == team && !i.uninstalled)
            .ok_or("not_installed")?;
        let (bot, user) = self.revoke_all(install);
        let mut tokens = json!({});
        if !user.is_empty() {
            tokens["oauth"] = json!(user);
        }
        if !bot.is_empty() {
            tokens["bot"] = json!(bot);
        }
        let ts = format!("{}.000100", self.now());
        let revoked = json!({"type": "tokens_revoked", "tokens": tokens, "event_ts": ts});
        let uninstalled = json!({"type": "app_uninstalled", "event_ts": ts});
        let deliveries = vec![
            self.signed(client_id, install, team, revoked)?,
            self.signed(client_id, install, team, uninstalled)?,
        ];
        self.installs[install].uninstalled = true;
        Ok(deliveries)
    }

    /// Revoke every live token of an install: the users and bot users whose tokens went.
    fn revoke_all(&mut self, install: usize) -> (Vec<String>, Vec<String>) {
        let (mut bot, mut user) = (false, false);
        for token in self.access.values_mut().filter(|t| t.install == install) {
            if !token.revoked {
                token.revoked = true;
                match token.kind {
                    TokenKind::Bot => bot = true,
                    TokenKind::User => user = true,
                    _ => {}
                }
            }
        }
        let i = &self.installs[install];
        let listed = |yes: bool, id: &str| if yes { vec![id.to_owned()] } else { Vec::new() };
        (listed(bot, &i.bot_user_id), listed(user, &i.user_id))
    }

    /// The installing user revokes their own token: the app hears `tokens_revoked`.
    pub fn revoke_user_token(
        &mut self,
        client_id: &str,
        team: &str,
    ) -> Result<Delivery, &'static str> {
        let install = self
            .installs
            .iter()
            .position(|i| i.client_id == client_id && i.team_id == team && !i.inactive)
            .ok_or("not_installed")?;
        for token in self
            .access
            .values_mut()
            .filter(|t| t.install == install && t.kind == TokenKind::User)
        {
            token.revoked = true;
        }
        let user = self.installs[install].user_id.clone();
        let event = json!({"type": "tokens_revoked", "tokens": {"oauth": [user]},
            "event_ts": format!("{}.000200", self.now())});
        self.signed(client_id, install, team, event)
    }
}

/// Send a signed request as Slack does, and what came back: `{status, body, ms}`, or
/// `{error}` when nothing did.
pub async fn deliver(delivery: Delivery) -> Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a plain client builds");
    let started = std::time::Instant::now();
    let sent = client
        .post(&delivery.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
        .header("X-Slack-Request-Timestamp", delivery.timestamp.to_string())
        .header("X-Slack-Signature", &delivery.signature)
        .body(delivery.body)
        .send()
        .await;
    match sent {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            json!({"status": status, "body": body, "ms": started.elapsed().as_millis() as u64})
        }
        Err(e) => json!({"error": e.to_string()}),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_follow_slacks_example() {
        // Slack's documented example request and its signature.
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            crate::slack::signature::sign(
                "8f742231b10e8888abcd99yyyzzz85a5",
                1531420618,
                body.as_bytes()
            ),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }
}
