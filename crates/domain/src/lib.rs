//! xox's domain: the Slack protocol (`slack`), rotation (`rotation`), the install
//! (`login`), what a call needs and why it failed (`calls`), the storage seam and its
//! backends (`store`) and the Slack simulator (`sim`), with small helpers beside them. Only
//! the engine depends on this crate; the front ends cannot name it.

pub mod calls;
pub mod child;
pub mod cleanup;
pub mod delivery;
pub mod listener;
pub mod login;
pub mod paths;
pub mod rotation;
pub mod sim;
pub mod slack;
pub mod store;
pub mod text;
