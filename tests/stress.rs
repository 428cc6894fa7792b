//! Concurrency stress: many processes, each with many tasks, ask for the tokens of connections
//! that all enter their refresh window at once while Slack is slow. Every token must be
//! refreshed exactly once, no refresh token spent twice, and every caller served.
//!
//! Runs under `cargo test` at the size the reliability claim names (50 processes × 10 tasks ×
//! 20 connections); `XOX_STRESS_PROCESSES`, `_TASKS`, `_CONNECTIONS`, `_ROUNDS` and
//! `_DELAY_MS` change it (`scripts/stress.sh`). The test binary is its own worker: started with
//! `XOX_STRESS_WORKER` set, it plays one process.

mod common;
#[path = "../benches/seed.rs"]
mod seed;

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xox::rotation::{Need, RetryPolicy, Rotator, StoreHandle, Target};
use xox::sim::{FaultKind, Simulator};
use xox::slack::{SlackClient, TokenKind};
use xox::store::SqliteStore;

const WORKER_ENV: &str = "XOX_STRESS_WORKER";
/// Seeded tokens expire in a minute, inside this window; refreshed ones live 12 hours.
const WINDOW_SECS: i64 = 120;
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

fn setting(name: &str, default: usize) -> usize {
    std::env::var(format!("XOX_STRESS_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // libtest-style listing (nextest asks): this binary is one test.
    if std::env::args().any(|a| a == "--list") {
        println!("stress: test");
        return;
    }
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        worker(&spec);
        return;
    }
    // `cargo test NAME` passes NAME on: run only when it names this test.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| "stress".contains(f.as_str())) {
        return;
    }
    let processes = setting("PROCESSES", 50);
    let tasks = setting("TASKS", 10);
    let connections = setting("CONNECTIONS", 20);
    let rounds = setting("ROUNDS", 1);
    let delay_ms = setting("DELAY_MS", 300) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(Simulator::start(0)).unwrap();
    sim.add_preset_apps();
    let dir = tempfile::tempdir().unwrap();
    for round in 1..=rounds {
        let db = dir.path().join(format!("round-{round}.db"));
        let started = Instant::now();
        let report = stampede(&sim, &db, processes, tasks, connections, delay_ms);
        println!(
            "stress round {round}: {processes} processes x {tasks} tasks x {connections} connections, \
             Slack +{delay_ms} ms: {} token answers, {} refreshes (max {} per token), \
             {} invalid_refresh_token, {} callers without a token, {:.2}s",
            report.answers,
            report.refreshes,
            report.max_per_token,
            report.invalid_refresh_token,
            report.without_token,
            started.elapsed().as_secs_f64()
        );
        report.assert_sound(processes * tasks * connections, connections);
        runtime.block_on(assert_stored_tokens_work(&sim, &db, connections));
    }
}

struct Report {
    answers: usize,
    without_token: usize,
    refreshes: u64,
    max_per_token: u64,
    min_per_token: u64,
    refreshed_slots: usize,
    invalid_refresh_token: u64,
    /// Per connection, the distinct tokens (by digest) the callers were given.
    tokens_seen: BTreeMap<String, BTreeSet<String>>,
    worker_errors: Vec<String>,
}

impl Report {
    fn assert_sound(&self, expected_answers: usize, connections: usize) {
        assert!(
            self.worker_errors.is_empty(),
            "callers failed: {:?}",
            self.worker_errors
        );
        assert_eq!(self.without_token, 0, "callers without a token");
        assert_eq!(self.answers, expected_answers, "every caller answered");
        assert_eq!(self.invalid_refresh_token, 0, "a refresh token spent twice");
        assert_eq!(self.refreshed_slots, connections, "every token refreshed");
        assert_eq!(
            (self.min_per_token, self.max_per_token),
            (1, 1),
            "exactly one refresh per token"
        );
        assert_eq!(self.refreshes, connections as u64);
        for (conn, seen) in &self.tokens_seen {
            assert_eq!(seen.len(), 1, "{conn}: callers were given different tokens");
        }
    }
}

fn stampede(
    sim: &Simulator,
    db: &Path,
    processes: usize,
    tasks: usize,
    connections: usize,
    delay_ms: u64,
) -> Report {
    sim.with_world(|w| w.config.token_lifetime_secs = 60);
    sim.with_world(|w| drop(seed::seed_connections(w, db, connections)));
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let before = sim.counters();
    common::fault_refreshes(sim, FaultKind::Delay { ms: delay_ms }, connections as u32);
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..processes)
        .map(|p| {
            Command::new(&me)
                .env(
                    WORKER_ENV,
                    format!(
                        "{}\n{}\n{tasks}\n{connections}\n{p}",
                        db.display(),
                        sim.base_url()
                    ),
                )
                .env_remove("XOX_KEY")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut report = Report {
        answers: 0,
        without_token: 0,
        refreshes: 0,
        max_per_token: 0,
        min_per_token: u64::MAX,
        refreshed_slots: 0,
        invalid_refresh_token: 0,
        tokens_seen: BTreeMap::new(),
        worker_errors: Vec::new(),
    };
    for child in children {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            report.worker_errors.push(format!(
                "worker exited {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        report.worker_errors.extend(
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::to_owned),
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match line.split_once(' ') {
                Some((conn, digest)) if digest != "-" => {
                    report.answers += 1;
                    report
                        .tokens_seen
                        .entry(conn.to_owned())
                        .or_default()
                        .insert(digest.to_owned());
                }
                _ => report.without_token += 1,
            }
        }
    }
    let after = sim.counters();
    report.refreshes = after.refresh_grants - before.refresh_grants;
    report.invalid_refresh_token = after.invalid_refresh_token - before.invalid_refresh_token;
    for (slot, count) in &after.refreshes {
        let earlier = before.refreshes.get(slot).copied().unwrap_or(0);
        if *count > earlier {
            report.refreshed_slots += 1;
            report.max_per_token = report.max_per_token.max(count - earlier);
            report.min_per_token = report.min_per_token.min(count - earlier);
        }
    }
    report
}

/// What the store holds at the end is the token Slack now accepts, for every connection.
async fn assert_stored_tokens_work(sim: &Simulator, db: &Path, connections: usize) {
    let client = SlackClient::new(sim.base_url(), HTTP_TIMEOUT).unwrap();
    let store = SqliteStore::open_with_key(db, None).unwrap();
    for conn in store.connections().unwrap() {
        let token = store.access_token(&conn.id, TokenKind::Bot).unwrap();
        let answer = client.call("auth.test", &token, &[]).await;
        assert!(
            answer.is_ok(),
            "{}: stored token refused: {answer:?}",
            conn.name
        );
    }
    assert_eq!(store.connections().unwrap().len(), connections);
}

/// One process: `tasks` tasks each ask for every connection's token, in an order of their
/// own, as `xox token` does. Prints `NAME DIGEST` per answer (`NAME -` for none).
fn worker(spec: &str) {
    let fields: Vec<&str> = spec.lines().collect();
    let [db, base, tasks, connections, process] = fields[..] else {
        panic!("worker spec: {spec:?}");
    };
    let db = PathBuf::from(db);
    let (tasks, connections, process): (usize, usize, usize) = (
        tasks.parse().unwrap(),
        connections.parse().unwrap(),
        process.parse().unwrap(),
    );
    // Current-thread, like the xox binary.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = SqliteStore::open_with_key(&db, None).unwrap();
        let client = SlackClient::new(base, HTTP_TIMEOUT).unwrap();
        let rotator = std::rc::Rc::new(Rotator::new(
            StoreHandle::new(Box::new(store)),
            client,
            RetryPolicy::for_timeout(HTTP_TIMEOUT),
        ));
        let local = tokio::task::LocalSet::new();
        let mut handles = Vec::new();
        for task in 0..tasks {
            let rotator = rotator.clone();
            handles.push(local.spawn_local(async move {
                let mut lines = Vec::with_capacity(connections);
                for i in 0..connections {
                    let name = format!("conn-{:05}", (i + task * 7 + process * 3) % connections);
                    lines.push(ask(&rotator, &name).await);
                }
                lines
            }));
        }
        local
            .run_until(async {
                for handle in handles {
                    for line in handle.await.unwrap() {
                        println!("{line}");
                    }
                }
            })
            .await;
    });
}

async fn ask(rotator: &Rotator, name: &str) -> String {
    let lookup = name.to_owned();
    let conn = match rotator.store().run(move |s| s.connection(&lookup)).await {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("{name}: {e}");
            return format!("{name} -");
        }
    };
    match rotator
        .refresh_if(
            &Target::of(&conn, TokenKind::Bot),
            Need::ExpiresWithin(WINDOW_SECS),
        )
        .await
    {
        Ok(fresh) => {
            let digest = Sha256::digest(fresh.access.expose().as_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} {hex}")
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            format!("{name} -")
        }
    }
}
