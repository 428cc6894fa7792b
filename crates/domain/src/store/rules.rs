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
