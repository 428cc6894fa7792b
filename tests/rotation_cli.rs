//! Rotation through the built binary: many `xox token` processes, SIGKILL, exchange, watch.

mod common;

use common::cli_env::Env;
use common::fault_refreshes;
use common::rotating::{
    all_at_once, env_with_connection, refresh_bot, refresher_waiting_on_slack, seed, signal,
    simulator, spawn, wait,
};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use xox_domain::sim::FaultKind;
use xox_domain::sim::presets::{CLASSIC_CLIENT_ID, PRESET_SECRET, ROTATING_CLIENT_ID};
use xox_domain::store::ConnectionStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_token_processes_share_one_refresh() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0MANY");
    let old = env.ok(&["token", "conn", "--within", "10m"], "");
    // Long enough that every process has its first look before the refresh ends, even
    // where opening the store takes a round trip to a server.
    fault_refreshes(&sim, FaultKind::Delay { ms: 1000 }, 1);
    let mut printed = Vec::new();
    for out in all_at_once(&env, 20, &["token", "conn"]).await {
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(
        sim.counters().refresh_grants,
        1,
        "one refresh reached Slack"
    );
    assert_eq!(sim.counters().invalid_refresh_token, 0);
    assert!(
        printed.iter().all(|t| *t == printed[0]),
        "every process printed the same token"
    );
    assert_ne!(printed[0], old);
    assert!(
        printed[0].starts_with("xoxe.xoxb-1-")
            && printed[0].ends_with('\n')
            && printed[0].lines().count() == 1
    );
    // The stored refresh token is the new one: the next refresh works.
    env.ok(&["refresh", "conn", "--bot"], "");
    assert_eq!(sim.counters().refresh_grants, 2);
}

fn lease_events(env: &Env) -> Vec<Value> {
    let history: Value = serde_json::from_str(&env.ok(&["history", "conn", "--json"], "")).unwrap();
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "lease")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresher_killed_mid_request_leaves_a_sound_database_and_is_taken_over_at_once() {
    if common::postgres::file_only("it checks the file and its lease row") {
        return;
    }
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0KILL");
    let mut victim = refresher_waiting_on_slack(&sim, &env).await;
    signal(&victim, "-KILL");
    victim.wait().unwrap();

    assert_eq!(env.integrity_check(), "ok");
    let db = rusqlite::Connection::open(env.db()).unwrap();
    let leases: i64 = db
        .query_row("SELECT COUNT(*) FROM leases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(leases, 1, "the dead process's lease is still there");

    // The holder is gone, so the next process need not wait for its lease to lapse.
    assert!(refresh_bot(&env).await.starts_with("refreshed conn bot"));
    let taken = lease_events(&env);
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0]["outcome"], "taken_over");
    assert!(
        taken[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("pid {}", victim.id())),
        "{taken:?}"
    );
    assert_eq!(sim.counters().refresh_grants, 1);
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_refresher_keeps_its_lease_until_it_lapses_and_wakes_to_the_new_token() {
    if common::postgres::file_only(
        "the file's lease lapses; a server's lock stays with its live holder",
    ) {
        return;
    }
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0STOP");
    let frozen = refresher_waiting_on_slack(&sim, &env).await;
    signal(&frozen, "-STOP");

    // Alive, so its lease is honoured until it lapses (TTL 1 s x 3 attempts + waits + 5 s).
    let started = Instant::now();
    refresh_bot(&env).await;
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "it waited for the lease"
    );
    assert!(
        lease_events(&env).is_empty(),
        "a live holder is not taken over"
    );

    // Woken, it times out, retries with the refresh token the other process spent, hears
    // invalid_refresh_token, sees the newer pair in the store and ends well.
    signal(&frozen, "-CONT");
    let out = wait(frozen).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counters = sim.counters();
    assert_eq!(
        (counters.refresh_grants, counters.invalid_refresh_token),
        (1, 1)
    );
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_needs_yes_and_reports_a_second_exchange_clearly() {
    let sim = simulator(43_200).await;
    let env = Env::new(sim.base_url());
    // A copy of the same long-lived token on another machine, in another database: one
    // database refuses to hold one token twice.
    let elsewhere = Env::new(sim.base_url());
    for env in [&env, &elsewhere] {
        let mut add = env.command(&["app", "add", "classic", "--client-id", CLASSIC_CLIENT_ID]);
        add.env("XOX_CLIENT_SECRET", PRESET_SECRET);
        assert!(env.run_with(add, "").status.success());
    }
    let answer = seed(&sim, CLASSIC_CLIENT_ID, "T0OLD");
    env.ok(&["import", "old", "--app", "classic"], &answer);
    elsewhere.ok(&["import", "old-copy", "--app", "classic"], &answer);

    let err = env.fails(&["exchange", "old"], "");
    assert!(
        err.contains("irreversible") && err.contains("--yes"),
        "{err}"
    );
    let err = env.fails(&["exchange", "old", "--yes"], "");
    assert!(
        err.contains("token_rotation_not_enabled") && err.contains("cannot be turned off"),
        "{err}"
    );

    sim.with_world(|w| w.apps_mut_rotation(CLASSIC_CLIENT_ID, true));
    // Each long-lived token of the connection, reported each.
    let out = env.ok(&["exchange", "old", "--yes"], "");
    assert!(
        out.starts_with("exchanged old bot: now xoxe.xoxb, expires in 1"),
        "{out}"
    );
    assert!(
        out.contains("\nexchanged old user: now xoxe.xoxp, expires in 1"),
        "{out}"
    );
    let err = elsewhere.fails(&["exchange", "old-copy", "--yes"], "");
    assert!(
        err.contains("token_already_exchanged") && err.contains("install the app again"),
        "{err}"
    );
    let history: Value = serde_json::from_str(&env.ok(&["history", "old", "--json"], "")).unwrap();
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["action"].as_str(), last["outcome"].as_str()),
        (Some("exchange"), Some("ok"))
    );
    assert!(last["old_expires_at"].is_null() && last["new_expires_at"].is_string());
    // The refused exchange is in the trail too.
    let copy: Value =
        serde_json::from_str(&elsewhere.ok(&["history", "old-copy", "--json"], "")).unwrap();
    assert_eq!(
        copy.as_array().unwrap().last().unwrap()["outcome"],
        "token_already_exchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_prints_only_the_token_and_falls_back_while_the_old_one_is_valid() {
    let sim = simulator(3600).await;
    let env = env_with_connection(&sim, "T0TOK");
    let out = env.run(&["token", "conn", "--user", "--within", "5m"], "");
    assert!(out.status.success() && out.stderr.is_empty());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("xoxe.xoxp-1-")
    );
    // Slack is down: the current token still has an hour, so it is printed with a warning.
    fault_refreshes(&sim, FaultKind::Status { status: 503 }, 3);
    let out = env.run(&["--http-timeout", "1", "token", "conn"], "");
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("warning: refreshing the bot token of conn failed")
            && stderr.contains("valid for"),
        "{stderr}"
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("xoxe.xoxb-1-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_all_reports_json_and_watch_refreshes_then_stops_on_sigterm() {
    let sim = simulator(3600).await;
    let env = Env::new(sim.base_url());
    env.add_rotating_app();
    for team in ["T01", "T02", "T03"] {
        env.ok(
            &["import", &format!("conn-{team}"), "--app", "acme"],
            &seed(&sim, ROTATING_CLIENT_ID, team),
        );
    }
    let summary: Value =
        serde_json::from_str(&env.ok(&["refresh", "--all", "--within", "30m", "--json"], ""))
            .unwrap();
    assert_eq!(summary["due"], 0, "nothing expires within 30 minutes");
    let summary: Value =
        serde_json::from_str(&env.ok(&["refresh", "--all", "--json"], "")).unwrap();
    assert_eq!(
        (
            summary["due"].as_u64(),
            summary["refreshed"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(6), Some(6), Some(0))
    );
    assert_eq!(sim.counters().refresh_grants, 6);

    // watch: everything is inside its 2 h window, so it refreshes all six and then sleeps.
    let mut watcher = spawn(&env, &["watch"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.counters().refresh_grants < 12 {
        assert!(Instant::now() < deadline, "watch did not refresh");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        Command::new("kill")
            .args(["-TERM", &watcher.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = watcher.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(watcher.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr.matches(" refreshed conn-T0").count(), 6, "{stderr}");
    assert!(
        stderr.contains(" waiting until ") && stderr.trim_end().ends_with("stopped"),
        "{stderr}"
    );
    assert_eq!(sim.counters().invalid_refresh_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_needs_yes_then_slack_refuses_the_token() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0REV");
    let err = env.fails(&["revoke", "conn", "--user"], "");
    assert!(
        err.contains("revoking is final") && err.contains("--yes"),
        "{err}"
    );
    assert_eq!(
        env.ok(&["revoke", "conn", "--user", "--yes"], ""),
        "revoked the user token of conn\n"
    );
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["tokens"][1]["status"], "revoked");
    // One usable-token policy for every workflow: a revoked token is refused before Slack
    // is asked.
    let err = env.fails(&["call", "auth.test", "--conn", "conn", "--user"], "");
    assert!(
        err.contains("user token of conn was revoked")
            && err.contains("next: xox login --reauth conn"),
        "{err}"
    );
    let history: Value = serde_json::from_str(&env.ok(&["history", "conn", "--json"], "")).unwrap();
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["action"],
        "revoke"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_needing_reauth_is_still_printed_while_it_works() {
    if common::postgres::file_only("it opens the file directly") {
        return;
    }
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0SPENT");
    // Another worker spends the stored refresh token behind xox's back.
    let store = xox_domain::store::SqliteStore::open_with_key(&env.db(), None).unwrap();
    let conn = store.connection("conn").unwrap();
    let refresh = store
        .refresh_token(&conn.id, xox_domain::slack::TokenKind::Bot)
        .unwrap()
        .unwrap();
    let client =
        xox_domain::slack::SlackClient::new(sim.base_url(), Duration::from_secs(5)).unwrap();
    let creds = xox_domain::slack::ClientCredentials {
        client_id: ROTATING_CLIENT_ID.into(),
        client_secret: Some(xox_domain::slack::Secret::new(PRESET_SECRET)),
    };
    client
        .oauth(
            "oauth.v2.access",
            &creds,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
            ],
        )
        .await
        .unwrap();

    let err = env.fails(&["refresh", "conn", "--bot"], "");
    assert!(
        err.contains("needs re-auth") && err.contains("invalid_refresh_token"),
        "{err}"
    );
    let out = env.run(&["token", "conn"], "");
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("xoxe.xoxb-1-")
    );
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .starts_with("warning: the bot token of conn needs re-auth")
    );
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["status"], "needs_reauth");
}

/// `refresh CONN` tries each of the connection's rotating tokens: the bot token's
/// `invalid_refresh_token` does not keep the user token from its refresh, and each is
/// reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tries_each_token_and_reports_each() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0EACH");
    let refused = FaultKind::Refuse {
        error: "invalid_refresh_token".into(),
    };
    fault_refreshes(&sim, refused, 1);
    let out = env.run(&["refresh", "conn"], "");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "one token failed: {stdout}");
    assert!(stdout.contains("refreshed conn user"), "{stdout}\n{stderr}");
    // One sentence, as every error: which token, and why.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("could not refresh 1 of the 2 tokens of conn: bot: ")
            && stderr.contains("invalid_refresh_token"),
        "{stderr}"
    );
    let json = env.run(&["refresh", "conn", "--user", "--json"], "");
    assert!(json.status.success());
    let rows: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[0]["kind"], "user", "{rows}");
}
