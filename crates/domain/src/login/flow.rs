//! The install from start to stored connection: plan, listen, wait, exchange, store, verify.

use super::authorize::{AuthorizeRequest, authorize_request};
use super::callback::{Callback, CallbackServer};
use super::error::LoginError;
use crate::slack::{ClientCredentials, Grant, Scopes, Secret, SlackClient, TokenKind, parse_grant};
use crate::store::EventAction;
use crate::store::{App, Connection, HeldElsewhere, StoreHandle};
use std::path::Path;
use std::time::Duration;
use url::Url;

/// How long the tokens a login has just received are kept trying to land in a locked or
/// full database before the login reports the failure.
pub const SAVE_PATIENCE: Duration = Duration::from_secs(120);

/// What to ask Slack for, and where the tokens go.
pub struct LoginPlan {
    pub app: App,
    pub bot_scopes: Scopes,
    pub user_scopes: Scopes,
    pub team: Option<String>,
    /// The connection to store into; by default one named after the app and workspace.
    pub connection_name: Option<String>,
    /// The app's client secret (none for PKCE apps).
    pub client_secret: Option<Secret>,
    /// What to do when another connection holds a token Slack sends back.
    pub held: HeldElsewhere,
}

impl LoginPlan {
    /// Re-auth `conn` asking for the union of what it holds and `bot`/`user` (Slack's scopes
    /// only grow, but asking for the whole set keeps the request honest), in its workspace.
    pub fn reauth(
        app: App,
        client_secret: Option<Secret>,
        conn: &Connection,
        (bot, user): (&Scopes, &Scopes),
        held: HeldElsewhere,
    ) -> LoginPlan {
        let scopes_held = |kind: TokenKind| {
            conn.token(kind)
                .map(|t| t.scopes.clone())
                .unwrap_or_default()
        };
        LoginPlan {
            app,
            bot_scopes: scopes_held(TokenKind::Bot).union(bot),
            user_scopes: scopes_held(TokenKind::User).union(user),
            team: conn.team_id.clone(),
            connection_name: Some(conn.name.clone()),
            client_secret,
            held,
        }
    }

    /// Build the authorize URL and start listening, before anyone is sent to the URL.
    pub async fn start(
        self,
        client: &SlackClient,
        cert_dir: &Path,
    ) -> Result<PendingLogin, LoginError> {
        let request = authorize_request(
            &client.authorize_url(),
            &self.app,
            &self.bot_scopes,
            &self.user_scopes,
            self.team.as_deref(),
        )?;
        let server = CallbackServer::bind(&self.app.redirect_uri, cert_dir)
            .await
            .map_err(|e| match e {
                LoginError::PortInUse { host, port, .. } => LoginError::PortInUse {
                    host,
                    port,
                    app: self.app.name.clone(),
                },
                e => e,
            })?;
        Ok(PendingLogin {
            request,
            server,
            client: client.clone(),
            plan: self,
        })
    }
}

/// A login waiting for the browser.
pub struct PendingLogin {
    request: AuthorizeRequest,
    server: CallbackServer,
    client: SlackClient,
    plan: LoginPlan,
}

/// The finished login: the stored connection, and anything worth a warning.
pub struct LoggedIn {
    pub connection: Connection,
    pub warnings: Vec<String>,
}

/// `acme-sim-workspace`: the app's name and the workspace's, as a usable connection name.
pub fn default_name(app: &App, grant: &Grant) -> String {
    let team = grant
        .team_name
        .as_deref()
        .or(grant.team_id.as_deref())
        .unwrap_or("");
    let mut slug = String::new();
    for c in team.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    let name = if slug.is_empty() {
        app.name.clone()
    } else {
        format!("{}-{slug}", app.name)
    };
    name.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

impl PendingLogin {
    /// Where to send the browser.
    pub fn url(&self) -> &Url {
        &self.request.url
    }

    /// Where the callback is awaited.
    pub fn redirect_uri(&self) -> &str {
        &self.plan.app.redirect_uri
    }

    /// Wait for the callback, exchange the code and store the tokens, then check each
    /// new token with `auth.test` and keep the scopes Slack reports in `X-OAuth-Scopes`.
    pub async fn finish(
        self,
        store: &StoreHandle,
        timeout: Duration,
    ) -> Result<LoggedIn, LoginError> {
        let client = &self.client;
        let code = match self.server.wait(&self.request.state, timeout).await? {
            Callback::Code(code) => code,
            Callback::Denied(error) => return Err(LoginError::Denied(error)),
        };
        let app = &self.plan.app;
        // A PKCE app proves itself with the verifier and sends no secret, as Slack requires.
        let credentials = ClientCredentials {
            client_id: app.client_id.clone(),
            client_secret: if app.pkce {
                None
            } else {
                self.plan.client_secret.clone()
            },
        };
        let mut params = vec![
            ("code", code.expose()),
            ("redirect_uri", self.request.redirect_uri.as_str()),
        ];
        if let Some(verifier) = &self.request.verifier {
            params.push(("code_verifier", verifier.expose()));
        }
        let answer = client
            .oauth("oauth.v2.access", &credentials, &params)
            .await
            .map_err(LoginError::Exchange)?;
        let grant = parse_grant(&answer.body).map_err(|e| LoginError::BadAnswer(e.to_string()))?;
        let name = self
            .plan
            .connection_name
            .clone()
            .unwrap_or_else(|| default_name(app, &grant));
        // Stored before anything else: rotating tokens from this answer exist nowhere else.
        let connection = {
            let (app, grant, held) = (app.clone(), grant.clone(), self.plan.held);
            store
                .run_retrying(SAVE_PATIENCE, move |s| {
                    s.save_grant(&app, &name, &grant, EventAction::Login, held)
                })
                .await?
        };
        let mut warnings = Vec::new();
        for token in &grant.tokens {
            match client.call("auth.test", &token.access, &[]).await {
                Ok(answer) => {
                    if let Some(scopes) = answer.token_scopes.filter(|s| *s != token.scopes) {
                        let (id, kind) = (connection.id.clone(), token.kind);
                        store
                            .run(move |s| s.set_token_scopes(&id, kind, &scopes))
                            .await?;
                    }
                }
                Err(e) => warnings.push(format!(
                    "the new {} token did not pass auth.test: {e}",
                    token.kind
                )),
            }
        }
        let id = connection.id.clone();
        Ok(LoggedIn {
            connection: store.run(move |s| s.connection(&id)).await?,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App {
            id: "a".into(),
            name: "acme".into(),
            client_id: "1".into(),
            pkce: false,
            has_secret: true,
            redirect_uri: "http://localhost:1/cb".into(),
            bot_scopes: Scopes::default(),
            user_scopes: Scopes::default(),
            created_at: 0,
            rotation: false,
            has_signing_secret: false,
            forward_to: None,
        }
    }

    #[test]
    fn default_names_are_slugs_of_the_workspace() {
        let grant = |name: Option<&str>, id: Option<&str>| Grant {
            team_name: name.map(Into::into),
            team_id: id.map(Into::into),
            ..Grant::default()
        };
        assert_eq!(
            default_name(&app(), &grant(Some("Sim Workspace!"), Some("T1"))),
            "acme-sim-workspace"
        );
        assert_eq!(
            default_name(&app(), &grant(None, Some("T0ABC"))),
            "acme-t0abc"
        );
        assert_eq!(default_name(&app(), &grant(None, None)), "acme");
        assert_eq!(
            default_name(&app(), &grant(Some("Ünïcode Café"), None)),
            "acme-n-code-caf"
        );
    }
}
