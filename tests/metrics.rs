//! `/metrics` of `xox proxy --metrics` and `xox watch --metrics`, after mixed traffic:
//! Debian's `promtool check metrics` passes on each scrape, the series the README lists
//! are there, and no token, key or secret xox issued or holds appears in it.

mod common;

use common::cli_env::first_line;
use common::proxy::{Proxy, key};
use common::rotating::simulator;
use common::sdks::env_with_install;
use std::io::Write;
use std::process::{Command, Stdio};
use xox_domain::sim::presets::PRESET_SECRET;
use xox_domain::sim::{Fault, FaultKind};

/// `promtool check metrics` on `scrape`; `None` where promtool is not installed.
fn promtool(scrape: &str) -> Option<(bool, String)> {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "promtool (Debian's prometheus package) is not installed"
        );
        eprintln!("skipped: promtool is not installed");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

async fn scrape(url: &str) -> String {
    let answer = reqwest::get(url).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    answer.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxys_metrics_pass_promtool_and_hold_no_secret() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0METRICS", "chat:write");
    let key = key(&env, "conn");
    let token = env.ok(&["token", "conn"], "").trim().to_owned();
    let proxy = Proxy::spawn(env.command(&["proxy", "--port", "0", "--metrics"]));
    sim.add_fault(Fault {
        method: Some("auth.test".into()),
        kind: FaultKind::Ratelimit { retry_after: 1 },
        count: 1,
    });
    for _ in 0..3 {
        assert_eq!(proxy.call("auth.test", &key).await["ok"], true);
    }
    let form = [
        ("channel", "C0SIMGENERAL"),
        ("name", "tada"),
        ("timestamp", "1.1"),
    ];
    assert_eq!(
        proxy.call_with("reactions.add", &key, &form).await["error"],
        "missing_scope"
    );
    assert_eq!(
        proxy.call("auth.test", "xpk-not-a-key").await["error"],
        "invalid_auth"
    );
    let body = format!("text=hello&token={key}");
    let _ = reqwest::Client::new()
        .post(format!("{}chat.postMessage", proxy.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();

    let text = scrape(&proxy.url.replace("/api/", "/metrics")).await;
    if let Some((passed, said)) = promtool(&text) {
        assert!(passed, "promtool: {said}\n{text}");
    }
    for series in [
        "xox_proxy_requests_total{method=\"auth.test\",status=\"200\",error=\"\"} 3",
        "xox_proxy_requests_total{method=\"reactions.add\",status=\"200\",error=\"missing_scope\"} 1",
        "error=\"invalid_auth\"",
        "xox_proxy_request_duration_seconds_bucket{part=\"slack\",le=",
        "part=\"slack\"",
        "part=\"proxy\"",
        "xox_proxy_rate_limits_total{outcome=\"absorbed\"} 1",
        "xox_proxy_rate_limits_total{outcome=\"met\"} 1",
        "xox_connections{status=\"ok\"} 1",
        "xox_token_expiry_seconds{connection=\"conn\",kind=\"bot\"} 4",
    ] {
        assert!(text.contains(series), "{series} is not in:\n{text}");
    }
    // Nothing xox issued or holds, nor anything an argument carried.
    for secret in [
        key.as_str(),
        token.as_str(),
        PRESET_SECRET,
        "hello",
        "xpk-not-a-key",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchers_metrics_pass_promtool() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0METRICS", "chat:write");
    env.ok(&["refresh", "conn"], "");
    // A hook told of nothing but a test, which nobody answers: a delivery given up.
    let port = common::browser::free_port();
    let hook_url = format!("http://127.0.0.1:{port}/hook-path-secret");
    let added = env.ok(&["hook", "add", "--on", "all", "--url", &hook_url], "");
    let hook_secret = added.lines().nth(1).unwrap().to_owned();
    env.fails(&["hook", "test", added.lines().next().unwrap()], "");
    let mut watch = env
        .command(&["watch", "--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = first_line(&mut watch);
    let text = scrape(&url).await;
    let _ = watch.kill();
    let _ = watch.wait();
    if let Some((passed, said)) = promtool(&text) {
        assert!(passed, "promtool: {said}\n{text}");
    }
    assert!(text.contains("xox_connections{status=\"ok\"} 1"), "{text}");
    assert!(text.contains("xox_refreshes{outcome=\"ok\"} 1"), "{text}");
    assert!(
        text.contains("xox_hook_deliveries{state=\"gave_up\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("xox_hook_deliveries{state=\"pending\"} 0"),
        "{text}"
    );
    assert!(!text.contains("xox_proxy_requests"), "{text}");
    for secret in [hook_secret.as_str(), "hook-path-secret"] {
        assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
    }
}
