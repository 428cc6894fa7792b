//! The simulator's HTTP face (axum on 127.0.0.1): authorize pages, `/api/*`, and `/_sim` control.

use super::consent::{consent_page, refusal_page};
use super::control;
use super::faults::FaultKind;
use super::oauth::{Creds, Form};
use super::shared::Shared;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use base64::Engine;
use serde_json::{Value, json};

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route(
            "/oauth/v2/authorize",
            get(authorize_page).post(authorize_decision),
        )
        .route("/api/{method}", any(api))
        .route("/_upload/{id}", axum::routing::post(upload))
        .route("/files-pri/{*path}", get(private_file))
        .route(
            "/_hooks/services/{team}/{bot}/{secret}",
            axum::routing::post(webhook),
        )
        .merge(control::routes())
        .merge(super::control_events::routes())
        .with_state(shared)
}

pub(super) fn parse_form(text: &str) -> Form {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

async fn authorize_page(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let q = parse_form(query.as_deref().unwrap_or(""));
    let mut st = shared.lock();
    match st.world.check_authorize(&q) {
        Err(refusal) => (StatusCode::BAD_REQUEST, Html(refusal_page(&refusal))).into_response(),
        Ok(req) if st.world.config.auto_consent => {
            Redirect::to(&st.world.decide(&req, true)).into_response()
        }
        // Without a `team`, the user picks where to install, as on Slack's page.
        Ok(_) if q.contains_key("team") => Html(consent_page(&q, &[])).into_response(),
        Ok(_) => Html(consent_page(&q, &st.world.install_choices())).into_response(),
    }
}

async fn authorize_decision(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut form = parse_form(&String::from_utf8_lossy(&body));
    let allow = form.remove("decision").as_deref() == Some("allow");
    let mut st = shared.lock();
    match st.world.check_authorize(&form) {
        Err(refusal) => (StatusCode::BAD_REQUEST, Html(refusal_page(&refusal))).into_response(),
        Ok(req) => Redirect::to(&st.world.decide(&req, allow)).into_response(),
    }
}

/// Bytes POSTed to an upload URL: Slack answers a plain-text "OK - LENGTH".
async fn upload(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Like the upload services that read only `Content-Length`: a body without one (sent
    // chunked) is refused, and nothing is received.
    if !headers.contains_key(header::CONTENT_LENGTH) {
        return (StatusCode::LENGTH_REQUIRED, "length required").into_response();
    }
    let with_authorization = headers.contains_key(header::AUTHORIZATION);
    match shared
        .lock()
        .world
        .receive_upload(&id, body.to_vec(), with_authorization)
    {
        Ok(()) => (StatusCode::OK, format!("OK - {}", body.len())).into_response(),
        Err(()) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A GET of a shared file's private URL, with a token of its workspace: its bytes, a
/// `Range` of them (206), or 304 for an `If-None-Match` of its ETag, as files.slack.com
/// answers.
async fn private_file(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = bearer(&headers);
    let st = shared.lock();
    let bytes = match st.world.private_file(&path, token.as_deref()) {
        Ok(bytes) => bytes.to_vec(),
        Err(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
            return (status, "not found or not yours").into_response();
        }
    };
    drop(st);
    let etag = format!(
        "\"{:x}\"",
        bytes
            .iter()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
    );
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if header_text(header::IF_NONE_MATCH) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let range = header_text(header::RANGE)
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(from, to)| {
            let from: usize = from.parse().ok()?;
            let to: usize = to.parse().unwrap_or(bytes.len().saturating_sub(1));
            (from <= to && to < bytes.len()).then_some((from, to))
        });
    let common = [
        (header::ETAG, etag),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
    ];
    match range {
        Some((from, to)) => (
            StatusCode::PARTIAL_CONTENT,
            common,
            [(
                header::CONTENT_RANGE,
                format!("bytes {from}-{to}/{}", bytes.len()),
            )],
            bytes[from..=to].to_vec(),
        )
            .into_response(),
        None => (StatusCode::OK, common, bytes).into_response(),
    }
}

/// A POST to an incoming webhook's URL: answered in plain text, as hooks.slack.com does.
async fn webhook(
    State(shared): State<Shared>,
    Path((team, bot, secret)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let path = format!("{}{team}/{bot}/{secret}", super::webhooks::WEBHOOK_PATH);
    let (status, text) = shared.lock().world.post_to_webhook(&path, &body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
}

/// A response whose body fails at once: the client sees the connection close mid-answer.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("simulated drop"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(failing))
        .expect("static parts build")
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The named fields of a `multipart/form-data` body, as text (a file's bytes included).
fn multipart_fields(body: &[u8], boundary: &str) -> Form {
    let text = String::from_utf8_lossy(body);
    let mut fields = Form::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        if let Some(name) = name {
            fields.insert(name.to_owned(), value.trim_end_matches("\r\n").to_owned());
        }
    }
    fields
}

/// Arguments from the query string and the body (form, JSON or multipart). The token is read only from
/// the Authorization header or the body: Slack refuses tokens in the query string.
fn request_params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Form, &'static str> {
    let mut params = parse_form(query.unwrap_or(""));
    params.remove("token");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_json = content_type.starts_with("application/json");
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"'))
    {
        params.extend(multipart_fields(body, boundary));
        return Ok(params);
    }
    // An empty JSON body is no arguments: Slack's SDKs send one for methods without any.
    if is_json && !body.trim_ascii().is_empty() {
        let value: Value = serde_json::from_slice(body).map_err(|_| "invalid_json")?;
        let object = value.as_object().ok_or("json_not_object")?;
        for (k, v) in object {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            params.insert(k.clone(), text);
        }
    } else {
        params.extend(parse_form(&String::from_utf8_lossy(body)));
    }
    Ok(params)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

fn basic_creds(headers: &HeaderMap, params: &Form) -> Creds {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme name is case-insensitive (RFC 9110).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials)
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    match basic {
        Some((id, secret)) => Creds {
            client_id: Some(id),
            client_secret: Some(secret),
        },
        None => Creds {
            client_id: params.get("client_id").cloned(),
            client_secret: params.get("client_secret").cloned(),
        },
    }
}

async fn api(
    State(shared): State<Shared>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Counted on arrival, so requests that a fault swallows are counted too.
    let fault = {
        let mut st = shared.lock();
        *st.world.counters.calls.entry(method.clone()).or_default() += 1;
        st.faults.take(&method)
    };
    match &fault {
        Some(FaultKind::Delay { ms }) => {
            // Detached, so the work completes even when the client hangs up mid-wait.
            let ms = *ms;
            let work = tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                answer(&shared, &method, query.as_deref(), &headers, &body)
            });
            return work.await.unwrap_or_else(|_| dropped());
        }
        Some(FaultKind::Blackhole) => std::future::pending::<()>().await,
        Some(FaultKind::Status { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                status,
                [(header::CONTENT_TYPE, "text/plain")],
                "upstream error",
            )
                .into_response();
        }
        Some(FaultKind::Html) => {
            let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
            return (StatusCode::BAD_GATEWAY, Html(page)).into_response();
        }
        Some(FaultKind::Ratelimit { retry_after }) => {
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"ok": false, "error": "ratelimited"}),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            return response;
        }
        Some(FaultKind::Refuse { error }) => {
            return json_response(StatusCode::OK, &json!({"ok": false, "error": error}));
        }
        Some(FaultKind::Drop) => return dropped(),
        Some(FaultKind::DropAfter | FaultKind::SlowBody { .. }) | None => {}
    }
    let response = answer(&shared, &method, query.as_deref(), &headers, &body);
    match fault {
        Some(FaultKind::DropAfter) => dropped(),
        Some(FaultKind::SlowBody { ms }) => trickled(response, ms).await,
        _ => response,
    }
}

/// The same answer, its second half of the body `ms` after the first.
async fn trickled(response: Response, ms: u64) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.len() / 2;
    let chunks = vec![bytes.slice(..half), bytes.slice(half..)];
    let stream = futures_util::stream::unfold(
        (chunks.into_iter(), true),
        move |(mut chunks, first)| async move {
            let chunk = chunks.next()?;
            if !first {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            Some((Ok::<Bytes, std::io::Error>(chunk), (chunks, false)))
        },
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream))
}

fn answer(
    shared: &Shared,
    method: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let params = match request_params(headers, query, body) {
        Ok(p) => p,
        Err(code) => return json_response(StatusCode::OK, &json!({"ok": false, "error": code})),
    };
    let mut st = shared.lock();
    let oauth_result = match method {
        "oauth.v2.access" => Some(
            st.world
                .oauth_access(&params, &basic_creds(headers, &params)),
        ),
        "oauth.v2.exchange" => Some(st.world.exchange(&params, &basic_creds(headers, &params))),
        "tooling.tokens.rotate" => Some(st.world.tooling_rotate(&params)),
        _ => None,
    };
    if let Some(result) = oauth_result {
        let body = result.unwrap_or_else(|code| json!({"ok": false, "error": code}));
        return json_response(StatusCode::OK, &body);
    }
    let token = bearer(headers).or_else(|| params.get("token").cloned());
    let mut answer = st.world.web_api(method, token.as_deref(), &params);
    // An upload URL points back here, at the address the request came to.
    if let (Some(path), Some(host)) = (
        answer.body["upload_url"].as_str().map(str::to_owned),
        headers.get(header::HOST).and_then(|h| h.to_str().ok()),
    ) {
        answer.body["upload_url"] = json!(format!("http://{host}{path}"));
    }
    let status = if answer.retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if answer.body["error"] == "unknown_method" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let mut response = json_response(status, &answer.body);
    if let Some(secs) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    for (name, value) in [
        ("x-oauth-scopes", answer.token_scopes),
        ("x-accepted-oauth-scopes", answer.accepted_scopes),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(name, v);
        }
    }
    response
}
