//! `xox proxy` over loopback against the simulator: keys and their life, no open relay,
//! pass-through of every body and header Slack's SDKs use, rotation behind the app's back,
//! and failures kept as `xox call` keeps them.

mod common;

use common::proxy::{Proxy, bot_refreshes, key, proxied};
use common::rotating::{env_with_connection, simulator};
use common::sdks::env_with_install;
use serde_json::Value;
use xox_domain::sim::faults::{Fault, FaultKind};

async fn json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_shown_once_listed_without_the_key_and_revoked() {
    if common::postgres::file_only("it reads the file's bytes") {
        return;
    }
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0KEY");
    let key = key(&env, "conn");
    assert!(key.starts_with("xpk-") && key.len() == 44, "{key}");
    let listed = env.ok(&["proxy", "key", "list", "--json"], "");
    assert!(!listed.contains(&key[4..]), "the key is never shown again");
    let keys: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(keys[0]["connection"], "conn");
    assert_eq!(keys[0]["kind"], "auto");
    assert_eq!(keys[0]["label"], "test app");
    assert_eq!(keys[0]["requests"], 0);
    let db = std::fs::read(env.db()).unwrap();
    assert!(
        !db.windows(20).any(|w| w == &key.as_bytes()[4..24]),
        "only a digest is stored"
    );

    let proxy = Proxy::start(&env);
    let ok = proxy.call("auth.test", &key).await;
    assert_eq!(ok["ok"], true, "{ok}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let keys: Value =
        serde_json::from_str(&env.ok(&["proxy", "key", "list", "--json"], "")).unwrap();
    assert_eq!(keys[0]["requests"], 1);
    // Times as every JSON output gives them: RFC 3339.
    assert!(
        keys[0]["last_used_at"].as_str().unwrap().ends_with('Z'),
        "{keys}"
    );
    assert!(
        keys[0]["created_at"].as_str().unwrap().ends_with('Z'),
        "{keys}"
    );

    let id = keys[0]["id"].as_str().unwrap().to_owned();
    env.ok(&["proxy", "key", "revoke", &id], "");
    let refused = proxy.call("auth.test", &key).await;
    assert_eq!(refused["error"], "invalid_auth");
    assert!(
        env.fails(&["proxy", "key", "revoke", &id], "")
            .contains("no proxy key")
    );
    let stderr = proxy.stop();
    assert!(
        stderr.contains("proxy stopped after 2 requests"),
        "{stderr}"
    );
    assert!(!stderr.contains(&key[4..]), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_reaches_slack_without_a_key_the_proxy_made() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0RELAY");
    let proxy = Proxy::start(&env);
    let http = reqwest::Client::new();
    let real_token = env.ok(&["token", "conn"], "").trim().to_owned();
    let before = sim.counters().calls.get("auth.test").copied().unwrap_or(0);
    for bearer in ["xpk-made-up", real_token.as_str(), ""] {
        let answer = http
            .post(format!("{}auth.test", proxy.url))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body = json(answer).await;
        assert_eq!(body["ok"], false);
        assert!(
            body["error"] == "invalid_auth" || body["error"] == "not_authed",
            "{body}"
        );
    }
    let bad_method = json(
        http.post(format!("{}..%2Fetc", proxy.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad_method["error"], "unknown_method");
    assert_eq!(
        sim.counters().calls.get("auth.test").copied().unwrap_or(0),
        before,
        "nothing reached Slack"
    );
    // Oversized bodies are refused before anything else.
    let key = key(&env, "conn");
    let big = vec![b'a'; 2 * 1024 * 1024];
    let answer = http
        .post(format!("{}api.test", proxy.url))
        .bearer_auth(&key)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let err = env.fails(&["proxy", "--listen", "0.0.0.0"], "");
    assert!(err.contains("--expose-tokens-to-network"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_json_queries_headers_rate_limits_and_large_answers_pass_through() {
    let (sim, _env, key, proxy) = proxied("T0PASS").await;
    let http = reqwest::Client::new();
    let url = |m: &str| format!("{}{m}", proxy.url);

    // A form with the key as its `token` field, as some clients send it.
    let posted = http
        .post(url("chat.postMessage"))
        .form(&[
            ("token", key.as_str()),
            ("channel", "C0SIMGENERAL"),
            ("text", "form"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.headers()["x-oauth-scopes"], "chat:write");
    assert_eq!(posted.headers()["x-accepted-oauth-scopes"], "chat:write");
    assert_eq!(json(posted).await["message"]["text"], "form");
    // JSON, with the key in the header.
    let posted = http
        .post(url("chat.postMessage"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"channel": "C0SIMGENERAL", "text": "json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(posted).await["message"]["text"], "json");
    // A query string on a GET.
    let echoed = json(
        http.get(url("api.test?foo=bar"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(echoed["args"]["foo"], "bar");
    // An answer larger than what the proxy reads ahead arrives whole.
    let long = "x".repeat(300_000);
    let echoed = http
        .post(url("api.test"))
        .bearer_auth(&key)
        .form(&[("long", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(echoed).await["args"]["long"].as_str().unwrap().len(),
        300_000
    );
    // A 429 whose wait is past the governor's longest goes back as it came, Retry-After
    // and all, for the SDK's own retry handler.
    sim.add_fault(Fault {
        method: Some("auth.test".into()),
        kind: FaultKind::Ratelimit { retry_after: 40 },
        count: 1,
    });
    let limited = http
        .post(url("auth.test"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "40");
    let stderr = proxy.stop();
    assert!(stderr.contains("1 rate-limited"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_recorded_and_an_expired_token_is_refreshed_behind_the_apps_back() {
    let (sim, env, key, proxy) = proxied("T0FAIL").await;
    let http = reqwest::Client::new();
    let answer = json(
        http.post(format!("{}reactions.add", proxy.url))
            .bearer_auth(&key)
            .form(&[
                ("channel", "C0SIMGENERAL"),
                ("name", "tada"),
                ("timestamp", "1.1"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer["error"], "missing_scope");
    let failed: Value = serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(failed[0]["method"], "reactions.add");
    assert_eq!(failed[0]["needed"], serde_json::json!(["reactions:write"]));
    assert_eq!(
        failed[0]["command"],
        "xox login --reauth conn --scopes reactions:write"
    );
    // The recorded call is not sent again while its scope is missing; forced, it replays
    // with its own arguments (and fails the same way, until the scope is added).
    let err = env.fails(&["replay", "1"], "");
    assert!(err.contains("still lacks reactions:write"), "{err}");
    let replayed = env.run(&["replay", "1", "--force"], "");
    let err = String::from_utf8_lossy(&replayed.stderr);
    assert!(err.contains("missing_scope to reactions.add"), "{err}");
    let failed: Value = serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(failed[0]["replay_of"], 1, "{failed:#}");

    // Slack's clock says the token is spent while xox's does not: the proxy refreshes once
    // and sends the request again; the app never sees token_expired.
    sim.with_world(|w| w.advance_clock(43_300));
    let refreshes = sim.counters().refresh_grants;
    let ok = proxy.call("auth.test", &key).await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(sim.counters().refresh_grants, refreshes + 1);
    drop(proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_on_a_due_token_cause_one_refresh() {
    // Imported inside its window; the pair a refresh brings lives 12 hours, as Slack's do.
    let sim = simulator(3_000).await;
    let env = env_with_connection(&sim, "T0MANY");
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let key = key(&env, "conn");
    // Counted before the proxy starts: it keeps tokens fresh from its first moment.
    let before = sim.counters().refresh_grants;
    let proxy = Proxy::start(&env);
    let http = reqwest::Client::new();
    let calls = (0..50).map(|_| {
        let request = http
            .post(format!("{}auth.test", proxy.url))
            .bearer_auth(&key);
        async move { json(request.send().await.unwrap()).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    assert!(answers.iter().all(|a| a["ok"] == true), "{answers:?}");
    // One refresh of the bot token the calls used (the proxy also keeps the idle user
    // token fresh: one refresh of that too).
    // The idle user token's refresh runs beside the calls: it may land a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while sim.counters().refresh_grants < before + 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let counters = sim.counters();
    let bot_refreshes = bot_refreshes(&counters);
    assert_eq!(bot_refreshes, 1, "{:?}", counters.refreshes);
    assert_eq!(counters.refresh_grants, before + 2);
    assert_eq!(counters.invalid_refresh_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_lets_every_request_that_reached_slack_finish() {
    let (sim, env, key, proxy) = proxied("T0STOP").await;
    sim.add_fault(Fault {
        method: Some("chat.postMessage".into()),
        kind: FaultKind::Delay { ms: 400 },
        count: 1_000,
    });
    let http = reqwest::Client::new();
    let clients = (0..20).map(|i| {
        let (http, url, key) = (
            http.clone(),
            format!("{}chat.postMessage", proxy.url),
            key.clone(),
        );
        tokio::spawn(async move {
            let mut answered = 0;
            loop {
                let sent = http
                    .post(&url)
                    .bearer_auth(&key)
                    .form(&[
                        ("channel", "C0SIMGENERAL"),
                        ("text", &format!("client {i}")),
                    ])
                    .send()
                    .await;
                let Ok(response) = sent else { return answered };
                let body: Value = response.json().await.expect("an answer is never cut off");
                assert_eq!(body["ok"], true, "{body}");
                answered += 1;
            }
        })
    });
    let clients: Vec<_> = clients.collect();
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let stderr = tokio::task::spawn_blocking(move || proxy.stop())
        .await
        .unwrap();
    let mut answered = 0;
    for client in clients {
        answered += client.await.unwrap();
    }
    // Every post Slack handled was answered to its client: none was cut off mid-flight.
    let handled = sim
        .counters()
        .calls
        .get("chat.postMessage")
        .copied()
        .unwrap_or(0);
    assert!(answered >= 20, "{answered}");
    assert_eq!(handled, answered, "{stderr}");
    let listed: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(listed[0]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_go_through_the_proxys_own_url_without_the_key() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0UP", "files:write");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    let http = reqwest::Client::new();
    let url = json(
        http.post(format!("{}files.getUploadURLExternal", proxy.url))
            .bearer_auth(&key)
            .form(&[("filename", "a.bin"), ("length", "100000")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let upload_url = url["upload_url"].as_str().unwrap();
    assert!(
        upload_url.starts_with(proxy.url.trim_end_matches("api/")),
        "{url}"
    );
    // As node's SDK does: the bytes with the app's own credential (here the proxy key).
    let sent = http
        .post(upload_url)
        .bearer_auth(&key)
        .body(vec![7u8; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.text().await.unwrap(), "OK - 100000");
    let counters = sim.counters();
    assert_eq!(
        (counters.uploads, counters.uploads_with_authorization),
        (1, 0)
    );
    let files = serde_json::json!([{"id": url["file_id"], "title": "A"}]).to_string();
    let done = json(
        http.post(format!("{}files.completeUploadExternal", proxy.url))
            .bearer_auth(&key)
            .form(&[("files", files.as_str()), ("channel_id", "C0SIMGENERAL")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(done["files"][0]["size"], 100_000, "{done}");
    let unknown = http
        .post(format!("{}upload/0000", proxy.url.trim_end_matches("api/")))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_body_passes_through_unchanged() {
    let (_sim, _env, key, proxy) = proxied("T0MULTI").await;
    let body = "--XOXB\r\nContent-Disposition: form-data; name=\"greeting\"\r\n\r\nhello\r\n--XOXB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile bytes\r\n--XOXB--\r\n";
    let echoed = json(
        reqwest::Client::new()
            .post(format!("{}api.test", proxy.url))
            .bearer_auth(&key)
            .header("content-type", "multipart/form-data; boundary=XOXB")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(echoed["args"]["greeting"], "hello", "{echoed}");
    assert_eq!(echoed["args"]["file"], "file bytes", "{echoed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxied_failure_shows_in_a_running_dashboard_within_a_second() {
    if common::postgres::file_only("the in-process dashboard opens the file") {
        return;
    }
    use common::dashboard::Dashboard;
    let (sim, env, key, proxy) = proxied("T0DASH").await;
    let engine = xox::engine::Engine::open(xox::engine::Settings {
        db: env.db(),
        slack_url: sim.base_url().to_owned(),
        http_timeout: std::time::Duration::from_secs(5),
        window: xox_domain::rotation::DEFAULT_WINDOW,
        stop: Default::default(),
    })
    .unwrap();
    let mut dashboard = Dashboard::new(std::sync::Arc::new(engine), false);
    dashboard.drive(xox::tui::app::Msg::StoreChanged).await;
    dashboard.watch_store();
    assert!(dashboard.app.snapshot.failed.is_empty());
    // Let the watch take its first look, then fail a call through the proxy.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let answer = proxy.call("reactions.add", &key).await;
    assert_eq!(answer["error"], "missing_scope");
    let seen = dashboard
        .until(std::time::Duration::from_secs(3), |app| {
            !app.snapshot.failed.is_empty()
        })
        .await
        .expect("the failure reached the dashboard");
    assert!(seen <= std::time::Duration::from_millis(1_500), "{seen:?}");
    assert_eq!(
        dashboard.app.snapshot.failed[0].call.method,
        "reactions.add"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_out_of_reach_is_a_503_and_a_recorded_failure() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0GONE");
    let key = key(&env, "conn");
    // Nothing listens on port 1: the relay's connect fails at once.
    let offline = env.with_slack_url("http://127.0.0.1:1");
    let proxy = Proxy::start(&offline);
    let answer = reqwest::Client::new()
        .post(format!("{}auth.test", proxy.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = json(answer).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "service_unavailable");
    proxy.stop();
    let failed: Value = serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(failed[0]["method"], "auth.test", "{failed}");
    assert!(
        failed[0]["error"].as_str().unwrap().contains("not reached")
            || failed[0]["hint"].to_string().contains("not reached"),
        "{failed}"
    );
}
