//! `SlackClient`: Web API and OAuth requests over HTTPS (or loopback HTTP to the simulator).

use super::error::{CallError, TransportError};
use super::relay::Relay;
use super::response::{AnswerHeaders, ApiResponse, parse_answer};
use super::secret::Secret;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use url::Url;

pub const DEFAULT_SLACK_URL: &str = "https://slack.com";
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest wait for a connection to open, whatever the request's own timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An app's client credentials. PKCE apps are public clients and have no secret.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct SlackClient {
    pub(super) http: reqwest::Client,
    /// The proxy's client, made when the proxy starts (or at its first relay): the
    /// commands that never relay (most of them) do not pay for a second TLS client.
    relay: Arc<OnceLock<Relay>>,
    base: Url,
    timeout: Duration,
}

impl SlackClient {
    pub fn new(base: &str, timeout: Duration) -> Result<SlackClient, TransportError> {
        let mut base = Url::parse(base).map_err(|e| TransportError::InvalidUrl {
            detail: format!("{base:?}: {e}"),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(TransportError::InvalidUrl {
                detail: format!("{base} is not an http(s) URL"),
            });
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .user_agent(concat!("xox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Connect {
                detail: innermost(&e),
            })?;
        Ok(SlackClient {
            http,
            relay: Default::default(),
            base,
            timeout,
        })
    }

    /// GET `url` as a browser would, following its redirects, and read nothing of the
    /// answer: a demo's authorize link, which the simulator consents to at once.
    pub async fn visit(&self, url: &str) -> Result<(), TransportError> {
        self.http
            .get(url)
            .send()
            .await
            .map_err(|e| TransportError::Connect {
                detail: innermost(&e),
            })?;
        Ok(())
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The relay, made now if it is not made yet. A failure to make it (out of file
    /// descriptors, the certificates unreadable for a moment) is never kept: the next
    /// request tries again, so one bad moment cannot break the proxy until a restart.
    pub(super) fn relay(&self) -> Result<&Relay, TransportError> {
        if let Some(relay) = self.relay.get() {
            return Ok(relay);
        }
        let relay = super::relay::relay(self.connect_timeout())?;
        Ok(self.relay.get_or_init(|| relay))
    }

    /// Make the relay before any request needs it: at the proxy's start descriptors are
    /// plenty, while a first burst of traffic may have used them all up.
    pub fn prepare_relay(&self) -> Result<(), TransportError> {
        self.relay().map(drop)
    }

    fn connect_timeout(&self) -> Duration {
        self.timeout.min(CONNECT_TIMEOUT)
    }

    /// `{base}/oauth/v2/authorize`, where the browser goes to install an app.
    pub fn authorize_url(&self) -> Url {
        self.base
            .join("oauth/v2/authorize")
            .expect("a fixed relative path joins onto an http(s) base")
    }

    pub(super) fn method_url(&self, method: &str) -> Result<Url, CallError> {
        let valid = !method.is_empty()
            && method
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        if !valid {
            return Err(CallError::Transport(TransportError::InvalidUrl {
                detail: format!("{method:?} is not a Slack method name"),
            }));
        }
        // Segments pushed onto the checked base, rather than a join that parses the
        // whole URL again: the proxy builds one of these per request.
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("the base was checked to be an http(s) URL")
            .pop_if_empty()
            .push("api")
            .push(method);
        Ok(url)
    }

    /// Call a Web API method with a form body and the token in the Authorization header
    /// (Slack refuses tokens in the query string).
    pub async fn call(
        &self,
        method: &str,
        token: &Secret,
        params: &[(String, String)],
    ) -> Result<ApiResponse, CallError> {
        let request = self
            .http
            .post(self.method_url(method)?)
            .bearer_auth(token.expose())
            .form(params);
        self.send(method, request).await
    }

    /// Call a Web API method with a JSON body (Slack requires the Bearer header for these).
    pub async fn call_json(
        &self,
        method: &str,
        token: &Secret,
        body: &serde_json::Value,
    ) -> Result<ApiResponse, CallError> {
        let request = self
            .http
            .post(self.method_url(method)?)
            .bearer_auth(token.expose())
            .json(body);
        self.send(method, request).await
    }

    /// Call a method that takes no token and no client credentials, only its form
    /// (`tooling.tokens.rotate`, whose refresh token is the credential).
    pub async fn form(
        &self,
        method: &str,
        params: &[(&str, &str)],
    ) -> Result<ApiResponse, CallError> {
        let request = self.http.post(self.method_url(method)?).form(params);
        self.send(method, request).await
    }

    /// Call an `oauth.v2.*` method. Client credentials go in HTTP Basic, as Slack recommends;
    /// a public (PKCE) client has no secret and sends its client id in the form instead.
    pub async fn oauth(
        &self,
        method: &str,
        credentials: &ClientCredentials,
        params: &[(&str, &str)],
    ) -> Result<ApiResponse, CallError> {
        let mut form: Vec<(&str, &str)> = params.to_vec();
        let mut request = self.http.post(self.method_url(method)?);
        match &credentials.client_secret {
            Some(secret) => {
                request = request.basic_auth(&credentials.client_id, Some(secret.expose()));
            }
            None => form.push(("client_id", &credentials.client_id)),
        }
        self.send(method, request.form(&form)).await
    }

    async fn send(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<ApiResponse, CallError> {
        let response = request
            .send()
            .await
            .map_err(|e| CallError::Transport(self.transport_error(&e)))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let headers = AnswerHeaders {
            content_type: header("content-type"),
            oauth_scopes: header("x-oauth-scopes"),
            accepted_oauth_scopes: header("x-accepted-oauth-scopes"),
            retry_after: header("retry-after"),
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| CallError::Transport(self.transport_error(&e)))?;
        tracing::debug!(method, status, bytes = body.len(), "slack answered");
        parse_answer(method, status, &headers, &body)
    }

    pub(super) fn transport_error(&self, e: &reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout {
                secs: self.timeout.as_secs(),
            }
        } else if e.is_connect() {
            TransportError::Connect {
                detail: innermost(e),
            }
        } else {
            TransportError::Dropped {
                detail: innermost(e),
            }
        }
    }
}

/// The most specific message in an error's chain ("connection refused"), without the
/// request URL that reqwest puts in front.
pub(super) fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_a_trailing_slash_and_joins() {
        let c = SlackClient::new("http://127.0.0.1:9/prefix", DEFAULT_HTTP_TIMEOUT).unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/prefix/");
        assert_eq!(
            c.method_url("auth.test").unwrap().as_str(),
            "http://127.0.0.1:9/prefix/api/auth.test"
        );
        assert_eq!(
            c.authorize_url().as_str(),
            "http://127.0.0.1:9/prefix/oauth/v2/authorize"
        );
    }

    #[test]
    fn rejects_bad_base_urls_and_method_names() {
        assert!(SlackClient::new("slack.com", DEFAULT_HTTP_TIMEOUT).is_err());
        assert!(SlackClient::new("ftp://slack.com", DEFAULT_HTTP_TIMEOUT).is_err());
        let c = SlackClient::new(DEFAULT_SLACK_URL, DEFAULT_HTTP_TIMEOUT).unwrap();
        assert!(c.method_url("../admin").is_err());
        assert!(c.method_url("").is_err());
    }
}
