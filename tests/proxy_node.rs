//! The real @slack/web-api (node, from npm under target/, made by scripts/sdk-node.sh)
//! pointed at `xox proxy`: auth.test, chat.postMessage, uploadV2 (which sends the proxy key
//! to the upload URL, where the proxy must drop it), a missing_scope and a wrong key.
//! Skipped with a notice where node is not installed; fails in CI (`CI=true`) when node is
//! there but the package cannot be installed.

mod common;

use common::proxy::{Proxy, key};
use common::rotating::simulator;
use common::sdks::{env_with_install, node_sdk, run_client};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_slack_web_api_works_through_the_proxy() {
    let Some(modules) = node_sdk() else {
        return;
    };
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0NODE", "chat:write,files:write");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/proxy_client.js");
    let seen = run_client("node", &[script, &modules, proxy.url.as_str(), &key]);
    drop(proxy);
    assert_eq!(seen["auth_test"], true, "{seen}");
    assert_eq!(seen["post"], true, "{seen}");
    assert_eq!(seen["upload"], true, "{seen}");
    assert_eq!(seen["missing_scope"], "missing_scope", "{seen}");
    assert_eq!(seen["wrong_key"], "invalid_auth", "{seen}");
    let counters = sim.counters();
    assert_eq!(
        (counters.uploads, counters.uploads_with_authorization),
        (1, 0),
        "the key stayed here"
    );
    let failed: Value = serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(failed[0]["method"], "reactions.add");
}
