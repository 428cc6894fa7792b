//! Slack's requests to a distributed app (events, interactivity, slash commands): checked
//! as Slack's before anything else, acted on where they change a token (an uninstall, a
//! revocation), and passed on to the app's own endpoint with its answer brought back.

use super::{Engine, EngineResult};
use crate::slack::Secret;
use crate::slack::TokenKind;
use crate::slack::app_forward::{AppAnswer, ForwardError};
use crate::slack::app_request::{Place, SlackNotice, envelope_place, read_event};
use crate::slack::file_urls::may_hold_private_urls;
use crate::slack::signature::{MAX_SKEW_SECS, sign, verify};
use crate::store::{Connection, EventAction, NewEvent, Outcome, TokenStatus, now_unix};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Slack waits three seconds for an app's answer before it counts the request as failed.
pub const SLACK_WAITS: Duration = Duration::from_secs(3);

/// Which of the app's public routes a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackRoute {
    Events,
    Interactive,
    Commands,
}

/// One request from Slack, as it came.
pub struct SlackRequest {
    pub route: SlackRoute,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The proxy's own address (`http://HOST:PORT`), where the app reads the files an
    /// event carries; `None`: their private URLs are passed on as Slack sent them.
    pub files_at: Option<String>,
}

/// What the public face answers Slack.
#[derive(Debug)]
pub enum SlackReply {
    /// Not taken as Slack's (HTTP 401) or not readable (400); nothing was done.
    Refused {
        status: u16,
        reason: &'static str,
    },
    /// The answer to `url_verification`.
    Challenge(String),
    /// The app's own answer.
    App(AppAnswer),
    /// Checked and acted on; the app has no endpoint to pass it to.
    Acknowledged,
    /// The app did not answer within Slack's three seconds (504), or could not be reached
    /// (502).
    Late,
    Unreachable(String),
}

impl SlackRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether a connection is the app's install at `place`.
fn is_at(connection: &Connection, app_id: &str, place: &Place) -> bool {
    connection.app_id == app_id
        && if place.org_wide {
            connection.enterprise_install
                && connection.enterprise_id.is_some()
                && connection.enterprise_id == place.enterprise_id
        } else {
            !connection.enterprise_install
                && connection.team_id.is_some()
                && connection.team_id == place.team_id
        }
}

impl Engine {
    /// Check, act on and pass on one request from Slack to app `app`.
    pub async fn slack_request(
        &self,
        app: &str,
        request: SlackRequest,
    ) -> EngineResult<SlackReply> {
        let started = Instant::now();
        let app = self.app(app).await?;
        let refused = |reason| {
            Ok(SlackReply::Refused {
                status: 401,
                reason,
            })
        };
        let Some(secret) = self.app_signing_secret(&app).await? else {
            return refused("no_signing_secret");
        };
        let now = now_unix();
        let (timestamp, signature) = (
            request.header("x-slack-request-timestamp"),
            request.header("x-slack-signature"),
        );
        if let Err(refusal) = verify(&secret, timestamp, signature, &request.body, now) {
            return refused(refusal.as_str());
        }
        // A signature seen before is a replay: Slack signs every delivery, retries included,
        // anew. It is remembered as long as its timestamp would pass.
        let fingerprint = format!("slack-request:{}:{}", app.id, signature.unwrap_or(""));
        let until = now + 2 * MAX_SKEW_SECS;
        if !self
            .store()
            .run(move |s| s.first_sight(&fingerprint, until, now))
            .await?
        {
            return refused("replayed");
        }
        if request.route == SlackRoute::Events {
            let notice = match read_event(&request.body) {
                Ok(notice) => notice,
                Err(_) => {
                    return Ok(SlackReply::Refused {
                        status: 400,
                        reason: "malformed_event",
                    });
                }
            };
            if let SlackNotice::UrlVerification { challenge } = notice {
                return Ok(SlackReply::Challenge(challenge));
            }
            self.act_on(&app.id, &notice).await?;
        }
        let Some(url) = app.forward_to.clone() else {
            return Ok(SlackReply::Acknowledged);
        };
        let (headers, body) = self.with_file_urls(&app.id, &secret, &request).await?;
        let within = SLACK_WAITS.saturating_sub(started.elapsed());
        Ok(
            match self
                .http()?
                .forward_to_app(&url, &headers, body, within)
                .await
            {
                Ok(answer) => SlackReply::App(answer),
                Err(ForwardError::Late) => {
                    tracing::warn!(
                        app = app.name,
                        "the app did not answer Slack within three seconds"
                    );
                    // Recorded in the trail of the install the event was for, where one
                    // is named: Slack will retry it, and the operator should hear why.
                    if let Some(place) = envelope_place(&request.body) {
                        for connection in self.installs_at(&app.id, &place).await? {
                            let detail = format!("{url} took longer than Slack's three seconds");
                            self.note(&connection, EventAction::ForwardLate, None, Some(detail))
                                .await?;
                        }
                    }
                    SlackReply::Late
                }
                Err(ForwardError::Unreachable(detail)) => {
                    tracing::warn!(
                        app = app.name,
                        detail,
                        "the app's endpoint could not be reached"
                    );
                    SlackReply::Unreachable(detail)
                }
            },
        )
    }

    /// What a notice changes in the store: tokens Slack has revoked are never sent again.
    async fn act_on(&self, app_id: &str, notice: &SlackNotice) -> EngineResult<()> {
        match notice {
            SlackNotice::Uninstalled(place) => {
                for connection in self.installs_at(app_id, place).await? {
                    let kinds: Vec<TokenKind> = connection.tokens.iter().map(|t| t.kind).collect();
                    self.mark(
                        &connection,
                        &kinds,
                        TokenStatus::Uninstalled,
                        EventAction::Uninstall,
                        "app_uninstalled",
                    )
                    .await?;
                }
            }
            SlackNotice::TokensRevoked { place, users, bots } => {
                for connection in self.installs_at(app_id, place).await? {
                    let mut kinds = Vec::new();
                    if connection
                        .authed_user_id
                        .as_ref()
                        .is_some_and(|u| users.contains(u))
                    {
                        kinds.push(TokenKind::User);
                    }
                    if connection
                        .bot_user_id
                        .as_ref()
                        .is_some_and(|b| bots.contains(b))
                    {
                        kinds.push(TokenKind::Bot);
                    }
                    kinds.retain(|k| connection.token(*k).is_some());
                    self.mark(
                        &connection,
                        &kinds,
                        TokenStatus::Revoked,
                        EventAction::Revoke,
                        "token_revoked",
                    )
                    .await?;
                }
            }
            SlackNotice::RateLimited { team_id, minute } => {
                let place = Place {
                    team_id: team_id.clone(),
                    ..Place::default()
                };
                for connection in self.installs_at(app_id, &place).await? {
                    self.note(
                        &connection,
                        EventAction::RateLimited,
                        None,
                        minute.map(|m| format!("events held back in the minute from {m}")),
                    )
                    .await?;
                }
            }
            SlackNotice::TeamAccessChanged(place) => {
                let org = Place {
                    org_wide: true,
                    ..place.clone()
                };
                for connection in self.installs_at(app_id, &org).await? {
                    if let Err(e) = self.refresh_covered_teams(&connection).await {
                        tracing::warn!(connection = connection.name, error = %e, "could not read the org's workspaces");
                    }
                }
            }
            SlackNotice::UrlVerification { .. } | SlackNotice::Other => {}
        }
        Ok(())
    }

    /// The event as the app gets it: a shared file's private URLs swapped for the
    /// proxy's, for the install the event came to, and then signed again with the app's
    /// signing secret (which xox holds, and which checked Slack's signature above), since
    /// Slack's no longer matches the body. Anything else goes as Slack sent it.
    async fn with_file_urls(
        &self,
        app_id: &str,
        secret: &Secret,
        request: &SlackRequest,
    ) -> EngineResult<(Vec<(String, String)>, Bytes)> {
        let unchanged = Ok((request.headers.clone(), request.body.clone()));
        let (Some(files_at), SlackRoute::Events) = (&request.files_at, request.route) else {
            return unchanged;
        };
        // Looked at before the store is asked which install the event came to.
        if !may_hold_private_urls(&request.body) {
            return unchanged;
        }
        let Some(place) = envelope_place(&request.body) else {
            return unchanged;
        };
        let Some(connection) = self.installs_at(app_id, &place).await?.into_iter().next() else {
            return unchanged;
        };
        let Some(body) = self
            .swap_file_urls(&connection.id, &request.body, files_at)
            .await?
        else {
            return unchanged;
        };
        let now = now_unix();
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("x-slack-signature")
                    && !name.eq_ignore_ascii_case("x-slack-request-timestamp")
            })
            .cloned()
            .collect();
        headers.push(("x-slack-request-timestamp".into(), now.to_string()));
        headers.push((
            "x-slack-signature".into(),
            sign(secret.expose(), now, &body),
        ));
        Ok((headers, body))
    }

    async fn installs_at(&self, app_id: &str, place: &Place) -> EngineResult<Vec<Connection>> {
        Ok(self
            .connections()
            .await?
            .into_iter()
            .filter(|c| is_at(c, app_id, place))
            .collect())
    }

    async fn mark(
        &self,
        connection: &Connection,
        kinds: &[TokenKind],
        status: TokenStatus,
        action: EventAction,
        reason: &'static str,
    ) -> EngineResult<()> {
        for kind in kinds {
            let (id, kind) = (connection.id.clone(), *kind);
            self.store()
                .run(move |s| s.set_token_status(&id, kind, status, Some(reason)))
                .await?;
            self.note(connection, action, Some(kind), Some(reason.to_owned()))
                .await?;
        }
        Ok(())
    }

    async fn note(
        &self,
        connection: &Connection,
        action: EventAction,
        kind: Option<TokenKind>,
        detail: Option<String>,
    ) -> EngineResult<()> {
        let id = connection.id.clone();
        Ok(self
            .store()
            .run(move |s| {
                s.add_event(&NewEvent {
                    connection_id: &id,
                    action,
                    token_kind: kind,
                    outcome: Outcome::Ok,
                    old_expires_at: None,
                    new_expires_at: None,
                    detail,
                    happened: None,
                })
            })
            .await?)
    }
}
