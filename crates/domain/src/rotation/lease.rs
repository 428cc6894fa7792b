//! The refresh lease seen from the rotator: how long it is held, waiting for another
//! holder, taking it over from one that has exited, and giving it back.

use super::error::RotationError;
use super::rotator::{Fresh, Patience, Rotator, Target, jitter};
use crate::store::{EventAction, Outcome};
use crate::store::{Lease, READ_PATIENCE, TokenState};
use std::time::Duration;

impl Rotator {
    /// Longer than a refresh can take with every attempt timing out and every wait spent,
    /// so a live refresher never loses its lease. A dead one's lease lapses after it, unless
    /// a waiter on the same machine sees that its process has exited (`take_lease`).
    pub fn lease_ttl(&self) -> Duration {
        let attempts = self.policy.attempts.max(1);
        self.client.timeout() * attempts
            + self.policy.max_wait * (attempts - 1)
            + Duration::from_secs(5)
    }

    /// Take the lease, or wait for its holder and return what it stored. `None`: we hold it.
    pub(super) async fn take_lease(
        &self,
        target: &Target,
        still_needed: &(dyn Fn(&TokenState) -> bool + Sync),
        patience: Patience,
    ) -> Result<Option<Fresh>, RotationError> {
        let ttl = self.lease_ttl();
        let started = std::time::Instant::now();
        // Waiters give the holder its whole TTL (plus a poll) before calling it stuck,
        // unless they have a valid token to fall back on.
        let give_up = match patience {
            Patience::Full => ttl + self.policy.poll * 2,
            Patience::Brief(wait) => wait,
        };
        // A backend that pushes commits wakes us when the holder is done; others are polled.
        let mut feed = self.store().run(|s| s.change_feed()).await;
        // Set once an attempt's answer was lost: its `refreshing` row may have landed all
        // the same (a server that restarted just after committing it).
        let mut row_maybe_left = false;
        loop {
            let (id, kind, owner) = (
                target.connection_id.clone(),
                target.kind,
                self.owner.clone(),
            );
            let lease = match self
                .store()
                .run(move |s| s.try_lease(&id, kind, &owner, ttl))
                .await
            {
                // Another process is writing, or the server went away: the lease is as
                // good as busy, and the wait below is bounded like any other.
                Err(e) if e.is_retryable() => {
                    row_maybe_left |= e.may_have_landed();
                    Lease::Busy
                }
                other => other?,
            };
            match lease {
                Lease::Taken => return Ok(None),
                Lease::TakenFromGone(held_by) => {
                    // Refreshing at once, rather than after the lease lapses, is what
                    // gives a crashed refresher's request a chance inside Slack's grace
                    // period for the refresh token it may have spent.
                    let pid = crate::store::lease_owner::pid(&held_by).unwrap_or_default();
                    self.event(
                        target,
                        EventAction::Lease,
                        Outcome::TakenOver,
                        None,
                        format!("the process that was refreshing (pid {pid}) has exited; refreshing at once"),
                    )
                    .await;
                    return Ok(None);
                }
                Lease::Busy => {}
            }
            let pause = self.policy.poll / 2 + jitter(self.policy.poll);
            match feed.as_mut() {
                // Bounded: a lost notification costs a few polls, never the TTL. A holder
                // that dies sends none, so this bound is also how soon it is taken over.
                Some(feed) => {
                    let _ = tokio::time::timeout(pause * 2, feed.changed()).await;
                }
                None => tokio::time::sleep(pause).await,
            }
            let state = self.state(target).await?;
            if !still_needed(&state) {
                // Left behind, a row from before a restart makes every later taker wait
                // out its TTL. Only now is it deleted, with a newer pair stored: the
                // attempt may have written over the row of a holder that the restart cut
                // off but that lives on, and until that holder's pair is stored, its row
                // (or ours in its place) is what keeps others from spending its refresh
                // token again. The delete names this process, so a row written over ours
                // since stays.
                if row_maybe_left {
                    self.release(target).await;
                }
                return Ok(Some(Self::fresh(state, false)));
            }
            if started.elapsed() > give_up {
                return Err(RotationError::InProgressElsewhere {
                    conn: target.connection_name.clone(),
                    kind: target.kind,
                    waited_secs: started.elapsed().as_secs(),
                });
            }
        }
    }

    pub(super) async fn release(&self, target: &Target) {
        let (id, kind, owner) = (
            target.connection_id.clone(),
            target.kind,
            self.owner.clone(),
        );
        // Tried again while the store is out of reach (a restart): a lock that outlives
        // the holder's process keeps waiters waiting out its TTL.
        let _ = self
            .store()
            .run_retrying(READ_PATIENCE, move |s| s.release_lease(&id, kind, &owner))
            .await;
    }
}
