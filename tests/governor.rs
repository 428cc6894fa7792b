//! The proxy's rate-limit governor against the real python-slack-sdk (from PyPI), with a
//! simulator that limits a method to 20 calls a second per install: 20 clients without a
//! retry handler making 5 calls each meet no error and finish within twice the limit's
//! ideal time; with `--no-governor` the same run shows Slack's 429s. A wait past
//! `--max-wait` gets the 429 itself.

mod common;

use common::proxy::{Proxy, key};
use common::rotating::simulator;
use common::sdks::{env_with_install, run_client, sdk_python};
use std::collections::BTreeMap;

const LIMIT: u32 = 20;
const CLIENTS: u32 = 20;
const CALLS: u32 = 5;

/// The clients' run through a proxy started with `args`: what they saw, and the key's
/// counts once the proxy has stopped.
async fn run(args: &[&str]) -> Option<(serde_json::Value, serde_json::Value)> {
    let python = sdk_python()?;
    let sim = simulator(43_200).await;
    sim.with_world(|w| {
        w.config.rate_limits = BTreeMap::from([("auth.test".to_owned(), LIMIT)]);
    });
    let env = env_with_install(&sim, "T0GOV", "chat:write");
    let key = key(&env, "conn");
    let mut command = vec!["proxy", "--port", "0"];
    command.extend_from_slice(args);
    let proxy = Proxy::spawn(env.command(&command));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/governor_client.py"
    );
    let (clients, calls) = (CLIENTS.to_string(), CALLS.to_string());
    let url = proxy.url.clone();
    let seen = tokio::task::spawn_blocking(move || {
        run_client(
            &python,
            &[script, &url, &key, "auth.test", &clients, &calls],
        )
    })
    .await
    .unwrap();
    drop(proxy);
    let keys: serde_json::Value =
        serde_json::from_str(&env.ok(&["proxy", "key", "list", "--json"], "")).unwrap();
    Some((seen, keys[0].clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_governor_absorbs_slacks_rate_limit() {
    let Some((seen, counts)) = run(&[]).await else {
        return;
    };
    assert_eq!(seen["ok"], CLIENTS * CALLS, "{seen}");
    // Held and waited out, not failed: the key's counts say so.
    assert_eq!(counts["failures"], 0, "{counts}");
    assert!(
        counts["held"].as_i64().unwrap() + counts["absorbed"].as_i64().unwrap() > 0,
        "{counts}"
    );
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    // 100 calls at 20 a second: 4 s after the first second's 20, ideally.
    let ideal = f64::from(CLIENTS * CALLS) / f64::from(LIMIT) - 1.0;
    let took = seen["seconds"].as_f64().unwrap();
    assert!(
        took <= 2.0 * ideal,
        "{took:.1}s against an ideal {ideal:.1}s"
    );
    eprintln!("governed: {took:.2}s against an ideal {ideal:.1}s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_governor_the_429s_reach_the_app() {
    let Some((seen, _)) = run(&["--no-governor"]).await else {
        return;
    };
    let errors = seen["errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "{seen}");
    assert!(errors.iter().all(|e| e == "429 ratelimited"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_past_the_longest_gets_the_429() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0GOV", "chat:write");
    let key = key(&env, "conn");
    sim.add_fault(xox_domain::sim::Fault {
        method: Some("auth.test".into()),
        kind: xox_domain::sim::FaultKind::Ratelimit { retry_after: 30 },
        count: 1,
    });
    let proxy = Proxy::spawn(env.command(&["proxy", "--port", "0", "--max-wait", "5"]));
    let client = reqwest::Client::new();
    let call = || async {
        let answer = client
            .post(format!("{}auth.test", proxy.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        (answer.status().as_u16(), retry_after)
    };
    // Slack's own 429, handed back: 30 s is past the longest wait.
    assert_eq!(call().await, (429, Some(30)));
    // The next is answered here, with what remains, and Slack is not asked.
    let before = sim.counters().calls.get("auth.test").copied();
    let (status, retry_after) = call().await;
    assert_eq!(status, 429);
    assert!(
        retry_after.is_some_and(|r| (28..=30).contains(&r)),
        "{retry_after:?}"
    );
    assert_eq!(sim.counters().calls.get("auth.test").copied(), before);
}

/// Two proxies on one store share Slack's Retry-After: the second holds a request for the
/// pair the first met a 429 for, rather than send it into the same limit. A hook on
/// `rate_limited` hears of the 429 once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_proxies_share_one_retry_after() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0GOV", "chat:write");
    let key = key(&env, "conn");
    let dir = tempfile::tempdir().unwrap();
    let told = dir.path().join("told");
    let appender = format!(
        "event=$(cat); printf '%s\\n' \"$event\" >> {}",
        told.display()
    );
    env.ok(
        &["hook", "add", "--on", "rate_limited", "--exec", &appender],
        "",
    );
    sim.add_fault(xox_domain::sim::Fault {
        method: Some("auth.test".into()),
        kind: xox_domain::sim::FaultKind::Ratelimit { retry_after: 3 },
        count: 1,
    });
    let first = Proxy::spawn(env.command(&["proxy", "--port", "0"]));
    let second = Proxy::spawn(env.command(&["proxy", "--port", "0"]));
    let started = std::time::Instant::now();
    let waited_out = tokio::spawn({
        let (url, key) = (first.url.clone(), key.clone());
        async move {
            let answer = reqwest::Client::new()
                .post(format!("{url}auth.test"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            answer.status().as_u16()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let asked = std::time::Instant::now();
    let answer = second.call("auth.test", &key).await;
    let held = asked.elapsed();
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        waited_out.await.unwrap(),
        200,
        "the first proxy waited its 429 out"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3)
            && held >= std::time::Duration::from_millis(1000),
        "the second proxy held its request until the first's Retry-After: held {held:?}"
    );
    assert_eq!(sim.counters().calls.get("auth.test").copied(), Some(3));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !told.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the hook was never told"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let events = std::fs::read_to_string(&told).unwrap();
    assert_eq!(events.lines().count(), 1, "{events}");
    let event: serde_json::Value = serde_json::from_str(events.trim()).unwrap();
    assert_eq!(event["event"], "rate_limited");
    assert_eq!(event["connection"], "conn");
    assert!(
        event["reason"]
            .as_str()
            .unwrap()
            .contains("429 to auth.test"),
        "{event}"
    );
}
