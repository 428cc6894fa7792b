//! The Slack protocol: token kinds, secrets, scopes, error taxonomy, answers, the Web API client.

pub mod app_forward;
pub mod app_request;
pub mod catalogue;
pub mod client;
pub mod error;
pub mod error_code;
pub mod file_urls;
pub mod grant;
mod grant_sweep;
pub mod import_input;
pub mod passthrough;
pub mod pkce;
mod relay;
pub mod response;
pub mod scopes;
pub mod sdk_store;
pub mod secret;
pub mod signature;
pub mod token;

pub use client::{ClientCredentials, SlackClient};
pub use error::{ApiError, CallError, TransportError};
pub use error_code::{ErrorClass, ErrorCode};
pub use grant::{Grant, GrantShape, GrantedToken, parse_grant};
pub use response::ApiResponse;
pub use scopes::Scopes;
pub use secret::Secret;
pub use token::{TokenKind, TokenType};
