//! Slack's requests passed on to an app's own endpoint, byte for byte with Slack's
//! headers (its signature among them, so the app's own check passes), and the app's
//! answer brought back within the time Slack gives it.

use super::client::SlackClient;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The largest answer an app may give Slack through xox.
const MAX_ANSWER: usize = 1024 * 1024;

/// The headers of Slack's request that reach the app: what it signs and what it says.
pub fn forwards(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "content-type" | "user-agent") || name.starts_with("x-slack-")
}

/// The headers of the app's answer that go back to Slack.
fn answers(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "content-type" || name.starts_with("x-slack-")
}

/// The app's answer.
#[derive(Debug, Clone)]
pub struct AppAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardError {
    /// No whole answer within the time Slack waits.
    Late,
    /// The endpoint could not be reached, or its answer was unusable (too large, broken).
    Unreachable(String),
}

impl SlackClient {
    /// POST `body` to the app's `url` with Slack's `headers`, and read its whole answer
    /// within `within`.
    pub async fn forward_to_app(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Bytes,
        within: Duration,
    ) -> Result<AppAnswer, ForwardError> {
        let started = Instant::now();
        let mut request = self.http.post(url).timeout(within).body(body);
        for (name, value) in headers.iter().filter(|(n, _)| forwards(n)) {
            request = request.header(name.as_str(), value.as_str());
        }
        let late_or = |e: reqwest::Error| {
            if e.is_timeout() {
                ForwardError::Late
            } else {
                ForwardError::Unreachable(super::client::innermost(&e))
            }
        };
        let mut response = request.send().await.map_err(late_or)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| answers(name.as_str()))
            .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
            .collect();
        let mut read = Vec::new();
        loop {
            let left = within.saturating_sub(started.elapsed());
            match tokio::time::timeout(left, response.chunk()).await {
                Err(_) => return Err(ForwardError::Late),
                Ok(Err(e)) => return Err(late_or(e)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(piece))) => {
                    read.extend_from_slice(&piece);
                    if read.len() > MAX_ANSWER {
                        return Err(ForwardError::Unreachable(
                            "the app's answer is larger than 1 MiB".into(),
                        ));
                    }
                }
            }
        }
        Ok(AppAnswer {
            status,
            headers,
            body: Bytes::from(read),
        })
    }
}
