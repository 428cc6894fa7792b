//! The proxy's way to Slack: hyper's pooled keep-alive client over rustls, made on first
//! use. Relayed requests go as they came, without the redirect and retry layers of the
//! client xox uses for its own calls, which cost each request a second parse of its URL.

use super::error::TransportError;
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

pub(super) type Relay = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A relay that verifies Slack's certificate as the platform does (as xox's own client
/// does), and speaks plain HTTP only where the base URL says so (the simulator).
pub(super) fn relay(connect_timeout: Duration) -> Result<Relay, TransportError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    let https = HttpsConnectorBuilder::new()
        .try_with_platform_verifier()
        .map_err(|e| TransportError::Connect {
            detail: format!("cannot set up TLS: {e}"),
        })?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}
