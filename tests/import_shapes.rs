//! Every install answer Slack has given, through the built binary: the legacy
//! `oauth.access` of classic apps (from a file, and over HTTP from the simulator), its bot
//! token and incoming webhook, and the `xox webhook` that prints the URL.

mod common;

use common::cli_env::Env;
use serde_json::Value;
use xox_domain::sim::Simulator;
use xox_domain::sim::presets::{CLASSIC_CLIENT_ID, PRESET_SECRET};

/// The answer classic apps' "Add to Slack" button gave, as many teams still keep it.
const LEGACY_EXAMPLE: &str = include_str!("fixtures/oauth_access_legacy.json");

fn env_with_classic_app(slack_url: &str) -> Env {
    let env = Env::new(slack_url);
    let mut add = env.command(&["app", "add", "classic", "--client-id", CLASSIC_CLIENT_ID]);
    add.env("XOX_CLIENT_SECRET", PRESET_SECRET);
    assert!(env.run_with(add, "").status.success());
    env
}

#[test]
fn the_legacy_answer_keeps_both_tokens_the_team_and_the_webhook() {
    let env = env_with_classic_app("http://127.0.0.1:9");
    let out = env.ok(
        &["import", "hook", "--app", "classic", "--no-verify"],
        LEGACY_EXAMPLE,
    );
    assert!(
        out.starts_with("imported hook from oauth.access: "),
        "{out}"
    );
    assert!(
        out.contains("user xoxp (3 scopes") && out.contains("bot xoxb (1 scope"),
        "{out}"
    );

    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    let conn = &list[0];
    assert_eq!(conn["team_name"], "Team Installing Your Hook");
    assert_eq!(conn["team_id"], "TXXXXXXXX");
    assert_eq!(conn["bot_user_id"], "UTTTTTTTTTTR");
    let kinds: Vec<(&str, &str)> = conn["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["type"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("bot", "xoxb"), ("user", "xoxp")]);
    assert_eq!(
        env.ok(&["token", "hook", "--bot"], ""),
        "xoxb-XXXXXXXXXXXX-TTTTTTTTTTTTTT\n"
    );
    assert_eq!(
        env.ok(&["token", "hook", "--user"], ""),
        "xoxp-XXXXXXXX-XXXXXXXX-XXXXX\n"
    );

    let show = env.ok(&["show", "hook"], "");
    assert!(
        show.contains("#channel-it-will-post-to (https://hooks.slack.com/…XXXX)"),
        "{show}"
    );
    assert!(
        !show.contains("BXXXXX/XXXXXXXXXX"),
        "the URL is a secret: {show}"
    );
    assert!(
        show.contains("classic app") && show.contains("xox app manifest"),
        "{show}"
    );
    assert_eq!(
        env.ok(&["webhook", "hook"], ""),
        "https://hooks.slack.com/TXXXXX/BXXXXX/XXXXXXXXXX\n"
    );
    let json: Value = serde_json::from_str(&env.ok(
        &["import", "hook", "--app", "classic", "--json"],
        LEGACY_EXAMPLE,
    ))
    .unwrap();
    assert_eq!(json["imported_from"], "oauth.access");
}

#[test]
fn a_token_xox_cannot_place_is_named_and_nothing_is_stored() {
    let env = env_with_classic_app("http://127.0.0.1:9");
    let mut answer: Value = serde_json::from_str(LEGACY_EXAMPLE).unwrap();
    answer["bot"]["extra"] = "xoxe-1-somewhere".into();
    let err = env.fails(&["import", "hook", "--app", "classic"], &answer.to_string());
    assert!(err.contains("field bot.extra holds a token"), "{err}");
    assert_eq!(env.ok(&["list", "--json"], ""), "[]\n");
    let err = env.fails(&["webhook", "nope"], "");
    assert!(err.contains("no connection named"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_gives_the_legacy_shape_over_http_and_its_tokens_work() {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    let answer = reqwest::Client::new()
        .post(format!("{}/_sim/installs", sim.base_url()))
        .json(&serde_json::json!({"client_id": CLASSIC_CLIENT_ID, "team_id": "T0OLD", "team_name": "Old Team",
                                  "scopes": "incoming-webhook,commands", "user_scopes": "search:read",
                                  "shape": "oauth.access"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parsed: Value = serde_json::from_str(&answer).unwrap();
    assert!(parsed["bot"]["bot_access_token"].is_string(), "{answer}");
    let env = env_with_classic_app(sim.base_url());
    let out = env.ok(&["import", "old", "--app", "classic"], &answer);
    assert!(out.starts_with("imported old from oauth.access: "), "{out}");
    for kind in ["--bot", "--user"] {
        let call = env.ok(&["call", "auth.test", "--conn", "old", kind, "--json"], "");
        assert!(call.contains("\"ok\":true"), "{kind}: {call}");
    }
    let show = env.ok(&["show", "old"], "");
    assert!(show.contains("Old Team (T0OLD)"), "{show}");
    // The install's webhook, served by the simulator as hooks.slack.com serves Slack's.
    let webhook = env.ok(&["webhook", "old"], "");
    assert!(
        webhook.starts_with(&format!("{}/_hooks/services/T0OLD/", sim.base_url())),
        "{webhook}"
    );
}
