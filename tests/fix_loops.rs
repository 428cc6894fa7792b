//! Every fix xox suggests works: each demo failure walked through its hint to a successful
//! replay, in the dashboard with keys only and on the command line running each printed
//! `next:` command verbatim, against the demo's simulator.

mod common;

use common::cli_env::Env;
use common::dashboard::{Dashboard, key};
use crossterm::event::KeyCode;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;
use xox::engine::demo_world::{self, Demo};
use xox::tui::app::{Mode, Msg};
use xox_domain::store::CallState;

/// The demo's apps call back on its fixed port; one test at a time may listen there.
static DEMO_CALLBACK_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn dashboard(demo: &Demo) -> Dashboard {
    let store = demo.open_store().unwrap();
    let engine = demo.engine(store, Duration::from_secs(5), Default::default());
    Dashboard::new(Arc::new(engine), true)
}

/// Open the inspector on the failed call of `method` (not a replay).
async fn inspect(d: &mut Dashboard, method: &str) {
    if matches!(d.app.mode, Mode::Inspector { .. }) {
        d.keys("q").await;
    }
    let position = d
        .app
        .snapshot
        .failed
        .iter()
        .position(|f| f.call.method == method && f.call.replay_of.is_none())
        .unwrap_or_else(|| panic!("no failed {method}"));
    d.keys("g").await;
    d.keys(&"j".repeat(position)).await;
    d.drive(key(KeyCode::Enter)).await;
    assert_eq!(d.app.selected_failed().unwrap().call.method, method);
}

/// How many recorded failed calls still stand (open, or replayed and failed).
fn standing(d: &Dashboard) -> usize {
    d.app
        .snapshot
        .failed
        .iter()
        .filter(|f| xox::engine::standing(&f.call))
        .count()
}

fn state_of(d: &Dashboard, method: &str) -> CallState {
    d.app
        .snapshot
        .failed
        .iter()
        .find(|f| f.call.method == method && f.call.replay_of.is_none())
        .unwrap()
        .call
        .state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_failure_is_fixed_from_the_dashboard_with_keys_only() {
    let _port = DEMO_CALLBACK_PORT.lock().await;
    let demo = demo_world::start().await.unwrap();
    let mut d = dashboard(&demo);
    d.drive(Msg::StoreChanged).await;
    d.keys("f").await;

    // missing_scope: n re-authorizes adding the scope (the demo's Slack approves at once),
    // then p replays.
    inspect(&mut d, "reactions.add").await;
    d.keys("n").await;
    assert!(d.status().starts_with("logged in"), "{}", d.status());
    d.keys("p").await;
    assert!(d.status().ends_with(": ok"), "{}", d.status());
    assert_eq!(state_of(&d, "reactions.add"), CallState::ReplayedOk);

    // not_allowed_token_type: n replays with the connection's user token.
    inspect(&mut d, "search.messages").await;
    d.keys("n").await;
    assert!(d.status().ends_with(": ok"), "{}", d.status());
    assert_eq!(state_of(&d, "search.messages"), CallState::ReplayedOk);

    // not_in_channel: n joins the channel, which first needs channels:join. The join's
    // missing scope is offered in the same place: a re-authorizes adding it, n joins, p
    // replays the post. Nothing is left open, and no step is taken twice.
    inspect(&mut d, "chat.postMessage").await;
    let post = d.app.selected_failed().unwrap().call.id;
    d.keys("p").await;
    assert!(d.status().contains("replay of"), "{}", d.status());
    d.keys("n").await;
    assert!(d.status().contains("missing_scope"), "{}", d.status());
    assert_eq!(
        d.app.selected_failed().unwrap().call.id,
        post,
        "the inspector stays on its call"
    );
    let screen = d.screen(100, 30);
    assert!(
        screen.contains("conversations.join failed as call #"),
        "{screen}"
    );
    assert!(screen.contains("--scopes channels:join"), "{screen}");
    // p would only post and fail again: it says what is missing instead.
    let standing_before = standing(&d);
    d.keys("a").await;
    assert!(d.status().starts_with("logged in"), "{}", d.status());
    d.keys("n").await;
    assert!(
        d.status().starts_with("conversations.join ok"),
        "{}",
        d.status()
    );
    d.keys("p").await;
    assert!(d.status().ends_with(": ok"), "{}", d.status());
    assert_eq!(state_of(&d, "chat.postMessage"), CallState::ReplayedOk);
    assert!(
        standing_before >= 2,
        "the failed replay and the failed join stood"
    );
    assert_eq!(standing(&d), 0, "every attempt closed with the call");
    // Nothing is left to do, and n does not re-authorize again.
    d.keys("n").await;
    assert!(
        d.status().contains("nothing is left to do"),
        "{}",
        d.status()
    );
    assert!(!d.status().starts_with("logged in"));

    // The connection that needs re-auth: a, on the dashboard, re-authorizes it in place.
    d.keys("qq").await;
    d.keys("G").await;
    assert_eq!(d.app.selected_connection().unwrap().name, "gamma-reauth");
    d.keys("a").await;
    assert!(d.status().starts_with("logged in"), "{}", d.status());
    let names: Vec<String> = d
        .app
        .snapshot
        .connections
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(names.len(), 5, "no new connection: {names:?}");
    let gamma = d
        .app
        .snapshot
        .connections
        .iter()
        .find(|c| c.name == "gamma-reauth")
        .unwrap();
    assert_eq!(
        gamma
            .token(xox_domain::slack::TokenKind::Bot)
            .unwrap()
            .status,
        xox_domain::store::TokenStatus::Ok
    );
}

/// Run a command xox printed, exactly as printed, with a browser that follows links.
fn run_printed(env: &Env, path: &str, command: &str) -> Output {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "xox", "{command}");
    let mut cmd = env.command(&words[1..]);
    cmd.env("PATH", path);
    env.run_with(cmd, "")
}

/// The command after `next: ` in a line xox printed.
fn next_command(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split_once("next: ").map(|(_, c)| c.trim().to_owned()))
}

/// Run `command`; when it fails with a `next:` of its own, do that first and try again.
fn perform(env: &Env, path: &str, command: &str, depth: usize) {
    let out = run_printed(env, path, command);
    if out.status.success() {
        return;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let next =
        next_command(&err).unwrap_or_else(|| panic!("{command} failed with no next step: {err}"));
    assert!(depth < 3, "{command}: fixes lead in circles: {err}");
    perform(env, path, &next, depth + 1);
    let again = run_printed(env, path, command);
    assert!(
        again.status.success(),
        "{command} after {next}: {}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_next_command_xox_prints_runs_verbatim_and_gets_further() {
    let _port = DEMO_CALLBACK_PORT.lock().await;
    let demo = demo_world::start().await.unwrap();
    let env = Env::at(&demo.db, demo.sim.base_url());
    let path = env.browser_that_follows_links();
    let env = Arc::new(env);

    let listed = env.ok(&["failed"], "");
    let mut fixes = Vec::new();
    let mut id = None;
    for line in listed.lines() {
        if let Some(rest) = line.strip_prefix('#') {
            id = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(next) = next_command(line) {
            fixes.push((id.clone().unwrap(), next));
        }
    }
    assert_eq!(fixes.len(), 3, "{listed}");
    let demo_calls: Vec<String> = fixes.iter().map(|(id, _)| id.clone()).collect();
    for (id, next) in fixes {
        let (env, path) = (env.clone(), path.clone());
        tokio::task::spawn_blocking(move || {
            perform(&env, &path, &next, 0);
            if !next.starts_with(&format!("xox replay {id}")) {
                perform(&env, &path, &format!("xox replay {id}"), 0);
            }
        })
        .await
        .unwrap();
    }
    let after = env.ok(&["failed", "--json"], "");
    let calls: serde_json::Value = serde_json::from_str(&after).unwrap();
    let demo_call = |c: &&serde_json::Value| demo_calls.contains(&c["id"].to_string());
    let replayed: Vec<_> = calls.as_array().unwrap().iter().filter(demo_call).collect();
    assert_eq!(replayed.len(), 3);
    for call in replayed {
        assert_eq!(call["state"], "replayed_ok", "{call:#}");
    }
    // The side failures of the fixes closed with them: no step is left to take.
    let listed = env.ok(&["failed"], "");
    assert!(!listed.contains("next: "), "{listed}");

    // A token that needs re-auth is handed out with a warning whose next step mends it.
    let (env2, path2) = (env.clone(), path.clone());
    tokio::task::spawn_blocking(move || {
        let out = env2.run(&["token", "gamma-reauth"], "");
        assert!(out.status.success());
        let warning = String::from_utf8_lossy(&out.stderr).into_owned();
        let next = next_command(&warning).expect("a next step");
        assert_eq!(next, "xox login --reauth gamma-reauth");
        perform(&env2, &path2, &next, 0);
        let out = env2.run(&["token", "gamma-reauth"], "");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // A revoked token: refused, and the next step brings it back.
        env2.ok(&["revoke", "acme-rotating", "--user", "--yes"], "");
        let out = env2.run(
            &["call", "auth.test", "--conn", "acme-rotating", "--user"],
            "",
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let next = next_command(&err).expect("a next step");
        perform(&env2, &path2, &next, 0);
        env2.ok(
            &["call", "auth.test", "--conn", "acme-rotating", "--user"],
            "",
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_is_dismissed_by_key_or_command_and_the_trail_says_so() {
    let _port = DEMO_CALLBACK_PORT.lock().await;
    let demo = demo_world::start().await.unwrap();
    let env = Arc::new(Env::at(&demo.db, demo.sim.base_url()));
    let id_of = |method: &str| -> String {
        let listed: serde_json::Value =
            serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["method"] == method)
            .unwrap()["id"]
            .to_string()
    };
    let (reaction, search) = (id_of("reactions.add"), id_of("search.messages"));
    let env2 = env.clone();
    tokio::task::spawn_blocking(move || {
        let count = || {
            env2.ok(&["failed"], "")
                .lines()
                .filter(|l| l.starts_with('#'))
                .count()
        };
        let before = count();
        // Its scope is still missing: the replay is not sent, and nothing new is recorded.
        let err = env2.fails(&["replay", &reaction], "");
        assert!(err.contains("still lacks reactions:write"), "{err}");
        assert!(
            err.contains("next: xox login --reauth acme-classic --scopes reactions:write"),
            "{err}"
        );
        assert_eq!(count(), before);

        assert_eq!(
            env2.ok(&["failed", "dismiss", &reaction], ""),
            format!("dismissed #{reaction}\n")
        );
        assert_eq!(count(), before - 1);
        let all = env2.ok(&["failed", "--all"], "");
        assert!(all.contains("[dismissed]"), "{all}");
        let history = env2.ok(&["history", "acme-classic"], "");
        assert!(
            history.contains(&format!("dismissed failed call #{reaction} (reactions.add")),
            "{history}"
        );
        let err = env2.fails(&["replay", &reaction], "");
        assert!(err.contains("was dismissed"), "{err}");
        let err = env2.fails(&["failed", "dismiss", &reaction], "");
        assert!(err.contains("was dismissed"), "{err}");
    })
    .await
    .unwrap();

    // In the dashboard, d on a call sets it aside too.
    let mut d = dashboard(&demo);
    d.drive(Msg::StoreChanged).await;
    d.keys("f").await;
    inspect(&mut d, "search.messages").await;
    d.keys("d").await;
    assert_eq!(d.status(), format!("dismissed #{search}"));
    assert_eq!(d.app.mode, Mode::Failed);
    assert!(
        d.app
            .snapshot
            .failed
            .iter()
            .all(|f| f.call.method != "search.messages"),
        "a dismissed call leaves the list"
    );
}
