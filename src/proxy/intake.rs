//! Taking in an app's request body only as far as its credential allows: a body behind a
//! key the proxy does not know is never read; one that may carry its key inside is read
//! within a small cap, from a budget all such bodies share; and every body within a time
//! limit. Nobody without a key can make the proxy hold their bytes for long.

use super::credential;
use super::listen::Engagement;
use crate::engine::{Engine, Secret, Stop, StopLevel, TokenType};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a request body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a body read before its key is known (a key in a form or JSON field).
const KEYLESS_BODY: usize = 64 * 1024;
/// What all bodies read before their key is known may hold together, in KiB.
const KEYLESS_BUDGET_KIB: usize = 16 * 1024;

/// Why a body was not taken in; each has its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A key in the header that is not one of the proxy's (or a Slack token): Slack's
    /// `invalid_auth`, and the body is never read.
    UnknownKey,
    /// Larger than the proxy takes (`--max-body`, or the keyless cap): 413.
    TooLarge,
    /// Not all there within the time limit: 408.
    TooSlow,
    /// The store could not say whether the key is known, the keyless budget is spent for
    /// now, or the proxy is stopping: 503, which clients retry.
    Unavailable,
}

pub struct Intake {
    max_body: usize,
    keyless: Arc<Semaphore>,
}

impl Intake {
    pub fn new(max_body: usize) -> Intake {
        Intake {
            max_body,
            keyless: Arc::new(Semaphore::new(KEYLESS_BUDGET_KIB)),
        }
    }

    /// The request's body, once its credential allows it to be read.
    pub async fn read(
        &self,
        engine: &Engine,
        headers: &HeaderMap,
        body: Body,
        engagement: Option<&Engagement>,
    ) -> Result<Bytes, Refusal> {
        let header_key = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(credential::bearer);
        let Some(key) = header_key else {
            // The key may be in the body: read a little of it, from the shared budget.
            let permits = (KEYLESS_BODY / 1024) as u32;
            let _held = self
                .keyless
                .clone()
                .try_acquire_many_owned(permits)
                .map_err(|_| Refusal::Unavailable)?;
            return bounded(body, KEYLESS_BODY, engine.stop()).await;
        };
        if TokenType::classify(key) != TokenType::Unknown {
            return Err(Refusal::UnknownKey);
        }
        match engine.proxy_key_known(&Secret::new(key)).await {
            Ok(true) => {}
            Ok(false) => return Err(Refusal::UnknownKey),
            Err(e) => {
                tracing::warn!(error = %e, "could not check a proxy key");
                return Err(Refusal::Unavailable);
            }
        }
        if let Some(Engagement(engaged)) = engagement {
            engaged.store(true, Ordering::Relaxed);
        }
        bounded(body, self.max_body, engine.stop()).await
    }
}

/// `body` whole, if it is at most `limit` bytes and arrives within the time limit. A stop
/// ends the wait: a stop waits for requests at Slack, not for bodies still to come.
async fn bounded(body: Body, limit: usize, stop: &Stop) -> Result<Bytes, Refusal> {
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit));
    tokio::select! {
        read = read => match read {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) => Err(Refusal::TooLarge),
            Err(_) => Err(Refusal::TooSlow),
        },
        () = stop.reached(StopLevel::Finish) => Err(Refusal::Unavailable),
    }
}
