//! The simulator's state, shared by the HTTP handlers and the control API.

use super::faults::Faults;
use super::world::World;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
pub struct SimState {
    pub world: World,
    pub faults: Faults,
}

/// Shared by every request. A plain mutex: no handler holds it across an await.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<SimState>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic in one handler must not take the whole simulator down with poison.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
