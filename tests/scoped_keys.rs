//! Scoped proxy keys against the real python-slack-sdk (from PyPI): methods, channels
//! (passed every way a client can), reads only and expiry, and arguments smuggled past a
//! check. Every refusal is Slack-shaped with what the key lacks, is counted on the key, and
//! nothing refused reaches the simulator. Without Python or PyPI the test fails in CI
//! (`CI=true`) and is skipped with a notice elsewhere.

mod common;

use common::proxy::Proxy;
use common::rotating::simulator;
use common::sdks::{env_with_install, run_client, sdk_python};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn key(env: &common::cli_env::Env, scope: &[&str]) -> String {
    let mut args = vec!["proxy", "key", "add", "conn"];
    args.extend_from_slice(scope);
    env.ok(&args, "").trim().to_owned()
}

fn keys(env: &common::cli_env::Env) -> Vec<Value> {
    serde_json::from_str::<Value>(&env.ok(&["proxy", "key", "list", "--json"], ""))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_keys_refuse_before_slack() {
    let Some(python) = sdk_python() else {
        return;
    };
    let sim = simulator(43_200).await;
    let env = env_with_install(
        &sim,
        "T0SCOPE",
        "chat:write,channels:history,im:write,users:read",
    );
    let limited = key(
        &env,
        &[
            "--methods",
            "chat.*,conversations.*",
            "--channels",
            "C0SIMGENERAL,U0SIMUSER1",
        ],
    );
    let read_only = key(&env, &["--read-only"]);
    let expired = key(&env, &["--expires", "1s"]);
    let refused = env.fails(
        &[
            "proxy",
            "key",
            "add",
            "conn",
            "--methods",
            "chat.postMesage",
        ],
        "",
    );
    assert!(
        refused.contains("did you mean chat.postMessage"),
        "{refused}"
    );
    let refused = env.fails(
        &["proxy", "key", "add", "conn", "--channels", "general"],
        "",
    );
    assert!(refused.contains("--channels takes Slack ids"), "{refused}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let proxy = Proxy::start(&env);
    let before = sim.counters().calls;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/scoped_keys.py");
    let seen = run_client(
        &python,
        &[script, &proxy.url, &limited, &read_only, &expired],
    );
    let case = |name: &str| seen[name].clone();
    let refusal = |name: &str| case(name)["error"].as_str().unwrap_or("").to_owned();
    for allowed in ["allowed_post", "read_allowed"] {
        assert_eq!(case(allowed)["ok"], true, "{allowed}: {seen:#}");
    }
    // Allowed by the key: whatever Slack says of it, it is not the key's refusal.
    assert!(!refusal("dm_allowed").starts_with("xox_"), "{seen:#}");
    assert_eq!(
        case("method_outside"),
        json!({"ok": false, "error": "xox_method_not_allowed", "needed": "a key allowing users.list"})
    );
    for outside in [
        "form_channel",
        "query_channel",
        "json_channel",
        "multipart_channel",
    ] {
        assert_eq!(
            case(outside),
            json!({"ok": false, "error": "xox_channel_not_allowed", "needed": "a key allowing channel C0OTHER"}),
            "{outside}"
        );
    }
    assert_eq!(
        refusal("channel_list"),
        "xox_channel_not_allowed",
        "{seen:#}"
    );
    assert_eq!(refusal("dm_outside"), "xox_channel_not_allowed", "{seen:#}");
    assert_eq!(refusal("read_only_write"), "xox_read_only_key", "{seen:#}");
    assert_eq!(
        case("expired"),
        json!({"ok": false, "error": "invalid_auth", "needed": null})
    );

    // Smuggling, which no SDK does: an argument twice (in the query and the body, or twice
    // in one), and a body whose arguments cannot be read.
    let send = |query: &'static str, content_type: &'static str, body: &'static str| {
        let (url, key) = (
            format!("{}chat.postMessage{query}", proxy.url),
            limited.clone(),
        );
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(key)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let form = "application/x-www-form-urlencoded";
    let smuggled = [
        send("?channel=C0SIMGENERAL", form, "channel=C0OTHER&text=hi").await,
        send("", form, "channel=C0SIMGENERAL&channel=C0OTHER").await,
        send("", "text/plain", "channel=C0OTHER").await,
    ];
    for answer in &smuggled {
        assert_eq!(answer["error"], "xox_arguments_unclear", "{answer}");
    }
    assert!(
        smuggled[0]["needed"]
            .as_str()
            .unwrap()
            .contains("channel is given twice"),
        "{}",
        smuggled[0]
    );

    // Nothing refused reached Slack: only the allowed calls did.
    let after = sim.counters().calls;
    let delta = |method: &str| {
        after.get(method).copied().unwrap_or(0) - before.get(method).copied().unwrap_or(0)
    };
    let reached: BTreeMap<&str, u64> = [
        "chat.postMessage",
        "users.list",
        "conversations.history",
        "conversations.open",
        "auth.test",
    ]
    .into_iter()
    .map(|m| (m, delta(m)))
    .collect();
    assert_eq!(
        reached,
        BTreeMap::from([
            ("chat.postMessage", 1),
            ("users.list", 0),
            ("conversations.history", 1),
            ("conversations.open", 1),
            ("auth.test", 0),
        ])
    );
    // Counted on the keys, as refusals and not failures, once the proxy has said (it
    // writes its counts every second).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    drop(proxy);
    let listed = keys(&env);
    let row = |test: &dyn Fn(&Value) -> bool| listed.iter().find(|k| test(k)).unwrap().clone();
    let limited_row = row(&|k| !k["methods"].is_null());
    assert_eq!(limited_row["refused"], 10, "{limited_row:#}");
    assert_eq!(limited_row["failures"], 0, "{limited_row:#}");
    assert_eq!(limited_row["methods"], json!(["chat.*", "conversations.*"]));
    let read_only_row = row(&|k| k["read_only"] == true);
    assert_eq!(read_only_row["refused"], 1, "{read_only_row:#}");
    let expired_row = row(&|k| !k["expires_at"].is_null());
    assert!(expired_row["expires_at"].as_str().unwrap().ends_with('Z'));
    let table = env.ok(&["proxy", "key", "list"], "");
    assert!(
        table.contains("chat.*,conversations.*; in C0SIMGENERAL,U0SIMUSER1"),
        "{table}"
    );
    assert!(table.contains("read-only"), "{table}");
    assert!(table.contains("expired 20"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_scope_is_changed_in_place() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0SET", "chat:write");
    key(&env, &["--read-only", "--channels", "C1"]);
    let id = keys(&env)[0]["id"].as_str().unwrap().to_owned();
    let said = env.ok(
        &[
            "proxy",
            "key",
            "set",
            &id,
            "--methods",
            "chat.*",
            "--writes",
        ],
        "",
    );
    assert_eq!(said, format!("proxy key {id} may do: chat.*; in C1\n"));
    let said = env.ok(
        &[
            "proxy",
            "key",
            "set",
            &id,
            "--all-channels",
            "--all-methods",
        ],
        "",
    );
    assert_eq!(said, format!("proxy key {id} may do: all\n"));
    let missing = env.fails(&["proxy", "key", "set", "k0000000000", "--read-only"], "");
    assert!(missing.contains("no proxy key"), "{missing}");
}
