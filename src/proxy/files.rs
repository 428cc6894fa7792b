//! Shared files through the proxy: private URLs in Slack's answers swapped for the proxy's
//! own, and a GET of one, with a key of the file's install, streamed from Slack with the
//! install's live token (its `Range` and conditional headers passed on).

use super::{Proxy, credential};
use crate::engine::{PrivateFile, ProxyAnswer, ProxyOutcome};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The methods whose answers may carry files: read whole (up to a limit) even when long,
/// so their private URLs can be swapped.
const CARRY_FILES: [&str; 6] = [
    "files.info",
    "files.list",
    "conversations.history",
    "conversations.replies",
    "search.files",
    "search.all",
];

/// The most of a long answer read whole to swap its file URLs; past it, the rest streams
/// as Slack sent it.
const MOST_READ: usize = 32 * 1024 * 1024;

/// `outcome` with every private file URL in Slack's answer swapped for one of the
/// proxy's, for the install that answered.
pub(super) async fn swap_urls(proxy: &Proxy, method: &str, outcome: &mut ProxyOutcome) {
    let Some(connection_id) = outcome.connection_id.clone() else {
        return;
    };
    let ProxyAnswer::Slack {
        answer,
        head,
        complete,
    } = &mut outcome.answer
    else {
        return;
    };
    if !*complete {
        if !CARRY_FILES.contains(&method) {
            return;
        }
        let mut whole = head.to_vec();
        while whole.len() <= MOST_READ {
            match answer.chunk().await {
                Some(Ok(piece)) => whole.extend_from_slice(&piece),
                // A broken answer is passed on as it broke: the app sees it end early.
                Some(Err(_)) | None => break,
            }
        }
        *complete = whole.len() <= MOST_READ;
        *head = Bytes::from(whole);
        if !*complete {
            return;
        }
    }
    match proxy
        .engine
        .swap_file_urls(&connection_id, head, &proxy.base)
        .await
    {
        Ok(Some(swapped)) => *head = swapped,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not swap file URLs"),
    }
}

/// `GET /files/CONNECTION/URL/MAC` with a key in the `Authorization` header.
pub(super) async fn get(
    State(proxy): State<Proxy>,
    Path((connection, url, mac)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let headers = request.headers();
    let Some(key) = credential::header_key(headers) else {
        return (
            StatusCode::FORBIDDEN,
            "a key of the file's install is needed",
        )
            .into_response();
    };
    let passed: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| crate::engine::asks_for_part(name.as_str()))
        .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
        .collect();
    let fetched = proxy
        .engine
        .private_file(&key, (&connection, &url, &mac), &passed)
        .await;
    match fetched {
        Ok(PrivateFile::Streaming(answer)) => {
            let mut builder = Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let pieces = futures_util::stream::unfold(answer, |mut answer| async move {
                answer
                    .chunk()
                    .await
                    .map(|c| (c.map_err(std::io::Error::other), answer))
            });
            tracing::info!(connection, "proxied a file");
            builder
                .body(Body::from_stream(pieces))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        // The same answer whatever was wrong: a key's install, the URL or its signature.
        Ok(PrivateFile::Refused) => (
            StatusCode::FORBIDDEN,
            "a key of the file's install is needed",
        )
            .into_response(),
        Ok(PrivateFile::Unreachable(detail)) => {
            tracing::warn!(detail, "proxy could not fetch a file");
            (StatusCode::BAD_GATEWAY, "the file could not be fetched").into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "proxy could not serve a file");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
