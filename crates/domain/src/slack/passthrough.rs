//! A Web API request passed through as an app sent it (query, form, JSON or multipart
//! body), with a live token put in the Authorization header, and Slack's answer handed back
//! as it comes: status, headers, and a body read on demand.

use super::client::{SlackClient, innermost};
use super::error::{CallError, TransportError};
use super::secret::Secret;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use std::time::Duration;

/// The longest an upload may take in all, however steadily it moves.
const UPLOAD_LIMIT: Duration = Duration::from_secs(6 * 3600);

/// What an app asked of `api/{method}`, its credential taken out.
#[derive(Debug, Clone, Default)]
pub struct Passthrough {
    pub get: bool,
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    /// Shared, not copied, on its way to Slack (and again on a retry).
    pub body: Bytes,
}

/// The answer headers an app's SDK reads, passed back unchanged: the body's type, Slack's
/// scope and rate-limit headers, and everything `X-Slack-*`.
pub fn passes_back(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "content-type" | "retry-after" | "x-oauth-scopes" | "x-accepted-oauth-scopes"
    ) || name.starts_with("x-slack-")
}

/// The request headers of a download that pass on: a part, or a copy not already held.
pub fn asks_for_part(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "range" | "if-range" | "if-none-match" | "if-modified-since" | "if-match"
    )
}

/// The answer headers of a download that come back.
fn describes_a_file(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "content-type"
            | "content-length"
            | "content-range"
            | "content-disposition"
            | "accept-ranges"
            | "etag"
            | "last-modified"
            | "cache-control"
    ) || name.starts_with("x-slack-")
}

/// Slack's answer, its body still arriving.
pub struct Streaming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: Body,
}

/// Where the rest of an answer comes from.
enum Body {
    /// An upload's answer, through xox's own client.
    Upload(reqwest::Response),
    /// A relayed Web API answer; each piece is waited for at most the timeout.
    Relayed(hyper::body::Incoming, Duration),
}

/// `headers`, keeping the ones `keep` names.
fn kept(headers: &hyper::HeaderMap, keep: fn(&str) -> bool) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| keep(name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect()
}

impl Streaming {
    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, String>> {
        match &mut self.body {
            Body::Upload(response) => match response.chunk().await {
                Ok(Some(bytes)) => Some(Ok(bytes)),
                Ok(None) => None,
                Err(e) => Some(Err(e.to_string())),
            },
            Body::Relayed(body, timeout) => loop {
                match tokio::time::timeout(*timeout, body.frame()).await {
                    Err(_) => {
                        return Some(Err(format!(
                            "no more of the answer came within {timeout:?}"
                        )));
                    }
                    Ok(None) => return None,
                    Ok(Some(Err(e))) => return Some(Err(e.to_string())),
                    // Trailers carry nothing an app's SDK reads; only data goes on.
                    Ok(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            return Some(Ok(data));
                        }
                    }
                }
            },
        }
    }
}

impl SlackClient {
    /// Stream an upload's bytes on to the upload URL Slack handed out (on another host).
    /// No credential goes with them: the URL is the credential.
    pub async fn forward_upload(
        &self,
        url: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
        body: reqwest::Body,
    ) -> Result<Streaming, CallError> {
        // Not the whole request within the HTTP timeout: a large file on a slow link takes
        // longer, and the caller bounds the time between its pieces instead.
        let mut builder = self.http.post(url).timeout(UPLOAD_LIMIT).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        // The app's framing, kept: with its length the bytes go as one body of that
        // length (upload URLs that read only Content-Length need it), not chunked.
        if let Some(length) = content_length {
            builder = builder.header("content-length", length);
        }
        self.streamed(builder, |name| name.eq_ignore_ascii_case("content-type"))
            .await
    }

    /// Send `request` through xox's own client, its answer streaming with the headers
    /// `keep` names.
    async fn streamed(
        &self,
        request: reqwest::RequestBuilder,
        keep: fn(&str) -> bool,
    ) -> Result<Streaming, CallError> {
        let response = request
            .send()
            .await
            .map_err(|e| CallError::Transport(self.transport_error(&e)))?;
        Ok(Streaming {
            status: response.status().as_u16(),
            headers: kept(response.headers(), keep),
            body: Body::Upload(response),
        })
    }

    /// GET a file's private URL with `token` as the bearer, passing on the app's `Range`
    /// and conditional headers; Slack's answer comes back as it streams, with the headers
    /// a download needs.
    pub async fn private_file(
        &self,
        url: &str,
        token: &Secret,
        headers: &[(String, String)],
    ) -> Result<Streaming, CallError> {
        let mut builder = self
            .http
            .get(url)
            .timeout(UPLOAD_LIMIT)
            .bearer_auth(token.expose());
        for (name, value) in headers.iter().filter(|(n, _)| asks_for_part(n)) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        self.streamed(builder, describes_a_file).await
    }

    /// Send `request` to `api/{method}` with `token` as the bearer, over the relay.
    pub async fn pass_through(
        &self,
        method: &str,
        token: &Secret,
        request: &Passthrough,
    ) -> Result<Streaming, CallError> {
        let relay = self.relay().map_err(CallError::Transport)?;
        let mut url = self.method_url(method)?;
        url.set_query(request.query.as_deref());
        let invalid = |detail: String| CallError::Transport(TransportError::InvalidUrl { detail });
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| invalid("the token cannot go in a header".into()))?;
        // Kept out of hyper's debug output and header compression tables.
        bearer.set_sensitive(true);
        let agent = request
            .user_agent
            .as_deref()
            .unwrap_or(concat!("xox/", env!("CARGO_PKG_VERSION")));
        let mut builder = hyper::Request::builder()
            .method(if request.get { "GET" } else { "POST" })
            .uri(url.as_str())
            .header(AUTHORIZATION, bearer)
            .header(USER_AGENT, agent);
        if let Some(content_type) = &request.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        let body = if request.get {
            Full::default()
        } else {
            Full::new(request.body.clone())
        };
        let outgoing = builder
            .body(body)
            .map_err(|e| invalid(format!("the request cannot be passed on: {e}")))?;
        let timeout = self.timeout();
        let response = match tokio::time::timeout(timeout, relay.request(outgoing)).await {
            Err(_) => {
                return Err(CallError::Transport(TransportError::Timeout {
                    secs: timeout.as_secs(),
                }));
            }
            Ok(Err(e)) if e.is_connect() => {
                return Err(CallError::Transport(TransportError::Connect {
                    detail: innermost(&e),
                }));
            }
            Ok(Err(e)) => {
                return Err(CallError::Transport(TransportError::Dropped {
                    detail: innermost(&e),
                }));
            }
            Ok(Ok(response)) => response,
        };
        let (head, body) = response.into_parts();
        Ok(Streaming {
            status: head.status.as_u16(),
            headers: kept(&head.headers, passes_back),
            body: Body::Relayed(body, timeout),
        })
    }
}
