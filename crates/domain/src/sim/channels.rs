//! The simulated workspaces' channels: who is in each and whether it is archived (the
//! methods that change them are in `channel_methods`).

use std::collections::{HashMap, HashSet};

/// The channels every simulated workspace starts with: (id, name, bots are members).
const CHANNELS: &[(&str, &str, bool)] = &[
    ("C0SIMGENERAL", "general", true),
    ("C0SIMRANDOM", "random", false),
];

/// What has changed in one workspace's channel since it was created.
#[derive(Debug, Default)]
pub(super) struct ChannelState {
    joined: HashSet<String>,
    left: HashSet<String>,
    pub(super) archived: bool,
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

    pub(super) fn state_mut(&mut self, team: &str, channel: Channel) -> &mut ChannelState {
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

    pub(super) fn set_member(&mut self, team: &str, channel: Channel, user: &str, member: bool) {
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
