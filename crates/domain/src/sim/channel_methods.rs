//! The Web API methods that change channels, answered as Slack does, so that a fix xox
//! suggests (join, invite, unarchive) takes effect in the simulated world.

use super::channels::{Channel, find};
use super::oauth::Form;
use super::world::World;
use crate::slack::TokenKind;
use serde_json::{Value, json};

impl World {
    /// The caller's user id in its workspace: the bot user for a bot token.
    fn caller(&self, install: usize, kind: TokenKind) -> (String, String, bool) {
        let i = &self.installs[install];
        let is_bot = kind == TokenKind::Bot;
        let user = if is_bot { &i.bot_user_id } else { &i.user_id };
        (i.team_id.clone(), user.clone(), is_bot)
    }

    /// Slack's checks before a call touches a channel: it exists, it is not archived when
    /// the call writes to it, and a bot is in it when the call needs that.
    pub(super) fn channel_check(
        &self,
        install: usize,
        kind: TokenKind,
        channel: &str,
        writes: bool,
        needs_membership: bool,
    ) -> Result<Channel, Value> {
        let Some(found) = find(channel) else {
            return Err(json!({"ok": false, "error": "channel_not_found"}));
        };
        let (team, user, is_bot) = self.caller(install, kind);
        if writes && self.channels.is_archived(&team, found) {
            return Err(json!({"ok": false, "error": "is_archived"}));
        }
        if needs_membership && is_bot && !self.channels.is_member(&team, found, &user, true) {
            return Err(json!({"ok": false, "error": "not_in_channel"}));
        }
        Ok(found)
    }

    /// The methods that change a channel, answered as Slack does; `None` for other methods.
    pub(super) fn channel_change(
        &mut self,
        method: &str,
        install: usize,
        kind: TokenKind,
        params: &Form,
    ) -> Option<Value> {
        let arg = |name: &str| params.get(name).cloned().unwrap_or_default();
        let (team, caller, is_bot) = self.caller(install, kind);
        let info = |c: Channel, archived: bool| json!({"id": c.id, "name": c.name, "is_channel": true, "is_private": false, "is_archived": archived});
        Some(match method {
            "conversations.join" => {
                match self.channel_check(install, kind, &arg("channel"), true, false) {
                    Err(e) => e,
                    Ok(c) => {
                        let already = self.channels.is_member(&team, c, &caller, is_bot);
                        self.channels.set_member(&team, c, &caller, true);
                        let mut body = json!({"ok": true, "channel": info(c, false)});
                        if already {
                            body["warning"] = json!("already_in_channel");
                        }
                        body
                    }
                }
            }
            "conversations.leave" => {
                match self.channel_check(install, kind, &arg("channel"), true, false) {
                    Err(e) => e,
                    Ok(c) if !self.channels.is_member(&team, c, &caller, is_bot) => {
                        json!({"ok": true, "not_in_channel": true})
                    }
                    Ok(c) => {
                        self.channels.set_member(&team, c, &caller, false);
                        json!({"ok": true})
                    }
                }
            }
            "conversations.invite" => {
                match self.channel_check(install, kind, &arg("channel"), true, true) {
                    Err(e) => e,
                    Ok(c) => {
                        let users = arg("users");
                        let known = |u: &str| {
                            self.installs.iter().any(|i| {
                                i.team_id == team && (i.user_id == u || i.bot_user_id == u)
                            })
                        };
                        if let Some(unknown) = users.split(',').map(str::trim).find(|u| !known(u)) {
                            json!({"ok": false, "error": "user_not_found", "errors": [{"user": unknown, "ok": false, "error": "user_not_found"}]})
                        } else {
                            for user in users.split(',').map(str::trim) {
                                self.channels.set_member(&team, c, user, true);
                            }
                            json!({"ok": true, "channel": info(c, false)})
                        }
                    }
                }
            }
            "conversations.archive" | "conversations.unarchive" => {
                let archive = method == "conversations.archive";
                match self.channel_check(install, kind, &arg("channel"), false, true) {
                    Err(e) => e,
                    Ok(c) if self.channels.is_archived(&team, c) == archive => json!({
                        "ok": false,
                        "error": if archive { "already_archived" } else { "not_archived" }
                    }),
                    Ok(c) => {
                        self.channels.state_mut(&team, c).archived = archive;
                        json!({"ok": true})
                    }
                }
            }
            _ => return None,
        })
    }
}
