//! A pair Slack has issued is never dropped: not when the database stays locked past the
//! busy timeout, not when the disk fills, not when a stop signal comes mid-refresh.

mod common;

use common::fault_refreshes;
use common::rotating::{
    env_with_connection, refresh_requests_reach, signal, simulator, spawn, wait,
};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use xox_domain::sim::FaultKind;

fn status_of(env: &common::cli_env::Env) -> Value {
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    list[0]["tokens"][0]["status"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_meeting_a_locked_database_is_saved_once_the_lock_goes() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0LOCK");
    fault_refreshes(&sim, FaultKind::Delay { ms: 700 }, 1);
    let refresher = spawn(&env, &["refresh", "conn", "--bot"]);
    refresh_requests_reach(&sim, 1).await;
    // Another program holds the write lock for longer than the busy timeout (2.5 s) while
    // Slack's answer arrives.
    let db = env.db();
    tokio::task::spawn_blocking(move || {
        let holder = rusqlite::Connection::open(db).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        std::thread::sleep(Duration::from_secs(4));
        holder.execute_batch("COMMIT").unwrap();
    })
    .await
    .unwrap();
    let out = wait(refresher).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status_of(&env), "ok");
    // The saved refresh token is the one Slack issued: the next refresh works.
    env.ok(&["refresh", "conn", "--bot"], "");
    let counters = sim.counters();
    assert_eq!(
        (counters.refresh_grants, counters.invalid_refresh_token),
        (2, 0)
    );
}

/// The script below runs in a mount namespace of its own, on a 2 MiB tmpfs that it fills
/// while Slack is answering a refresh.
const FILL_DURING_REFRESH: &str = r#"
set -u
mount -t tmpfs -o size=2m xox-full "$T" || exit 97
"$X" app add acme --client-id "$CID" --scopes users:read || exit 98
"$X" import conn --app acme < "$SEED" >/dev/null || exit 98
"$X" refresh conn --bot >/dev/null || exit 98
curl -sf "$S/_sim/faults" -H 'content-type: application/json' \
  -d '{"kind":"delay","method":"oauth.v2.access","ms":800,"count":1}' >/dev/null || exit 98
"$X" refresh conn --bot > "$OUT/during" 2>&1 & R=$!
sleep 0.3
dd if=/dev/zero of="$T/filler" bs=4k 2>/dev/null
wait $R; echo "during=$?"
dd if=/dev/zero of="$T/filler2" bs=4k 2>/dev/null
"$X" refresh conn --bot > "$OUT/full" 2>&1; echo "full=$?"
rm "$T/filler2"
"$X" list --json > "$OUT/list" 2>&1
rm "$T/filler"
"$X" refresh conn --bot > "$OUT/after" 2>&1; echo "after=$?"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_during_a_refresh_still_gets_the_pair() {
    let sim = simulator(3600).await;
    let env = common::cli_env::Env::new(sim.base_url());
    let (tmpfs, out) = (env.dir.path().join("tmpfs"), env.dir.path().join("out"));
    std::fs::create_dir_all(&tmpfs).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let seed_file = env.dir.path().join("seed.json");
    std::fs::write(
        &seed_file,
        common::rotating::seed(&sim, xox_domain::sim::presets::ROTATING_CLIENT_ID, "T0FULL"),
    )
    .unwrap();
    let hermetic = env.command(&[]);
    let mut cmd = hermetic
        .get_envs()
        .fold(Command::new("unshare"), |mut c, (k, v)| {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
            c
        });
    cmd.args(["-rm", "sh", "-c", FILL_DURING_REFRESH])
        .env("XOX_DB", tmpfs.join("xox.db"))
        .env("XOX_CLIENT_SECRET", xox_domain::sim::presets::PRESET_SECRET)
        .env("X", env!("CARGO_BIN_EXE_xox"))
        .env("T", &tmpfs)
        .env("OUT", &out)
        .env("S", sim.base_url())
        .env("SEED", &seed_file)
        .env("CID", xox_domain::sim::presets::ROTATING_CLIENT_ID);
    let run = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    if run.status.code() == Some(97) {
        eprintln!("skipped: this machine cannot mount a tmpfs in a user namespace");
        return;
    }
    assert!(
        stdout.contains("during=0"),
        "the refresh that met a full disk failed: {stdout} {} {}",
        read("during"),
        String::from_utf8_lossy(&run.stderr)
    );
    // With the reserve spent and the disk still full, the next refresh is refused before
    // Slack is asked, and the connection stays ok.
    assert!(
        stdout.contains("full=1"),
        "{stdout} {} {}",
        read("full"),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(read("full").contains("full"), "{}", read("full"));
    let list: Value = serde_json::from_str(&read("list")).unwrap();
    assert_eq!(list[0]["tokens"][0]["status"], "ok", "{list}");
    assert!(stdout.contains("after=0"), "{stdout} {}", read("after"));
    let counters = sim.counters();
    assert_eq!(
        (counters.refresh_grants, counters.invalid_refresh_token),
        (3, 0),
        "three refreshes reached Slack, none with a spent token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_first_pass_of_watch_lets_the_refresh_save_and_exits_0() {
    let sim = simulator(3000).await;
    let env = env_with_connection(&sim, "T0WATCH");
    fault_refreshes(&sim, FaultKind::Delay { ms: 1500 }, 2);
    let watcher = spawn(&env, &["watch"]);
    refresh_requests_reach(&sim, 1).await;
    signal(&watcher, "-TERM");
    let out = wait(watcher).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("refreshed conn"), "{stderr}");
    assert!(stderr.trim_end().ends_with("stopped"), "{stderr}");
    // No second token was started after the stop, and what was saved works.
    assert_eq!(sim.counters().refresh_grants, 1);
    env.ok(&["refresh", "conn", "--bot"], "");
    assert_eq!(sim.counters().invalid_refresh_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_refresh_waits_for_the_pair_to_be_saved() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0INT");
    fault_refreshes(&sim, FaultKind::Delay { ms: 1000 }, 1);
    let refresher = spawn(&env, &["refresh", "conn", "--bot"]);
    refresh_requests_reach(&sim, 1).await;
    signal(&refresher, "-INT");
    let out = wait(refresher).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("refreshed conn bot"));
    env.ok(&["refresh", "conn", "--bot"], "");
    assert_eq!(sim.counters().invalid_refresh_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_given_up_on_a_second_ctrl_c_is_reported_in_the_status_and_the_trail() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0LOST");
    fault_refreshes(&sim, FaultKind::Delay { ms: 300 }, 1);
    let db = env.db();
    let holder = rusqlite::Connection::open(&db).unwrap();
    let refresher = spawn(&env, &["refresh", "conn", "--bot"]);
    refresh_requests_reach(&sim, 1).await;
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    // The answer arrives and its save meets the lock past the busy timeout (2.5 s); the
    // retry is under way when two Ctrl-Cs give it up.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    signal(&refresher, "-INT");
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&refresher, "-INT");
    tokio::time::sleep(Duration::from_millis(2600)).await;
    holder.execute_batch("COMMIT").unwrap();
    let out = wait(refresher).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("a second Ctrl-C gives it up"), "{stderr}");
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    let token = &list[0]["tokens"][0];
    assert_eq!(token["status"], "needs_reauth", "{list}");
    assert!(
        token["status_reason"]
            .as_str()
            .is_some_and(|r| r.contains("could not be saved")),
        "{list}"
    );
    let history: Value = serde_json::from_str(&env.ok(&["history", "conn", "--json"], "")).unwrap();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"] == "lost"),
        "{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_hours_left_is_printed_within_one_http_timeout_when_slack_hangs() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0HANG");
    let stored = env.ok(&["token", "conn", "--within", "5m"], "");
    // Slack swallows every refresh request; another process holds the lease meanwhile.
    fault_refreshes(&sim, FaultKind::Blackhole, 6);
    let refresher = spawn(&env, &["--http-timeout", "1", "refresh", "conn", "--bot"]);
    refresh_requests_reach(&sim, 1).await;
    let started = std::time::Instant::now();
    let out = env.run(&["--http-timeout", "1", "token", "conn"], "");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), stored);
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("valid for"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Alone, with Slack still silent: one attempt, then the stored token.
    let _ = wait(refresher).await;
    let started = std::time::Instant::now();
    let out = env.run(&["--http-timeout", "1", "token", "conn"], "");
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_refresh_all_saves_what_is_in_flight() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0ALL1");
    env.ok(
        &["import", "second", "--app", "acme"],
        &common::rotating::seed(&sim, xox_domain::sim::presets::ROTATING_CLIENT_ID, "T0ALL2"),
    );
    fault_refreshes(&sim, FaultKind::Delay { ms: 1000 }, 4);
    let all = spawn(&env, &["refresh", "--all", "--concurrency", "1"]);
    refresh_requests_reach(&sim, 1).await;
    signal(&all, "-TERM");
    let out = wait(all).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stopped by a signal"), "{stderr}");
    // The refresh in flight was saved, and no other was started after the stop.
    assert_eq!(sim.counters().refresh_grants, 1, "{stderr}");
    let summary: Value =
        serde_json::from_str(&env.ok(&["refresh", "--all", "--json"], "")).unwrap();
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(sim.counters().invalid_refresh_token, 0);
}
