//! The public face (`--public-listen`): what Slack and browsers reach from the internet,
//! apart from the loopback API. It serves an app's install page and Slack's redirect, and
//! takes Slack's requests to the app; it never serves `/api`, and never hands out a token.

use super::pages;
use crate::engine::{
    Engine, EngineError, INSTALL_LIFETIME_SECS, InstallRefusal, Secret, SlackReply, SlackRequest,
    SlackRoute,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Slack's requests are small; a larger body is refused before any of it is checked.
pub const MAX_SLACK_BODY: usize = 1024 * 1024;
/// How long a request's body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The cookie that binds an install's state to the browser that began it.
const COOKIE: &str = "xox_install";

/// What the public face has done, for the log at a stop.
#[derive(Default)]
pub struct PublicTally {
    pub installs: AtomicU64,
    pub installs_refused: AtomicU64,
    pub slack_requests: AtomicU64,
    pub slack_refused: AtomicU64,
    pub late: AtomicU64,
}

/// Where the public face is reached, and where a finished install goes.
pub struct PublicSettings {
    /// The URL Slack and browsers reach (behind the user's TLS terminator), without a
    /// trailing slash.
    pub url: String,
    pub success_url: Option<String>,
}

#[derive(Clone)]
struct Public {
    engine: Arc<Engine>,
    settings: Arc<PublicSettings>,
    tally: Arc<PublicTally>,
    /// The API listener's address, where apps read the files events carry.
    files_at: Arc<str>,
}

pub fn router(
    engine: Arc<Engine>,
    settings: PublicSettings,
    tally: Arc<PublicTally>,
    files_at: Arc<str>,
) -> Router {
    let state = Public {
        engine,
        settings: Arc::new(settings),
        tally,
        files_at,
    };
    Router::new()
        .route("/slack/{app}/install", get(install))
        .route("/slack/{app}/oauth_redirect", get(oauth_redirect))
        .route("/slack/{app}/events", post(events))
        .route("/slack/{app}/interactive", post(interactive))
        .route("/slack/{app}/commands", post(commands))
        .fallback(|| async { pages::not_found() })
        .with_state(state)
}

impl Public {
    fn redirect_uri(&self, app: &str) -> String {
        format!("{}/slack/{app}/oauth_redirect", self.settings.url)
    }

    /// The cookie, scoped to the app's routes; `Secure` when the public URL is https.
    fn cookie(&self, app: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.settings.url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        // SameSite=Lax: the cookie comes back on Slack's top-level redirect, and on no
        // request another site makes in the background.
        HeaderValue::from_str(&format!(
            "{COOKIE}={value}; Path=/slack/{app}/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// An app's name as xox names apps: anything else is no app of ours.
fn known_shape(app: &str) -> bool {
    crate::engine::check_app_name(app)
}

/// A page for an engine failure: an unknown app is not found; the rest is the store.
fn failed(e: &EngineError) -> Response {
    if e.is_not_found() {
        return pages::not_found();
    }
    tracing::warn!(error = %e, "the public face could not serve a request");
    (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response()
}

async fn install(
    State(public): State<Public>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if !known_shape(&app) {
        return pages::not_found();
    }
    let started = match public
        .engine
        .begin_public_install(&app, &public.redirect_uri(&app))
        .await
    {
        Ok(started) => started,
        Err(e) => return failed(&e),
    };
    let direct = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(k, v)| k == "direct" && v == "1");
    let mut response = if direct {
        Redirect::to(&started.authorize_url).into_response()
    } else {
        pages::install(&app, &started.authorize_url)
    };
    let cookie = public.cookie(&app, started.browser.expose(), INSTALL_LIFETIME_SECS);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// The install's nonce from the browser's cookies.
fn browser_cookie(headers: &HeaderMap) -> Option<Secret> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| Secret::new(value))
}

async fn oauth_redirect(
    State(public): State<Public>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !known_shape(&app) {
        return pages::not_found();
    }
    let redirect: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let finished = public
        .engine
        .finish_public_install(
            &app,
            &redirect,
            browser_cookie(&headers),
            &public.redirect_uri(&app),
        )
        .await;
    let mut response = match finished {
        Ok(Ok(connection)) => {
            public.tally.installs.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                app,
                connection = connection.name,
                "installed from the public page"
            );
            match &public.settings.success_url {
                Some(url) => Redirect::to(url).into_response(),
                None => {
                    let place = connection
                        .team_name
                        .clone()
                        .or(connection.enterprise_name.clone())
                        .unwrap_or_else(|| connection.name.clone());
                    pages::installed(&app, &place)
                }
            }
        }
        Ok(Err(refusal)) => {
            public
                .tally
                .installs_refused
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(app, refusal = ?refusal, "an install from the public page stored nothing");
            pages::refused(&app, refusal_code(&refusal), &refusal.explain())
        }
        Err(e) => return failed(&e),
    };
    // The nonce is spent: the browser forgets it.
    let cleared = public.cookie(&app, "", 0);
    response.headers_mut().append(header::SET_COOKIE, cleared);
    response
}

fn refusal_code(refusal: &InstallRefusal) -> &'static str {
    match refusal {
        InstallRefusal::Denied(_) => "denied",
        InstallRefusal::UnknownState => "bad_state",
        InstallRefusal::ExpiredState => "expired_state",
        InstallRefusal::OtherBrowser => "other_browser",
        InstallRefusal::Exchange(_) => "exchange_failed",
        InstallRefusal::BadAnswer(_) => "bad_answer",
    }
}

async fn events(
    state: State<Public>,
    app: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    from_slack(state, app, SlackRoute::Events, headers, body).await
}

async fn interactive(
    state: State<Public>,
    app: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    from_slack(state, app, SlackRoute::Interactive, headers, body).await
}

async fn commands(
    state: State<Public>,
    app: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    from_slack(state, app, SlackRoute::Commands, headers, body).await
}

/// Read a body up to the cap, within the time allowed.
async fn read_capped(body: Body) -> Result<Bytes, StatusCode> {
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_SLACK_BODY)).await {
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
        Ok(Err(_)) => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

async fn from_slack(
    State(public): State<Public>,
    Path(app): Path<String>,
    route: SlackRoute,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !known_shape(&app) {
        return pages::not_found();
    }
    public.tally.slack_requests.fetch_add(1, Ordering::Relaxed);
    let refuse = |status: StatusCode, reason: &str| {
        public.tally.slack_refused.fetch_add(1, Ordering::Relaxed);
        tracing::info!(app, reason, "refused a request as not Slack's");
        (status, reason.to_owned()).into_response()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_SLACK_BODY as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    }
    let body = match read_capped(body).await {
        Ok(body) => body,
        Err(status) => return refuse(status, "unreadable_body"),
    };
    let headers = headers
        .iter()
        .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_owned())))
        .collect();
    let reply = public
        .engine
        .slack_request(
            &app,
            SlackRequest {
                route,
                headers,
                body,
                files_at: Some(public.files_at.to_string()),
            },
        )
        .await;
    match reply {
        Ok(SlackReply::Refused { status, reason }) => refuse(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            reason,
        ),
        Ok(SlackReply::Challenge(challenge)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "challenge": challenge }).to_string(),
        )
            .into_response(),
        Ok(SlackReply::Acknowledged) => StatusCode::OK.into_response(),
        Ok(SlackReply::App(answer)) => {
            let mut builder = Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            builder
                .body(Body::from(answer.body))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Ok(SlackReply::Late) => {
            public.tally.late.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::GATEWAY_TIMEOUT,
                "the app did not answer in time",
            )
                .into_response()
        }
        Ok(SlackReply::Unreachable(_)) => {
            (StatusCode::BAD_GATEWAY, "the app could not be reached").into_response()
        }
        Err(e) => failed(&e),
    }
}
