//! How a process asks its refreshes to stop: the first request lets every pair Slack is
//! issuing finish and save; a second gives up on a save that keeps failing.

use std::sync::Arc;
use tokio::sync::watch;

/// How far a stop has gone; each request moves one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    Running,
    /// Start nothing new; let rotations in flight finish and save.
    Finish,
    /// Give up now, even on a rotated pair whose save keeps failing.
    Abandon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    level: StopLevel,
    /// Rotations between taking the lease and saving (or giving up on) the new pair.
    in_flight: usize,
}

/// Shared by every rotator of a process and by its front end.
#[derive(Debug, Clone)]
pub struct Stop {
    state: Arc<watch::Sender<State>>,
}

impl Default for Stop {
    fn default() -> Stop {
        Stop {
            state: Arc::new(watch::Sender::new(State {
                level: StopLevel::Running,
                in_flight: 0,
            })),
        }
    }
}

/// Held while a rotation is in flight; dropping it counts the rotation done.
pub struct InFlight {
    state: Arc<watch::Sender<State>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state.send_modify(|s| s.in_flight -= 1);
    }
}

impl Stop {
    /// Move one step towards stopping; returns the new level.
    pub fn request(&self) -> StopLevel {
        let mut level = StopLevel::Running;
        self.state.send_modify(|s| {
            s.level = match s.level {
                StopLevel::Running => StopLevel::Finish,
                _ => StopLevel::Abandon,
            };
            level = s.level;
        });
        level
    }

    pub fn level(&self) -> StopLevel {
        self.state.borrow().level
    }

    /// Resolves once a stop has reached `level`.
    pub async fn reached(&self, level: StopLevel) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|s| s.level >= level).await;
    }

    /// Resolves once nothing is in flight. Bounded: a rotation ends within its HTTP
    /// attempts, and a save given up on (`Abandon`) ends once its loss is recorded.
    pub async fn settled(&self) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|s| s.in_flight == 0).await;
    }

    pub fn in_flight(&self) -> usize {
        self.state.borrow().in_flight
    }

    pub fn enter(&self) -> InFlight {
        self.state.send_modify(|s| s.in_flight += 1);
        InFlight {
            state: self.state.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_escalate_and_settle_waits_for_flights() {
        let stop = Stop::default();
        let flight = stop.enter();
        assert_eq!(stop.request(), StopLevel::Finish);
        let settled = tokio::time::timeout(std::time::Duration::from_millis(20), stop.settled());
        assert!(
            settled.await.is_err(),
            "settled while a rotation was in flight"
        );
        drop(flight);
        stop.settled().await;
        assert_eq!(stop.request(), StopLevel::Abandon);
        assert_eq!(stop.request(), StopLevel::Abandon);
    }
}
