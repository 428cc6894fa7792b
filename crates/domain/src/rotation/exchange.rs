//! Exchange (long-lived to rotating, once and for good) and revoke: the two irreversible
//! things xox does to a token.

use super::error::RotationError;
use super::rotator::{Fresh, Patience, Rotator, Target, granted_token};
use crate::slack::CallError;
use crate::store::{EventAction, Outcome};
use crate::store::{TokenState, TokenStatus};

impl Rotator {
    /// `auth.revoke` the token and mark it revoked, with an event. For rotating apps Slack
    /// revokes just this token; for others it may look to Slack as if the app was removed.
    pub async fn revoke(&self, target: &Target) -> Result<(), RotationError> {
        let state = self.state(target).await?;
        if let Err(error) = self.client.call("auth.revoke", &state.access, &[]).await {
            self.event(
                target,
                EventAction::Revoke,
                Outcome::failed(error.api().map(|e| &e.code)),
                state.expires_at,
                error.to_string(),
            )
            .await;
            return Err(RotationError::Slack(error));
        }
        self.mark(target, TokenStatus::Revoked, "revoked with auth.revoke")
            .await?;
        self.event(
            target,
            EventAction::Revoke,
            Outcome::Ok,
            state.expires_at,
            format!("{} revoked", state.access.redacted()),
        )
        .await;
        Ok(())
    }

    /// Turn a long-lived token into a rotating pair (`oauth.v2.exchange`). Irreversible;
    /// never retried (a lost answer means Slack exchanged it anyway); the old token is not
    /// revoked, since that can uninstall the app.
    pub async fn exchange(&self, target: &Target) -> Result<Fresh, RotationError> {
        let state = self.state(target).await?;
        if state.refresh.is_some() || state.expires_at.is_some() {
            return Err(RotationError::Exchange(format!(
                "the {} token of {} is already rotating; `xox refresh` refreshes it",
                target.kind, target.connection_name
            )));
        }
        let _flight = self.flights.enter(&target.connection_id, target.kind).await;
        let generation = state.generation;
        let unchanged = |s: &TokenState| s.generation == generation;
        if let Some(done) = self.take_lease(target, &unchanged, Patience::Full).await? {
            return Ok(done);
        }
        let _in_flight = self.stop.enter();
        let state = self.state(target).await?;
        let creds = match self.ready_to_rotate(target).await {
            Ok(c) if c.client_secret.is_some() => c,
            other => {
                self.release(target).await;
                other?;
                return Err(RotationError::Exchange(
                    "oauth.v2.exchange needs the app's client secret, and this app has none (PKCE)"
                        .into(),
                ));
            }
        };
        let answer = self
            .client
            .oauth(
                "oauth.v2.exchange",
                &creds,
                &[("token", state.access.expose())],
            )
            .await;
        match answer {
            Ok(answer) => match granted_token(&answer.body, target.kind) {
                Ok(granted) => {
                    self.commit(target, &state, granted, EventAction::Exchange)
                        .await
                }
                Err(e) => {
                    self.release(target).await;
                    Err(e)
                }
            },
            Err(error) => {
                let outcome = Outcome::failed(error.api().map(|e| &e.code));
                self.event(
                    target,
                    EventAction::Exchange,
                    outcome,
                    state.expires_at,
                    error.to_string(),
                )
                .await;
                self.release(target).await;
                let message = match error.api().and_then(|e| e.code.exchange_refusal()) {
                    Some(sentence) => sentence.to_owned(),
                    None if !matches!(error, CallError::Api(_)) => format!(
                        "{error}; Slack may have exchanged the token anyway: if a new try says token_already_exchanged, install the app again"
                    ),
                    None => error.to_string(),
                };
                Err(RotationError::Exchange(message))
            }
        }
    }
}
