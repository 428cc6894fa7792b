//! The two Bolts, unpatched, serving three workspaces and a Grid org through one app key:
//! the simulator sends each install a signed `app_mention` through xox's public face, the
//! app answers with `say()` through the proxy, and each reply is made with its own
//! install's token, the org's for a workspace it covers. Bolt for Python comes from PyPI,
//! @slack/bolt from npm (where node is installed).

mod common;

use common::browser::free_port;
use common::distributed::{CLIENT_ID, Distributed, ORG, SIGNING_SECRET, WORKSPACES};
use common::sdks::{node_sdk, sdk_python};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Bolt app as a process, killed when dropped.
struct BoltApp(Child);

impl Drop for BoltApp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait until something listens on `port`.
async fn listening(port: u16) {
    let until = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < until, "the Bolt app did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Installs into every workspace and the org, with the app at `endpoint`; a mention
/// in each of `places` answered by the app, and the install each reply was made with.
async fn mentions_answered(d: &Distributed, said: &str) {
    let places = ["T0ONE", "T0TWO", "T0THREE", ORG, "T0GRIDA"];
    for place in places {
        let event = json!({"type": "app_mention", "user": "U0SIMUSER1", "channel": "C0SIMGENERAL",
            "text": format!("hi from {place}"), "ts": "1.000001"});
        let answer = d
            .control(
                "events",
                json!({"client_id": CLIENT_ID, "team_id": place, "event": event}),
            )
            .await;
        assert_eq!(answer["deliveries"][0]["status"], 200, "{place}: {answer}");
    }
    // Bolt answers Slack first and runs the listener after: wait for the replies.
    let until = Instant::now() + Duration::from_secs(20);
    let replies = loop {
        let replies: Vec<_> = d
            .posted()
            .await
            .into_iter()
            .filter(|m| m["text"].as_str().is_some_and(|t| t.starts_with(said)))
            .collect();
        if replies.len() >= places.len() || Instant::now() > until {
            break replies;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(replies.len(), places.len(), "{replies:#?}");
    for place in places {
        let reply = replies
            .iter()
            .find(|m| m["text"] == format!("{said} hi from {place}"))
            .unwrap_or_else(|| panic!("no reply in {place}: {replies:#?}"));
        let by = if place.starts_with("T0GRID") {
            ORG
        } else {
            place
        };
        assert_eq!(reply["install_team"], by, "{place}");
        assert_eq!(reply["token_kind"], "bot");
    }
}

async fn installed(forward_to: &str) -> Distributed {
    let d = Distributed::start(Some(forward_to)).await;
    for team in WORKSPACES.iter().chain([&ORG]) {
        assert_eq!(d.install(team).await.0, 200);
    }
    d
}

/// A Bolt app (`program script first…`, then its port, the signing secret, the app key
/// and the proxy's URL) serving every install; each mention answered as `said …`.
async fn bolt_serves_every_install(program: &str, script: &str, first: &[&str], said: &str) {
    let port = free_port();
    let d = installed(&format!("http://127.0.0.1:{port}/slack/events")).await;
    let key = d.app_key();
    let port_text = port.to_string();
    let mut args = vec![script];
    args.extend_from_slice(first);
    args.extend([port_text.as_str(), SIGNING_SECRET, &key, &d.proxy.url]);
    let _app = BoltApp(
        Command::new(program)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    listening(port).await;
    mentions_answered(&d, said).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bolt_for_python_serves_every_install_through_one_key() {
    let Some(python) = sdk_python() else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/bolt_app.py");
    bolt_serves_every_install(&python, script, &[], "python heard:").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bolt_for_javascript_serves_every_install_through_one_key() {
    let Some(modules) = node_sdk() else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/bolt_app.js");
    bolt_serves_every_install("node", script, &[&modules], "node heard:").await;
}

/// Installs through the public page in a real browser: three workspaces and the org, a
/// re-install, a cancel and a forged state. Debian's chromium, driven by selenium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_in_a_real_browser() {
    let Some(python) = sdk_python() else {
        return;
    };
    if !std::path::Path::new("/usr/bin/chromedriver").exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "chromium-driver is not installed"
        );
        eprintln!("skipped: chromium and chromium-driver are not installed");
        return;
    }
    let d = Distributed::start(None).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/install_browser.py"
    );
    let public = d.public.clone();
    let seen =
        tokio::task::spawn_blocking(move || common::sdks::run_client(&python, &[script, &public]))
            .await
            .unwrap();
    for team in ["T0ONE", "T0TWO", "T0THREE", "E0GRID", "reinstall"] {
        assert_eq!(seen[team], "dist is installed", "{team}: {seen}");
    }
    assert_eq!(seen["denied"], "dist was not installed", "{seen}");
    assert_eq!(seen["forged"], "dist was not installed", "{seen}");
    assert!(
        seen["forged_text"].as_str().unwrap().contains("bad_state"),
        "{seen}"
    );
    let all: serde_json::Value = serde_json::from_str(&d.env.ok(&["list", "--json"], "")).unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["dist-e0grid", "dist-t0one", "dist-t0three", "dist-t0two"]
    );
}
