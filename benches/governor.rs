//! The governor against a simulator that limits `auth.test` to 20 calls a second per
//! install: 20 clients (plain HTTP, no retry of their own) make 5 calls each through
//! `xox proxy`, with the governor and with `--no-governor`. Prints the time each run took
//! against the limit's ideal time (the ratio), and the 429s that reached the clients;
//! asserts nothing.

#[path = "proxy_process.rs"]
mod proxy_process;
#[path = "seed.rs"]
mod seed;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;
use xox_domain::sim::Simulator;

const LIMIT: u32 = 20;
const CLIENTS: usize = 20;
const CALLS: usize = 5;

/// One run through a proxy started with `args`: seconds taken and 429s seen.
async fn run(
    sim: &Simulator,
    db: &std::path::Path,
    state: &std::path::Path,
    args: &[&str],
) -> (f64, usize) {
    let xox = || {
        let bin = std::env::var("XOX_BENCH_BIN").unwrap_or(env!("CARGO_BIN_EXE_xox").into());
        let mut cmd = Command::new(bin);
        cmd.env("XOX_DB", db)
            .env("XOX_SLACK_URL", sim.base_url())
            .env("XDG_STATE_HOME", state)
            .env("XOX_KEYRING", "0");
        cmd
    };
    let key = String::from_utf8(
        xox()
            .args(["proxy", "key", "add", "conn-00000"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let mut command = xox();
    command.args(["proxy", "--port", "0"]).args(args);
    let (mut proxy, base) = proxy_process::start(command);
    let url = format!("{base}auth.test");
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (url, key) = (url.clone(), key.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut limited = 0;
                for _ in 0..CALLS {
                    let answer = http.post(&url).bearer_auth(&key).send().await.unwrap();
                    limited += usize::from(answer.status() == 429);
                }
                limited
            })
        })
        .collect();
    let mut limited = 0;
    for client in clients {
        limited += client.await.unwrap();
    }
    let took = started.elapsed().as_secs_f64();
    let _ = proxy.kill();
    let _ = proxy.wait();
    (took, limited)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("governor.db");
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    sim.with_world(|w| {
        drop(seed::seed_connections(w, &db, 1));
        w.config.rate_limits = BTreeMap::from([("auth.test".to_owned(), LIMIT)]);
    });
    // 100 calls at 20 a second: the first 20 at once, then 4 more seconds.
    let ideal = (CLIENTS * CALLS) as f64 / f64::from(LIMIT) - 1.0;
    let state = dir.path().join("state");
    let (governed, limited) = run(&sim, &db, &state, &[]).await;
    println!(
        "governor on: {} calls in {governed:.2} s against an ideal {ideal:.1} s (ratio {:.2}), {limited} 429s reached the clients",
        CLIENTS * CALLS,
        governed / ideal
    );
    // Let the last second's window pass before the second run.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (ungoverned, limited) = run(&sim, &db, &state, &["--no-governor"]).await;
    println!(
        "governor off: {} calls in {ungoverned:.2} s, {limited} 429s reached the clients",
        CLIENTS * CALLS
    );
}
