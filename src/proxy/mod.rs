//! `xox proxy`: a local Slack Web API gateway. Apps send `GET|POST /api/{method}` with a
//! proxy key where a token would go; the engine puts in the live token, and Slack's answer
//! comes back as it was sent.

mod credential;
mod files;
mod intake;
pub(crate) mod listen;
mod pages;
pub mod public;
mod request;
pub mod tally;
mod uploads;
mod webhook;

use crate::engine::Stop;
use crate::engine::{Engine, ProxyAnswer, ProxyOutcome};
use crate::metrics::proxy::ProxyMetrics;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally::{Counted, Tally};
use tokio::net::TcpListener;

/// Web API bodies are small; file bytes go to the upload URL Slack hands out, not here.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
struct Proxy {
    engine: Arc<Engine>,
    intake: Arc<intake::Intake>,
    /// `http://ADDR:PORT` of the listener: what the upload URLs handed out start with,
    /// never the client's `Host` header, which would let a client point them elsewhere.
    base: Arc<str>,
    tally: Arc<Tally>,
    uploads: Arc<uploads::Uploads>,
    /// The proxy's own counts for `/metrics`, when it serves them (`--metrics`).
    metrics: Option<Arc<ProxyMetrics>>,
}

impl Proxy {
    /// Count a request answered with `status` (and Slack's `error`) in the metrics.
    fn observe(
        &self,
        method: &str,
        status: u16,
        error: Option<&str>,
        at_slack: Duration,
        started: Instant,
    ) {
        if let Some(metrics) = &self.metrics {
            metrics.request(method, status, error, at_slack, started.elapsed());
        }
    }

    /// A request's body, once its key allows it to be read (see [`intake`]).
    async fn read_body(
        &self,
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<axum::body::Bytes, intake::Refusal> {
        let engagement = extensions.get::<listen::Engagement>();
        self.intake
            .read(&self.engine, headers, body, engagement)
            .await
    }

    /// A request refused before it reached the engine.
    fn refused(&self, method: &str, status: u16, error: &str, started: Instant) {
        self.tally.count(Counted::refused());
        self.observe(method, status, Some(error), Duration::ZERO, started);
    }
}

/// The largest file the proxy streams on to an upload URL.
const MAX_UPLOAD: usize = 1024 * 1024 * 1024;
/// The longest an upload may pause between two pieces.
const UPLOAD_IDLE: Duration = Duration::from_secs(30);

fn slack_shaped(error: &str) -> Response {
    slack_shaped_needing(error, None)
}

/// Slack's shape for a refusal, with what was `needed` when a key's scope refused.
fn slack_shaped_needing(error: &str, needed: Option<&str>) -> Response {
    let mut body = serde_json::json!({"ok": false, "error": error});
    if let Some(needed) = needed {
        body["needed"] = needed.into();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// What Slack answers when it is down: HTTP 503, `service_unavailable`.
fn unavailable() -> Response {
    let mut response = slack_shaped("service_unavailable");
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

/// A name shaped like the catalogue's: words of letters, digits and `_`, each starting with
/// a letter, joined by single dots (`auth.test`, `admin.apps.approved.list`). `.`, `..`
/// and their escapes never reach `{slack}/api` with a live token.
fn valid_method(method: &str) -> bool {
    method.len() <= 100
        && method.contains('.')
        && method.split('.').all(|word| {
            word.starts_with(|c: char| c.is_ascii_alphabetic())
                && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

async fn api(
    State(proxy): State<Proxy>,
    Path(method): Path<String>,
    incoming: Request,
) -> Response {
    let started = Instant::now();
    // Taken apart by hand rather than by extractors, which would copy the headers.
    let (parts, body) = incoming.into_parts();
    let (http_method, headers) = (parts.method, parts.headers);
    let query = parts.uri.query().map(str::to_owned);
    // The name and the header's key are checked before any of the body is read.
    if !valid_method(&method) {
        proxy.refused(&method, 200, "unknown_method", started);
        return slack_shaped("unknown_method");
    }
    let get = http_method == Method::GET;
    if !get && http_method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let body = match proxy.read_body(&parts.extensions, &headers, body).await {
        Ok(body) => body,
        Err(refusal) => {
            tracing::info!(method, refusal = ?refusal, "proxy refused a request");
            let (status, error, response) = match refusal {
                intake::Refusal::UnknownKey => (200, "invalid_auth", slack_shaped("invalid_auth")),
                intake::Refusal::Unavailable => (503, "service_unavailable", unavailable()),
                intake::Refusal::TooLarge => {
                    (413, "", StatusCode::PAYLOAD_TOO_LARGE.into_response())
                }
                intake::Refusal::TooSlow => (408, "", StatusCode::REQUEST_TIMEOUT.into_response()),
            };
            proxy.refused(&method, status, error, started);
            return response;
        }
    };
    let request = match request::read(&method, get, &headers, query, body) {
        Ok(request) => request,
        Err(unusable) => {
            proxy.refused(&method, 200, unusable.code(), started);
            tracing::info!(method, error = unusable.code(), "proxy refused a request");
            return slack_shaped(unusable.code());
        }
    };
    match proxy.engine.proxy(request).await {
        Ok(mut outcome) => {
            // The upload URL Slack gives is on another host: the app gets one of ours.
            if method == "files.getUploadURLExternal"
                && let ProxyAnswer::Slack {
                    head,
                    complete: true,
                    ..
                } = &mut outcome.answer
                && let Some(rewritten) = proxy.uploads.rewrite(head, &proxy.base)
            {
                *head = rewritten;
            }
            // A shared file's private URLs need a token: the app gets ones of ours.
            files::swap_urls(&proxy, &method, &mut outcome).await;
            respond(&proxy, &method, outcome, started)
        }
        Err(e) => {
            // Only the store fails here, and it was waited for: answered as Slack answers
            // when it is down, HTTP 503, which SDKs retry (they never retry a 200).
            tracing::warn!(method, error = %e, "proxy could not serve a request");
            proxy.observe(
                &method,
                503,
                Some("service_unavailable"),
                Duration::ZERO,
                started,
            );
            unavailable()
        }
    }
}

fn respond(proxy: &Proxy, method: &str, outcome: ProxyOutcome, started: Instant) -> Response {
    let ProxyOutcome {
        key,
        connection,
        connection_id: _,
        kind,
        error,
        answer,
        held,
        absorbed,
        at_slack,
        out_of_scope,
    } = outcome;
    let connection = connection.unwrap_or_default();
    proxy.tally.count(Counted {
        key_id: key.as_ref().map(|k| k.id.as_str()),
        failed: error.is_some() && !out_of_scope,
        out_of_scope,
        rate_limited: error.as_deref() == Some("ratelimited"),
        held,
        absorbed,
    });
    let (status, response) = match answer {
        ProxyAnswer::Refused { error, needed } => {
            (200, slack_shaped_needing(&error, needed.as_deref()))
        }
        ProxyAnswer::RateLimited { retry_after } => {
            let mut response = slack_shaped("ratelimited");
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            (429, response)
        }
        ProxyAnswer::Unreachable { detail } => {
            tracing::warn!(method, connection, detail, "proxy could not reach Slack");
            // A 503, as Slack answers when it is down: the SDKs' server-error retry
            // handlers then try again, as they would with Slack itself.
            (503, unavailable())
        }
        ProxyAnswer::Slack {
            answer,
            head,
            complete,
        } => {
            let status = answer.status;
            let mut builder = Response::builder().status(status);
            for (name, value) in &answer.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let body = if complete {
                Body::from(head)
            } else {
                // The part already read, then the rest as it arrives.
                let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(head) });
                let rest = futures_util::stream::unfold(answer, |mut answer| async move {
                    answer
                        .chunk()
                        .await
                        .map(|c| (c.map_err(std::io::Error::other), answer))
                });
                Body::from_stream(futures_util::StreamExt::chain(first, rest))
            };
            let response = builder
                .body(body)
                .unwrap_or_else(|_| slack_shaped("internal_error"));
            (status, response)
        }
    };
    if status == 429
        && at_slack > Duration::ZERO
        && let Some(metrics) = &proxy.metrics
    {
        metrics.slack_429_passed();
    }
    proxy.observe(method, status, error.as_deref(), at_slack, started);
    // The access log: never a key, a token or an argument.
    tracing::info!(
        method,
        connection,
        kind = kind.map(|k| k.as_str()),
        status,
        error = error.as_deref().unwrap_or(""),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "proxied"
    );
    response
}

/// `/metrics`: the store's facts and this proxy's counts, in Prometheus' text format.
async fn serve_metrics(State(proxy): State<Proxy>) -> Response {
    let Some(counts) = &proxy.metrics else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match proxy.engine.store_facts().await {
        Ok(facts) => (
            [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
            crate::metrics::render(&facts, Some(counts)),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the store for metrics");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Bytes for one of the upload URLs the proxy handed out, streamed on to Slack's.
async fn upload(
    State(proxy): State<Proxy>,
    Path(id): Path<String>,
    engagement: Option<axum::Extension<listen::Engagement>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(target) = proxy.uploads.target(&id) else {
        return (StatusCode::NOT_FOUND, "no such upload").into_response();
    };
    // The upload's id is its credential: the connection is kept, at the cap and at a stop.
    if let Some(axum::Extension(listen::Engagement(engaged))) = engagement {
        engaged.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if content_length.is_some_and(|length| length > MAX_UPLOAD as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    // The app's Authorization header (a proxy key) is not passed on: only the bytes go.
    // The cap is applied to the stream itself: a layer's default limit binds only the
    // extractors that read a body whole, not one passed on as it arrives.
    let capped = Body::new(http_body_util::Limited::new(body, MAX_UPLOAD));
    // A slow upload may take as long as it keeps moving: each piece must come within the
    // idle limit, whatever the whole takes.
    let pieces = futures_util::stream::unfold(capped.into_data_stream(), |mut pieces| async move {
        match tokio::time::timeout(UPLOAD_IDLE, futures_util::StreamExt::next(&mut pieces)).await {
            Ok(piece) => piece.map(|p| (p.map_err(std::io::Error::other), pieces)),
            Err(_) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the upload stalled",
                )),
                pieces,
            )),
        }
    });
    let stream = reqwest::Body::wrap_stream(pieces);
    match proxy
        .engine
        .forward_upload(&target, content_type.as_deref(), content_length, stream)
        .await
    {
        Ok(Ok(mut answer)) => {
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = answer.chunk().await {
                bytes.extend_from_slice(&chunk);
            }
            let mut builder = Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            tracing::info!(
                status = answer.status,
                bytes = bytes.len(),
                "proxied an upload"
            );
            builder
                .body(Body::from(bytes))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "proxy could not pass an upload on");
            (StatusCode::BAD_GATEWAY, "the upload could not be passed on").into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "proxy could not pass an upload on");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The public face to serve beside the API: its listener and where it is reached.
pub struct PublicFace {
    pub listener: TcpListener,
    pub settings: public::PublicSettings,
}

/// Serve on `listener` (and the public face's, when there is one) until a stop is asked
/// for; requests in flight finish first. Every second the counts go to the store, where
/// the dashboard reads them.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    public: Option<PublicFace>,
    stop: Stop,
    max_body: usize,
    metrics: Option<Arc<ProxyMetrics>>,
) -> std::io::Result<(Arc<Tally>, Arc<public::PublicTally>)> {
    if let Err(e) = engine.prepare_proxy() {
        tracing::warn!(error = %e, "could not make the client to Slack yet; trying again on the first request");
    }
    let tally = Arc::new(Tally::default());
    let base: Arc<str> = format!("http://{}", listener.local_addr()?).into();
    let state = Proxy {
        base: base.clone(),
        engine: engine.clone(),
        intake: Arc::new(intake::Intake::new(max_body)),
        tally: tally.clone(),
        uploads: Default::default(),
        metrics,
    };
    let app = Router::new()
        .route("/api/{method}", any(api))
        .route("/upload/{id}", axum::routing::post(upload))
        .route("/hooks/{conn}", axum::routing::post(webhook::post))
        .route(
            "/files/{connection}/{url}/{mac}",
            axum::routing::get(files::get),
        )
        .route("/metrics", axum::routing::get(serve_metrics))
        .with_state(state);
    let flusher = {
        let (engine, tally) = (engine.clone(), tally.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                tally.flush(&engine).await;
            }
        })
    };
    // At a stop, a request already at Slack may take its whole HTTP timeout, then a retry's.
    let finish_within = engine.http_timeout() * 2 + Duration::from_secs(1);
    let public_tally = Arc::new(public::PublicTally::default());
    let public_face = async {
        if let Some(face) = public {
            let router = public::router(engine.clone(), face.settings, public_tally.clone(), base);
            let cap = listen::connection_cap(4);
            listen::serve(face.listener, router, stop.clone(), finish_within, cap).await;
        }
    };
    tokio::join!(
        listen::serve(
            listener,
            app,
            stop.clone(),
            finish_within,
            listen::connection_cap(2)
        ),
        public_face
    );
    flusher.abort();
    tally.flush(&engine).await;
    Ok((tally, public_tally))
}
