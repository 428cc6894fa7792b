//! What every listener of xox's shares against a hostile network: a cap on the connections
//! served at once, past which the oldest idle one is dropped first, and accept errors (out
//! of descriptors, say) waited out briefly rather than ending the listener.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The pause after a failed accept before trying again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Set once a connection has done something worth keeping at the cap (sent a request the
/// server took on); until then it goes first when room is needed.
pub type Engaged = Arc<AtomicBool>;

/// The next connection. A failed accept is waited out and tried again: a local process
/// that uses up the descriptors must not be able to shut the listener down.
pub async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
        }
    }
}

/// The soft limit on this process's open files (Linux), for sizing a cap.
pub fn descriptor_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connections being served, oldest first, so that a flood of idle ones cannot keep
/// others out: at the cap, the oldest that is not engaged is dropped (else the oldest).
pub struct OpenConnections {
    cap: usize,
    next_id: u64,
    open: VecDeque<(u64, AbortHandle, Engaged)>,
}

impl OpenConnections {
    pub fn with_cap(cap: usize) -> OpenConnections {
        OpenConnections {
            cap: cap.max(1),
            next_id: 0,
            open: VecDeque::new(),
        }
    }

    /// Drop a connection if the cap is reached, and return an id for the next.
    pub fn make_room(&mut self) -> u64 {
        if self.open.len() >= self.cap {
            let victim = self
                .open
                .iter()
                .position(|(_, _, engaged)| !engaged.load(Ordering::Relaxed))
                .unwrap_or(0);
            if let Some((_, task, _)) = self.open.remove(victim) {
                task.abort();
            }
        }
        self.next_id += 1;
        self.next_id
    }

    pub fn admit(&mut self, id: u64, task: AbortHandle, engaged: Engaged) {
        self.open.push_back((id, task, engaged));
    }

    pub fn forget(&mut self, id: u64) {
        self.open.retain(|(open, _, _)| *open != id);
    }

    /// Drop every connection that is not engaged: at a stop, clients that have sent
    /// nothing worth serving are not waited for.
    pub fn close_idle(&mut self) {
        self.open.retain(|(_, task, engaged)| {
            let keep = engaged.load(Ordering::Relaxed);
            if !keep {
                task.abort();
            }
            keep
        });
    }

    pub fn close_all(&mut self) {
        for (_, task, _) in self.open.drain(..) {
            task.abort();
        }
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_oldest_idle_connection_goes_first() {
        let cap = 8;
        let mut open = OpenConnections::with_cap(cap);
        let mut tasks = Vec::new();
        for i in 0..cap {
            let id = open.make_room();
            let task = tokio::spawn(std::future::pending::<()>());
            // The first two are engaged; the third is the oldest idle one.
            open.admit(id, task.abort_handle(), Arc::new(AtomicBool::new(i < 2)));
            tasks.push(task);
        }
        open.make_room();
        assert_eq!(open.len(), cap - 1);
        let dropped = tasks.remove(2);
        assert!(dropped.await.unwrap_err().is_cancelled());
        assert!(tasks.iter().all(|t| !t.is_finished()));
        // A stop drops the idle ones and keeps the engaged.
        open.close_idle();
        assert_eq!(open.len(), 2);
        open.close_all();
        assert!(open.is_empty());
        for task in tasks {
            assert!(task.await.unwrap_err().is_cancelled());
        }
    }

    #[test]
    fn the_descriptor_limit_is_read() {
        assert!(descriptor_limit().is_some_and(|n| n > 0));
    }
}
