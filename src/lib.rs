//! xox: every Slack OAuth connection in one encrypted store, with rotation, failed-call
//! replay and a terminal dashboard. Front ends (`cli`, `tui`) call the `engine`, which owns
//! every workflow; below it the domain (`slack`, `rotation`, `login`, `calls`, `store`,
//! `sim`).

pub mod calls;
pub mod child;
pub mod cleanup;
pub mod cli;
pub mod engine;
pub mod logging;
pub mod login;
pub mod paths;
pub mod proxy;
pub mod rotation;
pub mod sim;
pub mod slack;
pub mod store;
pub mod text;
pub mod tui;
