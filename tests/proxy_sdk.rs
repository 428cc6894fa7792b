//! The real python-slack-sdk (from PyPI, in a virtual environment made by
//! scripts/sdk-venv.sh) pointed at `xox proxy` over the simulator: it works with a proxy key
//! as its token, sees Slack's errors as it would from Slack, uploads a file with
//! `files_upload_v2`, and 50 of its clients on a due token cause one refresh. Without Python or PyPI the test fails in CI (`CI=true`) and is
//! skipped with a notice elsewhere.

mod common;

use common::proxy::{Proxy, bot_refreshes, key};
use common::rotating::simulator;
use common::sdks::{env_with_install, run_client, sdk_python};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_slack_sdk_works_through_the_proxy() {
    let Some(python) = sdk_python() else {
        return;
    };
    // Inside its window when the proxy starts; a refreshed pair lives 12 hours.
    let sim = simulator(3_000).await;
    let env = env_with_install(&sim, "T0SDK", "chat:write,files:write");
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/proxy_client.py");
    let seen = run_client(&python, &[script, proxy.url.as_str(), &key]);
    drop(proxy);
    assert_eq!(seen["auth_test"], true, "{seen}");
    assert_eq!(seen["post"], true, "{seen}");
    assert_eq!(seen["missing_scope"]["error"], "missing_scope", "{seen}");
    assert_eq!(seen["missing_scope"]["needed"], "reactions:write", "{seen}");
    assert_eq!(seen["wrong_key"], "invalid_auth", "{seen}");
    // files_upload_v2: the bytes went through the proxy's own upload URL to Slack's, with
    // no credential, and the upload completed.
    assert_eq!(seen["upload"]["ok"], true, "{seen}");
    assert_eq!(seen["upload"]["title"], "Notes", "{seen}");
    assert_eq!(seen["upload"]["size"], 26, "{seen}");
    assert_eq!(seen["concurrent_ok"], 50, "{seen}");

    let failed: Value = serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    let recorded = failed.as_array().unwrap();
    assert_eq!(recorded.len(), 1, "{failed:#}");
    assert_eq!(recorded[0]["method"], "reactions.add");
    assert_eq!(
        recorded[0]["needed"],
        serde_json::json!(["reactions:write"])
    );
    assert_eq!(
        recorded[0]["provided"],
        serde_json::json!(["chat:write", "files:write"])
    );

    let counters = sim.counters();
    let bot_refreshes = bot_refreshes(&counters);
    assert_eq!(
        bot_refreshes, 1,
        "one refresh for every client: {:?}",
        counters.refreshes
    );
    assert_eq!(counters.invalid_refresh_token, 0);
    assert_eq!(
        (counters.uploads, counters.uploads_with_authorization),
        (1, 0)
    );
    // The wrong key reached nothing: one auth.test per client that had a key, no more.
    assert_eq!(counters.calls.get("auth.test").copied(), Some(51));
}
