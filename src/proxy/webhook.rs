//! `POST /hooks/CONN`: an app posts through a connection's incoming webhook with a key in
//! the `Authorization` header, and gets the webhook host's plain-text answer. The app never
//! holds the webhook's URL.

use super::intake::Refusal;
use super::tally::Counted;
use super::{Proxy, credential};
use crate::engine::WebhookPost;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Webhook hosts answer in plain text: so does the proxy for them.
fn plain(status: u16, text: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain")],
        text.to_owned(),
    )
        .into_response()
}

pub(super) async fn post(
    State(proxy): State<Proxy>,
    Path(conn): Path<String>,
    incoming: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = incoming.into_parts();
    let headers = parts.headers;
    // The key comes in the header, so the body of a request without one is never read.
    let Some(key) = credential::header_key(&headers) else {
        proxy.refused("webhook", 403, "invalid_token", started);
        return plain(403, "invalid_token");
    };
    let body = match proxy.read_body(&parts.extensions, &headers, body).await {
        Ok(body) => body,
        Err(refusal) => {
            let (status, error) = match refusal {
                Refusal::UnknownKey => (403, "invalid_token"),
                Refusal::TooLarge => (413, "too_large"),
                Refusal::TooSlow => (408, "too_slow"),
                Refusal::Unavailable => (503, "service_unavailable"),
            };
            proxy.refused("webhook", status, error, started);
            return plain(status, error);
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let posted = match proxy
        .engine
        .post_to_webhook(&key, &conn, content_type, body)
        .await
    {
        Ok(posted) => posted,
        Err(e) => {
            tracing::warn!(error = %e, "proxy could not post through a webhook");
            proxy.refused("webhook", 503, "service_unavailable", started);
            return plain(503, "service_unavailable");
        }
    };
    let (key, status, error, response) = match posted {
        WebhookPost::Refused { key, status, error } => {
            let response = plain(status, &error);
            (key, status, Some(error), response)
        }
        WebhookPost::Unreachable { key, detail } => {
            tracing::warn!(detail, "proxy could not reach a webhook");
            (
                Some(key),
                502,
                Some("unreachable".into()),
                plain(502, "unreachable"),
            )
        }
        WebhookPost::Posted { key, mut answer } => {
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = answer.chunk().await {
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let error = (answer.status >= 400).then(|| text.clone());
            let mut builder = axum::http::Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let response = builder
                .body(Body::from(bytes))
                .unwrap_or_else(|_| plain(502, "unreachable"));
            (Some(key), answer.status, error, response)
        }
    };
    let out_of_scope = error.as_deref().is_some_and(|e| e.starts_with("xox_"));
    proxy.tally.count(Counted {
        key_id: key.as_ref().map(|k| k.id.as_str()),
        failed: error.is_some() && !out_of_scope,
        out_of_scope,
        rate_limited: status == 429,
        held: false,
        absorbed: 0,
    });
    proxy.observe(
        "webhook",
        status,
        error.as_deref(),
        std::time::Duration::ZERO,
        started,
    );
    // Never the webhook's URL, the key or the message.
    tracing::info!(
        conn,
        status,
        error = error.as_deref().unwrap_or(""),
        "posted through a webhook"
    );
    response
}
