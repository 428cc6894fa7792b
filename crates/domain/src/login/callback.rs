//! The one-shot loopback listener that receives Slack's redirect: `http://` or `https://`
//! on the registered host and port, answering only GET on the callback path.

use super::error::LoginError;
use crate::listener::{self, OpenConnections};
use crate::slack::Secret;
use axum::body::Body;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use url::Url;

/// The most a request head may take; anything larger is refused by hyper with 431.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How long a TLS handshake, and then a request head, may take.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long any one connection may stay open.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);
/// Connections served at once; past it the oldest idle one is dropped.
const MAX_CONNECTIONS: usize = 64;

/// What the browser brought back.
#[derive(Debug, PartialEq)]
pub enum Callback {
    Code(Secret),
    /// `error=…`: the user cancelled (`access_denied`) or Slack refused.
    Denied(String),
}

/// The answer to one request, and the callback it carries if it is the real one.
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    pub page: &'static str,
    pub callback: Option<Callback>,
}

fn reply(status: StatusCode, page: &'static str) -> Reply {
    Reply {
        status,
        page,
        callback: None,
    }
}

const PAGE_DONE: &str =
    "xox: Slack sent the code back. You can close this tab and return to the terminal.";
const PAGE_DENIED: &str = "xox: the install was cancelled. You can close this tab.";

/// Decide what a request is. Pure, so every junk case is tested without a socket.
pub fn respond(method: &Method, target: &str, path: &str, state: &Secret) -> Reply {
    if method != Method::GET {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "xox: only GET is answered here.",
        );
    }
    let Ok(url) = Url::parse(&format!("http://callback{target}")) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "xox: that is not a request for this page.",
        );
    };
    if url.path() != path {
        return reply(
            StatusCode::NOT_FOUND,
            "xox: nothing here; waiting for Slack's redirect.",
        );
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    // Constant time, so a forger learns nothing from how long a wrong state takes.
    let state_matches = |sent: &str| bool::from(sent.as_bytes().ct_eq(state.expose().as_bytes()));
    // Nothing without the right state ends the login, a cancel included: any local
    // process or web page can reach this port.
    if !param("state").as_deref().is_some_and(state_matches) {
        return reply(
            StatusCode::BAD_REQUEST,
            "xox: the state does not match this login; ignored.",
        );
    }
    if let Some(error) = param("error") {
        return Reply {
            status: StatusCode::OK,
            page: PAGE_DENIED,
            callback: Some(Callback::Denied(error)),
        };
    }
    match param("code").filter(|c| !c.is_empty()) {
        Some(code) => Reply {
            status: StatusCode::OK,
            page: PAGE_DONE,
            callback: Some(Callback::Code(Secret::new(code))),
        },
        None => reply(StatusCode::BAD_REQUEST, "xox: the redirect has no code."),
    }
}

/// A bound, not yet answering, callback listener.
pub struct CallbackServer {
    listeners: Vec<TcpListener>,
    tls: Option<TlsAcceptor>,
    path: String,
}

fn addresses(host: &str) -> Vec<IpAddr> {
    match host {
        // A browser may resolve localhost to either family: listen on both where we can.
        "localhost" => vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
        "[::1]" | "::1" => vec![Ipv6Addr::LOCALHOST.into()],
        _ => vec![Ipv4Addr::LOCALHOST.into()],
    }
}

impl CallbackServer {
    /// Listen on the redirect URI's loopback address(es) and port, before the browser is
    /// sent anywhere. `cert_dir` holds the certificate for `https://` redirects.
    pub async fn bind(redirect_uri: &str, cert_dir: &Path) -> Result<CallbackServer, LoginError> {
        let url = Url::parse(redirect_uri).map_err(|_| LoginError::NoPort(redirect_uri.into()))?;
        let port = url
            .port()
            .filter(|p| *p != 0)
            .ok_or_else(|| LoginError::NoPort(redirect_uri.into()))?;
        let host = url.host_str().unwrap_or("localhost").to_owned();
        let mut listeners = Vec::new();
        for (i, ip) in addresses(&host).into_iter().enumerate() {
            match TcpListener::bind(SocketAddr::new(ip, port)).await {
                Ok(l) => listeners.push(l),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    return Err(LoginError::PortInUse {
                        host,
                        port,
                        app: String::new(),
                    });
                }
                // The second family (IPv6 for localhost) is a bonus where the system has it.
                Err(_) if i > 0 => {}
                Err(e) => {
                    return Err(LoginError::Listen {
                        host,
                        port,
                        detail: e.to_string(),
                    });
                }
            }
        }
        let tls = match url.scheme() {
            "https" => Some(TlsAcceptor::from(super::certificate::server_config(
                cert_dir,
            )?)),
            _ => None,
        };
        Ok(CallbackServer {
            listeners,
            tls,
            path: url.path().to_owned(),
        })
    }

    /// Answer requests until the real callback arrives (then stop listening) or `timeout`
    /// passes. Junk is answered with 4xx and the wait goes on.
    pub async fn wait(self, state: &Secret, timeout: Duration) -> Result<Callback, LoginError> {
        let (found, mut arrived) = mpsc::channel::<Callback>(1);
        let shared = Arc::new(Handler {
            path: self.path,
            state: state.clone(),
            found,
        });
        // Dropping the set (on return) stops the accept loops and every connection they
        // started: the listener is one-shot.
        let mut accepting = JoinSet::new();
        let open = Arc::new(Mutex::new(OpenConnections::with_cap(MAX_CONNECTIONS)));
        for listener in self.listeners {
            let (shared, tls, open) = (shared.clone(), self.tls.clone(), open.clone());
            accepting.spawn(accept_loop(listener, tls, shared, open));
        }
        let outcome = match tokio::time::timeout(timeout, arrived.recv()).await {
            Ok(Some(callback)) => Ok(callback),
            Ok(None) => Err(LoginError::Cancelled),
            Err(_) => Err(LoginError::Timeout(timeout.as_secs())),
        };
        open.lock().unwrap_or_else(|p| p.into_inner()).close_all();
        outcome
    }
}

/// Accept until dropped (a failed accept is waited out, see `listener::accept`).
async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Arc<Handler>,
    open: Arc<Mutex<OpenConnections>>,
) {
    loop {
        let stream = listener::accept(&listener).await;
        let answered = Arc::new(AtomicBool::new(false));
        // Held across the spawn, so the task's `forget` always comes after its `admit`.
        let mut connections = open.lock().unwrap_or_else(|p| p.into_inner());
        let id = connections.make_room();
        let (handler, tls, open_for_task, flag) =
            (handler.clone(), tls.clone(), open.clone(), answered.clone());
        let task = tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_LIMIT, serve(stream, tls, handler, flag)).await;
            open_for_task
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .forget(id);
        });
        connections.admit(id, task.abort_handle(), answered);
    }
}

struct Handler {
    path: String,
    state: Secret,
    found: mpsc::Sender<Callback>,
}

/// One connection: TLS if asked, HTTP/1 with a small head limit, `Connection: close`. The
/// callback is passed on only after the connection is done, so the result page has been
/// written before xox moves on (and possibly exits).
async fn serve(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    handler: Arc<Handler>,
    answered: Arc<AtomicBool>,
) {
    let result: Arc<Mutex<Option<Callback>>> = Arc::default();
    let slot = result.clone();
    let handler_for_requests = handler.clone();
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        answered.store(true, Ordering::Relaxed);
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let decided = respond(
            req.method(),
            &target,
            &handler_for_requests.path,
            &handler_for_requests.state,
        );
        if let Some(callback) = decided.callback {
            slot.lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(callback);
        }
        let response = Response::builder()
            .status(decided.status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONNECTION, "close")
            .body(Body::from(decided.page))
            .expect("static parts build");
        async move { Ok::<_, std::convert::Infallible>(response) }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    match tls {
        Some(acceptor) => {
            // A browser that has not accepted the certificate yet just closes: not an error.
            if let Ok(Ok(stream)) =
                tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await
            {
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            }
        }
        None => {
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        }
    }
    let found = result.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(callback) = found {
        let _ = handler.found.send(callback).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Secret {
        Secret::new("the-state-123")
    }

    #[test]
    fn the_real_callback_carries_the_code() {
        let r = respond(
            &Method::GET,
            "/callback?code=abc&state=the-state-123",
            "/callback",
            &state(),
        );
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.callback, Some(Callback::Code(Secret::new("abc"))));
    }

    #[test]
    fn a_cancellation_counts_only_with_the_right_state() {
        let r = respond(
            &Method::GET,
            "/callback?error=access_denied&state=the-state-123",
            "/callback",
            &state(),
        );
        assert_eq!(r.callback, Some(Callback::Denied("access_denied".into())));
        for forged in [
            "/callback?error=access_denied",
            "/callback?error=access_denied&state=other",
            "/callback?error=%1b%5d0%3bpwned%07",
        ] {
            let r = respond(&Method::GET, forged, "/callback", &state());
            assert_eq!(
                (r.status, r.callback),
                (StatusCode::BAD_REQUEST, None),
                "{forged}"
            );
        }
    }

    #[test]
    fn junk_gets_4xx_and_no_callback() {
        for (method, target, status) in [
            (
                Method::POST,
                "/callback?code=a&state=the-state-123",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (
                Method::GET,
                "/other?code=a&state=the-state-123",
                StatusCode::NOT_FOUND,
            ),
            (
                Method::GET,
                "/callback/extra?code=a&state=the-state-123",
                StatusCode::NOT_FOUND,
            ),
            (
                Method::GET,
                "/callback?code=a&state=wrong",
                StatusCode::BAD_REQUEST,
            ),
            (Method::GET, "/callback?code=a", StatusCode::BAD_REQUEST),
            (
                Method::GET,
                "/callback?code=&state=the-state-123",
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/callback?state=the-state-123",
                StatusCode::BAD_REQUEST,
            ),
            (Method::GET, "/favicon.ico", StatusCode::NOT_FOUND),
        ] {
            let r = respond(&method, target, "/callback", &state());
            assert_eq!((r.status, r.callback), (status, None), "{method} {target}");
        }
    }
}
