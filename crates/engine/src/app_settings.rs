//! Registering, changing and removing apps, with the rules every app's settings must keep.

use super::{Engine, EngineError, EngineResult};
use crate::slack::{Scopes, Secret};
use crate::store::{App, NewApp, STANDALONE_APP};

/// What `xox app set` changes; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct AppChanges {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub bot_scopes: Option<Scopes>,
    pub user_scopes: Option<Scopes>,
    pub rotation: Option<bool>,
    pub pkce: Option<bool>,
    /// Slack's signing secret, for the public face's check of Slack's requests.
    pub signing_secret: Option<Secret>,
    /// The app's own endpoint for Slack's requests; an empty text forgets it.
    pub forward_to: Option<String>,
}

impl AppChanges {
    pub fn is_empty(&self) -> bool {
        self.client_id.is_none()
            && self.client_secret.is_none()
            && self.redirect_uri.is_none()
            && self.bot_scopes.is_none()
            && self.user_scopes.is_none()
            && self.rotation.is_none()
            && self.pkce.is_none()
            && self.signing_secret.is_none()
            && self.forward_to.is_none()
    }
}

/// The redirect must be a loopback URL with an explicit port: xox listens there itself.
fn check_redirect(uri: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(uri).map_err(|_| "--redirect-uri is not a URL")?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if !matches!(url.scheme(), "http" | "https") || !loopback || url.port().is_none() {
        return Err(
            "--redirect-uri must look like http://localhost:8976/callback (http or https, localhost, 127.0.0.1 or [::1], with a port)",
        );
    }
    if url.port() == Some(0) {
        return Err(
            "--redirect-uri needs a real port, not 0: Slack sends the browser back to exactly this URL, so xox must listen on a port known in advance (for example 8976)",
        );
    }
    if url.fragment().is_some() {
        return Err("--redirect-uri may not contain '#'");
    }
    Ok(())
}

/// The app's endpoint for Slack's requests: an http(s) URL without credentials in it.
fn check_forward_to(url: &str) -> Result<String, EngineError> {
    let refuse = |why: &str| EngineError::AppSettings(format!("--forward-to {why}"));
    let parsed = url::Url::parse(url).map_err(|_| refuse("is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(refuse("must be an http or https URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("may not carry a user or password"));
    }
    Ok(parsed.to_string())
}

/// The settings Slack would refuse at install time, refused now instead.
fn check_app(app: &NewApp) -> Result<(), EngineError> {
    let refuse = |why: &str| Err(EngineError::AppSettings(why.to_owned()));
    check_redirect(&app.redirect_uri).or_else(refuse)?;
    if app.client_id.trim().is_empty() {
        return refuse("--client-id is empty");
    }
    // Slack treats a PKCE app with a localhost redirect as a desktop client, which may
    // ask for user scopes only; a login would fail at the consent page.
    if app.pkce && !app.bot_scopes.is_empty() {
        return refuse(&format!(
            "a PKCE app with a localhost redirect may ask for user scopes only (Slack refuses bot scopes to desktop clients): drop --scopes {}, or register a confidential app with its secret",
            app.bot_scopes
        ));
    }
    if !app.pkce && app.client_secret.is_none() {
        return refuse(
            "a confidential app needs its client secret: pass --secret (read from XOX_CLIENT_SECRET or stdin), or --pkce for a public client",
        );
    }
    Ok(())
}

impl Engine {
    pub async fn add_app(&self, app: NewApp) -> EngineResult<App> {
        if app.name == STANDALONE_APP {
            return Err(EngineError::ReservedAppName);
        }
        crate::store::check_name(&app.name)?;
        check_app(&app)?;
        Ok(self.store().run(move |s| s.add_app(app)).await?)
    }

    /// Change a registered app's settings; its connections keep their tokens.
    pub async fn set_app(&self, name: &str, changes: AppChanges) -> EngineResult<App> {
        if changes.is_empty() {
            return Err(EngineError::AppSettings(
                "nothing to change: pass at least one setting (xox app set --help lists them)"
                    .into(),
            ));
        }
        let app = self.app(name).await?;
        if app.name == STANDALONE_APP {
            return Err(EngineError::ReservedAppName);
        }
        let pkce = changes.pkce.unwrap_or(app.pkce);
        // A public client has no secret; a confidential one keeps its own unless given one.
        let client_secret = match (pkce, changes.client_secret) {
            (true, _) => None,
            (false, Some(secret)) => Some(secret),
            (false, None) => self.app_secret(&app).await?,
        };
        let signing_secret = match changes.signing_secret {
            Some(secret) => Some(secret),
            None => self.app_signing_secret(&app).await?,
        };
        let updated = NewApp {
            name: app.name.clone(),
            client_id: changes
                .client_id
                .map_or(app.client_id, |id| id.trim().to_owned()),
            client_secret,
            pkce,
            rotation: changes.rotation.unwrap_or(app.rotation),
            redirect_uri: changes.redirect_uri.unwrap_or(app.redirect_uri),
            bot_scopes: changes.bot_scopes.unwrap_or(app.bot_scopes),
            user_scopes: changes.user_scopes.unwrap_or(app.user_scopes),
            signing_secret,
            forward_to: match changes.forward_to {
                Some(url) if url.is_empty() => None,
                Some(url) => Some(check_forward_to(&url)?),
                None => app.forward_to,
            },
        };
        check_app(&updated)?;
        let id = app.id;
        Ok(self
            .store()
            .run(move |s| s.update_app(&id, updated))
            .await?)
    }

    /// Remove a registered app. Refused while connections use it, unless `force`, which
    /// removes those connections first (their tokens stay valid at Slack). Returns the
    /// names of the connections removed.
    pub async fn remove_app(&self, name: &str, force: bool) -> EngineResult<Vec<String>> {
        let app = self.app(name).await?;
        let users: Vec<String> = self
            .connections()
            .await?
            .into_iter()
            .filter(|c| c.app_id == app.id)
            .map(|c| c.name)
            .collect();
        if !users.is_empty() && !force {
            return Err(EngineError::AppInUse {
                app: app.name,
                connections: users.join(", "),
            });
        }
        for conn in &users {
            self.remove(conn, false).await?;
        }
        let id = app.id;
        self.store().run(move |s| s.remove_app(&id)).await?;
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_must_be_loopback_with_a_port() {
        for good in [
            "http://localhost:8976/callback",
            "https://127.0.0.1:3118/cb",
            "http://[::1]:9000/",
        ] {
            assert!(check_redirect(good).is_ok(), "{good}");
        }
        for bad in [
            "https://example.com:443/cb",
            "http://localhost/cb",
            "ftp://localhost:21/",
            "http://localhost:1/#x",
            "http://127.0.0.1:0/callback",
            "junk",
        ] {
            assert!(check_redirect(bad).is_err(), "{bad}");
        }
    }
}
