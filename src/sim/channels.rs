//! The simulated workspaces' channels: who is in each and whether it is archived, changed by
//! the methods that change them at Slack, so that a fix xox suggests takes effect.

use super::oauth::Form;
use super::world::World;
use crate::slack::TokenKind;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// The channels every simulated workspace starts with: (id, name, bots are members).
const CHANNELS: &[(&str, &str, bool)] = &[
    ("C0SIMGENERAL", "general", true),
    ("C0SIMRANDOM", "random", false),
];

/// What has changed in one workspace's channel since it was created.
#[derive(Debug, Default)]
struct ChannelState {
    joined: HashSet<String>,
    left: HashSet<String>,
    archived: bool,
}

/// Every workspace's channel changes, by (team id, channel id).
#[derive(Debug, Default)]
pub struct Channels(HashMap<(String, &'static str), ChannelState>);

/// A channel of the workspace a call was made in, found by id or `#name`.
#[derive(Debug, Clone, Copy)]
pub struct Channel {
    pub id: &'static str,
    pub name: &'static str,
    bots_by_default: bool,
}

pub fn find(id_or_name: &str) -> Option<Channel> {
    let name = id_or_name.trim_start_matches('#');
    CHANNELS
        .iter()
        .find(|(id, n, _)| *id == id_or_name || *n == name)
        .map(|&(id, name, bots_by_default)| Channel {
            id,
            name,
            bots_by_default,
        })
}

pub fn all() -> impl Iterator<Item = Channel> {
    CHANNELS.iter().filter_map(|(id, _, _)| find(id))
}

impl Channels {
    fn state(&self, team: &str, channel: Channel) -> Option<&ChannelState> {
        self.0.get(&(team.to_owned(), channel.id))
    }

    fn state_mut(&mut self, team: &str, channel: Channel) -> &mut ChannelState {
        self.0.entry((team.to_owned(), channel.id)).or_default()
    }

    pub fn is_member(&self, team: &str, channel: Channel, user: &str, is_bot: bool) -> bool {
        match self.state(team, channel) {
            Some(s) if s.left.contains(user) => false,
            Some(s) if s.joined.contains(user) => true,
            // People are in every channel they can see; bots only where they were put.
            _ => !is_bot || channel.bots_by_default,
        }
    }

    pub fn is_archived(&self, team: &str, channel: Channel) -> bool {
        self.state(team, channel).is_some_and(|s| s.archived)
    }

    fn set_member(&mut self, team: &str, channel: Channel, user: &str, member: bool) {
        let state = self.state_mut(team, channel);
        if member {
            state.left.remove(user);
            state.joined.insert(user.to_owned());
        } else {
            state.joined.remove(user);
            state.left.insert(user.to_owned());
        }
    }
}

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
