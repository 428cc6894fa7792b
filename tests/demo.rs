//! The demo world: seeded connections and failed calls, and a login its simulator approves
//! without a browser.

use std::time::Duration;
use xox::login::LoginPlan;
use xox::slack::{SlackClient, TokenKind};
use xox::store::{Store, TokenStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_seeded_and_its_login_needs_no_browser() {
    let demo = xox::demo::start().await.unwrap();
    let mut store = Store::open_with_key(&demo.db, None).unwrap();
    let names: Vec<String> = store
        .connections()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "acme-classic",
            "acme-rotating",
            "beta-expiring",
            "gamma-reauth"
        ]
    );
    let soon = store
        .connection("beta-expiring")
        .unwrap()
        .token(TokenKind::Bot)
        .unwrap()
        .expires_at
        .unwrap();
    assert!(
        soon - xox::store::now_unix() <= 120,
        "one connection expires within two minutes"
    );
    let gamma = store.connection("gamma-reauth").unwrap();
    assert_eq!(
        gamma.token(TokenKind::Bot).unwrap().status,
        TokenStatus::NeedsReauth
    );
    let errors: Vec<String> = store
        .calls()
        .unwrap()
        .into_iter()
        .map(|c| c.error)
        .collect();
    assert_eq!(
        errors,
        ["not_in_channel", "not_allowed_token_type", "missing_scope"]
    );

    let client = SlackClient::new(demo.sim.base_url(), Duration::from_secs(5)).unwrap();
    let app = store.app("demo-rotating").unwrap();
    let secret = store.app_secret(&app).unwrap();
    let plan = LoginPlan {
        bot_scopes: app.bot_scopes.clone(),
        user_scopes: app.user_scopes.clone(),
        team: None,
        connection_name: Some("fresh".into()),
        app,
    };
    let dir = tempfile::tempdir().unwrap();
    let pending = plan.start(&client, dir.path()).await.unwrap();
    // Any client that follows redirects completes the install: no consent page to click.
    let url = pending.url().to_string();
    let browse =
        tokio::spawn(async move { reqwest::get(url).await.unwrap().text().await.unwrap() });
    let logged_in = pending
        .finish(&mut store, &client, secret, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(browse.await.unwrap().contains("You can close this tab"));
    assert_eq!(logged_in.connection.name, "fresh");
    assert!(logged_in.warnings.is_empty());
    assert_eq!(logged_in.connection.tokens.len(), 2);
}
