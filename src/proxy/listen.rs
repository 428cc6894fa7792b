//! The proxy's listener, made to face a hostile network: HTTP/1 with a bound on how long a
//! request head may take and how large it may be, at most a cap of connections (the oldest
//! that has not sent an authenticated request goes first), accept errors waited out, and a
//! stop that lets requests already taken on finish but waits for no client that sends
//! nothing.

use crate::engine::listener::{self, Engaged, OpenConnections};
use crate::engine::{Stop, StopLevel};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a request head may take to arrive, from its first byte.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head; a larger one is refused with 431.
const MAX_HEAD: usize = 64 * 1024;
/// Connections at most, whatever the descriptor limit allows.
const MOST_CONNECTIONS: usize = 4096;

/// A connection's mark, put in each of its requests' extensions: the handler sets it once
/// the request proves a key, so that the connection is kept at the cap and at a stop.
#[derive(Clone)]
pub struct Engagement(pub Engaged);

/// How many connections a listener serves at once: its `share` of the descriptors this
/// process may open (the API half, the public face a quarter), so that the store, the
/// relay's connections to Slack and the log keep theirs.
pub fn connection_cap(share: u64) -> usize {
    let limit = listener::descriptor_limit().unwrap_or(1024);
    ((limit / share) as usize).clamp(16, MOST_CONNECTIONS)
}

/// Serve `app` on `listener` until a stop is asked for; then requests already taken on
/// finish, for at most `finish_within` (a second stop ends them at once).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    stop: Stop,
    finish_within: Duration,
    cap: usize,
) {
    let open = Arc::new(Mutex::new(OpenConnections::with_cap(cap)));
    let (stopping, stop_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            stream = listener::accept(&listener) => stream,
            () = stop.reached(StopLevel::Finish) => break,
        };
        let engaged = Engaged::default();
        // Held across the spawn, so the task's `forget` always comes after its `admit`.
        let mut admitted = open.lock().unwrap_or_else(|p| p.into_inner());
        let id = admitted.make_room();
        let task = connections.spawn(connection(
            stream,
            app.clone(),
            engaged.clone(),
            stop_seen.clone(),
            (open.clone(), id),
        ));
        admitted.admit(id, task, engaged);
        // Finished connections are reaped as others arrive.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stopping.send(true);
    open.lock().unwrap_or_else(|p| p.into_inner()).close_idle();
    let all_done = async { while connections.join_next().await.is_some() {} };
    tokio::select! {
        () = all_done => {}
        () = tokio::time::sleep(finish_within) => {}
        () = stop.reached(StopLevel::Abandon) => {}
    }
    // Dropping the set ends what is left.
}

/// One connection: requests until the client leaves, the head timeout passes, or a stop
/// (then the request in progress finishes and the connection closes).
async fn connection(
    stream: TcpStream,
    app: Router,
    engaged: Engaged,
    mut stop_seen: watch::Receiver<bool>,
    (open, id): (Arc<Mutex<OpenConnections>>, u64),
) {
    let tower = TowerToHyperService::new(app);
    let mark = Engagement(engaged);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(mark.clone());
        hyper::service::Service::call(&tower, request)
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    let served = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let stopping = async {
        let _ = stop_seen.wait_for(|stopping| *stopping).await;
    };
    tokio::select! {
        _ = served.as_mut() => {}
        () = stopping => {
            served.as_mut().graceful_shutdown();
            let _ = served.await;
        }
    }
    open.lock().unwrap_or_else(|p| p.into_inner()).forget(id);
}
