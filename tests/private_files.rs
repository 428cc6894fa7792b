//! A file shared in a channel, read by an app that holds only a proxy key, with the real
//! python-slack-sdk: the private URLs in Slack's answers are the proxy's, a GET of one
//! with the key streams the file (a `Range` too), and a key of another install, no key or
//! a URL the proxy did not hand out read nothing; a file in an event reaches the app's own
//! endpoint the same way. Runs on PostgreSQL too. Without Python or
//! PyPI the test fails in CI (`CI=true`) and is skipped with a notice elsewhere.

mod common;

use common::distributed::{CLIENT_ID, Distributed, Endpoint, SIGNING_SECRET};
use common::proxy::{Proxy, key};
use common::rotating::seed;
use common::rotating::simulator;
use common::sdks::{env_with_install, run_client, sdk_python};
use serde_json::{Value, json};
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

async fn get(url: &str, key: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_reads_a_shared_file_with_its_key_alone() {
    let Some(python) = sdk_python() else {
        return;
    };
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0FILES", "chat:write,files:write,files:read");
    env.ok(
        &["import", "other", "--app", "acme"],
        &seed(&sim, ROTATING_CLIENT_ID, "T0ELSE"),
    );
    let key = key(&env, "conn");
    let other_key = key_of(&env, "other");
    let proxy = Proxy::start(&env);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/private_files.py");
    let seen = run_client(&python, &[script, &proxy.url, &key]);
    let url = seen["url_private"].as_str().unwrap().to_owned();
    let base = proxy.url.trim_end_matches("/api/");
    assert!(url.starts_with(&format!("{base}/files/")), "{seen}");
    assert!(
        !url.contains("files-pri"),
        "Slack's own URL is not handed out: {url}"
    );
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["bytes"], "quarterly numbers: 42", "{seen}");
    assert_eq!(seen["range"]["status"], 206, "{seen}");
    assert_eq!(seen["range"]["content_range"], "bytes 0-8/21", "{seen}");
    assert_eq!(seen["range"]["bytes"], "quarterly", "{seen}");

    // Nobody else reads it.
    assert_eq!(get(&url, Some(&other_key)).await.0, 403);
    assert_eq!(get(&url, None).await.0, 403);
    assert_eq!(get(&url, Some("xpk-not-a-key")).await.0, 403);
    // A URL the proxy did not hand out, pointing anywhere, gets no token sent with it.
    let parts: Vec<&str> = url.rsplitn(3, '/').collect();
    let (mac, encoded) = (parts[0], parts[1]);
    let forged = url.replace(encoded, "aHR0cDovLzEyNy4wLjAuMTo5L3N0ZWFs");
    assert_eq!(get(&forged, Some(&key)).await.0, 403);
    let flipped = url.replace(mac, &"0".repeat(mac.len()));
    assert_eq!(get(&flipped, Some(&key)).await.0, 403);
    assert_eq!(
        get(&url, Some(&key)).await,
        (200, "quarterly numbers: 42".into())
    );
    // Slack's headers come back, and a conditional GET passes on: 304 for a copy held.
    let first = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers()["accept-ranges"], "bytes");
    let again = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&key)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
}

/// A message event carrying a file, passed on by the public face to the app's endpoint:
/// its private URLs are the proxy's, the app's check of the signature still passes, and the
/// app's key for that workspace reads the file (another workspace's does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_events_files_reach_the_app_through_the_proxy() {
    let endpoint = Endpoint::start().await;
    let d = Distributed::start(Some(&endpoint.url)).await;
    for team in ["T0ONE", "T0TWO"] {
        assert_eq!(d.install(team).await.0, 200);
    }
    let app_key = d.app_key();
    let file = d
        .sim
        .with_world(|w| w.seed_file("T0ONE", "notes.txt", b"event file bytes"));
    let event = json!({"type": "message", "channel": "C0SIMGENERAL", "text": "see this",
                       "files": [file]});
    d.control(
        "events",
        json!({"client_id": CLIENT_ID, "team_id": "T0ONE", "event": event}),
    )
    .await;
    let (headers, body) = endpoint.seen.lock().unwrap().last().cloned().unwrap();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    xox_domain::slack::signature::verify(
        &xox_domain::slack::Secret::new(SIGNING_SECRET),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        now,
    )
    .expect("the app's own check passes");
    let delivered: Value = serde_json::from_slice(&body).unwrap();
    let url = delivered["event"]["files"][0]["url_private"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = d.proxy.url.trim_end_matches("/api/");
    assert!(url.starts_with(&format!("{base}/files/")), "{url}");
    assert_eq!(
        delivered["event"]["text"], "see this",
        "the rest as Slack sent it"
    );
    assert_eq!(
        get(&url, Some(&format!("{app_key}:T0ONE"))).await,
        (200, "event file bytes".into())
    );
    assert_eq!(get(&url, Some(&format!("{app_key}:T0TWO"))).await.0, 403);
}

fn key_of(env: &common::cli_env::Env, conn: &str) -> String {
    env.ok(&["proxy", "key", "add", conn], "").trim().to_owned()
}
