//! xox: every Slack OAuth connection in one encrypted store, with rotation, failed-call
//! replay and a terminal dashboard. This crate holds the front ends (`cli`, `tui`, `proxy`),
//! the process's logging and its metrics; they reach everything through `engine` (the
//! `xox-engine` crate), their one door, which owns every workflow and re-exports the model
//! they show.

pub mod cli;
pub use xox_engine as engine;
pub mod logging;
pub mod metrics;
pub mod proxy;
pub mod quick;
pub mod tui;

use engine::{child, cleanup, paths, text};
