//! A Slack app manifest for a registered app, ready for "Create an app → From a manifest".

use crate::store::App;
use serde_json::{Value, json};

/// The manifest for `app`: its redirect URL (an `http://localhost` one can only be
/// registered this way, since Slack's settings page refuses http), its bot and user scopes,
/// and its rotation and PKCE switches.
pub fn manifest(app: &App) -> Value {
    manifest_served(app, None)
}

/// Where a distributed app's public face is reached, and its slash commands.
pub struct PublicManifest<'a> {
    /// The public face's URL, without a trailing slash.
    pub url: &'a str,
    pub commands: &'a [String],
}

/// The manifest, with a public face's URLs when there is one: its OAuth redirect beside
/// the loopback one, the Request URL of events, interactivity and slash commands, and
/// org-wide installs allowed (what Enterprise Grid needs).
pub fn manifest_served(app: &App, public: Option<&PublicManifest<'_>>) -> Value {
    let mut redirects = vec![app.redirect_uri.clone()];
    let base = public.map(|p| format!("{}/slack/{}", p.url, app.name));
    if let Some(base) = &base {
        redirects.push(format!("{base}/oauth_redirect"));
    }
    let mut oauth = json!({ "redirect_urls": redirects, "scopes": {} });
    if !app.bot_scopes.is_empty() {
        oauth["scopes"]["bot"] = app.bot_scopes.iter().collect::<Vec<_>>().into();
    }
    if !app.user_scopes.is_empty() {
        oauth["scopes"]["user"] = app.user_scopes.iter().collect::<Vec<_>>().into();
    }
    // Both switches are always stated: a manifest that leaves one out gets Slack's default,
    // which may not be what the app was registered with here.
    oauth["pkce_enabled"] = app.pkce.into();
    let mut manifest = json!({
        "_metadata": { "major_version": 2 },
        "display_information": { "name": app.name },
        "oauth_config": oauth,
        "settings": {
            "org_deploy_enabled": false,
            "socket_mode_enabled": false,
            "token_rotation_enabled": app.rotation,
        },
    });
    // Bot scopes need a bot user to hold them.
    if !app.bot_scopes.is_empty() {
        manifest["features"] =
            json!({ "bot_user": { "display_name": app.name, "always_online": false } });
    }
    if let (Some(public), Some(base)) = (public, &base) {
        let settings = &mut manifest["settings"];
        settings["org_deploy_enabled"] = true.into();
        let mut bot_events = vec!["app_uninstalled", "tokens_revoked"];
        if app.bot_scopes.iter().any(|s| s == "app_mentions:read") {
            bot_events.push("app_mention");
        }
        settings["event_subscriptions"] =
            json!({ "request_url": format!("{base}/events"), "bot_events": bot_events });
        settings["interactivity"] =
            json!({ "is_enabled": true, "request_url": format!("{base}/interactive") });
        if !public.commands.is_empty() {
            let commands: Vec<Value> = public
                .commands
                .iter()
                .map(|c| {
                    let command = format!("/{}", c.trim_start_matches('/'));
                    json!({ "command": command, "url": format!("{base}/commands"), "description": command })
                })
                .collect();
            manifest["features"]["slash_commands"] = commands.into();
        }
    }
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::Scopes;

    fn app(bot: &str, user: &str, pkce: bool, rotation: bool) -> App {
        App {
            id: "a1".into(),
            name: "acme".into(),
            client_id: "1.2".into(),
            pkce,
            has_secret: !pkce,
            redirect_uri: "http://localhost:8976/callback".into(),
            bot_scopes: Scopes::parse(bot),
            user_scopes: Scopes::parse(user),
            created_at: 0,
            rotation,
            has_signing_secret: false,
            forward_to: None,
        }
    }

    #[test]
    fn a_public_face_adds_its_urls() {
        let app = app("chat:write,app_mentions:read", "", false, true);
        let public = PublicManifest {
            url: "https://slack.example.com",
            commands: &["/deploy".to_owned()],
        };
        let m = manifest_served(&app, Some(&public));
        let base = "https://slack.example.com/slack/acme";
        assert_eq!(
            m["oauth_config"]["redirect_urls"][1],
            format!("{base}/oauth_redirect")
        );
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"],
            format!("{base}/events")
        );
        assert_eq!(
            m["settings"]["interactivity"]["request_url"],
            format!("{base}/interactive")
        );
        assert_eq!(
            m["features"]["slash_commands"][0]["url"],
            format!("{base}/commands")
        );
        assert_eq!(m["settings"]["org_deploy_enabled"], true);
        let events = m["settings"]["event_subscriptions"]["bot_events"]
            .as_array()
            .unwrap();
        assert!(events.iter().any(|e| e == "app_mention"));
        assert!(
            manifest(&app)["settings"]
                .get("event_subscriptions")
                .is_none()
        );
    }

    #[test]
    fn manifest_carries_redirect_scopes_and_switches() {
        let m = manifest(&app("chat:write,users:read", "search:read", false, true));
        assert_eq!(
            m["oauth_config"]["redirect_urls"],
            json!(["http://localhost:8976/callback"])
        );
        assert_eq!(
            m["oauth_config"]["scopes"]["bot"],
            json!(["chat:write", "users:read"])
        );
        assert_eq!(m["oauth_config"]["scopes"]["user"], json!(["search:read"]));
        assert_eq!(m["settings"]["token_rotation_enabled"], true);
        assert_eq!(m["oauth_config"]["pkce_enabled"], false);
        assert_eq!(m["features"]["bot_user"]["display_name"], "acme");
    }

    #[test]
    fn a_user_only_pkce_app_has_no_bot_user() {
        let m = manifest(&app("", "search:read", true, false));
        assert_eq!(m["oauth_config"]["pkce_enabled"], true);
        assert!(m.get("features").is_none());
        assert!(m["oauth_config"]["scopes"].get("bot").is_none());
        assert_eq!(m["settings"]["token_rotation_enabled"], false);
    }
}
