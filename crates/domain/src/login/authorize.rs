//! The authorize URL: scopes, redirect, a random state, and PKCE S256 for public apps.

use super::error::LoginError;
use crate::slack::pkce::{challenge, random_url_token};
use crate::slack::{Scopes, Secret};
use crate::store::App;
use url::Url;

/// What the browser is sent to, and what the callback and the code exchange must match.
pub struct AuthorizeRequest {
    pub url: Url,
    pub state: Secret,
    /// The PKCE verifier, for apps that use PKCE.
    pub verifier: Option<Secret>,
    pub redirect_uri: String,
}

/// Build the request. Refuses before any browser opens what Slack would refuse after:
/// bot scopes through a PKCE app's localhost ("desktop") redirect.
pub fn authorize_request(
    authorize_url: &Url,
    app: &App,
    bot_scopes: &Scopes,
    user_scopes: &Scopes,
    team: Option<&str>,
) -> Result<AuthorizeRequest, LoginError> {
    let state = random_url_token(32);
    let verifier = app.pkce.then(|| random_url_token(32));
    let scopes = (bot_scopes, user_scopes);
    build(
        authorize_url,
        app,
        &app.redirect_uri,
        scopes,
        (state, verifier),
        team,
    )
}

/// The request for an install begun on the app's public page: Slack sends the browser
/// back there, with this `state` (and PKCE `verifier`) made by the caller.
pub fn authorize_request_with(
    authorize_url: &Url,
    app: &App,
    redirect_uri: &str,
    scopes: (&Scopes, &Scopes),
    (state, verifier): (Secret, Option<Secret>),
) -> Result<AuthorizeRequest, LoginError> {
    build(
        authorize_url,
        app,
        redirect_uri,
        scopes,
        (state, verifier),
        None,
    )
}

fn build(
    authorize_url: &Url,
    app: &App,
    redirect_uri: &str,
    (bot_scopes, user_scopes): (&Scopes, &Scopes),
    (state, verifier): (Secret, Option<Secret>),
    team: Option<&str>,
) -> Result<AuthorizeRequest, LoginError> {
    if bot_scopes.is_empty() && user_scopes.is_empty() {
        return Err(LoginError::NoScopes);
    }
    let redirect =
        Url::parse(redirect_uri).map_err(|_| LoginError::NoPort(redirect_uri.to_owned()))?;
    if app.pkce && redirect.host_str() == Some("localhost") && !bot_scopes.is_empty() {
        return Err(LoginError::DesktopBotScopes(bot_scopes.to_csv()));
    }
    let mut url = authorize_url.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &app.client_id);
        q.append_pair("scope", &bot_scopes.to_csv());
        q.append_pair("user_scope", &user_scopes.to_csv());
        q.append_pair("redirect_uri", redirect_uri);
        q.append_pair("state", state.expose());
        if let Some(team) = team {
            q.append_pair("team", team);
        }
        if let Some(verifier) = &verifier {
            q.append_pair("code_challenge", &challenge(verifier.expose()));
            q.append_pair("code_challenge_method", "S256");
        }
    }
    Ok(AuthorizeRequest {
        url,
        state,
        verifier,
        redirect_uri: redirect_uri.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(pkce: bool, redirect: &str) -> App {
        App {
            id: "a".into(),
            name: "acme".into(),
            client_id: "1.2".into(),
            pkce,
            has_secret: !pkce,
            redirect_uri: redirect.into(),
            bot_scopes: Scopes::default(),
            user_scopes: Scopes::default(),
            created_at: 0,
            rotation: false,
            has_signing_secret: false,
            forward_to: None,
        }
    }

    fn query(url: &Url) -> std::collections::HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn confidential_request_has_scopes_redirect_state_and_team() {
        let base = Url::parse("https://slack.com/oauth/v2/authorize").unwrap();
        let req = authorize_request(
            &base,
            &app(false, "http://localhost:8976/callback"),
            &Scopes::parse("chat:write"),
            &Scopes::parse("search:read"),
            Some("T1"),
        )
        .unwrap();
        let q = query(&req.url);
        assert_eq!(q["client_id"], "1.2");
        assert_eq!(q["scope"], "chat:write");
        assert_eq!(q["user_scope"], "search:read");
        assert_eq!(q["redirect_uri"], "http://localhost:8976/callback");
        assert_eq!(q["team"], "T1");
        assert_eq!(q["state"], req.state.expose());
        assert_eq!(q["state"].len(), 43);
        assert!(!q.contains_key("code_challenge"));
        assert!(req.verifier.is_none());
    }

    #[test]
    fn pkce_request_carries_the_s256_challenge_of_its_verifier() {
        let base = Url::parse("https://slack.com/oauth/v2/authorize").unwrap();
        let req = authorize_request(
            &base,
            &app(true, "http://localhost:8976/callback"),
            &Scopes::default(),
            &Scopes::parse("search:read"),
            None,
        )
        .unwrap();
        let q = query(&req.url);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            challenge(req.verifier.as_ref().unwrap().expose())
        );
        assert!(!q.contains_key("team"));
    }

    #[test]
    fn refuses_bot_scopes_through_a_pkce_localhost_redirect_and_empty_requests() {
        let base = Url::parse("https://slack.com/oauth/v2/authorize").unwrap();
        let err = authorize_request(
            &base,
            &app(true, "http://localhost:8976/callback"),
            &Scopes::parse("chat:write"),
            &Scopes::default(),
            None,
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("only for user scopes"), "{err}");
        assert!(
            authorize_request(
                &base,
                &app(true, "http://127.0.0.1:8976/callback"),
                &Scopes::parse("chat:write"),
                &Scopes::default(),
                None
            )
            .is_ok()
        );
        let err = authorize_request(
            &base,
            &app(false, "http://localhost:8976/callback"),
            &Scopes::default(),
            &Scopes::default(),
            None,
        )
        .err()
        .unwrap();
        assert!(matches!(err, LoginError::NoScopes));
    }
}
