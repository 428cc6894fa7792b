//! `RotationError`: why a token could not be made fresh, in sentences that say what to do.

use crate::slack::{CallError, TokenKind};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the {kind} token of {conn} is long-lived: there is nothing to refresh (`xox exchange {conn} --yes` makes it rotating)"
    )]
    NotRotating { conn: String, kind: TokenKind },
    #[error("the {kind} token of {conn} needs re-auth: {reason}; next: xox login --reauth {conn}")]
    NeedsReauth {
        conn: String,
        kind: TokenKind,
        reason: String,
    },
    #[error("the {kind} token of {conn} was revoked ({code}); next: xox login --reauth {conn}")]
    Revoked {
        conn: String,
        kind: TokenKind,
        code: String,
    },
    #[error(
        "a refresh of the {kind} token of {conn} is in progress elsewhere (waited {waited_secs}s); try again shortly"
    )]
    InProgressElsewhere {
        conn: String,
        kind: TokenKind,
        waited_secs: u64,
    },
    #[error(
        "refreshing the {kind} token of {conn} failed ({error}); the stored tokens are unchanged"
    )]
    Transient {
        conn: String,
        kind: TokenKind,
        error: CallError,
    },
    #[error("Slack refused the app's credentials for {conn} ({code}): {hint}")]
    AppCredentials {
        conn: String,
        code: String,
        hint: &'static str,
    },
    #[error("{0}")]
    Slack(CallError),
    #[error("not refreshing the {kind} token of {conn}: xox is stopping")]
    Stopping { conn: String, kind: TokenKind },
    #[error("{0}")]
    Exchange(String),
    #[error("Slack's answer held no {kind} token: {detail}")]
    BadAnswer { kind: TokenKind, detail: String },
}

/// What to do about an error code that blames the app rather than the token.
pub fn app_credentials_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "bad_client_secret" => {
            "the client secret stored for the app is wrong; register the app again with the right one"
        }
        "invalid_client_id" => "no Slack app has the stored client id; check the app's Client ID",
        "invalid_grant_type" => "Slack did not accept grant_type=refresh_token",
        _ => return None,
    })
}

/// A sentence for each way `oauth.v2.exchange` can refuse.
pub fn exchange_refusal(code: &str) -> Option<&'static str> {
    Some(match code {
        "token_already_exchanged" => {
            "Slack says this token was already exchanged (token_already_exchanged); xox does not hold the rotating pair it became, so install the app again to get one"
        }
        "token_rotation_not_enabled" => {
            "token rotation is not turned on for the app (token_rotation_not_enabled): enable it under OAuth & Permissions, or set settings.token_rotation_enabled in the manifest, then try again; it cannot be turned off afterwards"
        }
        "invalid_auth" | "token_revoked" | "account_inactive" => {
            "Slack no longer accepts this token, so it cannot be exchanged; install the app again"
        }
        "bad_client_secret" => {
            "the client secret stored for the app is wrong (bad_client_secret); register the app again with the right one"
        }
        "invalid_client_id" | "authorization_not_found" => {
            "Slack does not know this token under the app's client id; check that the connection belongs to that app"
        }
        "invalid_token" => {
            "Slack cannot exchange this token (invalid_token): only long-lived granular xoxb and xoxp tokens can be exchanged"
        }
        _ => return None,
    })
}
