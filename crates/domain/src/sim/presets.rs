//! The apps a fresh `xox sim` or `xox demo` simulator knows, with well-known fake credentials.

use super::world::SimApp;

/// The client secret of every preset confidential app. It is a simulator fixture, not a
/// real secret: documented in the README so anyone can try `xox app add` against the sim.
pub const PRESET_SECRET: &str = "sim-client-secret";
pub const ROTATING_CLIENT_ID: &str = "1000000001.2000000001";
pub const CLASSIC_CLIENT_ID: &str = "1000000002.2000000002";
pub const PKCE_CLIENT_ID: &str = "1000000003.2000000003";

/// Redirect URLs the presets register: xox's default callback, over http and https.
const REDIRECTS: [&str; 2] = [
    "http://localhost:8976/callback",
    "https://localhost:8976/callback",
];

pub fn preset_apps() -> Vec<(SimApp, &'static str)> {
    let app = |client_id: &str, secret: bool, pkce: bool, rotation: bool, app_id: &str| SimApp {
        client_id: client_id.to_owned(),
        client_secret: secret.then(|| PRESET_SECRET.to_owned()),
        pkce,
        rotation,
        redirect_urls: REDIRECTS.iter().map(|s| s.to_string()).collect(),
        app_id: app_id.to_owned(),
        signing_secret: None,
        event_url: None,
    };
    vec![
        (
            app(ROTATING_CLIENT_ID, true, false, true, "A0SIMROTATE"),
            "confidential, token rotation on",
        ),
        (
            app(CLASSIC_CLIENT_ID, true, false, false, "A0SIMCLASSIC"),
            "confidential, long-lived tokens",
        ),
        (
            app(PKCE_CLIENT_ID, false, true, true, "A0SIMPKCE"),
            "public (PKCE), token rotation on",
        ),
    ]
}
