//! Failed calls end to end through the binary: recorded, explained, fixed, replayed.

mod common;

use common::browser::{consent, follow, free_port, start_login};
use common::cli_env::Env;
use serde_json::Value;
use xox_domain::sim::{Fault, FaultKind, SimApp, Simulator};

const ID: &str = "900.901";

/// A simulator and an environment with connection `acme` logged in through the browser,
/// holding a bot token with only users:read and a user token with search:read.
async fn logged_in() -> (Simulator, Env) {
    let redirect = format!("http://localhost:{}/callback", free_port());
    let sim = Simulator::start(0).await.unwrap();
    sim.with_world(|w| {
        w.register_app(SimApp {
            client_id: ID.into(),
            client_secret: Some("s".into()),
            pkce: false,
            rotation: true,
            redirect_urls: vec![redirect.clone()],
            app_id: "A0FAIL".into(),
            signing_secret: None,
            event_url: None,
        })
    });
    let env = Env::new(sim.base_url());
    let mut add = env.command(&[
        "app",
        "add",
        "app",
        "--client-id",
        ID,
        "--rotation",
        "--redirect-uri",
        &redirect,
        "--scopes",
        "users:read",
        "--user-scopes",
        "search:read",
    ]);
    add.env("XOX_CLIENT_SECRET", "s");
    assert!(env.run_with(add, "").status.success());
    let login = start_login(&env, &["--app", "app", "--name", "acme"]);
    follow(&consent(&login.url, "allow").await).await;
    assert!(login.end().await.0);
    (sim, env)
}

fn failed(env: &Env) -> Vec<Value> {
    serde_json::from_str::<Value>(&env.ok(&["failed", "--json"], ""))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scope_is_explained_fixed_by_reauth_and_replayed() {
    let (_sim, env) = logged_in().await;
    let err = env.run(
        &[
            "call",
            "chat.postMessage",
            "channel=C0SIMGENERAL",
            "text=deploy done",
            "--conn",
            "acme",
        ],
        "",
    );
    assert!(!err.status.success());

    let calls = failed(&env);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call["id"], 1);
    assert_eq!(call["method"], "chat.postMessage");
    assert_eq!(call["error"], "missing_scope");
    assert_eq!(call["needed"], serde_json::json!(["chat:write"]));
    assert_eq!(call["provided"], serde_json::json!(["users:read"]));
    assert_eq!(call["token_kind"], "bot");
    assert_eq!(call["state"], "open");
    assert!(
        call["hint"]
            .as_str()
            .unwrap()
            .contains("add it as a bot scope")
    );
    assert_eq!(
        call["command"],
        "xox login --reauth acme --scopes chat:write"
    );
    let text = env.ok(&["failed"], "");
    assert!(
        text.contains("needed: chat:write   provided: users:read")
            && text.contains("next: xox login --reauth acme --scopes chat:write"),
        "{text}"
    );

    // Re-auth adding exactly the scope the hint named; the test client plays the browser.
    let login = start_login(&env, &["--reauth", "acme", "--scopes", "chat:write"]);
    assert!(
        login.url.contains("scope=chat%3Awrite%2Cusers%3Aread"),
        "{}",
        login.url
    );
    follow(&consent(&login.url, "allow").await).await;
    assert!(login.end().await.0);

    let out = env.run(&["replay", "1", "--json"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["ok"], true);
    assert_eq!(
        answer["message"]["text"], "deploy done",
        "the recorded arguments were replayed"
    );
    assert_eq!(failed(&env)[0]["state"], "replayed_ok");
    let err = env.fails(&["replay", "1"], "");
    assert!(err.contains("was replayed successfully already"), "{err}");
    let history: Value = serde_json::from_str(&env.ok(&["history", "acme", "--json"], "")).unwrap();
    assert_eq!(
        history
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "login")
            .count(),
        4,
        "two logins, two tokens each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_token_kind_is_explained_and_the_other_kind_works() {
    let (_sim, env) = logged_in().await;
    // Without --bot/--user xox already picks the user token for search.messages.
    env.ok(
        &["call", "search.messages", "query=deploy", "--conn", "acme"],
        "",
    );
    let out = env.run(
        &[
            "call",
            "search.messages",
            "query=deploy",
            "--conn",
            "acme",
            "--bot",
        ],
        "",
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("warning: search.messages does not take bot tokens"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not_allowed_token_type") && stderr.contains("next: xox replay 1 --user"),
        "{stderr}"
    );
    let call = &failed(&env)[0];
    assert_eq!(call["command"], "xox replay 1 --user");
    env.ok(&["replay", "1", "--user"], "");
    assert_eq!(failed(&env)[0]["state"], "replayed_ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_and_the_call_retried_once() {
    let (sim, env) = logged_in().await;
    // Slack's clock passes the token's expiry while xox still thinks it has hours left.
    sim.with_world(|w| w.advance_clock(43_201));
    let out = env.run(&["call", "users.list", "--conn", "acme"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "note: the bot token had expired: refreshed it and retried\n"
    );
    assert_eq!(sim.counters().refresh_grants, 1);
    assert_eq!(
        sim.counters().calls["users.list"],
        2,
        "one failure, one transparent retry"
    );
    assert!(failed(&env).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_waited_out_then_the_call_succeeds() {
    let (sim, env) = logged_in().await;
    sim.add_fault(Fault {
        method: Some("users.list".into()),
        kind: FaultKind::Ratelimit { retry_after: 1 },
        count: 1,
    });
    let started = std::time::Instant::now();
    let out = env.run(&["call", "users.list", "--conn", "acme"], "");
    assert!(out.status.success());
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("waited 1s (Retry-After) and retried")
    );
    // A long Retry-After is not waited out: the call is recorded with it, to replay later.
    sim.add_fault(Fault {
        method: Some("users.list".into()),
        kind: FaultKind::Ratelimit { retry_after: 45 },
        count: 1,
    });
    let err = env.fails(&["call", "users.list", "--conn", "acme"], "");
    assert!(
        err.contains("retry after 45s") && err.contains("next: xox replay 1"),
        "{err}"
    );
    assert_eq!(failed(&env)[0]["retry_after"], 45);
}

/// One failed call of each class against the simulator: the class, the hint and whether a
/// replay is offered, as `xox failed --json` reports them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_class_of_error_gets_its_hint_and_replay_only_where_it_can_succeed() {
    let (sim, env) = logged_in().await;
    let refuse = |error: &str| Fault {
        method: Some("users.list".into()),
        kind: FaultKind::Refuse {
            error: error.into(),
        },
        count: 1,
    };
    // Fix the token: chat.postMessage needs chat:write, which the bot lacks (xox warns
    // before the call, so stderr has two lines).
    let out = env.run(
        &[
            "call",
            "chat.postMessage",
            "channel=C0SIMGENERAL",
            "text=hi",
            "--conn",
            "acme",
        ],
        "",
    );
    assert!(!out.status.success());
    // Fix the request: a user who does not exist.
    env.fails(
        &["call", "users.info", "user=U0NOBODY", "--conn", "acme"],
        "",
    );
    // Wait: Slack's own trouble.
    sim.add_fault(refuse("service_unavailable"));
    env.fails(&["call", "users.list", "--conn", "acme"], "");
    // Permanent: a workspace policy.
    sim.add_fault(refuse("ekm_access_denied"));
    env.fails(&["call", "users.list", "--conn", "acme"], "");
    // A code xox does not know.
    sim.add_fault(refuse("brand_new_refusal"));
    env.fails(&["call", "users.list", "--conn", "acme"], "");

    // Newest first, as `xox failed` lists them: turned round to read in the order made.
    let rows: Vec<Value> = failed(&env).into_iter().rev().collect();
    let seen: Vec<(&str, Value, Value, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["error"].as_str().unwrap(),
                r["class"].clone(),
                r["replay_can_succeed"].clone(),
                r["command"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "missing_scope",
                "fix the token".into(),
                true.into(),
                "xox login --reauth acme --scopes chat:write"
            ),
            (
                "user_not_found",
                "fix the request".into(),
                false.into(),
                "xox call users.info --conn acme"
            ),
            (
                "service_unavailable",
                "wait".into(),
                true.into(),
                "xox replay 3"
            ),
            ("ekm_access_denied", "permanent".into(), false.into(), "-"),
            ("brand_new_refusal", Value::Null, false.into(), "-"),
        ]
    );
    assert!(
        rows[3]["hint"]
            .as_str()
            .unwrap()
            .contains("a workspace admin can")
    );
    assert!(
        rows[4]["hint"]
            .as_str()
            .unwrap()
            .contains("a code xox does not know")
    );
}
