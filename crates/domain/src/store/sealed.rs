//! What every backend stores for a token or an install, sealed the same way before it
//! leaves the process, and the events that go with each write: the backends differ only in
//! how they put these rows.

use super::cipher::Cipher;
use super::model::NewEvent;
use crate::slack::grant::IncomingWebhook;
use crate::slack::{GrantedToken, TokenKind};
use crate::store::{EventAction, Outcome};

/// The associated data a token field is sealed with: its row and column, so that a value
/// copied into another row fails to open.
pub fn token_aad(connection_id: &str, kind: TokenKind, field: &str) -> String {
    format!("token:{connection_id}:{kind}:{field}")
}

/// Where an app's client secret is sealed: under the app's id.
pub fn secret_aad(app_id: &str) -> String {
    format!("app:{app_id}:client_secret")
}

/// Where an app's signing secret is sealed.
pub fn signing_aad(app_id: &str) -> String {
    format!("app:{app_id}:signing_secret")
}

/// Where a hook's command or URL (`target`) and signing secret (`secret`) are sealed.
pub fn hook_aad(hook_id: &str, field: &str) -> String {
    format!("hook:{hook_id}:{field}")
}

/// A hook's target and signing secret, each sealed where it belongs.
pub fn seal_hook(
    cipher: &Cipher,
    hook_id: &str,
    target: &str,
    secret: Option<&crate::slack::Secret>,
) -> (Vec<u8>, Option<Vec<u8>>) {
    (
        cipher.seal(&hook_aad(hook_id, "target"), target.as_bytes()),
        secret.map(|s| cipher.seal(&hook_aad(hook_id, "secret"), s.expose().as_bytes())),
    )
}

/// An app's client secret and signing secret, each sealed where it belongs.
pub fn seal_app_secrets(
    cipher: &Cipher,
    app_id: &str,
    app: &super::model::NewApp,
) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let seal = |secret: &Option<crate::slack::Secret>, aad: String| {
        secret
            .as_ref()
            .map(|s| cipher.seal(&aad, s.expose().as_bytes()))
    };
    (
        seal(&app.client_secret, secret_aad(app_id)),
        seal(&app.signing_secret, signing_aad(app_id)),
    )
}

pub fn webhook_aad(connection_id: &str) -> String {
    format!("connection:{connection_id}:incoming_webhook")
}

/// A granted token as stored: sealed, with the keyed digests that keep one owner per chain.
pub struct SealedToken {
    pub access: Vec<u8>,
    pub refresh: Option<Vec<u8>>,
    pub access_digest: Vec<u8>,
    pub refresh_digest: Option<Vec<u8>>,
    pub expires_at: Option<i64>,
    pub rotating: bool,
}

pub fn seal_token(
    cipher: &Cipher,
    connection_id: &str,
    granted: &GrantedToken,
    now: i64,
) -> SealedToken {
    let kind = granted.kind;
    SealedToken {
        access: cipher.seal(
            &token_aad(connection_id, kind, "access"),
            granted.access.expose().as_bytes(),
        ),
        refresh: granted.refresh.as_ref().map(|r| {
            cipher.seal(
                &token_aad(connection_id, kind, "refresh"),
                r.expose().as_bytes(),
            )
        }),
        access_digest: cipher.digest(granted.access.expose()),
        refresh_digest: granted.refresh.as_ref().map(|r| cipher.digest(r.expose())),
        expires_at: granted.expires_in.map(|secs| now.saturating_add(secs)),
        rotating: granted.refresh.is_some() || granted.token_type.is_rotating_access(),
    }
}

pub fn seal_webhook(cipher: &Cipher, connection_id: &str, hook: &IncomingWebhook) -> Vec<u8> {
    let json = serde_json::json!({
        "url": hook.url.expose(), "channel": hook.channel, "channel_id": hook.channel_id,
    });
    cipher.seal(&webhook_aad(connection_id), json.to_string().as_bytes())
}

/// The event of a token a grant (an install, an import) stored.
pub fn granted_event<'a>(
    connection_id: &'a str,
    action: EventAction,
    granted: &GrantedToken,
    old_expires_at: Option<i64>,
    new_expires_at: Option<i64>,
) -> NewEvent<'a> {
    NewEvent {
        connection_id,
        action,
        token_kind: Some(granted.kind),
        outcome: Outcome::Ok,
        old_expires_at,
        new_expires_at,
        detail: Some(format!(
            "{} {}",
            granted.token_type,
            granted.access.redacted()
        )),
        happened: None,
    }
}

/// The event of a rotated pair stored over generation `old_generation`.
pub fn rotated_event<'a>(
    connection_id: &'a str,
    action: EventAction,
    granted: &GrantedToken,
    old_expires_at: Option<i64>,
    new_expires_at: Option<i64>,
    old_generation: i64,
) -> NewEvent<'a> {
    NewEvent {
        detail: Some(format!(
            "{} {} generation {}",
            granted.token_type,
            granted.access.redacted(),
            old_generation + 1
        )),
        ..granted_event(
            connection_id,
            action,
            granted,
            old_expires_at,
            new_expires_at,
        )
    }
}

/// The event of a rotated pair not stored: another writer moved the generation first.
pub fn superseded_event<'a>(
    connection_id: &'a str,
    action: EventAction,
    kind: TokenKind,
    old_expires_at: Option<i64>,
    expected_generation: i64,
    found_generation: i64,
) -> NewEvent<'a> {
    NewEvent {
        connection_id,
        action,
        token_kind: Some(kind),
        outcome: Outcome::Superseded,
        old_expires_at,
        new_expires_at: None,
        detail: Some(format!(
            "generation moved from {expected_generation} to {found_generation}"
        )),
        happened: None,
    }
}

/// The event a connection's removal leaves in its trail (which outlives it).
pub fn removed_event(connection_id: &str, name: Option<String>) -> NewEvent<'_> {
    NewEvent {
        connection_id,
        action: EventAction::Remove,
        token_kind: None,
        outcome: Outcome::Ok,
        old_expires_at: None,
        new_expires_at: None,
        // The name, by which `xox history` still finds the trail once the connection is gone.
        detail: name.map(|name| format!("{REMOVED}{name}")),
        happened: None,
    }
}

/// How a `remove` event's detail begins, before the connection's name.
pub const REMOVED: &str = "removed ";

/// The event a token leaves behind in the connection it was moved out of.
pub fn moved_event<'a>(connection_id: &'a str, kind: TokenKind, to: &str) -> NewEvent<'a> {
    NewEvent {
        connection_id,
        action: EventAction::Moved,
        token_kind: Some(kind),
        outcome: Outcome::Ok,
        old_expires_at: None,
        new_expires_at: None,
        detail: Some(format!("the token moved to connection {to}")),
        happened: None,
    }
}
