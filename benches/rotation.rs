//! Rotation against the simulator: `xox refresh --all` over 1,000 expiring connections in
//! distinct workspaces (wall time, peak memory), and 100 `xox token` processes at once for
//! one expiring connection (refreshes that reach Slack). Prints numbers; asserts none.

#[path = "seed.rs"]
mod seed;

use std::process::Command;
use std::time::Instant;
use xox_domain::sim::Simulator;

const CONNECTIONS: usize = 1_000;

/// Run a command to completion; its stdout and its own peak resident memory in KiB.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also reports its rusage"
)]
fn run_measured(cmd: &mut Command) -> (Vec<u8>, i64) {
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 reaps our own child by pid and fills the rusage struct it is given.
    let pid = unsafe {
        libc::wait4(
            child.id() as libc::pid_t,
            &mut status,
            0,
            usage.as_mut_ptr(),
        )
    };
    assert_eq!(pid, child.id() as libc::pid_t);
    // SAFETY: initialised by the successful wait4 above.
    (stdout, unsafe { usage.assume_init() }.ru_maxrss)
}

/// 100 processes ask for the same token inside its window while Slack takes 300 ms.
fn token_stampede(sim: &Simulator, dir: &std::path::Path) {
    const PROCESSES: usize = 100;
    let db = dir.join("stampede.db");
    sim.with_world(|w| drop(seed::seed_connections(w, &db, 1)));
    // The seeded token expires within the window; the refreshed one lives 12 hours, as
    // Slack's do, so a process starting after the refresh finds it fresh.
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let before = sim.counters();
    sim.add_fault(xox_domain::sim::Fault {
        method: Some("oauth.v2.access".into()),
        kind: xox_domain::sim::FaultKind::Delay { ms: 300 },
        count: 1,
    });
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_xox"))
                .args(["token", "conn-00000"])
                .env("XOX_DB", &db)
                .env("XOX_SLACK_URL", sim.base_url())
                .env("XDG_STATE_HOME", dir.join("state"))
                .env_remove("XOX_KEY")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let wall = started.elapsed();
    let ok = outputs.iter().filter(|o| o.status.success()).count();
    let distinct: std::collections::BTreeSet<_> =
        outputs.iter().map(|o| o.stdout.clone()).collect();
    let after = sim.counters();
    println!(
        "{PROCESSES} xox token processes at once: {} refresh(es) reached the simulator, {} invalid_refresh_token, {ok} succeeded, {} distinct token(s) printed, {:.2}s wall",
        after.refresh_grants - before.refresh_grants,
        after.invalid_refresh_token - before.invalid_refresh_token,
        distinct.len(),
        wall.as_secs_f64(),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(Simulator::start(0)).unwrap();
    sim.add_preset_apps();
    // Tokens expiring in an hour are all inside the default two-hour window.
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    let dir = tempfile::tempdir().unwrap();
    token_stampede(&sim, dir.path());
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    for concurrency in [1, 8, 32] {
        let db = dir.path().join(format!("bench-{concurrency}.db"));
        sim.with_world(|w| drop(seed::seed_connections(w, &db, CONNECTIONS)));
        let grants_before = sim.counters().refresh_grants;
        let started = Instant::now();
        let (stdout, max_rss_kib) = run_measured(
            Command::new(env!("CARGO_BIN_EXE_xox"))
                .args([
                    "refresh",
                    "--all",
                    "--json",
                    "--concurrency",
                    &concurrency.to_string(),
                ])
                .env("XOX_DB", &db)
                .env("XOX_SLACK_URL", sim.base_url())
                .env("XDG_STATE_HOME", dir.path().join("state"))
                .env_remove("XOX_KEY"),
        );
        let wall = started.elapsed();
        let summary: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        println!(
            "refresh --all --concurrency {concurrency:>2}: {} due, {} refreshed, {} failed in {:.2}s ({:.0} tokens/s); simulator saw {} refreshes; peak RSS {:.1} MiB",
            summary["due"],
            summary["refreshed"],
            summary["failed"],
            wall.as_secs_f64(),
            summary["refreshed"].as_f64().unwrap_or(0.0) / wall.as_secs_f64(),
            sim.counters().refresh_grants - grants_before,
            max_rss_kib as f64 / 1024.0,
        );
    }
}
