//! Saving a pair Slack has issued: compare-and-swap with its event, retried while the
//! database is locked or the disk is full, and the loss recorded if it is given up.

use super::error::RotationError;
use super::rotator::{Fresh, Rotator, Target, jitter};
use super::stop::StopLevel;
use crate::slack::GrantedToken;
use crate::store::{CommitOutcome, StoreResult, TokenState, TokenStatus};
use crate::store::{EventAction, Outcome};
use std::time::Duration;

impl Rotator {
    /// Save `granted` over the generation `old` was read at, releasing the lease with it;
    /// the token the caller may use now.
    pub(super) async fn commit(
        &self,
        target: &Target,
        old: &TokenState,
        granted: GrantedToken,
        action: EventAction,
    ) -> Result<Fresh, RotationError> {
        let (id, generation, owner) = (
            target.connection_id.clone(),
            old.generation,
            self.owner.clone(),
        );
        let access = granted.access.clone();
        let outcome = self
            .save_pair(target, id, granted, generation, action, owner)
            .await;
        match outcome {
            Ok(CommitOutcome::Written { expires_at }) => {
                tracing::info!(connection = %target.connection_name, kind = %target.kind, action = %action, "stored a new token pair");
                Ok(Fresh {
                    access,
                    expires_at,
                    refreshed: true,
                })
            }
            Ok(CommitOutcome::Superseded) => Ok(Self::fresh(self.state(target).await?, false)),
            Err(e) => {
                // The new pair is lost with this error, the worst case: the old refresh
                // token is spent. Say so in the status and the trail, at once.
                tracing::error!(connection = %target.connection_name, kind = %target.kind, error = %e, "could not store a rotated token pair");
                let reason = format!("Slack issued a new pair that could not be saved ({e})");
                self.mark_lost(target, &reason).await;
                self.event(target, action, Outcome::Lost, old.expires_at, reason)
                    .await;
                self.release(target).await;
                Err(e.into())
            }
        }
    }

    /// Write a pair Slack has issued, retrying while the database is locked or the disk is
    /// full, for as long as the process lives and is not told twice to stop: the old refresh
    /// token is already spent, so giving up loses the connection.
    async fn save_pair(
        &self,
        target: &Target,
        id: String,
        granted: GrantedToken,
        generation: i64,
        action: EventAction,
        owner: String,
    ) -> StoreResult<CommitOutcome> {
        let mut pause = Duration::from_millis(50);
        loop {
            let (id, granted, owner) = (id.clone(), granted.clone(), owner.clone());
            let outcome = self
                .store()
                .run(move |s| s.commit_rotation(&id, &granted, generation, action, &owner))
                .await;
            match outcome {
                Err(e) if e.is_retryable() && self.stop.level() < StopLevel::Abandon => {
                    tracing::warn!(connection = %target.connection_name, kind = %target.kind, error = %e, "saving a rotated token pair; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(pause + jitter(pause)) => {}
                        _ = self.stop.reached(StopLevel::Abandon) => return Err(e),
                    }
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    /// Say in the token's status that its pair was lost. The database may still be locked
    /// (that may be why), so this keeps trying for a few busy timeouts.
    async fn mark_lost(&self, target: &Target, reason: &str) {
        for _ in 0..5 {
            match self.mark(target, TokenStatus::NeedsReauth, reason).await {
                Err(e) if e.is_retryable() => tokio::time::sleep(Duration::from_millis(200)).await,
                _ => return,
            }
        }
    }
}
