//! xox: every Slack OAuth connection in one encrypted file, with rotation, failed-call replay
//! and a terminal dashboard.

pub mod calls;
pub mod cli;
pub mod demo;
pub mod display;
#[cfg(test)]
pub mod fixtures;
pub mod import;
pub mod logging;
pub mod login;
pub mod paths;
pub mod rotation;
pub mod sim;
pub mod slack;
pub mod store;
pub mod tui;
