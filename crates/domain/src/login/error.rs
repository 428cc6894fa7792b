//! `LoginError`: every way an install can fail, as a sentence that says what to do.

use crate::slack::CallError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "nothing to ask for: pass --scopes and/or --user-scopes, or give the app default scopes"
    )]
    NoScopes,
    #[error(
        "this app uses PKCE and redirects to localhost, which Slack treats as a desktop app: it may ask only for user scopes (drop --scopes {0}, or use a non-PKCE app for bot scopes)"
    )]
    DesktopBotScopes(String),
    #[error("the redirect URI {0} has no port; register one like http://localhost:8976/callback")]
    NoPort(String),
    #[error(
        "port {port} on {host} is in use by another program; stop it, or move the app's callback: add a URL with another port to its Redirect URLs at Slack, then `xox app set {app} --redirect-uri http://{host}:PORT/callback`"
    )]
    PortInUse {
        host: String,
        port: u16,
        /// The app whose redirect URI names the port.
        app: String,
    },
    #[error("cannot listen on {host}:{port}: {detail}")]
    Listen {
        host: String,
        port: u16,
        detail: String,
    },
    #[error(
        "no answer from the browser within {0}s; run xox login again (the authorize link only works for one try)"
    )]
    Timeout(u64),
    #[error("the install was cancelled in the browser ({0})")]
    Denied(String),
    #[error("login cancelled")]
    Cancelled,
    #[error("the localhost certificate for https: {0}")]
    Certificate(String),
    #[error("exchanging the code failed: {0}")]
    Exchange(CallError),
    #[error("Slack's answer held no tokens: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
