//! The OAuth v2 install: authorize URL (state, PKCE), a loopback callback listener over
//! http or https, the code exchange, and storing bot and user tokens as one connection.

mod authorize;
pub mod callback;
pub mod certificate;
mod error;
mod flow;
pub mod install_state;
pub mod manifest;

pub use authorize::{AuthorizeRequest, authorize_request, authorize_request_with};
pub use error::LoginError;
pub use flow::{LoggedIn, LoginPlan, PendingLogin, SAVE_PATIENCE, default_name};
