//! What naming the install after an app key (`KEY:ID`) costs over a connection key, with
//! 500 installs: first the store's lookup alone (key, then install, then connection; no
//! cache), then through `xox proxy` with one client cycling over all 500 installs, the two
//! kinds of credential in alternating one-second slices. Prints p50 and p99 of each and the
//! difference; asserts nothing. `XOX_ROUTING_BENCH_SECS` changes the proxy part's length.

#[path = "proxy_process.rs"]
mod proxy_process;
#[path = "seed.rs"]
mod seed;

use std::process::Command;
use std::time::{Duration, Instant};
use xox_domain::sim::Simulator;
use xox_domain::slack::Secret;
use xox_domain::store::{
    ConnectionStore, InstallStore, KeyKind, KeyTarget, ProxyKeyStore, pick_install,
};

const INSTALLS: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(what: &str, connection: &mut [Duration], app: &mut [Duration]) {
    connection.sort();
    app.sort();
    let (c50, a50) = (percentile(connection, 0.5), percentile(app, 0.5));
    println!(
        "{what}: connection key p50 {:.1} µs p99 {:.1} µs; app key p50 {:.1} µs p99 {:.1} µs; KEY:ID adds {:.1} µs at p50 ({} + {} requests)",
        micros(c50),
        micros(percentile(connection, 0.99)),
        micros(a50),
        micros(percentile(app, 0.99)),
        micros(a50) - micros(c50),
        connection.len(),
        app.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: u64 = std::env::var("XOX_ROUTING_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("routing.db");
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    let mut store = sim.with_world(|w| seed::seed_connections(w, &db, INSTALLS));
    let app_id = store.connection("conn-00000").unwrap().app_id;
    let app_key = Secret::new("xpk-bench-app-key");
    store
        .add_proxy_key(
            KeyTarget::App(&app_id),
            KeyKind::Auto,
            None,
            &app_key,
            &Default::default(),
        )
        .unwrap();
    let mut connection_keys = Vec::new();
    for i in 0..INSTALLS {
        let id = store.connection(&format!("conn-{i:05}")).unwrap().id;
        let key = Secret::new(format!("xpk-bench-conn-{i:05}"));
        store
            .add_proxy_key(
                KeyTarget::Connection(&id),
                KeyKind::Auto,
                None,
                &key,
                &Default::default(),
            )
            .unwrap();
        connection_keys.push(key);
    }

    // The store's part: what the proxy reads on a miss of its one-second cache.
    let (mut by_connection, mut by_app) = (Vec::new(), Vec::new());
    for round in 0..4 {
        for (i, connection_key) in connection_keys.iter().enumerate() {
            let started = Instant::now();
            let key = store.proxy_key(connection_key).unwrap().unwrap();
            store
                .connection(key.connection_id.as_deref().unwrap())
                .unwrap();
            let connection = started.elapsed();
            let started = Instant::now();
            let key = store.proxy_key(&app_key).unwrap().unwrap();
            let candidates = store
                .install_candidates(key.app_id.as_deref().unwrap(), &format!("T{i:05}"))
                .unwrap();
            store
                .connection(&pick_install(&candidates, None).unwrap())
                .unwrap();
            let app = started.elapsed();
            if round > 0 {
                by_connection.push(connection);
                by_app.push(app);
            }
        }
    }
    report(
        "store lookup, 500 installs",
        &mut by_connection,
        &mut by_app,
    );
    drop(store);

    // Through the proxy, as an app meets it.
    let bin = std::env::var("XOX_BENCH_BIN").unwrap_or(env!("CARGO_BIN_EXE_xox").into());
    let mut command = Command::new(bin);
    command
        .args(["proxy", "--port", "0"])
        .env("XOX_DB", &db)
        .env("XOX_SLACK_URL", sim.base_url())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XOX_KEYRING", "0");
    let (mut proxy, base) = proxy_process::start(command);
    let url = format!("{base}auth.test");
    let http = reqwest::Client::new();
    let slice = |credentials: Vec<String>| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let until = Instant::now() + Duration::from_secs(1);
            let mut latencies = Vec::new();
            for credential in credentials.iter().cycle() {
                if Instant::now() >= until {
                    break;
                }
                let started = Instant::now();
                let body = http
                    .post(&url)
                    .bearer_auth(credential)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                assert!(body.windows(9).any(|w| w == b"\"ok\":true"), "{body:?}");
                latencies.push(started.elapsed());
            }
            latencies
        }
    };
    let connection_credentials: Vec<String> = connection_keys
        .iter()
        .map(|k| k.expose().to_owned())
        .collect();
    let app_credentials: Vec<String> = (0..INSTALLS)
        .map(|i| format!("{}:T{i:05}", app_key.expose()))
        .collect();
    slice(connection_credentials.clone()).await;
    slice(app_credentials.clone()).await;
    let (mut by_connection, mut by_app) = (Vec::new(), Vec::new());
    for _ in 0..secs {
        by_connection.extend(slice(connection_credentials.clone()).await);
        by_app.extend(slice(app_credentials.clone()).await);
    }
    report(
        "through the proxy, one client over 500 installs",
        &mut by_connection,
        &mut by_app,
    );
    let _ = proxy.kill();
    let _ = proxy.wait();
}
