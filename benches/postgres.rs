//! The PostgreSQL store on a throwaway server on loopback: `xox token` with 10,000
//! connections (the whole process, and where its time goes), `xox refresh --all` over 1,000
//! due connections against the simulator, the dashboard's first frame with 10,000, and
//! `xox db copy` of a file into the server. Prints numbers; asserts none. Naming parts
//! (`cargo bench --bench postgres -- token frame refresh`) runs only those.

#[path = "first_frame.rs"]
mod first_frame;
#[allow(dead_code)]
#[path = "../tests/common/postgres.rs"]
mod postgres_server;
#[path = "seed.rs"]
mod seed;

use std::path::Path;
use std::process::Command;
use std::time::Instant;
use xox_domain::sim::Simulator;
use xox_domain::slack::TokenKind;
use xox_domain::store::postgres::PostgresStore;
use xox_domain::store::{ConnectionStore, TokenStore};

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const CONNECTIONS: usize = 10_000;
const DUE: usize = 1_000;
const TARGET: &str = "conn-05000";

fn xox(args: &[&str], db: &str, sim: &Simulator, state: &Path) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_xox"))
        .args(args)
        .env("XOX_DB", db)
        .env("XOX_KEY", KEY)
        .env("XOX_SLACK_URL", sim.base_url())
        .env("XDG_STATE_HOME", state)
        .env("XOX_KEYRING", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Median and 90th percentile of `runs` timings of `f`, in milliseconds.
fn timed(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[runs / 2], ms[runs * 9 / 10])
}

/// A file (`label`.db) of `count` connections from the simulator's rotating app, copied
/// into `url`.
fn seeded(sim: &Simulator, dir: &Path, url: &str, count: usize, label: &str) {
    let file = dir.join(format!("{label}.db"));
    sim.with_world(|w| drop(seed::seed_connections(w, &file, count)));
    let started = Instant::now();
    let file = file.display().to_string();
    xox(&["db", "copy", "--from", &file, "--to", url], url, sim, dir);
    println!(
        "xox db copy of {count} connections from a file: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The parts of the benchmark named on the command line; all of them when none is.
fn chosen() -> impl Fn(&str) -> bool {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    move |part| named.is_empty() || named.iter().any(|n| n == part)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runs = chosen();
    let Some(pg) = postgres_server::Postgres::start() else {
        println!("no PostgreSQL server could be started: nothing measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(Simulator::start(0)).unwrap();
    sim.add_preset_apps();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path();

    if runs("token") || runs("frame") {
        reads(&pg, &runtime, &sim, state, &runs);
    }
    if runs("refresh") {
        refreshes(&pg, &sim, state);
    }
    drop(pg);
}

/// `xox token` and the dashboard's first frame over 10,000 connections.
fn reads(
    pg: &postgres_server::Postgres,
    runtime: &tokio::runtime::Runtime,
    sim: &Simulator,
    state: &Path,
    runs: &impl Fn(&str) -> bool,
) {
    // Tokens that live 12 hours: outside the refresh window, so `xox token` only reads.
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let url = format!("{}&schema=bench", pg.url());
    seeded(sim, state, &url, CONNECTIONS, "token");
    if runs("token") {
        token(pg, sim, state, &url);
    }
    if runs("frame") {
        let (app, _, first, loaded) = first_frame::first_frame(runtime, Path::new(&url), || {
            Box::new(PostgresStore::open_with_key(&url, Some(KEY)).unwrap())
        });
        println!(
            "dashboard first frame with {} connections on PostgreSQL: {:.1} ms (loading {:.1} ms)",
            app.snapshot.connections.len(),
            first.as_secs_f64() * 1000.0,
            loaded.as_secs_f64() * 1000.0
        );
    }
}

/// `xox token`'s whole process, and where its time goes.
fn token(pg: &postgres_server::Postgres, sim: &Simulator, state: &Path, url: &str) {
    let (median, p90) = timed(200, || {
        let out = xox(&["token", TARGET], url, sim, state);
        assert!(out.stdout.starts_with(b"xoxe.xoxb-"));
    });
    println!(
        "xox token, {CONNECTIONS} connections: whole process {median:.1} ms median, {p90:.1} ms p90 (200 runs)"
    );
    let (version, _) = timed(100, || {
        assert!(
            Command::new(env!("CARGO_BIN_EXE_xox"))
                .arg("--version")
                .output()
                .unwrap()
                .status
                .success()
        )
    });
    let (connect, _) = timed(100, || {
        drop(postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap())
    });
    let (open, _) = timed(100, || {
        drop(PostgresStore::open_with_key(url, Some(KEY)).unwrap())
    });
    let store = PostgresStore::open_with_key(url, Some(KEY)).unwrap();
    let (find, _) = timed(500, || drop(store.connection(TARGET).unwrap()));
    let id = store.connection(TARGET).unwrap().id;
    let (decrypt, _) = timed(500, || {
        drop(store.access_token(&id, TokenKind::Bot).unwrap())
    });
    println!(
        "  where it goes (medians): process start {version:.1} ms; connect and authenticate {connect:.1} ms; open the store (connect, key check, search path) {open:.1} ms; find the connection {find:.2} ms; read and decrypt the token {decrypt:.2} ms"
    );
}

/// `xox refresh --all` over 1,000 due connections, 8 and 32 at a time.
fn refreshes(pg: &postgres_server::Postgres, sim: &Simulator, state: &Path) {
    // Tokens that expire within the hour: all inside the default two-hour window.
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    for concurrency in [8, 32] {
        let url = format!("{}&schema=due{concurrency}", pg.url());
        seeded(sim, state, &url, DUE, &format!("due{concurrency}"));
        let grants_before = sim.counters().refresh_grants;
        let started = Instant::now();
        let concurrency_arg = concurrency.to_string();
        let out = xox(
            &[
                "refresh",
                "--all",
                "--json",
                "--concurrency",
                &concurrency_arg,
            ],
            &url,
            sim,
            state,
        );
        let wall = started.elapsed();
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        println!(
            "refresh --all --concurrency {concurrency} on PostgreSQL: {} due, {} refreshed, {} failed in {:.2} s; the simulator saw {} refreshes",
            summary["due"],
            summary["refreshed"],
            summary["failed"],
            wall.as_secs_f64(),
            sim.counters().refresh_grants - grants_before,
        );
    }
}
