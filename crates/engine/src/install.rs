//! Bringing tokens in: `import` (an OAuth answer or a bare token) and `login` (the install
//! through the browser, or a re-auth that adds scopes to a connection).

use super::{Engine, EngineError, EngineResult};
use crate::login::{LoggedIn, LoginPlan, PendingLogin};
use crate::slack::import_input::{ImportInput, grant_for_token, parse_input};
use crate::slack::{GrantShape, Scopes, TokenKind};
use crate::store::EventAction;
use crate::store::{Connection, HeldElsewhere};
use std::time::Duration;

/// A connection stored by `import`, and which of its tokens the input carried.
#[derive(Debug, Clone)]
pub struct Imported {
    pub connection: Connection,
    pub kinds: Vec<TokenKind>,
    /// The answer the tokens were read from; `None` for a bare token.
    pub shape: Option<GrantShape>,
}

/// What a login asks Slack for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    /// Install `app` (name or id); scopes default to the app's.
    Install {
        app: String,
        name: Option<String>,
        bot: Option<Scopes>,
        user: Option<Scopes>,
        team: Option<String>,
    },
    /// Re-authorize connection `conn` in place (its app, workspace and name), asking for
    /// what it holds plus these scopes.
    Reauth {
        conn: String,
        bot: Scopes,
        user: Scopes,
    },
}

impl Engine {
    /// Store the tokens in `raw` (an OAuth answer, or a bare token that Slack is asked about
    /// unless `verify` is off) as connection `name` of `app`; `held` says what to do when
    /// another connection holds one of them.
    pub async fn import(
        &self,
        name: &str,
        app: Option<&str>,
        raw: &[u8],
        kind: Option<TokenKind>,
        verify: bool,
        held: HeldElsewhere,
    ) -> EngineResult<Imported> {
        let input = parse_input(raw)?;
        // The store is read before any network call, so a bad app fails before Slack is asked.
        // Bare tokens and configuration tokens belong to no OAuth app xox knows.
        let configuration =
            |g: &crate::slack::Grant| g.tokens.iter().all(|t| t.kind == TokenKind::Config);
        let app = match (app, &input) {
            (Some(app), _) => self.app(app).await?,
            (None, ImportInput::Token(_) | ImportInput::ConfigPair(_)) => {
                self.standalone_app().await?
            }
            (None, ImportInput::Grant(g)) if configuration(g) => self.standalone_app().await?,
            (None, ImportInput::Grant(_)) => return Err(EngineError::AppNeeded),
        };
        let (grant, shape) = match input {
            ImportInput::Grant(grant) => {
                let shape = grant.shape;
                (*grant, Some(shape))
            }
            ImportInput::ConfigPair(grant) => (*grant, None),
            ImportInput::Token(token) => (
                grant_for_token(self.http()?, token, kind, verify).await?,
                None,
            ),
        };
        let kinds = grant.tokens.iter().map(|t| t.kind).collect();
        let name = name.to_owned();
        let mut connection = self
            .store()
            .run(move |s| s.save_grant(&app, &name, &grant, EventAction::Import, held))
            .await?;
        if verify {
            connection = self.learn_org_teams(connection).await?;
        }
        Ok(Imported {
            connection,
            kinds,
            shape,
        })
    }

    /// Open the authorize link without a person, as the demo does: its simulator consents
    /// at once and redirects to the callback. A failure shows as the login timing out.
    pub async fn follow_authorize_link(&self, url: &str) {
        if let Ok(client) = self.http() {
            let _ = client.visit(url).await;
        }
    }

    /// Plan the install and start listening for the callback, before anyone is sent to
    /// the authorize link (`PendingLogin::url`).
    pub async fn start_login(
        &self,
        request: LoginRequest,
        held: HeldElsewhere,
        check: ScopeCheck,
    ) -> EngineResult<PendingLogin> {
        let plan = match request {
            LoginRequest::Install {
                app,
                name,
                bot,
                user,
                team,
            } => {
                let app = self.app(&app).await?;
                LoginPlan {
                    bot_scopes: bot.unwrap_or_else(|| app.bot_scopes.clone()),
                    user_scopes: user.unwrap_or_else(|| app.user_scopes.clone()),
                    team,
                    connection_name: name,
                    client_secret: self.app_secret(&app).await?,
                    held,
                    app,
                }
            }
            LoginRequest::Reauth { conn, bot, user } => {
                let connection = self.connection(&conn).await?;
                if connection.is_standalone() {
                    return Err(EngineError::Standalone {
                        conn: connection.name,
                    });
                }
                let app = self.app(&connection.app_id).await?;
                let secret = self.app_secret(&app).await?;
                LoginPlan::reauth(app, secret, &connection, (&bot, &user), held)
            }
        };
        // Slack answers a scope it does not know on its own page and never calls back: the
        // login would wait its whole timeout for nothing.
        let unknown = unknown_scopes(&plan.bot_scopes.union(&plan.user_scopes));
        if !unknown.is_empty() && check == ScopeCheck::Known {
            return Err(EngineError::UnknownScopes(UnknownScopes(unknown)));
        }
        Ok(plan.start(self.http()?, &self.data_dir()).await?)
    }

    /// Wait for the browser, exchange the code, store the tokens and check them.
    pub async fn finish_login(
        &self,
        pending: PendingLogin,
        timeout: Duration,
    ) -> EngineResult<LoggedIn> {
        let mut logged_in = pending.finish(self.store(), timeout).await?;
        logged_in.connection = self.learn_org_teams(logged_in.connection).await?;
        Ok(logged_in)
    }

    /// For an org-wide install, the workspaces it covers, asked of Slack now; a failure
    /// leaves them to the next reading (a serving proxy reads them every hour).
    async fn learn_org_teams(&self, connection: Connection) -> EngineResult<Connection> {
        if !connection.enterprise_install {
            return Ok(connection);
        }
        if let Err(e) = self.refresh_covered_teams(&connection).await {
            tracing::warn!(connection = connection.name, error = %e, "could not read the org's workspaces yet");
            return Ok(connection);
        }
        self.connection(&connection.id).await
    }
}

/// Which scopes a login may ask Slack for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeCheck {
    /// Only those the catalogue knows.
    Known,
    /// Any (`--force`): a scope newer than the catalogue.
    Any,
}

/// A scope the catalogue does not know, with the known one nearest to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope {
    pub scope: String,
    pub nearest: Option<String>,
}

impl std::fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a Slack scope xox knows", self.scope)?;
        match &self.nearest {
            Some(nearest) => write!(f, " (did you mean {nearest}?)"),
            None => Ok(()),
        }
    }
}

/// Several unknown scopes, said in one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScopes(pub Vec<UnknownScope>);

impl std::fmt::Display for UnknownScopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let each: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&each.join("; "))
    }
}

/// The scopes in `scopes` the catalogue does not know.
pub fn unknown_scopes(scopes: &Scopes) -> Vec<UnknownScope> {
    let catalogue = crate::slack::catalogue::catalogue();
    scopes
        .iter()
        .filter(|scope| !catalogue.knows_scope(scope))
        .map(|scope| UnknownScope {
            scope: scope.to_owned(),
            nearest: catalogue.nearest_scope(scope).map(str::to_owned),
        })
        .collect()
}
