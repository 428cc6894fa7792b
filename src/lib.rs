//! xox: every Slack OAuth connection in one encrypted file, with rotation, failed-call replay
//! and a terminal dashboard.

pub mod slack;
pub mod store;
