//! Crash safety: `xox token` and `xox refresh --all` processes SIGKILLed at random moments
//! while Slack is slow to refresh. Every database must pass `PRAGMA integrity_check`, and
//! once the dead processes' leases lapse every connection must be either usable (its token
//! works and its refresh token is live) or flagged `needs_reauth` with a reason: never
//! silently broken. With a refresh-token grace period at Slack, none may be lost at all.
//! `XOX_CRASH_ROUNDS` sets the rounds (`scripts/crash-loop.sh` runs many).

mod common;
#[path = "../benches/seed.rs"]
mod seed;

use common::cli_env::Env;
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::Duration;
use xox_domain::sim::{FaultKind, Simulator};

const CONNECTIONS: usize = 3;
/// Rounds run side by side: most of a round is waiting for a dead process's lease to lapse.
const BATCH: usize = 6;

fn random_below(n: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % n
}

#[derive(Debug, Default)]
struct Tally {
    rounds: usize,
    usable: usize,
    needs_reauth: usize,
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn one_round(sim: &Simulator) -> Tally {
    let env = Env::new(sim.base_url());
    std::fs::create_dir_all(env.db().parent().unwrap()).unwrap();
    sim.with_world(|w| drop(seed::seed_connections(w, &env.db(), CONNECTIONS)));
    common::fault_refreshes(
        sim,
        FaultKind::Delay {
            ms: random_below(400),
        },
        2,
    );
    let mut children: Vec<Child> = (0..CONNECTIONS)
        .map(|i| {
            spawn(
                &env,
                &["--http-timeout", "1", "token", &format!("conn-{i:05}")],
            )
        })
        .collect();
    children.push(spawn(&env, &["--http-timeout", "1", "refresh", "--all"]));
    tokio::time::sleep(Duration::from_millis(random_below(600))).await;
    for child in &mut children {
        let _ = child.kill(); // SIGKILL; one that already finished is fine.
        child.wait().unwrap();
    }
    assert_eq!(env.integrity_check(), "ok", "right after the kills");

    // Everything due gets refreshed once any dead holder's lease has lapsed.
    let mut settle = env.command(&["--http-timeout", "1", "refresh", "--all", "--json"]);
    let settled = tokio::task::spawn_blocking(move || settle.output().unwrap())
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    let mut tally = Tally {
        rounds: 1,
        ..Tally::default()
    };
    for conn in list.as_array().unwrap() {
        let name = conn["name"].as_str().unwrap();
        let bot = &conn["tokens"][0];
        match bot["status"].as_str().unwrap() {
            "ok" => {
                env.ok(&["call", "--conn", name, "auth.test"], "");
                // The stored refresh token is the live one: a forced refresh works.
                env.ok(&["refresh", name, "--bot"], "");
                tally.usable += 1;
            }
            "needs_reauth" => {
                assert!(
                    bot["status_reason"].as_str().is_some_and(|r| !r.is_empty()),
                    "{conn}"
                );
                tally.needs_reauth += 1;
            }
            other => panic!(
                "{name} ended {other}: {conn}; settle said {}",
                String::from_utf8_lossy(&settled.stderr)
            ),
        }
    }
    assert_eq!(env.integrity_check(), "ok", "after settling");
    tally
}

/// `rounds` rounds against a simulator whose used refresh tokens keep working for
/// `grace_secs`.
async fn crash_loop(rounds: usize, grace_secs: i64) -> Tally {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    sim.with_world(|w| {
        // An hour: inside the refresh window, so every process has a refresh to do.
        w.config.token_lifetime_secs = 3600;
        w.config.refresh_grace_secs = grace_secs;
    });
    let mut total = Tally::default();
    let mut left = rounds;
    while left > 0 {
        let batch = left.min(BATCH);
        left -= batch;
        let tallies = futures_util::future::join_all((0..batch).map(|_| one_round(&sim))).await;
        for t in tallies {
            total.rounds += t.rounds;
            total.usable += t.usable;
            total.needs_reauth += t.needs_reauth;
        }
    }
    println!(
        "crash loop, refresh-token grace {grace_secs}s: {} rounds, {} connections usable, {} flagged needs_reauth, 0 corrupt, 0 silently broken",
        total.rounds, total.usable, total.needs_reauth
    );
    assert_eq!(total.usable + total.needs_reauth, rounds * CONNECTIONS);
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshers_killed_at_random_moments_leave_sound_files_and_nothing_silently_broken() {
    let rounds: usize = std::env::var("XOX_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BATCH);
    // Strict: a kill after Slack rotated and before the commit costs the connection.
    crash_loop(rounds, 0).await;
    // With a grace period shorter than a lease's life (10 s here), only taking over from
    // the dead process at once, not after its lease lapses, refreshes with the same token
    // in time: no connection may be lost.
    let graced = crash_loop(rounds, 5).await;
    assert_eq!(graced.needs_reauth, 0);
}
