//! A URL hook: the event POSTed as JSON, signed as Slack signs its requests (`v0` HMAC of
//! timestamp and body) under the hook's secret, never redirected.

use crate::slack::Secret;
use crate::slack::signature::sign;
use crate::store::hooks::{HookDelivery, TryResult};
use std::time::Duration;

/// The HTTP client hooks are POSTed with: made once per process.
#[derive(Clone)]
pub struct HookClient(reqwest::Client);

impl HookClient {
    pub fn new() -> Result<HookClient, String> {
        reqwest::Client::builder()
            // A redirect would send a signed event somewhere the hook did not name.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("xox-hooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(HookClient)
            .map_err(|e| e.without_url().to_string())
    }

    pub(super) async fn post(
        &self,
        url: &str,
        secret: Option<&Secret>,
        delivery: &HookDelivery,
        body: String,
        cut_off: Duration,
    ) -> TryResult {
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = self
            .0
            .post(url)
            .timeout(cut_off)
            .header("content-type", "application/json")
            .header("x-xox-delivery", delivery.id.to_string())
            .header("x-xox-event", delivery.event.as_str())
            .header("x-xox-request-timestamp", timestamp.to_string());
        if let Some(secret) = secret {
            let signature = sign(secret.expose(), timestamp, body.as_bytes());
            request = request.header("x-xox-signature", signature);
        }
        // The URL may carry a credential of the receiver's: no error here names it.
        match request.body(body).send().await {
            Ok(answer) => TryResult {
                delivered: answer.status().is_success(),
                detail: format!("HTTP {}", answer.status().as_u16()),
            },
            Err(e) => TryResult {
                delivered: false,
                detail: if e.is_timeout() {
                    format!("no answer within {}s", cut_off.as_secs())
                } else if e.is_connect() {
                    "could not connect".into()
                } else {
                    "the request failed".into()
                },
            },
        }
    }
}
