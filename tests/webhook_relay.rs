//! An app that holds only a proxy key posts through a connection's incoming webhook
//! (`POST /hooks/CONN`), with the real python-slack-sdk's WebhookClient: the message
//! reaches the simulator's webhook, and the app never holds the webhook's URL. A key of
//! another connection, none, one whose scope leaves the webhook's channel out, and a
//! connection with no webhook are each refused. Runs on PostgreSQL too.

mod common;

use common::proxy::{Proxy, key};
use common::rotating::seed;
use common::rotating::simulator;
use common::sdks::{env_with_install, run_client, sdk_python};
use common::sim_messages;
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

async fn post(url: &str, key: Option<&str>, body: &str) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_posts_through_the_webhook_with_a_key() {
    let sim = simulator(43_200).await;
    let env = env_with_install(&sim, "T0HOOK", "chat:write,incoming-webhook");
    env.ok(
        &["import", "other", "--app", "acme"],
        &seed(&sim, ROTATING_CLIENT_ID, "T0ELSE"),
    );
    let key = key(&env, "conn");
    let other_key = key_for(&env, "other", &[]);
    let narrow = key_for(&env, "conn", &["--channels", "C0ELSEWHERE"]);
    let proxy = Proxy::start(&env);
    let hooks = proxy.url.replace("/api/", "/hooks/");
    let url = format!("{hooks}conn");
    let webhook_url = env.ok(&["webhook", "conn"], "").trim().to_owned();

    if let Some(python) = sdk_python() {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/webhook_client.py"
        );
        let seen = run_client(&python, &[script, &url, &key]);
        assert_eq!(seen, serde_json::json!({"status": 200, "body": "ok"}));
        let messages = sim_messages(&sim).await;
        let last = messages.last().unwrap();
        assert_eq!(last["text"], "hello through the proxy", "{last}");
        assert_eq!(last["webhook"], true, "{last}");
        assert_eq!(last["channel"], "C0SIMGENERAL", "{last}");
    }
    // Slack's own refusal comes back as it was.
    assert_eq!(
        post(&url, Some(&key), "not json").await,
        (400, "invalid_payload".into())
    );
    let refused = [
        post(&url, None, r#"{"text":"x"}"#).await,
        post(&url, Some(&other_key), r#"{"text":"x"}"#).await,
        post(&url, Some("xpk-not-a-key"), r#"{"text":"x"}"#).await,
        post(&format!("{hooks}nope"), Some(&key), r#"{"text":"x"}"#).await,
    ];
    for answer in &refused {
        assert_eq!(answer, &(403, "invalid_token".to_owned()));
    }
    assert_eq!(
        post(&url, Some(&narrow), r#"{"text":"x"}"#).await,
        (403, "xox_channel_not_allowed".into())
    );
    assert_eq!(
        post(
            &format!("{hooks}other"),
            Some(&other_key),
            r#"{"text":"x"}"#
        )
        .await,
        (404, "no_service".into())
    );
    // Only the one good post and the bad payload reached the webhook.
    let posted = sim_messages(&sim)
        .await
        .iter()
        .filter(|m| m["webhook"] == true)
        .count();
    assert_eq!(posted, usize::from(sdk_python().is_some()));
    assert!(
        webhook_url.contains("/_hooks/services/T0HOOK/"),
        "{webhook_url}"
    );
}

fn key_for(env: &common::cli_env::Env, conn: &str, scope: &[&str]) -> String {
    let mut args = vec!["proxy", "key", "add", conn];
    args.extend_from_slice(scope);
    env.ok(&args, "").trim().to_owned()
}
