//! Concurrency stress: many processes, each with many tasks, ask for the tokens of connections
//! that all enter their refresh window at once while Slack is slow. Every token must be
//! refreshed exactly once, no refresh token spent twice, and every caller served.
//!
//! Runs under `cargo test` at the size the reliability claim names (50 processes × 10 tasks ×
//! 20 connections); `XOX_STRESS_PROCESSES`, `_TASKS`, `_CONNECTIONS`, `_ROUNDS` and
//! `_DELAY_MS` change it (`scripts/stress.sh`). The workers are `common::stampede`'s.

mod common;
#[path = "../benches/seed.rs"]
mod seed;

use common::stampede::{self, Answers, HTTP_TIMEOUT};
use std::path::Path;
use std::time::Instant;
use xox_domain::sim::{FaultKind, Simulator};
use xox_domain::slack::{SlackClient, TokenKind};
use xox_domain::store::{ConnectionStore, SqliteStore, TokenStore};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(format!("XOX_STRESS_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !stampede::should_run("stress") {
        return;
    }
    let processes = setting("PROCESSES", 50);
    let tasks = setting("TASKS", 10);
    let connections = setting("CONNECTIONS", 20);
    let rounds = setting("ROUNDS", 1);
    let delay_ms = setting("DELAY_MS", 300) as u64;
    let (runtime, sim) = stampede::simulator();
    let dir = tempfile::tempdir().unwrap();
    for round in 1..=rounds {
        let db = dir.path().join(format!("round-{round}.db"));
        let started = Instant::now();
        let report = stampede(&sim, &db, processes, tasks, connections, delay_ms);
        println!(
            "stress round {round}: {processes} processes x {tasks} tasks x {connections} connections, \
             Slack +{delay_ms} ms: {} token answers, {} refreshes (max {} per token), \
             {} invalid_refresh_token, {} callers without a token, {:.2}s",
            report.callers.answers,
            report.refreshes,
            report.max_per_token,
            report.invalid_refresh_token,
            report.callers.without_token.len(),
            started.elapsed().as_secs_f64()
        );
        report.assert_sound(processes * tasks * connections, connections);
        runtime.block_on(assert_stored_tokens_work(&sim, &db, connections));
    }
}

struct Report {
    callers: Answers,
    refreshes: u64,
    max_per_token: u64,
    min_per_token: u64,
    refreshed_slots: usize,
    invalid_refresh_token: u64,
}

impl Report {
    fn assert_sound(&self, expected_answers: usize, connections: usize) {
        assert!(
            self.callers.worker_errors.is_empty(),
            "callers failed: {:?}",
            self.callers.worker_errors
        );
        assert_eq!(self.callers.without_token, [], "callers without a token");
        assert_eq!(
            self.callers.answers, expected_answers,
            "every caller answered"
        );
        assert_eq!(self.invalid_refresh_token, 0, "a refresh token spent twice");
        assert_eq!(self.refreshed_slots, connections, "every token refreshed");
        assert_eq!(
            (self.min_per_token, self.max_per_token),
            (1, 1),
            "exactly one refresh per token"
        );
        assert_eq!(self.refreshes, connections as u64);
        for (conn, seen) in &self.callers.tokens_seen {
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
    let location = db.display().to_string();
    let mut children: Vec<_> = (0..processes)
        .map(|p| stampede::spawn_worker(&location, sim.base_url(), tasks, connections, p, None))
        .collect();
    stampede::release(&mut children);
    let mut report = Report {
        callers: Answers::default(),
        refreshes: 0,
        max_per_token: 0,
        min_per_token: u64::MAX,
        refreshed_slots: 0,
        invalid_refresh_token: 0,
    };
    for child in children {
        report.callers.add(&child.wait_with_output().unwrap());
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
