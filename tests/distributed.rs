//! A distributed app served through `xox proxy --public-listen`, on the built binary and
//! the simulator: installs from the app's own page (workspaces, an org-wide install, a
//! re-install, a refusal of each kind), one app key routed per install, and Slack's
//! uninstall and revocation keeping the store true. Runs on PostgreSQL too.

mod common;

use common::distributed::{Distributed, ORG, ORG_WORKSPACES, WORKSPACES, location, no_redirects};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_from_the_public_page() {
    let d = Distributed::start(None).await;
    for team in WORKSPACES {
        let (status, page) = d.install(team).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("dist is installed"), "{page}");
    }
    let (status, page) = d.install(ORG).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Grid Org"), "{page}");

    let one = d.show("dist-t0one");
    assert_eq!(one["team_id"], "T0ONE");
    assert_eq!(one["enterprise_install"], false);
    let org = d.show("dist-e0grid");
    assert_eq!(org["enterprise_id"], ORG);
    assert_eq!(org["team_id"], Value::Null);
    assert_eq!(org["enterprise_install"], true);
    assert_eq!(org["covered_teams"], json!(ORG_WORKSPACES), "{org:#}");
    let list = d.env.ok(&["list"], "");
    assert!(list.contains("Grid Org (E0GRID, org-wide)"), "{list}");

    // A re-install of a workspace updates its connection: its tokens are new, its chain
    // one, and no second connection appears.
    let before = d.show("dist-t0two");
    let (status, _) = d.install("T0TWO").await;
    assert_eq!(status, 200);
    let after = d.show("dist-t0two");
    assert_eq!(before["id"], after["id"]);
    assert_ne!(
        before["tokens"][0]["redacted"],
        after["tokens"][0]["redacted"]
    );
    let all: Value = serde_json::from_str(&d.env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 4, "{all:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_installs_store_nothing() {
    let d = Distributed::start(None).await;
    let connections = || -> usize {
        let all: Value = serde_json::from_str(&d.env.ok(&["list", "--json"], "")).unwrap();
        all.as_array().unwrap().len()
    };
    let arg = |url: &str, name: &str| {
        let url = url::Url::parse(url).unwrap();
        let found = url.query_pairs().find(|(k, _)| k == name);
        found.unwrap().1.into_owned()
    };
    // Slack's redirect with `query`, refused with a page that says `why`.
    let d = &d;
    let refused = |query: String, cookie: Option<String>, why: &'static str| async move {
        let url = format!("{}/oauth_redirect?{query}", d.public);
        let (status, page) = d.redirect(&url, cookie.as_deref()).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains(why), "{why}: {page}");
    };

    // Cancel on Slack's page: Slack sends access_denied back.
    let (cookie, authorize) = d.begin().await;
    let state = arg(&authorize, "state");
    refused(
        format!("error=access_denied&state={state}"),
        Some(cookie.clone()),
        "cancelled",
    )
    .await;

    // A forged state, and a real one brought back by another browser (no cookie).
    refused("code=x&state=forged".into(), Some(cookie), "bad_state").await;
    let (_, authorize) = d.begin().await;
    let back = d.consent(&authorize, "T0ONE").await;
    refused(
        back.split_once('?').unwrap().1.into(),
        None,
        "other_browser",
    )
    .await;

    // A code replayed after its install finished: the state is spent.
    let (cookie, authorize) = d.begin().await;
    let back = d.consent(&authorize, "T0ONE").await;
    assert_eq!(d.redirect(&back, Some(&cookie)).await.0, 200);
    refused(
        back.split_once('?').unwrap().1.into(),
        Some(cookie),
        "bad_state",
    )
    .await;
    // The same code with a state of its own: Slack refuses a code used once.
    let (cookie, authorize) = d.begin().await;
    let replayed = format!(
        "code={}&state={}",
        arg(&back, "code"),
        arg(&authorize, "state")
    );
    refused(replayed, Some(cookie), "invalid_code").await;
    assert_eq!(connections(), 1, "only the finished install was stored");

    // The public face never serves the API, whatever the path.
    let browser = no_redirects();
    let api = format!(
        "{}api/auth.test",
        d.proxy.public.clone().unwrap().trim_end_matches("slack/")
    );
    assert_eq!(browser.get(api).send().await.unwrap().status(), 404);
    // A bare token's import makes the app "standalone", which nobody installs.
    d.env
        .ok(&["import", "loose", "--no-verify"], "xoxb-1-2-abcdef");
    for other in ["nope", "standalone", "..", "a%2Fb"] {
        let unknown = format!(
            "{}/install",
            d.public.replace("/dist", &format!("/{other}"))
        );
        assert_eq!(
            browser.get(unknown).send().await.unwrap().status(),
            404,
            "{other}"
        );
    }
}

/// An app key names its install after the key: each workspace's own, the org's for a
/// workspace it covers, and nothing else (refused before Slack).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_key_routes_to_each_install() {
    let d = Distributed::start(None).await;
    for team in WORKSPACES.iter().chain([&ORG]) {
        assert_eq!(d.install(team).await.0, 200);
    }
    let key = d.app_key();
    let proxy = &d.proxy;
    let post = |credential: String, text: &'static str| async move {
        let form = [("channel", "C0SIMGENERAL"), ("text", text)];
        proxy
            .call_with("chat.postMessage", &credential, &form)
            .await
    };
    assert_eq!(post(format!("{key}:T0ONE"), "one").await["ok"], true);
    assert_eq!(post(format!("{key}:T0THREE"), "three").await["ok"], true);
    assert_eq!(post(format!("{key}:{ORG}"), "org").await["ok"], true);
    assert_eq!(post(format!("{key}:T0GRIDB"), "covered").await["ok"], true);
    let posted = d.posted().await;
    let by = |text: &str| {
        let m = posted.iter().find(|m| m["text"] == text).unwrap();
        (
            m["install_team"].as_str().unwrap().to_owned(),
            m["org_wide"].as_bool().unwrap(),
        )
    };
    assert_eq!(by("one"), ("T0ONE".into(), false));
    assert_eq!(by("three"), ("T0THREE".into(), false));
    assert_eq!(by("org"), (ORG.into(), true));
    assert_eq!(
        by("covered"),
        (ORG.into(), true),
        "the org's install serves its workspace"
    );

    // No fallback: an unknown workspace, a key without its install, a user with no token
    // there, and a key that is not one. None of them reaches Slack.
    let before = d.sim.counters().calls.get("chat.postMessage").copied();
    for credential in [
        format!("{key}:T0NOWHERE"),
        key.clone(),
        format!("{key}:T0ONE:U0NOBODY"),
        format!("{key}x:T0ONE"),
    ] {
        let answer = post(credential.clone(), "no").await;
        assert_eq!(answer["error"], "invalid_auth", "{credential}: {answer}");
    }
    assert_eq!(
        d.sim.counters().calls.get("chat.postMessage").copied(),
        before
    );

    // A connection key works as before, and one with an install after it is refused.
    let conn_key = d
        .env
        .ok(&["proxy", "key", "add", "dist-t0two"], "")
        .trim()
        .to_owned();
    assert_eq!(post(conn_key.clone(), "two").await["ok"], true);
    assert_eq!(
        post(format!("{conn_key}:T0ONE"), "no").await["error"],
        "invalid_auth"
    );
    let keys = d.env.ok(&["proxy", "key", "list"], "");
    assert!(keys.contains("app:dist"), "{keys}");
}

/// Slack's uninstall and revocation reach the store through the signed events: the
/// tokens are marked, and their calls are answered as Slack would without asking it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uninstalls_and_revocations_keep_the_store_true() {
    let d = Distributed::start(None).await;
    for team in ["T0ONE", "T0TWO", ORG] {
        assert_eq!(d.install(team).await.0, 200);
    }
    let key = d.app_key();
    let answer = d
        .control(
            "uninstall",
            json!({"client_id": common::distributed::CLIENT_ID, "team_id": "T0ONE"}),
        )
        .await;
    for delivery in answer["deliveries"].as_array().unwrap() {
        assert_eq!(delivery["status"], 200, "{answer}");
    }
    assert_eq!(d.show("dist-t0one")["status"], "uninstalled");
    assert_eq!(
        d.show("dist-t0two")["status"],
        "ok",
        "other installs are untouched"
    );
    let before = d.sim.counters().calls.get("auth.test").copied();
    let answer = d.proxy.call("auth.test", &format!("{key}:T0ONE")).await;
    assert_eq!(answer["error"], "token_revoked", "{answer}");
    assert_eq!(
        d.sim.counters().calls.get("auth.test").copied(),
        before,
        "Slack was not asked"
    );

    // The org-wide install, removed from the whole org.
    d.control(
        "uninstall",
        json!({"client_id": common::distributed::CLIENT_ID, "team_id": ORG}),
    )
    .await;
    assert_eq!(d.show("dist-e0grid")["status"], "uninstalled");
    let trail = d.env.ok(&["history", "dist-e0grid"], "");
    assert!(trail.contains("uninstall"), "{trail}");

    // Installed again: the same connection, its tokens live again.
    assert_eq!(d.install("T0ONE").await.0, 200);
    assert_eq!(d.show("dist-t0one")["status"], "ok");
    let answer = d.proxy.call("auth.test", &format!("{key}:T0ONE")).await;
    assert_eq!(answer["ok"], true, "{answer}");
}

/// Every way a request can fail to be Slack's gets 401, 400 or 413, and reaches neither
/// the store nor the app; a signed one is passed on byte for byte, with Slack's headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_not_from_slack_are_refused() {
    use common::distributed::{Endpoint, SIGNING_SECRET, signed};
    let app = Endpoint::start().await;
    let d = Distributed::start(Some(&app.url)).await;
    assert_eq!(d.install("T0ONE").await.0, 200);
    let events = format!("{}/events", d.public);
    let now = chrono::Utc::now().timestamp();
    let uninstall = json!({"type": "event_callback", "team_id": "T0ONE",
        "event": {"type": "app_uninstalled"},
        "authorizations": [{"team_id": "T0ONE", "is_enterprise_install": false}]})
    .to_string();
    let send = |body: String, headers: Vec<(&'static str, String)>| {
        let events = events.clone();
        async move {
            let mut request = reqwest::Client::new().post(events).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        }
    };
    let with = |ts: i64, signature: String| {
        vec![
            ("x-slack-request-timestamp", ts.to_string()),
            ("x-slack-signature", signature),
            ("content-type", "application/json".to_owned()),
        ]
    };
    let good = signed(SIGNING_SECRET, now, &uninstall);
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, String, Headers, u16)> = vec![
        ("unsigned", uninstall.clone(), vec![], 401),
        (
            "wrong secret",
            uninstall.clone(),
            with(now, signed("guess", now, &uninstall)),
            401,
        ),
        (
            "another body",
            format!("{uninstall} "),
            with(now, good.clone()),
            401,
        ),
        (
            "stale",
            uninstall.clone(),
            with(now - 600, signed(SIGNING_SECRET, now - 600, &uninstall)),
            401,
        ),
        (
            "malformed signature",
            uninstall.clone(),
            with(now, "v0=xyz".into()),
            401,
        ),
        (
            "oversized",
            "x".repeat(2 * 1024 * 1024),
            with(now, "v0=00".into()),
            413,
        ),
        (
            "malformed JSON",
            "{\"type\":".into(),
            with(now, signed(SIGNING_SECRET, now, "{\"type\":")),
            400,
        ),
    ];
    for (what, body, headers, status) in cases {
        let (got, text) = send(body, headers).await;
        assert_eq!(got, status, "{what}: {text}");
    }
    assert_eq!(app.count(), 0, "nothing was passed on");
    assert_eq!(d.show("dist-t0one")["status"], "ok", "nothing changed");

    // Signed: acted on, and passed on as it came; Slack's headers go with it, so the
    // app's own check passes. The same request again is a replay.
    let (status, text) = send(uninstall.clone(), with(now, good.clone())).await;
    assert_eq!((status, text.as_str()), (200, "app says hi"));
    assert_eq!(d.show("dist-t0one")["status"], "uninstalled");
    {
        let seen = app.seen.lock().unwrap();
        let (headers, body) = &seen[0];
        assert_eq!(body, uninstall.as_bytes());
        assert_eq!(headers["x-slack-signature"], good.as_str());
        assert_eq!(
            headers["x-slack-request-timestamp"],
            now.to_string().as_str()
        );
    }
    let (status, _) = send(uninstall.clone(), with(now, good)).await;
    assert_eq!(status, 401, "a replay");
    assert_eq!(app.count(), 1);

    // Slack's check of the Request URL is answered here, and the app never sees it.
    let check = json!({"type": "url_verification", "challenge": "c-123"}).to_string();
    let (status, text) = send(
        check.clone(),
        with(now, signed(SIGNING_SECRET, now, &check)),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "{\"challenge\":\"c-123\"}"));

    // An app that takes longer than Slack's three seconds: 504.
    *app.delay.lock().unwrap() = std::time::Duration::from_secs(5);
    let mention = json!({"type": "event_callback", "team_id": "T0ONE",
        "event": {"type": "app_mention", "text": "hi"}})
    .to_string();
    let started = std::time::Instant::now();
    let (status, _) = send(
        mention.clone(),
        with(now, signed(SIGNING_SECRET, now, &mention)),
    )
    .await;
    assert_eq!(status, 504);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let trail = d.env.ok(&["history", "dist-t0one"], "");
    assert!(trail.contains("forward_late"), "{trail}");
}

/// `KEY:ID:USER` reaches that user's token in the install, and Slack's `tokens_revoked`
/// for the user marks it, the bot's token untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_token_is_named_after_the_install() {
    let d = Distributed::start(None).await;
    d.env
        .ok(&["app", "set", "dist", "--user-scopes", "search:read"], "");
    assert_eq!(d.install("T0ONE").await.0, 200);
    let key = d.app_key();
    let proxy = &d.proxy;
    let call = |credential: String, method: &'static str| async move {
        proxy
            .call_with(method, &credential, &[("query", "hello")])
            .await
    };
    let user = format!("{key}:T0ONE:U0SIMUSER1");
    assert_eq!(call(user.clone(), "search.messages").await["ok"], true);
    d.control(
        "revoke_user",
        json!({"client_id": common::distributed::CLIENT_ID, "team_id": "T0ONE"}),
    )
    .await;
    let conn = d.show("dist-t0one");
    let status = |kind: &str| {
        conn["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == kind)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(
        (status("user"), status("bot")),
        (json!("revoked"), json!("ok")),
        "{conn:#}"
    );
    assert_eq!(
        call(user, "search.messages").await["error"],
        "token_revoked"
    );
    assert_eq!(call(format!("{key}:T0ONE"), "auth.test").await["ok"], true);
}

/// An org-wide install's answer, imported: the org, its reach, and its workspaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_answer_imports_with_its_workspaces() {
    let d = Distributed::start(None).await;
    let answer = d
        .sim
        .with_world(|w| {
            w.seed_install(
                common::distributed::CLIENT_ID,
                Some((ORG, "Grid Org")),
                "chat:write",
                "",
            )
        })
        .unwrap();
    assert_eq!(answer["is_enterprise_install"], true);
    d.env
        .ok(&["import", "grid", "--app", "dist"], &answer.to_string());
    let grid = d.show("grid");
    assert_eq!(grid["enterprise_install"], true);
    assert_eq!(grid["covered_teams"], json!(ORG_WORKSPACES));
    let shown = d.env.ok(&["show", "grid"], "");
    assert!(shown.contains("org-wide, 2 workspaces"), "{shown}");
}

/// The manifest names the public face's URLs, for Slack to send installs and requests to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_names_the_public_urls() {
    let d = Distributed::start(None).await;
    let manifest: Value = serde_json::from_str(&d.env.ok(
        &[
            "app",
            "manifest",
            "dist",
            "--public-url",
            "https://slack.example.com/",
            "--slash-command",
            "/deploy",
        ],
        "",
    ))
    .unwrap();
    let base = "https://slack.example.com/slack/dist";
    assert_eq!(
        manifest["oauth_config"]["redirect_urls"][1],
        format!("{base}/oauth_redirect")
    );
    assert_eq!(
        manifest["settings"]["event_subscriptions"]["request_url"],
        format!("{base}/events")
    );
    assert_eq!(
        manifest["settings"]["interactivity"]["request_url"],
        format!("{base}/interactive")
    );
    assert_eq!(
        manifest["features"]["slash_commands"][0]["url"],
        format!("{base}/commands")
    );
}

/// An app that uses PKCE installs from its public page too: the verifier the redirect
/// sends is the one the link's challenge was made from, though nothing was stored between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pkce_app_installs_from_its_page() {
    let d = Distributed::start(None).await;
    d.env.ok(
        &[
            "app",
            "set",
            "dist",
            "--pkce",
            "--scopes",
            "",
            "--user-scopes",
            "search:read",
        ],
        "",
    );
    d.sim.with_world(|w| {
        let mut app = w.app(common::distributed::CLIENT_ID).unwrap();
        app.pkce = true;
        app.client_secret = None;
        w.register_app(app);
    });
    let (status, page) = d.install("T0ONE").await;
    assert_eq!(status, 200, "{page}");
    let one = d.show("dist-t0one");
    assert_eq!(one["tokens"][0]["kind"], "user", "{one:#}");
}

/// Slash commands and interactivity are checked and passed on like events; Slack's word
/// that it is holding the app's events back goes in the install's trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_interactivity_and_rate_limits() {
    use common::distributed::{Endpoint, SIGNING_SECRET, signed};
    let app = Endpoint::start().await;
    let d = Distributed::start(Some(&app.url)).await;
    assert_eq!(d.install("T0ONE").await.0, 200);
    let now = chrono::Utc::now().timestamp();
    let send = |route: &str, body: String, content_type: &'static str| {
        let url = format!("{}/{route}", d.public);
        async move {
            let answer = reqwest::Client::new()
                .post(url)
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", now.to_string())
                .header("x-slack-signature", signed(SIGNING_SECRET, now, &body))
                .body(body)
                .send()
                .await
                .unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        }
    };
    let form = "application/x-www-form-urlencoded";
    let command = "command=%2Fdeploy&text=now&team_id=T0ONE&user_id=U0SIMUSER1".to_owned();
    assert_eq!(
        send("commands", command.clone(), form).await,
        (200, "app says hi".into())
    );
    let payload = "payload=%7B%22type%22%3A%22block_actions%22%7D".to_owned();
    assert_eq!(
        send("interactive", payload.clone(), form).await,
        (200, "app says hi".into())
    );
    {
        let seen = app.seen.lock().unwrap();
        assert_eq!(seen[0].1, command.as_bytes());
        assert_eq!(seen[1].1, payload.as_bytes());
    }
    let limited = json!({"token": "t", "type": "app_rate_limited", "team_id": "T0ONE",
        "minute_rate_limited": 1518467820, "api_app_id": "A0DIST"})
    .to_string();
    assert_eq!(send("events", limited, "application/json").await.0, 200);
    let trail = d.env.ok(&["history", "dist-t0one"], "");
    assert!(trail.contains("rate_limited"), "{trail}");
}

/// A workspace of an org installed on its own keeps its enterprise; the org's reach is
/// read again when Slack says a workspace joined; a finished install can go to the app's
/// own page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_workspaces_and_the_orgs_reach() {
    let d = Distributed::start_with(
        None,
        &["--install-success-url", "https://shop.example.com/welcome"],
    )
    .await;
    let (cookie, authorize) = d.begin().await;
    let back = d.consent(&authorize, "T0GRIDA").await;
    let finished = no_redirects()
        .get(back)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 303);
    assert_eq!(location(&finished), "https://shop.example.com/welcome");
    let workspace = d.show("dist-t0grida");
    assert_eq!(workspace["enterprise_id"], ORG);
    assert_eq!(workspace["enterprise_install"], false);

    assert_eq!(d.install(ORG).await.0, 303);
    assert_eq!(
        d.show("dist-e0grid")["covered_teams"],
        json!(ORG_WORKSPACES)
    );
    let teams: Vec<Value> = ["T0GRIDA", "T0GRIDB", "T0GRIDC"]
        .iter()
        .map(|t| json!({"id": t, "name": t}))
        .collect();
    d.control(
        "enterprises",
        json!({"id": ORG, "name": "Grid Org", "teams": teams}),
    )
    .await;
    let joined = json!({"type": "team_access_granted", "team_ids": ["T0GRIDC"]});
    d.control(
        "events",
        json!({"client_id": common::distributed::CLIENT_ID, "team_id": ORG, "event": joined}),
    )
    .await;
    assert_eq!(
        d.show("dist-e0grid")["covered_teams"],
        json!(["T0GRIDA", "T0GRIDB", "T0GRIDC"])
    );
}
