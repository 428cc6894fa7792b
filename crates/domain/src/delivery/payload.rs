//! The JSON object a hook receives: what happened, to which connection, and the command
//! that fixes it. It names tokens by kind, never by value.

use crate::store::hooks::{HookDelivery, HookEvent};
use serde_json::{Value, json};

/// The event of `delivery` as a hook receives it.
pub fn payload(delivery: &HookDelivery) -> Value {
    json!({
        "event": delivery.event.as_str(),
        "delivery": delivery.id.to_string(),
        "connection": delivery.connection,
        "app": delivery.app,
        "team_id": delivery.team_id,
        "enterprise_id": delivery.enterprise_id,
        "token_kind": delivery.token_kind.map(|k| k.as_str()),
        "reason": delivery.reason,
        "time": crate::text::rfc3339(delivery.at),
        "next": next_command(delivery),
    })
}

/// The command that deals with the event. Connection names are shell words already (the
/// store takes no other), so none needs quoting.
fn next_command(delivery: &HookDelivery) -> String {
    let Some(name) = delivery.connection.as_deref() else {
        return "xox hook list".into();
    };
    match delivery.event {
        HookEvent::NeedsReauth | HookEvent::Revoked | HookEvent::Expiring => {
            format!("xox login --reauth {name}")
        }
        // The workspace removed the app: a new install comes as its own `installed`.
        HookEvent::Uninstalled => format!("xox remove {name}"),
        HookEvent::RefreshFailed => format!("xox refresh {name}"),
        HookEvent::Installed | HookEvent::RateLimited => format!("xox show {name}"),
        HookEvent::Test => "xox hook list".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::TokenKind;

    fn delivery(event: HookEvent) -> HookDelivery {
        HookDelivery {
            id: 7,
            hook_id: "h1".into(),
            event,
            connection: Some("acme-T1".into()),
            app: Some("acme".into()),
            team_id: Some("T1".into()),
            enterprise_id: None,
            token_kind: Some(TokenKind::Bot),
            reason: Some("invalid_refresh_token".into()),
            at: 1_800_000_000,
            attempts: 0,
        }
    }

    #[test]
    fn the_payload_names_everything_and_the_fix() {
        let body = payload(&delivery(HookEvent::NeedsReauth));
        assert_eq!(
            body,
            json!({
                "event": "needs_reauth",
                "delivery": "7",
                "connection": "acme-T1",
                "app": "acme",
                "team_id": "T1",
                "enterprise_id": null,
                "token_kind": "bot",
                "reason": "invalid_refresh_token",
                "time": "2027-01-15T08:00:00Z",
                "next": "xox login --reauth acme-T1",
            })
        );
        let body = payload(&delivery(HookEvent::RefreshFailed));
        assert_eq!(body["next"], "xox refresh acme-T1");
    }
}
