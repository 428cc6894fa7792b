//! Hooks on token events, on the built binary and the simulator: a command hears of each
//! event once, with no secret in what it gets or in its environment; a URL hook whose
//! server is down hears of it once the server is back; a command that hangs is cut off
//! without holding up another; two watchers on one store (on PostgreSQL, a fleet) tell
//! each event once; an app's installs and uninstalls from its public page are told too.
//! Runs on PostgreSQL too.

mod common;

use common::cli_env::Env;
use common::distributed::Distributed;
use common::fault_refreshes;
use common::rotating::{env_with_connection, simulator, spawn};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use xox_domain::sim::FaultKind;

/// The events a command hook appended to `file`, one JSON object a line.
fn told(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of(events: &[Value], event: &str) -> usize {
    events.iter().filter(|e| e["event"] == event).count()
}

/// Wait until `done` holds of what `file` was told, or fail saying what it was told.
async fn told_until(file: &Path, within: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let events = told(file);
        if done(&events) {
            return events;
        }
        assert!(Instant::now() < deadline, "told only {events:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A command that appends the event it is given to `file`, a line each, in one write:
/// hooks run at the same time append beside each other, not into each other.
fn appender(file: &Path) -> String {
    format!(
        "event=$(cat); printf '%s\\n' \"$event\" >> {}",
        file.display()
    )
}

/// `xox hook add --on ON --exec COMMAND [--label LABEL]`.
fn add_exec(env: &Env, on: &str, command: &str, label: Option<&str>) {
    let mut args = vec!["hook", "add", "--on", on, "--exec", command];
    args.extend(label.iter().flat_map(|l| ["--label", l]));
    env.ok(&args, "");
}

fn hooks(env: &Env) -> Vec<Value> {
    serde_json::from_str::<Value>(&env.ok(&["hook", "list", "--json"], ""))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Slack refuses the next refresh for good: the token needs re-auth.
fn refresh_token_dies(sim: &xox_domain::sim::Simulator) {
    let refused = FaultKind::Refuse {
        error: "invalid_refresh_token".into(),
    };
    fault_refreshes(sim, refused, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_hears_of_each_event_once_and_of_no_secret() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0HOOK");
    let dir = tempfile::tempdir().unwrap();
    let (file, environment) = (dir.path().join("told"), dir.path().join("env"));
    let command = format!("{}; env > {}", appender(&file), environment.display());
    add_exec(
        &env,
        "needs_reauth,refresh_failed,revoked",
        &command,
        Some("pager"),
    );
    refresh_token_dies(&sim);
    env.fails(&["refresh", "conn", "--bot"], "");

    // The command that recorded the events told the hook before it ended.
    // Both at once, in either order.
    let events = told(&file);
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(of(&events, "refresh_failed"), 1, "{events:#?}");
    let reauth = events
        .iter()
        .find(|e| e["event"] == "needs_reauth")
        .unwrap();
    assert_eq!(reauth["event"], "needs_reauth");
    assert_eq!(reauth["connection"], "conn");
    assert_eq!(reauth["app"], "acme");
    assert_eq!(reauth["team_id"], "T0HOOK");
    assert_eq!(reauth["token_kind"], "bot");
    assert_eq!(reauth["next"], "xox login --reauth conn");
    assert!(
        reauth["reason"]
            .as_str()
            .unwrap()
            .contains("invalid_refresh_token"),
        "{reauth}"
    );
    assert!(reauth["time"].as_str().unwrap().ends_with('Z'), "{reauth}");
    let text = std::fs::read_to_string(&file).unwrap();
    for shape in ["xoxe", "xoxb-", "xoxp-", "xapp-"] {
        assert!(!text.contains(shape), "a token reached the hook: {text}");
    }
    let seen_env = std::fs::read_to_string(&environment).unwrap();
    assert!(
        !seen_env.lines().any(|l| l.starts_with("XOX_")),
        "xox's settings reached the hook: {seen_env}"
    );

    // The token is dead already: trying again is no news.
    env.fails(&["refresh", "conn", "--bot"], "");
    assert_eq!(of(&told(&file), "needs_reauth"), 1);
    let listed = hooks(&env);
    assert_eq!(listed[0]["label"], "pager");
    assert_eq!(listed[0]["pending"], 0, "{listed:#?}");
    assert_eq!(listed[0]["last"]["state"], "delivered", "{listed:#?}");
    assert_eq!(listed[0]["last"]["connection"], "conn", "{listed:#?}");

    // `hook test` tells the hook now, and says so.
    let tested = env.ok(&["hook", "test", "pager"], "");
    assert!(tested.contains("told: exit 0"), "{tested}");
    assert_eq!(of(&told(&file), "test"), 1);
    env.ok(&["hook", "remove", "pager"], "");
    assert_eq!(hooks(&env), Vec::<Value>::new());
}

/// A receiver of signed POSTs: what it took, checked against the hook's secret.
struct Receiver {
    taken: std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

impl Receiver {
    async fn start_at(port: u16, path: &str) -> Receiver {
        let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = taken.clone();
        let app = axum::Router::new().route(
            path,
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let kept = kept.clone();
                async move {
                    kept.lock().unwrap().push((headers, body));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { taken }
    }

    fn taken(&self) -> Vec<(axum::http::HeaderMap, String)> {
        self.taken.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_hook_whose_server_is_down_is_told_once_it_is_back() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0DOWN");
    let port = common::browser::free_port();
    let url = format!("http://127.0.0.1:{port}/hooks/T0/secret-path");
    let added = env.ok(&["hook", "add", "--on", "needs_reauth", "--url", &url], "");
    let lines: Vec<&str> = added.lines().collect();
    let (id, secret) = (lines[0], lines[1]);
    assert!(secret.starts_with("xhs-"), "{added}");
    let listed = env.ok(&["hook", "list"], "");
    assert!(
        listed.contains(&format!("url: http://127.0.0.1:{port}/…")),
        "{listed}"
    );
    assert!(!listed.contains("secret-path"), "{listed}");
    let url_json = env.ok(&["hook", "list", "--json"], "");
    assert!(
        !url_json.contains("secret-path") && !url_json.contains(secret),
        "{url_json}"
    );

    // Nobody listens yet: the command that recorded the event could not tell it.
    refresh_token_dies(&sim);
    let out = env.run(&["refresh", "conn", "--bot"], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("hook {id} was not told (could not connect)")),
        "{stderr}"
    );
    let mut watch = spawn(&env, &["watch"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hooks(&env)[0]["pending"], 1);

    let receiver = Receiver::start_at(port, "/hooks/T0/secret-path").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.taken().is_empty() {
        assert!(Instant::now() < deadline, "never told: {:#?}", hooks(&env));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once: the watcher's next looks find nothing more to tell.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = watch.kill();
    let _ = watch.wait();
    let taken = receiver.taken();
    assert_eq!(taken.len(), 1, "{taken:#?}");
    let (headers, body) = &taken[0];
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secret = xox_domain::slack::Secret::new(secret);
    let now = chrono::Utc::now().timestamp();
    xox_domain::slack::signature::verify(
        &secret,
        header("x-xox-request-timestamp"),
        header("x-xox-signature"),
        body.as_bytes(),
        now,
    )
    .expect("signed with the hook's secret");
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["event"], "needs_reauth");
    assert_eq!(header("x-xox-event"), Some("needs_reauth"));
    assert_eq!(header("x-xox-delivery"), event["delivery"].as_str());
    let last = &hooks(&env)[0]["last"];
    assert_eq!(last["state"], "delivered", "{last}");
    assert!(last["attempts"].as_i64().unwrap() >= 2, "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_command_is_cut_off_without_holding_up_another() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0HANG");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("told");
    // A marker no other process has, to find what the hanging hook started.
    let marker = format!("sleep 3{}", std::process::id() % 1000);
    add_exec(
        &env,
        "needs_reauth",
        &format!("{marker}; true"),
        Some("hangs"),
    );
    add_exec(&env, "needs_reauth", &appender(&file), None);
    refresh_token_dies(&sim);
    let mut refresh = spawn(&env, &["refresh", "conn", "--bot"]);

    // The other hook is told while the hanging one still runs.
    told_until(&file, Duration::from_secs(8), |e| {
        of(e, "needs_reauth") == 1
    })
    .await;
    assert!(
        refresh.try_wait().unwrap().is_none(),
        "the hanging hook is still running"
    );
    let started = Instant::now();
    let out = common::rotating::wait(refresh).await;
    eprintln!(
        "the command ended {:?} after the other hook was told",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("was not told (cut off after 10s)"),
        "{stderr}"
    );
    let hanging = hooks(&env)
        .into_iter()
        .find(|h| h["label"] == "hangs")
        .unwrap();
    assert_eq!(hanging["last"]["result"], "cut off after 10s", "{hanging}");
    assert_eq!(
        hanging["last"]["state"], "pending",
        "tried again later: {hanging}"
    );
    let left = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "what the hook started was killed with it: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_on_one_store_tell_each_event_once() {
    // Tokens that live half an hour: due for refresh at once, and within the hour of
    // `expiring` once their refresh has failed.
    let sim = simulator(1800).await;
    let env = env_with_connection(&sim, "T0FLEET");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("told");
    add_exec(&env, "all", &appender(&file), None);
    refresh_token_dies(&sim);
    let mut watchers = [spawn(&env, &["watch"]), spawn(&env, &["watch"])];
    told_until(&file, Duration::from_secs(40), |e| {
        of(e, "needs_reauth") >= 1 && of(e, "expiring") >= 1
    })
    .await;
    // Each watcher looks for expiring tokens every 10 s: wait out another look of each.
    tokio::time::sleep(Duration::from_secs(12)).await;
    for watcher in &mut watchers {
        let _ = watcher.kill();
        let _ = watcher.wait();
    }
    let events = told(&file);
    for event in ["needs_reauth", "refresh_failed", "expiring"] {
        assert_eq!(of(&events, event), 1, "{event}: {events:#?}");
    }
    let expiring = events.iter().find(|e| e["event"] == "expiring").unwrap();
    assert!(
        expiring["reason"]
            .as_str()
            .unwrap()
            .starts_with("its refresh fails"),
        "{expiring}"
    );
    let deliveries: Vec<&str> = events
        .iter()
        .filter_map(|e| e["delivery"].as_str())
        .collect();
    let mut unique = deliveries.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), deliveries.len(), "{events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_and_uninstalls_from_the_public_page_are_told() {
    let d = Distributed::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("told");
    add_exec(&d.env, "installed,uninstalled", &appender(&file), None);
    assert_eq!(d.install("T0ONE").await.0, 200);
    d.control(
        "uninstall",
        json!({"client_id": common::distributed::CLIENT_ID, "team_id": "T0ONE"}),
    )
    .await;
    // The proxy recorded both, and told them itself.
    let events = told_until(&file, Duration::from_secs(10), |e| {
        of(e, "uninstalled") >= 1
    })
    .await;
    assert_eq!(of(&events, "installed"), 1, "{events:#?}");
    let installed = events.iter().find(|e| e["event"] == "installed").unwrap();
    assert_eq!(installed["connection"], "dist-t0one");
    assert_eq!(installed["app"], "dist");
    assert_eq!(
        installed["reason"],
        "installed from the app's Add to Slack page"
    );
    // One per token the uninstall revoked, each with its fix.
    let uninstalled: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "uninstalled")
        .collect();
    assert!(
        uninstalled
            .iter()
            .all(|e| e["next"] == "xox remove dist-t0one"),
        "{events:#?}"
    );
}
