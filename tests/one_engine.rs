//! The CLI and the dashboard run the same workflows through the one engine: the same input
//! against the same simulator gives the same stored result, whichever front end asked.

mod common;

use common::cli_env::Env;
use common::dashboard::{Dashboard, key};
use crossterm::event::KeyCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use xox::engine::{Engine, Settings};
use xox::tui::app::{Mode, Msg};
use xox_domain::sim::Simulator;
use xox_domain::sim::faults::{Fault, FaultKind};
use xox_domain::sim::presets::ROTATING_CLIENT_ID;
use xox_domain::store::{CallState, SqliteStore};

/// A simulator and a database holding app `acme` and connection `conn` (rotating tokens
/// with bot scope chat:write only).
async fn world() -> (Simulator, Env) {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    let env = Env::new(sim.base_url());
    env.add_rotating_app();
    import_install(&sim, &env, "conn", "T0ONE", "search:read");
    (sim, env)
}

/// Import a rotating install of the preset app in `team` as connection `name`.
fn import_install(sim: &Simulator, env: &Env, name: &str, team: &str, user_scopes: &str) {
    let answer = sim
        .with_world(|w| {
            w.seed_install(
                ROTATING_CLIENT_ID,
                Some((team, team)),
                "chat:write",
                user_scopes,
            )
        })
        .unwrap();
    env.ok(&["import", name, "--app", "acme"], &answer.to_string());
}

/// The next two `method` calls are rate-limited for one second: the call's own retry
/// meets the second, so the failure is recorded with a short `Retry-After`.
fn rate_limit_twice(sim: &Simulator, method: &str) {
    sim.add_fault(Fault {
        method: Some(method.into()),
        kind: FaultKind::Ratelimit { retry_after: 1 },
        count: 2,
    });
}

/// Remove a connection the way another program would, leaving its failed calls behind.
fn delete_connection(env: &Env, name: &str) {
    let db = rusqlite::Connection::open(env.db()).unwrap();
    db.execute(
        "DELETE FROM tokens WHERE connection_id = (SELECT id FROM connections WHERE name = ?1)",
        [name],
    )
    .unwrap();
    db.execute("DELETE FROM connections WHERE name = ?1", [name])
        .unwrap();
}

/// What both front ends must agree on, read from the store afterwards.
#[derive(Debug, PartialEq)]
struct Outcome {
    generations: Vec<i64>,
    refresh_grants: u64,
    calls: Vec<(String, String, CallState, Option<String>)>,
}

async fn outcome(sim: &Simulator, env: &Env) -> Outcome {
    let engine = dashboard_engine(sim, env);
    let calls = engine
        .failed_calls()
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.call.method.clone(),
                f.call.error.clone(),
                f.call.state,
                f.connection.map(|c| c.name),
            )
        })
        .collect();
    let generations = match engine.connection("other").await {
        Ok(c) => c.tokens.iter().map(|t| t.generation).collect(),
        Err(_) => vec![],
    };
    Outcome {
        generations,
        refresh_grants: sim.counters().refresh_grants,
        calls,
    }
}

fn dashboard_engine(sim: &Simulator, env: &Env) -> Arc<Engine> {
    Arc::new(Engine::with_backend(
        Box::new(SqliteStore::open_with_key(&env.db(), None).unwrap()),
        Settings {
            db: env.db(),
            slack_url: sim.base_url().to_owned(),
            http_timeout: Duration::from_secs(5),
            window: xox_domain::rotation::DEFAULT_WINDOW,
            stop: Default::default(),
        },
    ))
}

/// Run a command that must fail; its stderr (warnings may come before the error line).
fn failing(env: &Env, args: &[&str]) -> String {
    let out = env.run(args, "");
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_dashboard_give_the_same_results() {
    // The CLI.
    let (cli_sim, cli) = world().await;
    cli.ok(&["refresh", "conn"], "");
    let err = failing(
        &cli,
        &[
            "call",
            "reactions.add",
            "name=tada",
            "channel=C0SIMGENERAL",
            "timestamp=1.000001",
            "--conn",
            "conn",
        ],
    );
    assert!(err.contains("missing_scope"), "{err}");
    rate_limit_twice(&cli_sim, "auth.test");
    let err = failing(&cli, &["call", "auth.test", "--conn", "conn"]);
    assert!(err.contains("ratelimited"), "{err}");
    // The replay waits out what is left of the Retry-After, then succeeds.
    let replay = cli.run(&["replay", "2"], "");
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    // Another connection fails a call, then is removed: its failure is still listed.
    import_install(&cli_sim, &cli, "other", "T0TWO", "");
    failing(
        &cli,
        &["call", "search.messages", "query=x", "--conn", "other"],
    );
    delete_connection(&cli, "other");
    let listed: Value = serde_json::from_str(&cli.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed:#}");
    assert_eq!(listed[0]["connection"], Value::Null, "{listed:#}");

    // The dashboard, through its update/effect loop, on a world made the same way.
    let (tui_sim, tui) = world().await;
    let mut d = Dashboard::new(dashboard_engine(&tui_sim, &tui), false);
    d.drive(Msg::StoreChanged).await;
    d.keys("r").await;
    d.keys("c").await;
    d.keys("reactions.add name=tada channel=C0SIMGENERAL timestamp=1.000001")
        .await;
    d.drive(key(KeyCode::Enter)).await;
    assert!(d.status().contains("missing_scope"), "{}", d.status());
    rate_limit_twice(&tui_sim, "auth.test");
    d.keys("c").await;
    d.keys("auth.test").await;
    d.drive(key(KeyCode::Enter)).await;
    d.keys("f").await;
    assert_eq!(d.app.mode, Mode::Failed);
    d.keys("p").await;
    assert_eq!(d.status(), "replayed call #2: ok");
    d.drive(key(KeyCode::Esc)).await;
    import_install(&tui_sim, &tui, "other", "T0TWO", "");
    d.drive(Msg::StoreChanged).await;
    d.keys("G").await;
    assert_eq!(d.app.selected_connection().unwrap().name, "other");
    d.keys("c").await;
    d.keys("search.messages query=x").await;
    d.drive(key(KeyCode::Enter)).await;
    delete_connection(&tui, "other");
    d.drive(Msg::StoreChanged).await;
    assert_eq!(
        d.app.snapshot.failed.len(),
        3,
        "a call whose connection is gone stays listed"
    );
    assert!(d.app.snapshot.failed[0].connection.is_none());

    let (from_cli, from_tui) = (outcome(&cli_sim, &cli).await, outcome(&tui_sim, &tui).await);
    assert_eq!(from_cli, from_tui);
    assert_eq!(
        from_cli.refresh_grants, 2,
        "r and refresh refreshed the bot and the user token"
    );
    assert_eq!(
        from_cli.calls.iter().map(|c| c.2).collect::<Vec<_>>(),
        [CallState::Open, CallState::ReplayedOk, CallState::Open],
        "newest first"
    );
}
