//! What every backend checks and decodes the same way: a connection holds one install, and
//! a sealed incoming webhook's shape.

use super::error::{StoreError, StoreResult};
use super::model::App;
use crate::slack::grant::IncomingWebhook;
use crate::slack::{Grant, Secret};

/// Refuse to put a grant for one install into a connection that holds another: the
/// connection named `name` is of app `old_app_id`, for `old_team_id`, by `old_user_id`.
pub fn check_same_install(
    name: &str,
    app: &App,
    old_app_id: &str,
    old_team_id: &Option<String>,
    old_user_id: &Option<String>,
    grant: &Grant,
) -> StoreResult<()> {
    if old_app_id != app.id {
        return Err(StoreError::Conflict(format!(
            "connection {name:?} belongs to another app; pick another name"
        )));
    }
    let differs =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
    if differs(old_team_id, &grant.team_id) {
        return Err(StoreError::Conflict(format!(
            "connection {name:?} is for workspace {}, but these tokens are for {}; pick another name",
            old_team_id.as_deref().unwrap_or("?"),
            grant.team_id.as_deref().unwrap_or("?")
        )));
    }
    if differs(old_user_id, &grant.authed_user_id) {
        return Err(StoreError::Conflict(format!(
            "connection {name:?} was installed by user {}, but these tokens are for {}; pick another name",
            old_user_id.as_deref().unwrap_or("?"),
            grant.authed_user_id.as_deref().unwrap_or("?")
        )));
    }
    Ok(())
}

/// The webhook sealed with a connection, from its decrypted JSON; text is cleaned, since
/// another program may have written it.
pub fn webhook_from_json(plain: &str) -> StoreResult<Option<IncomingWebhook>> {
    let json: serde_json::Value = serde_json::from_str(plain).map_err(|_| StoreError::Decrypt {
        what: "incoming webhook".into(),
    })?;
    let text = |name: &str| {
        json.get(name)
            .and_then(|v| v.as_str())
            .map(|s| crate::text::one_line(s).into_owned())
    };
    Ok(text("url").map(|url| IncomingWebhook {
        url: Secret::new(url),
        channel: text("channel"),
        channel_id: text("channel_id"),
    }))
}

/// The workspaces an org-wide install covers, from a space-separated list, in order.
pub fn team_list(text: Option<&str>) -> Vec<String> {
    let mut teams: Vec<String> = text
        .unwrap_or("")
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    teams.sort();
    teams
}

/// The install that serves a request for `user` (or the bot) among `candidates`: the
/// workspace's own, else its org's, else an org-wide one that covers it. Never another
/// workspace's.
pub fn pick_install(candidates: &[super::InstallCandidate], user: Option<&str>) -> Option<String> {
    let fits = |c: &&super::InstallCandidate| match user {
        Some(user) => c.has_user && c.authed_user_id.as_deref() == Some(user),
        None => c.has_bot || c.has_user,
    };
    let rank = |c: &super::InstallCandidate| {
        if c.own_workspace {
            0
        } else if c.whole_org {
            1
        } else {
            2
        }
    };
    candidates
        .iter()
        .filter(|c| c.own_workspace || c.whole_org || c.covering_org)
        .filter(fits)
        .min_by_key(|c| (rank(c), c.connection_id.clone()))
        .map(|c| c.connection_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InstallCandidate;

    fn candidate(id: &str, place: u8, user: Option<&str>) -> InstallCandidate {
        InstallCandidate {
            connection_id: id.into(),
            own_workspace: place == 0,
            whole_org: place == 1,
            covering_org: place == 2,
            authed_user_id: user.map(str::to_owned),
            has_bot: user.is_none(),
            has_user: user.is_some(),
        }
    }

    #[test]
    fn the_workspace_comes_first_then_its_org() {
        let own = candidate("c-own", 0, None);
        let org = candidate("c-org", 2, None);
        assert_eq!(
            pick_install(&[org.clone(), own], None).as_deref(),
            Some("c-own")
        );
        assert_eq!(pick_install(&[org], None).as_deref(), Some("c-org"));
        // A workspace of the enterprise, not org-wide, never serves the enterprise's id.
        assert_eq!(pick_install(&[candidate("c-ws", 3, None)], None), None);
    }

    #[test]
    fn a_user_is_served_only_by_their_own_token() {
        let mine = candidate("c-u1", 0, Some("U1"));
        let bot = candidate("c-bot", 0, None);
        assert_eq!(
            pick_install(&[bot.clone(), mine], Some("U1")).as_deref(),
            Some("c-u1")
        );
        assert_eq!(pick_install(&[bot], Some("U2")), None);
    }
}
