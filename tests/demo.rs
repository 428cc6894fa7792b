//! The demo world: seeded connections and failed calls, and a login its simulator approves
//! without a browser.

use std::time::Duration;
use xox::engine::LoginRequest;
use xox_domain::slack::TokenKind;
use xox_domain::store::{HeldElsewhere, TokenStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_seeded_and_its_login_needs_no_browser() {
    let demo = xox::engine::demo_world::start().await.unwrap();
    let engine = demo.engine(
        demo.open_store().unwrap(),
        Duration::from_secs(5),
        Default::default(),
    );
    let names: Vec<String> = engine
        .connections()
        .await
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
            "delta-longlived",
            "gamma-reauth"
        ]
    );
    let soon = engine
        .connection("beta-expiring")
        .await
        .unwrap()
        .token(TokenKind::Bot)
        .unwrap()
        .expires_at
        .unwrap();
    assert!(
        soon - xox_domain::store::now_unix() <= 120,
        "one connection expires within two minutes"
    );
    let gamma = engine.connection("gamma-reauth").await.unwrap();
    assert_eq!(
        gamma.token(TokenKind::Bot).unwrap().status,
        TokenStatus::NeedsReauth
    );
    let errors: Vec<String> = engine
        .failed_calls()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.call.error)
        .collect();
    assert_eq!(
        errors,
        ["not_in_channel", "not_allowed_token_type", "missing_scope"]
    );

    let pending = engine
        .start_login(
            LoginRequest::Install {
                app: "demo-rotating".into(),
                name: Some("fresh".into()),
                bot: None,
                user: None,
                team: None,
            },
            HeldElsewhere::Refuse,
            xox::engine::ScopeCheck::Known,
        )
        .await
        .unwrap();
    // Any client that follows redirects completes the install: no consent page to click.
    let url = pending.url().to_string();
    let browse =
        tokio::spawn(async move { reqwest::get(url).await.unwrap().text().await.unwrap() });
    let logged_in = engine
        .finish_login(pending, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(browse.await.unwrap().contains("You can close this tab"));
    assert_eq!(logged_in.connection.name, "fresh");
    assert!(logged_in.warnings.is_empty());
    assert_eq!(logged_in.connection.tokens.len(), 2);
}

/// The demo's long-lived install exchanges for rotating tokens; the classic one cannot,
/// and its refusal says what to turn on and where.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_exchanges_its_long_lived_install_and_says_where_rotation_is_turned_on() {
    let demo = xox::engine::demo_world::start().await.unwrap();
    let engine = demo.engine(
        demo.open_store().unwrap(),
        Duration::from_secs(5),
        Default::default(),
    );
    let before = engine.connection("delta-longlived").await.unwrap();
    assert_eq!(before.token(TokenKind::Bot).unwrap().expires_at, None);
    engine.exchange("delta-longlived", None).await.unwrap();
    let after = engine.connection("delta-longlived").await.unwrap();
    let bot = after.token(TokenKind::Bot).unwrap();
    assert!(bot.rotating && bot.expires_at.is_some(), "{bot:?}");

    let refused = engine
        .exchange("acme-classic", None)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("token_rotation_not_enabled"), "{refused}");
    assert!(refused.contains("OAuth & Permissions"), "{refused}");
}
