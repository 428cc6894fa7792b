//! The Slack client against the simulator over loopback: OAuth, rotation, enforcement, faults.

mod common;

use common::*;
use serde_json::json;
use xox_domain::sim::{Fault, FaultKind};
use xox_domain::slack::{
    CallError, ClientCredentials, ErrorCode, Secret, TokenKind, TokenType, TransportError,
    parse_grant,
};

const ID: &str = "111.222";

fn code_in(location: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
}

async fn authorize(sim: &xox_domain::sim::Simulator, query: &[(&str, &str)]) -> reqwest::Response {
    let url = url::Url::parse_with_params(&format!("{}/oauth/v2/authorize", sim.base_url()), query)
        .unwrap();
    browser().get(url).send().await.unwrap()
}

/// Play the browser: open the consent page, press the button, return where Slack redirects.
async fn consent(
    sim: &xox_domain::sim::Simulator,
    query: &[(&str, &str)],
    decision: &str,
) -> String {
    let page = authorize(sim, query).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"allow\""), "{html}");
    let mut form: Vec<(&str, &str)> = query.to_vec();
    form.push(("decision", decision));
    let answer = browser()
        .post(format!("{}/oauth/v2/authorize", sim.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_redirection());
    answer.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn install_through_consent_yields_bot_and_user_tokens() {
    let sim = sim_with_app(ID, true, false).await;
    let query = [
        ("client_id", ID),
        ("scope", "chat:write,users:read"),
        ("user_scope", "search:read"),
        ("redirect_uri", "http://localhost:8976/callback"),
        ("state", "st4te"),
    ];
    let location = consent(&sim, &query, "allow").await;
    assert!(
        location.starts_with("http://localhost:8976/callback?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=st4te"));
    let code = code_in(&location).unwrap();

    let client = client(&sim);
    let params = [
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:8976/callback"),
    ];
    let answer = client
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
        .unwrap();
    let grant = parse_grant(&answer.body).unwrap();
    let bot = grant.token(TokenKind::Bot).unwrap();
    assert_eq!(bot.token_type, TokenType::RotatingBot);
    assert_eq!(bot.expires_in, Some(43_200));
    assert_eq!(bot.scopes.to_csv(), "chat:write,users:read");
    assert_eq!(
        grant.token(TokenKind::User).unwrap().token_type,
        TokenType::RotatingUser
    );
    assert_eq!(grant.authed_user_id.as_deref(), Some("U0SIMUSER1"));

    // The code is single-use, and bound to the redirect_uri sent to authorize.
    let again = client
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
        .unwrap_err();
    assert_eq!(again.api().unwrap().code, ErrorCode::InvalidCode);
    let location = consent(&sim, &query, "allow").await;
    let code = code_in(&location).unwrap();
    let wrong = client
        .oauth("oauth.v2.access", &creds(ID), &[("code", code.as_str())])
        .await
        .unwrap_err();
    assert_eq!(wrong.api().unwrap().code, ErrorCode::BadRedirectUri);
    let bad_secret = ClientCredentials {
        client_id: ID.into(),
        client_secret: Some(Secret::new("nope")),
    };
    let params = [
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:8976/callback"),
    ];
    let err = client
        .oauth("oauth.v2.access", &bad_secret, &params)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::BadClientSecret);
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_bad_requests_never_redirect() {
    let sim = sim_with_app(ID, false, false).await;
    let query = [("client_id", ID), ("scope", "chat:write"), ("state", "abc")];
    let location = consent(&sim, &query, "deny").await;
    assert_eq!(
        location,
        "http://localhost:8976/callback?error=access_denied&state=abc"
    );

    for (query, code) in [
        (
            vec![("client_id", "999"), ("scope", "chat:write")],
            "invalid_client_id",
        ),
        (
            vec![
                ("client_id", ID),
                ("scope", "chat:write"),
                ("redirect_uri", "http://127.0.0.1:8976/callback"),
            ],
            "bad_redirect_uri",
        ),
        (
            vec![
                ("client_id", ID),
                ("scope", "chat:write"),
                ("redirect_uri", "http://localhost:8976/other"),
            ],
            "bad_redirect_uri",
        ),
        (vec![("client_id", ID)], "invalid_scope"),
        (
            vec![("client_id", ID), ("scope", "Chat Write!")],
            "invalid_scope",
        ),
    ] {
        let answer = authorize(&sim, &query).await;
        assert_eq!(answer.status(), 400, "{query:?}");
        assert!(answer.headers().get("location").is_none());
        assert!(answer.text().await.unwrap().contains(code), "{query:?}");
    }
}

#[tokio::test]
async fn pkce_codes_need_the_verifier_and_no_secret() {
    let sim = sim_with_app(ID, true, true).await;
    let challenge =
        xox_domain::slack::pkce::challenge("verifier-1234567890-verifier-1234567890-abc");
    let query = [
        ("client_id", ID),
        ("user_scope", "search:read"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "s"),
    ];
    let public = ClientCredentials {
        client_id: ID.into(),
        client_secret: None,
    };
    let client = client(&sim);

    let code = code_in(&consent(&sim, &query, "allow").await).unwrap();
    let err = client
        .oauth(
            "oauth.v2.access",
            &public,
            &[("code", &code), ("code_verifier", "wrong")],
        )
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::InvalidCodeVerifier);

    let code = code_in(&consent(&sim, &query, "allow").await).unwrap();
    let params = [
        ("code", code.as_str()),
        (
            "code_verifier",
            "verifier-1234567890-verifier-1234567890-abc",
        ),
    ];
    let grant = parse_grant(
        &client
            .oauth("oauth.v2.access", &public, &params)
            .await
            .unwrap()
            .body,
    )
    .unwrap();
    assert!(grant.token(TokenKind::Bot).is_none());
    assert_eq!(
        grant.token(TokenKind::User).unwrap().token_type,
        TokenType::RotatingUser
    );

    // A localhost redirect under PKCE is a desktop redirect: bot scopes are refused.
    let answer = authorize(&sim, &[("client_id", ID), ("scope", "chat:write")]).await;
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("only user scopes"));
}

/// One refresh grant with `refresh`, as the test app.
async fn refresh_grant(
    sim: &xox_domain::sim::Simulator,
    refresh: &Secret,
) -> Result<xox_domain::slack::ApiResponse, CallError> {
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.expose()),
    ];
    client(sim)
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
}

#[tokio::test]
async fn refresh_tokens_are_single_use_and_counted() {
    let sim = sim_with_app(ID, true, false).await;
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let bot = grant.token(TokenKind::Bot).unwrap();
    let refresh = bot.refresh.clone().unwrap();
    let client = client(&sim);

    let answer = refresh_grant(&sim, &refresh).await.unwrap();
    assert_eq!(answer.body["token_type"], "bot");
    let fresh = parse_grant(&answer.body).unwrap();
    let fresh = fresh.token(TokenKind::Bot).unwrap();
    assert_ne!(fresh.access, bot.access);
    assert_ne!(fresh.refresh.as_ref().unwrap(), &refresh);

    let reused = refresh_grant(&sim, &refresh).await.unwrap_err();
    assert_eq!(reused.api().unwrap().code, ErrorCode::InvalidRefreshToken);
    let counters = sim.counters();
    assert_eq!(counters.refresh_grants, 1);
    assert_eq!(counters.invalid_refresh_token, 1);
    assert_eq!(counters.refreshes["T0TEST/U0SIMUSER1/bot"], 1);

    // The old access token still works until it expires; both are live.
    assert!(client.call("auth.test", &bot.access, &[]).await.is_ok());
    assert!(client.call("auth.test", &fresh.access, &[]).await.is_ok());
}

#[tokio::test]
async fn a_used_refresh_token_works_again_only_inside_the_grace_period() {
    let sim = sim_with_app(ID, true, false).await;
    sim.with_world(|w| w.config.refresh_grace_secs = 60);
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let refresh = grant
        .token(TokenKind::Bot)
        .unwrap()
        .refresh
        .clone()
        .unwrap();
    let first = refresh_grant(&sim, &refresh).await.unwrap();
    let again = refresh_grant(&sim, &refresh).await.unwrap();
    assert_ne!(first.body["refresh_token"], again.body["refresh_token"]);
    sim.with_world(|w| w.advance_clock(60));
    let late = refresh_grant(&sim, &refresh).await.unwrap_err();
    assert_eq!(late.api().unwrap().code, ErrorCode::InvalidRefreshToken);
    let counters = sim.counters();
    assert_eq!(
        (
            counters.refresh_grants,
            counters.refreshes_in_grace,
            counters.invalid_refresh_token
        ),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn at_most_two_rotating_access_tokens_live() {
    let sim = sim_with_app(ID, true, false).await;
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let first = grant.token(TokenKind::Bot).unwrap().clone();
    let client = client(&sim);
    let mut refresh = first.refresh.clone().unwrap();
    for _ in 0..2 {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ];
        let answer = client
            .oauth("oauth.v2.access", &creds(ID), &params)
            .await
            .unwrap();
        refresh = Secret::new(answer.body["refresh_token"].as_str().unwrap());
    }
    let err = client
        .call("auth.test", &first.access, &[])
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::TokenRevoked);
}

#[tokio::test]
async fn rotating_tokens_expire_on_the_simulated_clock() {
    let sim = sim_with_app(ID, true, false).await;
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let token = &grant.token(TokenKind::Bot).unwrap().access;
    let client = client(&sim);
    let ok = client.call("auth.test", token, &[]).await.unwrap();
    assert!(ok.body["expires_in"].as_i64().unwrap() > 43_000);
    assert_eq!(
        ok.body["bot_id"].as_str().map(|s| s.starts_with('B')),
        Some(true)
    );
    sim.with_world(|w| w.advance_clock(43_201));
    let err = client.call("auth.test", token, &[]).await.unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::TokenExpired);
}

#[tokio::test]
async fn exchange_is_once_only_and_needs_rotation() {
    let sim = sim_with_app(ID, true, false).await;
    sim.with_world(|w| {
        w.register_app(xox_domain::sim::SimApp {
            client_id: "333.444".into(),
            client_secret: Some(SECRET.into()),
            pkce: false,
            rotation: false,
            redirect_urls: vec![],
            app_id: "A0NOROT".into(),
            signing_secret: None,
            event_url: None,
        })
    });
    // Long-lived tokens come from an app without rotation; then rotation is switched on.
    sim.with_world(|w| w.apps_mut_rotation(ID, false));
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "search:read").await).unwrap();
    let long_lived = grant.token(TokenKind::Bot).unwrap().access.clone();
    assert_eq!(TokenType::classify(long_lived.expose()), TokenType::Bot);
    let client = client(&sim);
    let params = [("token", long_lived.expose())];
    let err = client
        .oauth("oauth.v2.exchange", &creds(ID), &params)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::TokenRotationNotEnabled);

    sim.with_world(|w| w.apps_mut_rotation(ID, true));
    let answer = client
        .oauth("oauth.v2.exchange", &creds(ID), &params)
        .await
        .unwrap();
    let rotated = parse_grant(&answer.body).unwrap();
    let rotated = rotated.token(TokenKind::Bot).unwrap();
    assert_eq!(rotated.token_type, TokenType::RotatingBot);
    let err = client
        .oauth("oauth.v2.exchange", &creds(ID), &params)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::TokenAlreadyExchanged);
    // The long-lived token works until the first refresh of the new pair, then dies.
    assert!(client.call("auth.test", &long_lived, &[]).await.is_ok());
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rotated.refresh.as_ref().unwrap().expose()),
    ];
    client
        .oauth("oauth.v2.access", &creds(ID), &refresh)
        .await
        .unwrap();
    assert_eq!(
        client
            .call("auth.test", &long_lived, &[])
            .await
            .unwrap_err()
            .api()
            .unwrap()
            .code,
        ErrorCode::TokenRevoked
    );

    let other = client
        .oauth("oauth.v2.exchange", &creds("333.444"), &params)
        .await
        .unwrap_err();
    assert_eq!(other.api().unwrap().code, ErrorCode::AuthorizationNotFound);
}

#[tokio::test]
async fn methods_enforce_scopes_and_token_kinds_with_scope_headers() {
    let sim = sim_with_app(ID, false, false).await;
    let grant = parse_grant(&seed(&sim, ID, "users:read", "search:read").await).unwrap();
    let bot = &grant.token(TokenKind::Bot).unwrap().access;
    let user = &grant.token(TokenKind::User).unwrap().access;
    let client = client(&sim);
    let args = vec![
        ("channel".to_string(), "C0SIMGENERAL".to_string()),
        ("text".to_string(), "hi".to_string()),
    ];

    let err = client
        .call("chat.postMessage", bot, &args)
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code, ErrorCode::MissingScope);
    assert_eq!(api.needed.as_ref().unwrap().to_csv(), "chat:write");
    assert_eq!(api.provided.as_ref().unwrap().to_csv(), "users:read");
    assert_eq!(api.token_scopes.as_ref().unwrap().to_csv(), "users:read");
    assert_eq!(api.accepted_scopes.as_ref().unwrap().to_csv(), "chat:write");

    let query = vec![("query".to_string(), "x".to_string())];
    let err = client
        .call("search.messages", bot, &query)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::NotAllowedTokenType);
    let ok = client.call("search.messages", user, &query).await.unwrap();
    assert_eq!(ok.token_scopes.unwrap().to_csv(), "search:read");

    // conversations.list needs the read scope of every conversation type asked for.
    let types = vec![("types".to_string(), "public_channel,im".to_string())];
    let err = client
        .call("conversations.list", bot, &types)
        .await
        .unwrap_err();
    assert_eq!(
        err.api().unwrap().needed.as_ref().unwrap().to_csv(),
        "channels:read,im:read"
    );

    let err = client
        .call("auth.test", &Secret::new("xoxb-not-a-real-token"), &[])
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::InvalidAuth);
    let err = client.call("no.such.method", bot, &[]).await.unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::UnknownMethod);
    let ok = client
        .call_json("users.list", bot, &json!({"limit": 5}))
        .await
        .unwrap();
    assert_eq!(ok.body["members"].as_array().unwrap().len(), 2);

    let revoke = vec![("test".to_string(), "1".to_string())];
    assert_eq!(
        client
            .call("auth.revoke", user, &revoke)
            .await
            .unwrap()
            .body["revoked"],
        false
    );
    assert_eq!(
        client.call("auth.revoke", user, &[]).await.unwrap().body["revoked"],
        true
    );
    assert_eq!(
        client
            .call("auth.test", user, &[])
            .await
            .unwrap_err()
            .api()
            .unwrap()
            .code,
        ErrorCode::TokenRevoked
    );
}

#[tokio::test]
async fn injected_faults_become_typed_errors() {
    let sim = sim_with_app(ID, true, false).await;
    let grant = parse_grant(&seed(&sim, ID, "chat:write", "").await).unwrap();
    let bot = grant.token(TokenKind::Bot).unwrap();
    let client =
        xox_domain::slack::SlackClient::new(sim.base_url(), std::time::Duration::from_millis(400))
            .unwrap();
    let fault = |kind| Fault {
        method: Some("auth.test".into()),
        kind,
        count: 1,
    };

    sim.add_fault(fault(FaultKind::Html));
    let err = client
        .call("auth.test", &bot.access, &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Slack answered HTTP 502 with an HTML page (\"502 Bad Gateway\") instead of JSON"
    );

    sim.add_fault(fault(FaultKind::Status { status: 503 }));
    let err = client
        .call("auth.test", &bot.access, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Transport(TransportError::NotJson { status: 503, .. })
        ),
        "{err:?}"
    );

    sim.add_fault(fault(FaultKind::Ratelimit { retry_after: 7 }));
    let err = client
        .call("auth.test", &bot.access, &[])
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::Ratelimited);
    assert_eq!(err.api().unwrap().retry_after, Some(7));

    sim.add_fault(fault(FaultKind::Drop));
    let err = client
        .call("auth.test", &bot.access, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Transport(TransportError::Dropped { .. })),
        "{err:?}"
    );

    sim.add_fault(fault(FaultKind::Delay { ms: 1500 }));
    let err = client
        .call("auth.test", &bot.access, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Transport(TransportError::Timeout { .. })),
        "{err:?}"
    );
    assert!(err.is_transient());

    // Dropped after rotating: the server spent the refresh token, the client never heard.
    fault_refreshes(&sim, FaultKind::DropAfter, 1);
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", bot.refresh.as_ref().unwrap().expose()),
    ];
    let err = client
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Transport(TransportError::Dropped { .. })),
        "{err:?}"
    );
    assert_eq!(sim.counters().refresh_grants, 1);
    let err = client
        .oauth("oauth.v2.access", &creds(ID), &params)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::InvalidRefreshToken);

    // Nothing listens: a clear connect error.
    let dead = xox_domain::slack::SlackClient::new(
        "http://127.0.0.1:9",
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let err = dead.call("auth.test", &bot.access, &[]).await.unwrap_err();
    assert!(
        err.to_string().starts_with("could not reach Slack"),
        "{err}"
    );
}

/// The simulator answers as Slack documents it where it used to be lenient.
#[tokio::test]
async fn the_simulator_refuses_what_slack_refuses() {
    let sim = sim_with_app(ID, true, false).await;
    let query = [("client_id", ID), ("scope", "chat:write"), ("state", "s")];
    let post = |form: Vec<(&'static str, String)>, auth: Option<String>| {
        let mut request = browser()
            .post(format!("{}/api/oauth.v2.access", sim.base_url()))
            .form(&form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            body
        }
    };
    // An unknown client is named before the code is looked at.
    let code = code_in(&consent(&sim, &query, "allow").await).unwrap();
    let answer = post(
        vec![
            ("client_id", "999.999".into()),
            ("client_secret", SECRET.into()),
            ("code", code.clone()),
        ],
        None,
    )
    .await;
    assert_eq!(answer["error"], "invalid_client_id", "{answer}");
    // A verifier for an app without PKCE.
    let answer = post(
        vec![
            ("client_id", ID.into()),
            ("client_secret", SECRET.into()),
            ("code", code.clone()),
            (
                "code_verifier",
                "verifier-1234567890-verifier-1234567890-abc".into(),
            ),
        ],
        None,
    )
    .await;
    assert_eq!(answer["error"], "pkce_not_allowed", "{answer}");
    // HTTP Basic's scheme name in lower case is still Basic.
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ID}:{SECRET}"));
    let answer = post(vec![("code", code)], Some(format!("basic {basic}"))).await;
    assert_eq!(answer["ok"], true, "{answer}");
    // A scope Slack does not have.
    let refused = authorize(&sim, &[("client_id", ID), ("scope", "chat:wrte")]).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("invalid_scope"));
}

#[tokio::test]
async fn pkce_refresh_tokens_expire_after_30_days_on_the_simulated_clock() {
    let sim = sim_with_app(ID, true, true).await;
    let grant = parse_grant(&seed(&sim, ID, "", "search:read").await).unwrap();
    let refresh = grant
        .token(TokenKind::User)
        .unwrap()
        .refresh
        .clone()
        .unwrap();
    sim.with_world(|w| w.advance_clock(30 * 24 * 3600));
    let public = ClientCredentials {
        client_id: ID.into(),
        client_secret: None,
    };
    let err = client(&sim)
        .oauth(
            "oauth.v2.access",
            &public,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code, ErrorCode::InvalidRefreshToken);
}

#[tokio::test]
async fn the_world_reacts_to_joins_invites_leaves_and_archives() {
    let sim = sim_with_app(ID, false, false).await;
    let scopes = "chat:write,channels:join,channels:manage,channels:read";
    let grant = parse_grant(&seed(&sim, ID, scopes, "channels:write").await).unwrap();
    let bot = &grant.token(TokenKind::Bot).unwrap().access;
    let user = &grant.token(TokenKind::User).unwrap().access;
    let bot_id = grant.bot_user_id.clone().unwrap();
    let client = client(&sim);
    let args = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let post = args(&[("channel", "#random"), ("text", "hi")]);
    let code =
        |r: Result<_, xox_domain::slack::CallError>| r.unwrap_err().api().unwrap().code.clone();

    assert_eq!(
        code(client.call("chat.postMessage", bot, &post).await),
        ErrorCode::NotInChannel
    );
    client
        .call("conversations.join", bot, &args(&[("channel", "#random")]))
        .await
        .unwrap();
    client.call("chat.postMessage", bot, &post).await.unwrap();
    client
        .call(
            "conversations.leave",
            bot,
            &args(&[("channel", "C0SIMRANDOM")]),
        )
        .await
        .unwrap();
    assert_eq!(
        code(client.call("chat.postMessage", bot, &post).await),
        ErrorCode::NotInChannel
    );
    // A person invites the bot back.
    let invite = args(&[("channel", "C0SIMRANDOM"), ("users", &bot_id)]);
    client
        .call("conversations.invite", user, &invite)
        .await
        .unwrap();
    client.call("chat.postMessage", bot, &post).await.unwrap();
    let nobody = args(&[("channel", "C0SIMRANDOM"), ("users", "U0NOBODY")]);
    let err = client
        .call("conversations.invite", user, &nobody)
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code.as_str(), "user_not_found");

    // Archived channels refuse posts until unarchived.
    let channel = args(&[("channel", "C0SIMRANDOM")]);
    client
        .call("conversations.archive", bot, &channel)
        .await
        .unwrap();
    assert_eq!(
        code(client.call("chat.postMessage", bot, &post).await).as_str(),
        "is_archived"
    );
    let info = client
        .call("conversations.info", bot, &channel)
        .await
        .unwrap();
    assert_eq!(info.body["channel"]["is_archived"], true);
    client
        .call("conversations.unarchive", bot, &channel)
        .await
        .unwrap();
    client.call("chat.postMessage", bot, &post).await.unwrap();
}
