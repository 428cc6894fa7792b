//! Simulated Web API: token checks, token-kind and scope enforcement, auth.test/revoke, methods.

use super::oauth::Form;
use super::world::World;
use super::{arguments, channels};
use crate::slack::TokenKind;
use crate::slack::catalogue::{MethodSpec, Needs, catalogue};
use serde_json::{Value, json};

/// A Web API answer before it becomes HTTP: body plus the scope headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiAnswer {
    pub body: Value,
    /// `X-OAuth-Scopes`, whenever the token was recognised.
    pub token_scopes: Option<String>,
    /// `X-Accepted-OAuth-Scopes`, for methods with scopes.
    pub accepted_scopes: Option<String>,
    /// Rate-limited: HTTP 429 with this `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiAnswer {
    fn error(code: &str) -> ApiAnswer {
        ApiAnswer {
            body: json!({"ok": false, "error": code}),
            token_scopes: None,
            accepted_scopes: None,
            retry_after: None,
        }
    }
}

/// Which scopes a call needs, from the catalogue: `None` if the method does not take this
/// kind of token. `all_of` lists must all be held; otherwise any one is enough.
fn needed_scopes(
    method: &MethodSpec,
    kind: TokenKind,
    params: &Form,
) -> Option<(Vec<String>, bool)> {
    if !method.takes(kind) {
        return None;
    }
    if method.name == "conversations.list" {
        // Each conversation type asked for needs its own read scope.
        let types = params
            .get("types")
            .map(String::as_str)
            .unwrap_or("public_channel");
        let needed = types
            .split(',')
            .filter_map(|t| match t.trim() {
                "public_channel" => Some("channels:read"),
                "private_channel" => Some("groups:read"),
                "im" => Some("im:read"),
                "mpim" => Some("mpim:read"),
                _ => None,
            })
            .map(str::to_owned)
            .collect();
        return Some((needed, true));
    }
    match method.needs(kind) {
        Some(Needs::AnyOf(scopes)) => Some((scopes.iter().map(str::to_owned).collect(), false)),
        None | Some(Needs::Nothing) => Some((Vec::new(), false)),
    }
}

impl World {
    /// Who a token is, or the error Slack gives for it.
    pub fn authenticate(&self, token: Option<&str>) -> Result<(usize, TokenKind), &'static str> {
        let token = token.filter(|t| !t.is_empty()).ok_or("not_authed")?;
        let record = self.access.get(token).ok_or("invalid_auth")?;
        let install = &self.installs[record.install];
        if install.inactive {
            return Err(if record.kind == TokenKind::Bot {
                "account_inactive"
            } else {
                "token_revoked"
            });
        }
        if record.revoked {
            return Err("token_revoked");
        }
        if record.expires_at.is_some_and(|at| self.now() >= at) {
            return Err("token_expired");
        }
        Ok((record.install, record.kind))
    }

    fn scopes_csv(&self, install: usize, kind: TokenKind) -> String {
        self.installs[install]
            .scopes(kind)
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Answer a Web API method other than the OAuth ones.
    pub fn web_api(&mut self, method: &str, token: Option<&str>, params: &Form) -> ApiAnswer {
        if method == "api.test" {
            return ApiAnswer {
                body: json!({"ok": true, "args": params}),
                token_scopes: None,
                accepted_scopes: None,
                retry_after: None,
            };
        }
        let Some(spec) = catalogue().get(method) else {
            return ApiAnswer::error("unknown_method");
        };
        let (install, kind) = match self.authenticate(token) {
            Ok(who) => who,
            Err(code) => return ApiAnswer::error(code),
        };
        if let Some(limit) = self.config.rate_limits.get(method).copied()
            && let Err(secs) = self
                .limiter
                .admit(install, method, limit, std::time::Instant::now())
        {
            self.counters.rate_limited += 1;
            return ApiAnswer {
                retry_after: Some(secs),
                ..ApiAnswer::error("ratelimited")
            };
        }
        let token_scopes = Some(self.scopes_csv(install, kind));
        let with_scopes = |body: Value, accepted: Option<String>| ApiAnswer {
            body,
            token_scopes: token_scopes.clone(),
            accepted_scopes: accepted,
            retry_after: None,
        };
        match method {
            "auth.test" => {
                return with_scopes(
                    self.auth_test(install, kind, token.unwrap_or_default()),
                    None,
                );
            }
            "auth.revoke" => {
                let test = params.get("test").is_some_and(|v| v == "1" || v == "true");
                if !test && let Some(t) = token.and_then(|t| self.access.get_mut(t)) {
                    t.revoked = true;
                }
                return with_scopes(json!({"ok": true, "revoked": !test}), None);
            }
            _ => {}
        }
        let Some((needed, all_of)) = needed_scopes(spec, kind, params) else {
            return with_scopes(
                json!({"ok": false, "error": "not_allowed_token_type"}),
                None,
            );
        };
        let held = self.installs[install].scopes(kind);
        let missing: Vec<&str> = needed
            .iter()
            .map(String::as_str)
            .filter(|s| !held.contains(*s))
            .collect();
        let satisfied = if all_of {
            missing.is_empty()
        } else {
            needed.is_empty() || missing.len() < needed.len()
        };
        let accepted = Some(needed.join(","));
        if !satisfied {
            let needed_csv = if all_of {
                missing.join(",")
            } else {
                needed.join(",")
            };
            let body = json!({"ok": false, "error": "missing_scope", "needed": needed_csv, "provided": token_scopes.clone().unwrap_or_default()});
            return with_scopes(body, accepted);
        }
        if let Some(arg) = arguments::required(method)
            .iter()
            .find(|a| params.get(**a).is_none_or(|v| v.is_empty()))
        {
            let body = json!({"ok": false, "error": "invalid_arguments", "response_metadata": {"messages": [format!("[ERROR] missing required field: {arg}")]}});
            return with_scopes(body, accepted);
        }
        let body = self.method_body(method, install, kind, params);
        with_scopes(body, accepted)
    }

    fn auth_test(&self, install: usize, kind: TokenKind, token: &str) -> Value {
        let i = &self.installs[install];
        let app_id = self.apps.get(&i.client_id).map(|a| a.app_id.clone());
        let mut body = json!({
            "ok": true, "url": "https://sim-workspace.slack.com/", "team": i.team_name,
            "team_id": i.team_id, "app_id": app_id, "is_enterprise_install": i.org_wide,
        });
        if let (_, Value::Object(enterprise), _) = self.install_place(install) {
            body["enterprise_id"] = enterprise["id"].clone();
        }
        match kind {
            TokenKind::Bot => {
                body["user"] = json!("xox-sim-bot");
                body["user_id"] = json!(i.bot_user_id);
                body["bot_id"] = json!(i.bot_id);
            }
            TokenKind::User | TokenKind::Config => {
                body["user"] = json!("sim.user");
                body["user_id"] = json!(i.user_id);
            }
            TokenKind::App => {}
        }
        if let Some(at) = self.access.get(token).and_then(|t| t.expires_at) {
            body["expires_in"] = json!(at - self.now());
        }
        body
    }

    fn method_body(
        &mut self,
        method: &str,
        install: usize,
        kind: TokenKind,
        params: &Form,
    ) -> Value {
        if let Some(body) = self.channel_change(method, install, kind, params) {
            return body;
        }
        if let Some(body) = self.file_method(method, install, params) {
            return body;
        }
        let i = &self.installs[install];
        let arg = |name: &str| params.get(name).cloned().unwrap_or_default();
        let ts = format!(
            "{}.{:06}",
            self.now(),
            self.counters.calls.values().sum::<u64>() % 1_000_000
        );
        let team = i.team_id.clone();
        let channel_json = |c: channels::Channel| {
            json!({"id": c.id, "name": c.name, "is_channel": true, "is_private": false,
                                                        "is_archived": self.channels.is_archived(&team, c)})
        };
        match method {
            "chat.postMessage" | "chat.update" => {
                match self.channel_check(install, kind, &arg("channel"), true, true) {
                    Err(e) => e,
                    Ok(_) if arg("text").is_empty() && arg("blocks").is_empty() => {
                        json!({"ok": false, "error": "no_text"})
                    }
                    Ok(c) => {
                        if method == "chat.postMessage" {
                            self.posted.push(super::world::Posted {
                                channel: c.id.to_owned(),
                                text: arg("text"),
                                install_team: team.clone(),
                                org_wide: i.org_wide,
                                token_kind: kind,
                                webhook: false,
                            });
                        }
                        json!({"ok": true, "channel": c.id, "ts": if method == "chat.update" { arg("ts") } else { ts.clone() },
                                      "message": {"type": "message", "text": arg("text"), "ts": ts}})
                    }
                }
            }
            "reactions.add" => {
                match self.channel_check(install, kind, &arg("channel"), true, true) {
                    Err(e) => e,
                    Ok(_) => json!({"ok": true}),
                }
            }
            "conversations.history" | "conversations.info" => match self.channel_check(
                install,
                kind,
                &arg("channel"),
                false,
                method == "conversations.history",
            ) {
                Err(e) => e,
                Ok(c) if method == "conversations.info" => {
                    json!({"ok": true, "channel": channel_json(c)})
                }
                Ok(_) => json!({"ok": true, "messages": [], "has_more": false}),
            },
            "conversations.list" => {
                json!({"ok": true, "channels": channels::all().map(channel_json).collect::<Vec<_>>(),
                                           "response_metadata": {"next_cursor": ""}})
            }
            "users.list" => json!({"ok": true, "members": [
                {"id": i.user_id, "name": "sim.user", "is_bot": false},
                {"id": i.bot_user_id, "name": "xox-sim-bot", "is_bot": true}]}),
            "users.info" => {
                let user = arg("user");
                if user == i.user_id || user == i.bot_user_id {
                    json!({"ok": true, "user": {"id": user, "is_bot": user == i.bot_user_id}})
                } else {
                    json!({"ok": false, "error": "user_not_found"})
                }
            }
            "search.messages" => {
                json!({"ok": true, "query": arg("query"), "messages": {"total": 0, "matches": []}})
            }
            "team.info" => {
                json!({"ok": true, "team": {"id": i.team_id, "name": i.team_name, "domain": "sim-workspace"}})
            }
            "users.profile.set" => json!({"ok": true, "profile": {}}),
            "auth.teams.list" => {
                let teams = if i.org_wide {
                    self.orgs.teams_of(&i.team_id)
                } else {
                    vec![(i.team_id.clone(), i.team_name.clone())]
                };
                super::grid::teams_page(
                    &teams,
                    params.get("cursor").map(String::as_str),
                    params.get("limit").map(String::as_str),
                )
            }
            "apps.connections.open" => json!({"ok": true,
                "url": format!("wss://wss-primary.slack.com/link/?ticket=sim-{ts}&app_id={}", i.client_id)}),
            "apps.manifest.update" => {
                json!({"ok": true, "app_id": arg("app_id"), "permissions_updated": false})
            }
            _ => json!({"ok": true}),
        }
    }
}
