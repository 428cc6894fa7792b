//! App-level (`xapp-`) and app configuration tokens through the built binary, against the
//! simulator: import without an app, use for their methods, and configuration tokens
//! rotated with `tooling.tokens.rotate` under the same single flight as OAuth tokens.

mod common;

use common::cli_env::Env;
use common::rotating::all_at_once;
use serde_json::Value;
use xox_domain::sim::Simulator;
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

use common::sim_control as control;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_level_token_is_imported_and_picked_for_socket_mode() {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    let minted = control(
        &sim,
        "app_tokens",
        serde_json::json!({"client_id": ROTATING_CLIENT_ID}),
    )
    .await;
    let xapp = minted["token"].as_str().unwrap().to_owned();
    let env = Env::new(sim.base_url());
    let out = env.ok(&["import", "socket"], &xapp);
    assert!(out.starts_with("imported socket: app xapp"), "{out}");
    assert_eq!(env.ok(&["token", "socket"], ""), format!("{xapp}\n"));
    let answer: Value = serde_json::from_str(&env.ok(
        &[
            "call",
            "apps.connections.open",
            "--conn",
            "socket",
            "--json",
        ],
        "",
    ))
    .unwrap();
    assert!(
        answer["url"].as_str().unwrap().starts_with("wss://"),
        "{answer}"
    );
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["tokens"][0]["kind"], "app");
    assert_eq!(list[0]["tokens"][0]["type"], "xapp");
    // A connection with only a bot token is told which token the method needs.
    env.ok(
        &["import", "bot", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefabcdefabcdefab",
    );
    let err = env.fails(&["call", "apps.connections.open", "--conn", "bot"], "");
    assert!(
        err.contains("takes only an app-level token (xapp-)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_tokens_rotate_once_for_many_callers_and_call_the_manifest_methods() {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    // Minted with an hour left, inside the two-hour window; rotated ones live 12 hours.
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    let pair = control(
        &sim,
        "config_tokens",
        serde_json::json!({"team_id": "T0CFG"}),
    )
    .await;
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let env = Env::new(sim.base_url());
    let out = env.ok(&["import", "cfg"], &pair.to_string());
    assert!(
        out.starts_with("imported cfg from tooling.tokens.rotate: config xoxe.xoxp"),
        "{out}"
    );
    let first = env.ok(&["token", "cfg", "--within", "5m"], "");
    assert_eq!(first, format!("{}\n", pair["token"].as_str().unwrap()));

    // Ten processes find it inside the window at once: one rotation reaches Slack.
    let before = sim.counters().refresh_grants;
    let printed: Vec<String> = all_at_once(&env, 10, &["token", "cfg"])
        .await
        .into_iter()
        .map(|out| String::from_utf8(out.stdout).unwrap())
        .collect();
    assert_eq!(
        sim.counters().refresh_grants - before,
        1,
        "{printed:?} {}",
        env.ok(&["list", "--json"], "")
    );
    assert!(printed.iter().all(|t| *t == printed[0] && *t != first));
    assert_eq!(sim.counters().invalid_refresh_token, 0);

    // xox refresh rotates it again with the refresh token that rotation stored.
    let out = env.ok(&["refresh", "cfg"], "");
    assert!(out.starts_with("refreshed cfg config"), "{out}");
    let answer = env.ok(
        &[
            "call",
            "apps.manifest.update",
            "app_id=A0ROT",
            "manifest={}",
            "--conn",
            "cfg",
            "--json",
        ],
        "",
    );
    assert!(answer.contains("\"ok\":true"), "{answer}");

    // The manifest of a registered app goes to Slack with the configuration token.
    let mut add = env.command(&["app", "add", "acme", "--client-id", ROTATING_CLIENT_ID]);
    add.env("XOX_CLIENT_SECRET", xox_domain::sim::presets::PRESET_SECRET);
    assert!(env.run_with(add, "").status.success());
    let err = env.fails(&["app", "manifest", "acme", "--push"], "");
    assert!(err.contains("pass --app-id"), "{err}");
    let out = env.ok(
        &["app", "manifest", "acme", "--push", "--app-id", "A0ROT"],
        "",
    );
    assert_eq!(
        out,
        "updated the manifest of acme (A0ROT) at Slack with the configuration token of cfg\n"
    );

    // A pair pasted from the settings page, access then refresh token.
    let pasted = control(
        &sim,
        "config_tokens",
        serde_json::json!({"team_id": "T0CFG2"}),
    )
    .await;
    let text = format!(
        "{}\n{}\n",
        pasted["token"].as_str().unwrap(),
        pasted["refresh_token"].as_str().unwrap()
    );
    let out = env.ok(&["import", "pasted"], &text);
    assert!(
        out.starts_with("imported pasted: config xoxe.xoxp"),
        "{out}"
    );
    assert!(
        env.ok(&["refresh", "pasted"], "")
            .starts_with("refreshed pasted config")
    );
}
