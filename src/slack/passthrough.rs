//! A Web API request passed through as an app sent it (query, form, JSON or multipart
//! body), with a live token put in the Authorization header, and Slack's answer handed back
//! as it comes: status, headers, and a body read on demand.

use super::client::SlackClient;
use super::error::CallError;
use super::secret::Secret;
use bytes::Bytes;

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

/// Slack's answer, its body still arriving.
pub struct Streaming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    response: reqwest::Response,
}

impl Streaming {
    /// `response`, keeping the headers `keep` names.
    fn of(response: reqwest::Response, keep: fn(&str) -> bool) -> Streaming {
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| keep(name.as_str()))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        Streaming {
            status: response.status().as_u16(),
            headers,
            response,
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, String>> {
        match self.response.chunk().await {
            Ok(Some(bytes)) => Some(Ok(bytes)),
            Ok(None) => None,
            Err(e) => Some(Err(e.to_string())),
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
        body: reqwest::Body,
    ) -> Result<Streaming, CallError> {
        let mut builder = self.http.post(url).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| CallError::Transport(self.transport_error(&e)))?;
        Ok(Streaming::of(response, |name| {
            name.eq_ignore_ascii_case("content-type")
        }))
    }

    /// Send `request` to `api/{method}` with `token` as the bearer.
    pub async fn pass_through(
        &self,
        method: &str,
        token: &Secret,
        request: &Passthrough,
    ) -> Result<Streaming, CallError> {
        let mut url = self.method_url(method)?;
        url.set_query(request.query.as_deref());
        let mut builder = if request.get {
            self.http.get(url)
        } else {
            self.http.post(url).body(request.body.clone())
        };
        builder = builder.bearer_auth(token.expose());
        if let Some(content_type) = &request.content_type {
            builder = builder.header("content-type", content_type);
        }
        if let Some(agent) = &request.user_agent {
            builder = builder.header("user-agent", agent);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| CallError::Transport(self.transport_error(&e)))?;
        Ok(Streaming::of(response, passes_back))
    }
}
