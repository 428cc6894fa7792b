//! The rotation engine against the simulator: single flight, leases, the fault matrix.

mod common;

use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xox_domain::rotation::{Need, RetryPolicy, RotationError, Rotator, StoreHandle, Target};
use xox_domain::sim::{FaultKind, Simulator};
use xox_domain::slack::{Scopes, Secret, TokenKind, parse_grant};
use xox_domain::store::{
    AppStore, ConnectionStore, EventStore, HeldElsewhere, NewApp, SqliteStore, TokenStatus,
    TokenStore,
};

const ID: &str = "555.666";
const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const WINDOW: i64 = 7200;

struct World {
    sim: Simulator,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    target: Target,
    original_refresh: Secret,
}

/// A simulator app with rotation, and one connection whose bot token expires in an hour
/// (inside the default two-hour window).
async fn world() -> World {
    let sim = sim_with_app(ID, true, false).await;
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = SqliteStore::open_with_key(&db, Some(KEY)).unwrap();
    let app = store
        .add_app(NewApp {
            name: "app".into(),
            client_id: ID.into(),
            client_secret: Some(Secret::new(SECRET)),
            pkce: false,
            rotation: true,
            redirect_uri: "http://localhost:8976/callback".into(),
            bot_scopes: Scopes::default(),
            user_scopes: Scopes::default(),
            signing_secret: None,
            forward_to: None,
        })
        .unwrap();
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let original_refresh = grant
        .token(TokenKind::Bot)
        .unwrap()
        .refresh
        .clone()
        .unwrap();
    let conn = store
        .save_grant(
            &app,
            "conn",
            &grant,
            xox_domain::store::EventAction::Import,
            HeldElsewhere::Refuse,
        )
        .unwrap();
    World {
        sim,
        _dir: dir,
        db,
        target: Target::of(&conn, TokenKind::Bot),
        original_refresh,
    }
}

impl World {
    fn store(&self) -> SqliteStore {
        SqliteStore::open_with_key(&self.db, Some(KEY)).unwrap()
    }

    fn rotator(&self, timeout: Duration) -> Rotator {
        let client = xox_domain::slack::SlackClient::new(self.sim.base_url(), timeout).unwrap();
        Rotator::new(
            StoreHandle::new(Box::new(self.store())),
            client,
            RetryPolicy::for_timeout(timeout),
        )
    }

    /// Refresh the connection's bot token if it is inside the window, with this HTTP timeout.
    async fn refresh(
        &self,
        timeout_secs: u64,
    ) -> Result<xox_domain::rotation::Fresh, RotationError> {
        self.rotator(Duration::from_secs(timeout_secs))
            .refresh_if(&self.target, Need::ExpiresWithin(WINDOW))
            .await
    }

    fn state(&self) -> xox_domain::store::TokenState {
        self.store()
            .token_state(&self.target.connection_id, TokenKind::Bot)
            .unwrap()
    }

    fn fault(&self, kind: FaultKind, count: u32) {
        fault_refreshes(&self.sim, kind, count);
    }

    fn outcomes(&self) -> Vec<String> {
        self.store()
            .events(&self.target.connection_id)
            .unwrap()
            .into_iter()
            .map(|e| format!("{}:{}", e.action, e.outcome))
            .collect()
    }

    /// The stored access token is one Slack accepts.
    async fn stored_access_token_works(&self) -> bool {
        client(&self.sim)
            .call("auth.test", &self.state().access, &[])
            .await
            .is_ok()
    }

    /// The stored refresh token is the live one at Slack: refreshing with it works.
    async fn stored_refresh_token_is_live(&self) -> bool {
        let refresh = self.state().refresh.unwrap();
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ];
        client(&self.sim)
            .oauth("oauth.v2.access", &creds(ID), &params)
            .await
            .is_ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_tasks_share_one_refresh() {
    let w = world().await;
    w.fault(FaultKind::Delay { ms: 300 }, 1);
    let rotator = Arc::new(w.rotator(Duration::from_secs(5)));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (rotator, target) = (rotator.clone(), w.target.clone());
            tokio::spawn(async move {
                rotator
                    .refresh_if(&target, Need::ExpiresWithin(WINDOW))
                    .await
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().access);
    }
    assert_eq!(
        w.sim.counters().refresh_grants,
        1,
        "exactly one refresh reached Slack"
    );
    assert_eq!(w.sim.counters().invalid_refresh_token, 0);
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "every caller got the same token"
    );
    let state = w.state();
    assert_eq!(state.access, tokens[0]);
    assert_ne!(state.refresh.as_ref().unwrap(), &w.original_refresh);
    assert_eq!(state.generation, 2);
    assert!(state.expires_at.unwrap() > xox_domain::store::now_unix() + 3000);
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_store_connections_coordinate_through_the_lease() {
    let w = world().await;
    w.fault(FaultKind::Delay { ms: 400 }, 1);
    // Eight rotators with their own SQLite connections and lease owners stand in for
    // eight processes; each runs five tasks.
    let rotators: Vec<_> = (0..8)
        .map(|_| Arc::new(w.rotator(Duration::from_secs(5))))
        .collect();
    let mut tasks = Vec::new();
    for rotator in &rotators {
        for _ in 0..5 {
            let (rotator, target) = (rotator.clone(), w.target.clone());
            tasks.push(tokio::spawn(async move {
                rotator
                    .refresh_if(&target, Need::ExpiresWithin(WINDOW))
                    .await
            }));
        }
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().access);
    }
    assert_eq!(w.sim.counters().refresh_grants, 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(w.outcomes(), ["import:ok", "refresh:ok"]);
}

#[tokio::test]
async fn a_token_outside_the_window_is_not_refreshed() {
    let w = world().await;
    let fresh = w
        .rotator(Duration::from_secs(5))
        .refresh_if(&w.target, Need::ExpiresWithin(600))
        .await
        .unwrap();
    assert!(!fresh.refreshed);
    assert_eq!(w.sim.counters().refresh_grants, 0);
}

#[tokio::test]
async fn html_and_429_are_retried_and_then_succeed() {
    let w = world().await;
    w.fault(FaultKind::Html, 1);
    let fresh = w.refresh(2).await.unwrap();
    assert!(fresh.refreshed);
    assert_eq!(w.outcomes(), ["import:ok", "refresh:retry", "refresh:ok"]);

    w.sim.with_world(|s| s.advance_clock(0));
    w.fault(FaultKind::Ratelimit { retry_after: 1 }, 1);
    let started = Instant::now();
    let generation = w.state().generation;
    w.rotator(Duration::from_secs(2))
        .refresh_if(&w.target, Need::NotRewrittenSince(generation))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(w.sim.counters().refresh_grants, 2);
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test]
async fn persistent_5xx_leaves_the_stored_pair_untouched() {
    let w = world().await;
    let before = w.state();
    w.fault(FaultKind::Status { status: 503 }, 3);
    let err = w.refresh(2).await.unwrap_err();
    assert!(matches!(err, RotationError::Transient { .. }), "{err}");
    assert!(
        err.to_string().contains("the stored tokens are unchanged"),
        "{err}"
    );
    let after = w.state();
    assert_eq!(
        (after.generation, after.status),
        (before.generation, TokenStatus::Ok)
    );
    assert_eq!(after.refresh, before.refresh);
    assert_eq!(
        w.outcomes(),
        [
            "import:ok",
            "refresh:retry",
            "refresh:retry",
            "refresh:error"
        ]
    );
    assert_eq!(w.sim.counters().refresh_grants, 0);
    // The lease was given back: the next try goes straight through.
    w.refresh(2).await.unwrap();
}

#[tokio::test]
async fn a_slow_answer_past_the_timeout_is_retried_before_slack_spends_the_token() {
    let w = world().await;
    // Slack takes 3 s; the client gives up at 1 s and retries at about 1.5 s, before the
    // slow request is handled, so the retry rotates and the late one finds the token spent.
    w.fault(FaultKind::Delay { ms: 3000 }, 1);
    let fresh = w.refresh(1).await.unwrap();
    assert!(fresh.refreshed);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let counters = w.sim.counters();
    assert_eq!(
        (counters.refresh_grants, counters.invalid_refresh_token),
        (1, 1)
    );
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test]
async fn an_answer_lost_after_slack_rotated_ends_as_needs_reauth() {
    let w = world().await;
    w.fault(FaultKind::DropAfter, 1);
    let err = w.refresh(2).await.unwrap_err();
    assert!(matches!(err, RotationError::NeedsReauth { .. }), "{err}");
    assert!(err.to_string().contains("answer never arrived"), "{err}");
    let state = w.state();
    assert_eq!(state.status, TokenStatus::NeedsReauth);
    assert!(w.stored_access_token_works().await, "the old token is kept");
    assert_eq!(
        w.outcomes(),
        [
            "import:ok",
            "refresh:retry",
            "refresh:invalid_refresh_token"
        ]
    );
    // It is not retried again: the next caller hears "needs re-auth" without asking Slack.
    let calls = w.sim.counters().calls["oauth.v2.access"];
    let err = w.refresh(2).await.unwrap_err();
    assert!(matches!(err, RotationError::NeedsReauth { .. }));
    assert_eq!(w.sim.counters().calls["oauth.v2.access"], calls);
}

#[tokio::test]
async fn a_request_lost_or_dropped_before_slack_handled_it_is_retried() {
    let w = world().await;
    w.fault(FaultKind::Drop, 1);
    assert!(w.refresh(1).await.unwrap().refreshed);
    let generation = w.state().generation;
    w.fault(FaultKind::Blackhole, 1);
    w.rotator(Duration::from_secs(1))
        .refresh_if(&w.target, Need::NotRewrittenSince(generation))
        .await
        .unwrap();
    let counters = w.sim.counters();
    assert_eq!(
        (counters.refresh_grants, counters.invalid_refresh_token),
        (2, 0)
    );
    assert_eq!(w.state().status, TokenStatus::Ok);
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test]
async fn a_slow_body_within_the_timeout_is_read_whole() {
    let w = world().await;
    w.fault(FaultKind::SlowBody { ms: 500 }, 1);
    let fresh = w.refresh(2).await.unwrap();
    assert!(fresh.refreshed);
    assert_eq!(w.outcomes(), ["import:ok", "refresh:ok"]);
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_after_slack_rotated_ends_as_needs_reauth() {
    let w = world().await;
    let before = w.state();
    w.fault(FaultKind::SlowBody { ms: 3000 }, 1);
    let err = w.refresh(1).await.unwrap_err();
    assert!(matches!(err, RotationError::NeedsReauth { .. }), "{err}");
    assert!(err.to_string().contains("answer never arrived"), "{err}");
    let after = w.state();
    assert_eq!(after.status, TokenStatus::NeedsReauth);
    // Nothing stored was lost: the access token still works until it expires.
    assert_eq!(after.access, before.access);
    assert_eq!(after.expires_at, before.expires_at);
    assert!(w.stored_access_token_works().await);
}

#[tokio::test]
async fn an_answer_lost_after_slack_rotated_is_recovered_inside_slacks_grace_period() {
    let w = world().await;
    w.sim.with_world(|s| s.config.refresh_grace_secs = 30);
    w.fault(FaultKind::DropAfter, 1);
    assert!(w.refresh(2).await.unwrap().refreshed);
    assert_eq!(w.outcomes(), ["import:ok", "refresh:retry", "refresh:ok"]);
    assert_eq!(w.sim.counters().refreshes_in_grace, 1);
    assert_eq!(w.state().status, TokenStatus::Ok);
    assert!(w.stored_refresh_token_is_live().await);
}

#[tokio::test]
async fn a_refresh_token_spent_elsewhere_needs_reauth_unless_the_store_moved() {
    let w = world().await;
    // Someone outside xox spends the refresh token.
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", w.original_refresh.expose()),
    ];
    client(&w.sim)
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
        .unwrap();
    let err = w.refresh(2).await.unwrap_err();
    assert!(
        err.to_string().contains("needs re-auth")
            && err.to_string().contains("invalid_refresh_token"),
        "{err}"
    );
    let listed = w.store().connection("conn").unwrap();
    assert_eq!(
        listed.token(TokenKind::Bot).unwrap().status,
        TokenStatus::NeedsReauth
    );
}

#[tokio::test]
async fn a_deleted_workspace_marks_the_token_revoked() {
    let w = world().await;
    w.sim.with_world(|s| s.deactivate("T0TEST"));
    let err = w.refresh(2).await.unwrap_err();
    assert!(
        matches!(err, RotationError::Revoked { ref code, .. } if code == "account_inactive"),
        "{err}"
    );
    assert_eq!(w.state().status, TokenStatus::Revoked);
}

/// `invalid_auth` to a refresh says the token itself is dead, as the README's statuses
/// say: revoked, not needs re-auth.
#[tokio::test]
async fn invalid_auth_to_a_refresh_marks_the_token_revoked() {
    let w = world().await;
    w.fault(
        FaultKind::Refuse {
            error: "invalid_auth".into(),
        },
        1,
    );
    let err = w.refresh(2).await.unwrap_err();
    assert!(
        matches!(err, RotationError::Revoked { ref code, .. } if code == "invalid_auth"),
        "{err}"
    );
    assert_eq!(w.state().status, TokenStatus::Revoked);
    let readme = include_str!("../README.md");
    assert!(readme.contains("`invalid_auth` to a refresh: the token itself is\ndead"));
}

#[tokio::test]
async fn a_wrong_client_secret_blames_the_app_not_the_token() {
    let w = world().await;
    w.sim.with_world(|s| {
        s.register_app(xox_domain::sim::SimApp {
            client_id: ID.into(),
            client_secret: Some("rotated-secret".into()),
            pkce: false,
            rotation: true,
            redirect_urls: vec![],
            app_id: "A0TEST".into(),
            signing_secret: None,
            event_url: None,
        })
    });
    let err = w.refresh(2).await.unwrap_err();
    assert!(err.to_string().contains("bad_client_secret"), "{err}");
    assert_eq!(w.state().status, TokenStatus::Ok);
}

#[tokio::test]
async fn exchange_turns_a_long_lived_token_into_a_rotating_pair_once() {
    let w = world().await;
    // A long-lived install of the same app, from before rotation was on.
    w.sim.with_world(|s| s.apps_mut_rotation(ID, false));
    let grant = parse_grant(&seed(&w.sim, ID, "chat:write", "").await).unwrap();
    w.sim.with_world(|s| s.apps_mut_rotation(ID, true));
    let mut store = w.store();
    let app = store.app("app").unwrap();
    let conn = store
        .save_grant(
            &app,
            "classic",
            &grant,
            xox_domain::store::EventAction::Import,
            HeldElsewhere::Refuse,
        )
        .unwrap();
    let target = Target::of(&conn, TokenKind::Bot);
    let rotator = w.rotator(Duration::from_secs(2));
    let fresh = rotator.exchange(&target).await.unwrap();
    assert!(fresh.refreshed && fresh.expires_at.is_some());
    let stored = w.store().connection("classic").unwrap();
    let bot = stored.token(TokenKind::Bot).unwrap();
    assert_eq!(bot.token_type.as_str(), "xoxe.xoxb");
    assert!(bot.has_refresh_token);
    assert_eq!(
        w.store().events(&conn.id).unwrap().last().unwrap().action,
        xox_domain::store::EventAction::Exchange
    );

    // The same long-lived token, exchanged again (say, from another copy of it).
    let again = store
        .save_grant(
            &app,
            "classic-copy",
            &grant,
            xox_domain::store::EventAction::Import,
            HeldElsewhere::Refuse,
        )
        .unwrap();
    let err = rotator
        .exchange(&Target::of(&again, TokenKind::Bot))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("token_already_exchanged"), "{err}");
    let err = rotator.exchange(&target).await.unwrap_err();
    assert!(err.to_string().contains("already rotating"), "{err}");
}
