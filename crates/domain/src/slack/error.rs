//! What can go wrong talking to Slack: an API error Slack answered, or a transport failure.

use super::error_code::ErrorCode;
use super::scopes::Scopes;
use std::fmt;

/// Slack answered `{"ok": false, ...}` (or HTTP 429).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub method: String,
    pub code: ErrorCode,
    pub http_status: u16,
    /// `needed` / `provided` from a `missing_scope` body.
    pub needed: Option<Scopes>,
    pub provided: Option<Scopes>,
    /// `X-OAuth-Scopes`: the scopes the calling token holds.
    pub token_scopes: Option<Scopes>,
    /// `X-Accepted-OAuth-Scopes`: the scopes the method accepts.
    pub accepted_scopes: Option<Scopes>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    pub body: serde_json::Value,
}

/// The request never produced a Slack answer we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    Timeout {
        secs: u64,
    },
    Connect {
        detail: String,
    },
    /// The connection closed before the whole answer arrived.
    Dropped {
        detail: String,
    },
    /// Something that is not Slack JSON: a proxy's HTML error page, an empty body, junk.
    NotJson {
        status: u16,
        what: String,
    },
    InvalidUrl {
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    Api(Box<ApiError>),
    Transport(TransportError),
}

impl CallError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            CallError::Api(e) => Some(e),
            CallError::Transport(_) => None,
        }
    }

    /// Worth trying again later with the same credentials: nothing says they are bad.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Api(e) => {
                e.http_status >= 500
                    || matches!(
                        e.code,
                        ErrorCode::Ratelimited
                            | ErrorCode::InternalError
                            | ErrorCode::FatalError
                            | ErrorCode::ServiceUnavailable
                            | ErrorCode::RequestTimeout
                            | ErrorCode::TeamAddedToOrg
                    )
            }
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slack answered {} to {}", self.code, self.method)?;
        if let Some(meaning) = self.code.meaning() {
            write!(f, ": {meaning}")?;
        }
        if let Some(needed) = &self.needed {
            write!(f, " (needed: {needed}")?;
            match &self.provided {
                Some(provided) if !provided.is_empty() => write!(f, "; provided: {provided})")?,
                _ => write!(f, "; provided: none)")?,
            }
        }
        if let Some(secs) = self.retry_after {
            write!(f, " (retry after {secs}s)")?;
        }
        Ok(())
    }
}

/// How a recorded transport failure begins when the request never left: the failed-call
/// log keeps the sentence, and the hints read this much of it back.
pub const UNREACHED: &str = "could not reach Slack: ";

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout { secs } => {
                write!(f, "Slack did not answer within {secs}s")
            }
            TransportError::Connect { detail } => write!(f, "{UNREACHED}{detail}"),
            TransportError::Dropped { detail } => {
                write!(
                    f,
                    "the connection to Slack closed before the answer was complete: {detail}"
                )
            }
            TransportError::NotJson { status, what } => {
                write!(
                    f,
                    "Slack answered HTTP {status} with {what} instead of JSON"
                )
            }
            TransportError::InvalidUrl { detail } => write!(f, "bad Slack URL: {detail}"),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Api(e) => e.fmt(f),
            CallError::Transport(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CallError {}
impl std::error::Error for TransportError {}
