//! Installs from an app's own "Add to Slack" page: the authorize link with a state bound
//! to the browser (and PKCE where the app uses it), then Slack's redirect, checked and
//! exchanged, and the install stored as a connection of the app.

use super::{Engine, EngineError, EngineResult};
use crate::login::authorize_request_with;
use crate::login::install_state::{self, StateKey, StateRefusal, check_state, make_state};
use crate::slack::{ClientCredentials, Grant, Secret, TokenKind, parse_grant};
use crate::store::{App, Connection, EventAction, HeldElsewhere, InstallCandidate, now_unix};

/// How long an install may take from the page to Slack's redirect.
pub const INSTALL_LIFETIME_SECS: i64 = 600;

/// An install begun: where to send the browser, and the nonce its cookie must carry back.
pub struct InstallStart {
    pub authorize_url: String,
    pub browser: Secret,
}

/// Why an install from the public page stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallRefusal {
    /// The user pressed Cancel, or Slack sent another error back.
    Denied(String),
    /// No state, or one this xox never began (or already finished).
    UnknownState,
    ExpiredState,
    /// The state was begun in another browser.
    OtherBrowser,
    /// Slack refused the code (a replayed or expired code, a secret that changed…).
    Exchange(String),
    /// Slack's answer could not be stored as it came.
    BadAnswer(String),
}

impl InstallRefusal {
    /// What the error page says.
    pub fn explain(&self) -> String {
        match self {
            InstallRefusal::Denied(code) if code == "access_denied" => {
                "The install was cancelled on Slack's page; nothing was installed.".into()
            }
            InstallRefusal::Denied(code) => format!("Slack ended the install with {code}."),
            InstallRefusal::UnknownState => {
                "This install link is not one this server began, or it was used already. Start again from the install page.".into()
            }
            InstallRefusal::ExpiredState => {
                "This install took longer than ten minutes. Start again from the install page.".into()
            }
            InstallRefusal::OtherBrowser => {
                "This install was begun in another browser (or its cookie is gone). Start again from the install page.".into()
            }
            InstallRefusal::Exchange(code) => format!("Slack refused to complete the install: {code}."),
            InstallRefusal::BadAnswer(what) => format!("Slack's answer could not be used: {what}."),
        }
    }
}

/// `acme-t0123`: a connection name from the app and a Slack id, typed without quoting.
fn install_name(app: &str, parts: &[&str]) -> String {
    let mut name = app.to_owned();
    for part in parts {
        name.push('-');
        name.extend(
            part.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    name.chars().take(64).collect()
}

/// The grant's tokens of one kind only, with the facts that go with them.
fn only(grant: &Grant, kind: TokenKind) -> Grant {
    let mut part = grant.clone();
    part.tokens.retain(|t| t.kind == kind);
    match kind {
        TokenKind::User => {
            part.bot_user_id = None;
            part.incoming_webhook = None;
        }
        _ => part.authed_user_id = None,
    }
    part
}

impl Engine {
    /// The key install states are sealed with, derived from the store's.
    async fn state_key(&self) -> EngineResult<StateKey> {
        Ok(self
            .store()
            .run(|s| {
                Ok::<_, crate::store::StoreError>(StateKey::new(
                    s.keyed_digest("install-state-key"),
                ))
            })
            .await?)
    }

    /// Begin an install of `app` that Slack will send back to `redirect_uri`. Nothing is
    /// written: the state carries what the redirect needs, sealed (`install_state`).
    pub async fn begin_public_install(
        &self,
        app: &str,
        redirect_uri: &str,
    ) -> EngineResult<InstallStart> {
        let app = self.app(app).await?;
        let mac = self.state_key().await?;
        let browser = crate::slack::pkce::random_url_token(32);
        let (state, nonce) =
            make_state(&mac, &app.id, &browser, now_unix() + INSTALL_LIFETIME_SECS);
        let verifier = app.pkce.then(|| install_state::verifier(&mac, &nonce));
        let request = authorize_request_with(
            &self.http()?.authorize_url(),
            &app,
            redirect_uri,
            (&app.bot_scopes, &app.user_scopes),
            (state, verifier),
        )?;
        Ok(InstallStart {
            authorize_url: request.url.to_string(),
            browser,
        })
    }

    /// Finish an install from Slack's redirect: `code`, `state` or `error` as Slack sent
    /// them, and the browser's cookie. Nothing is stored unless every check passes.
    pub async fn finish_public_install(
        &self,
        app: &str,
        redirect: &[(String, String)],
        browser: Option<Secret>,
        redirect_uri: &str,
    ) -> EngineResult<Result<Connection, InstallRefusal>> {
        let app = self.app(app).await?;
        let get = |name: &str| {
            redirect
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mac = self.state_key().await?;
        let state = get("state").unwrap_or_default();
        let nonce = match check_state(&mac, &app.id, &state, browser.as_ref(), now_unix()) {
            Ok(nonce) => nonce,
            Err(StateRefusal::Unknown) => return Ok(Err(InstallRefusal::UnknownState)),
            Err(StateRefusal::Expired) => return Ok(Err(InstallRefusal::ExpiredState)),
            Err(StateRefusal::NoBrowser) => return Ok(Err(InstallRefusal::OtherBrowser)),
        };
        // Spent whatever comes next, across the fleet: a refused install cannot be tried
        // again with the same link, and a replayed redirect finds it spent.
        let (seen, now) = (format!("install-state:{}:{nonce}", app.id), now_unix());
        let until = now + INSTALL_LIFETIME_SECS + 60;
        if !self
            .store()
            .run(move |s| s.first_sight(&seen, until, now))
            .await?
        {
            return Ok(Err(InstallRefusal::UnknownState));
        }
        if let Some(error) = get("error") {
            return Ok(Err(InstallRefusal::Denied(
                crate::slack::error_code::printable_code(&error),
            )));
        }
        let Some(code) = get("code").filter(|c| !c.is_empty()) else {
            return Ok(Err(InstallRefusal::Denied("no_code".into())));
        };
        let verifier = app.pkce.then(|| install_state::verifier(&mac, &nonce));
        let credentials = ClientCredentials {
            client_id: app.client_id.clone(),
            client_secret: if app.pkce {
                None
            } else {
                self.app_secret(&app).await?
            },
        };
        let mut params = vec![("code", code.as_str()), ("redirect_uri", redirect_uri)];
        if let Some(verifier) = &verifier {
            params.push(("code_verifier", verifier.expose()));
        }
        let answer = match self
            .http()?
            .oauth("oauth.v2.access", &credentials, &params)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                let code = e
                    .api()
                    .map_or_else(|| e.to_string(), |api| api.code.as_str().to_owned());
                return Ok(Err(InstallRefusal::Exchange(code)));
            }
        };
        let grant = match parse_grant(&answer.body) {
            Ok(grant) => grant,
            Err(e) => return Ok(Err(InstallRefusal::BadAnswer(e.to_string()))),
        };
        let connection = self.store_install(&app, grant).await?;
        if connection.enterprise_install
            && let Err(e) = self.refresh_covered_teams(&connection).await
        {
            tracing::warn!(connection = connection.name, error = %e, "could not read the org's workspaces yet");
        }
        Ok(Ok(self.connection(&connection.id).await?))
    }

    /// Store a new install of a distributed app: a re-install of a workspace (or org)
    /// updates the connection that holds it, and the user token of a user other than the
    /// one on record goes to that user's own connection, so no token is dropped.
    pub(crate) async fn store_install(&self, app: &App, grant: Grant) -> EngineResult<Connection> {
        let place = if grant.is_enterprise_install {
            grant.enterprise_id.clone()
        } else {
            grant.team_id.clone()
        };
        let Some(place) = place.filter(|id| super::org_teams::valid_id(id)) else {
            return Err(EngineError::AppSettings(
                "Slack's answer names no workspace or org to install into".into(),
            ));
        };
        let (app_id, wanted) = (app.id.clone(), place.clone());
        let candidates = self
            .store()
            .run(move |s| s.install_candidates(&app_id, &wanted))
            .await?;
        let theirs: Vec<&InstallCandidate> = candidates
            .iter()
            .filter(|c| {
                if grant.is_enterprise_install {
                    c.whole_org
                } else {
                    c.own_workspace
                }
            })
            .collect();
        let name_of = |id: &str| {
            let id = id.to_owned();
            async move { self.connection(&id).await.map(|c| c.name) }
        };
        let main = theirs.iter().find(|c| c.has_bot).or(theirs.first());
        let user = grant.authed_user_id.clone();
        let other_user = main.is_some_and(|m| m.has_user && m.authed_user_id != user);
        let splits = other_user && grant.token(TokenKind::User).is_some();
        let main_name = match main {
            Some(m) => name_of(&m.connection_id).await?,
            None => install_name(&app.name, &[&place]),
        };
        if !splits {
            return self.save_install(app, &main_name, grant).await;
        }
        let user = user.unwrap_or_default();
        let user_name = match theirs
            .iter()
            .find(|c| c.authed_user_id.as_deref() == Some(user.as_str()))
        {
            Some(c) => name_of(&c.connection_id).await?,
            None => install_name(&app.name, &[&place, &user]),
        };
        self.save_install(app, &user_name, only(&grant, TokenKind::User))
            .await?;
        let bot = only(&grant, TokenKind::Bot);
        if bot.tokens.is_empty() {
            return self.connection(&main_name).await;
        }
        self.save_install(app, &main_name, bot).await
    }

    async fn save_install(&self, app: &App, name: &str, grant: Grant) -> EngineResult<Connection> {
        let (app, name) = (app.clone(), name.to_owned());
        // Stored before anything else: rotating tokens from this answer exist nowhere else.
        // A token another connection held moves here: a re-install's tokens are this
        // install's, and one chain keeps one owner.
        Ok(self
            .store()
            .run_retrying(crate::login::SAVE_PATIENCE, move |s| {
                s.save_grant(
                    &app,
                    &name,
                    &grant,
                    EventAction::Install,
                    HeldElsewhere::Move,
                )
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_names_are_typeable() {
        assert_eq!(install_name("acme", &["T0ABC"]), "acme-t0abc");
        assert_eq!(install_name("acme", &["E1", "U9"]), "acme-e1-u9");
        assert!(crate::store::check_name(&install_name("acme", &["T\u{1b}[x"])).is_ok());
    }
}
