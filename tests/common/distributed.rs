//! A distributed app behind `xox proxy --public-listen`, over the simulator: app `dist`
//! with its signing secret, three workspaces and a Grid org with two workspaces, and
//! installs made through the public page as a browser without script would make them.

use super::cli_env::Env;
use super::proxy::Proxy;
use serde_json::{Value, json};
use xox_domain::sim::{SimApp, Simulator};

pub const CLIENT_ID: &str = "dist.1";
pub const CLIENT_SECRET: &str = "dist-client-secret";
pub const SIGNING_SECRET: &str = "dist-signing-secret";
pub const WORKSPACES: [&str; 3] = ["T0ONE", "T0TWO", "T0THREE"];
pub const ORG: &str = "E0GRID";
/// The org's workspaces: none has an install of its own, the org-wide one serves both.
pub const ORG_WORKSPACES: [&str; 2] = ["T0GRIDA", "T0GRIDB"];

pub struct Distributed {
    pub sim: Simulator,
    pub env: Env,
    pub proxy: Proxy,
    /// `http://127.0.0.1:PORT/slack/dist`
    pub public: String,
}

/// Run `xox ARGS` with `name=value` in its environment.
pub fn ok_with(env: &Env, args: &[&str], var: (&str, &str)) -> String {
    let mut cmd = env.command(args);
    cmd.env(var.0, var.1);
    let out = env.run_with(cmd, "");
    assert!(
        out.status.success(),
        "xox {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Distributed {
    /// The app registered in xox and at "Slack", events sent to the public face, which
    /// passes them on to `forward_to` when given.
    pub async fn start(forward_to: Option<&str>) -> Distributed {
        Distributed::start_with(forward_to, &[]).await
    }

    /// The same, with more arguments for `xox proxy`.
    pub async fn start_with(forward_to: Option<&str>, proxy_args: &[&str]) -> Distributed {
        let sim = Simulator::start(0).await.unwrap();
        let env = Env::new(sim.base_url());
        ok_with(
            &env,
            &[
                "app",
                "add",
                "dist",
                "--client-id",
                CLIENT_ID,
                "--rotation",
                "--scopes",
                "chat:write,app_mentions:read",
            ],
            ("XOX_CLIENT_SECRET", CLIENT_SECRET),
        );
        ok_with(
            &env,
            &["app", "set", "dist", "--signing-secret"],
            ("XOX_SIGNING_SECRET", SIGNING_SECRET),
        );
        if let Some(url) = forward_to {
            env.ok(&["app", "set", "dist", "--forward-to", url], "");
        }
        let mut args = vec!["proxy", "--port", "0", "--public-listen", "127.0.0.1:0"];
        args.extend_from_slice(proxy_args);
        let proxy = Proxy::spawn_public(env.command(&args));
        let public = format!("{}dist", proxy.public.clone().unwrap());
        sim.with_world(|w| {
            w.register_app(SimApp {
                client_id: CLIENT_ID.into(),
                client_secret: Some(CLIENT_SECRET.into()),
                pkce: false,
                rotation: true,
                redirect_urls: vec![
                    "http://localhost:8976/callback".into(),
                    format!("{public}/oauth_redirect"),
                ],
                app_id: "A0DIST".into(),
                signing_secret: Some(SIGNING_SECRET.into()),
                event_url: Some(format!("{public}/events")),
            });
        });
        let control = |path: &str, body: Value| {
            let url = format!("{}/_sim/{path}", sim.base_url());
            async move {
                reqwest::Client::new()
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
            }
        };
        for team in WORKSPACES {
            control(
                "workspaces",
                json!({"id": team, "name": format!("Workspace {team}")}),
            )
            .await;
        }
        let teams: Vec<Value> = ORG_WORKSPACES
            .iter()
            .map(|t| json!({"id": t, "name": format!("Grid {t}")}))
            .collect();
        control(
            "enterprises",
            json!({"id": ORG, "name": "Grid Org", "teams": teams}),
        )
        .await;
        Distributed {
            sim,
            env,
            proxy,
            public,
        }
    }

    /// Install into `team` (a workspace, or the org) through the public page, with the
    /// browser's cookie; what the redirect's page said (its status and body). The
    /// simulator consents at once, and `team` is named on the authorize link, as a user's
    /// pick on Slack's page would name it.
    pub async fn install(&self, team: &str) -> (u16, String) {
        let (cookie, authorize) = self.begin().await;
        let back = self.consent(&authorize, team).await;
        self.redirect(&back, Some(&cookie)).await
    }

    /// The install page, asked to redirect at once: the browser's cookie (`name=value`)
    /// and Slack's authorize link.
    pub async fn begin(&self) -> (String, String) {
        let start = no_redirects()
            .get(format!("{}/install?direct=1", self.public))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303, "the install page redirects at once");
        (cookie_of(&start), location(&start))
    }

    /// Slack's consent to `authorize` for `team` (the simulator consents at once): where
    /// Slack sends the browser back.
    pub async fn consent(&self, authorize: &str, team: &str) -> String {
        self.sim.with_world(|w| w.config.auto_consent = true);
        let consented = no_redirects()
            .get(format!("{authorize}&team={team}"))
            .send()
            .await
            .unwrap();
        let back = location(&consented);
        assert!(back.starts_with(&self.public), "{back}");
        back
    }

    /// Slack's redirect back to the public face, with or without the install's cookie.
    pub async fn redirect(&self, url: &str, cookie: Option<&str>) -> (u16, String) {
        let mut request = no_redirects().get(url);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }

    /// `xox show CONN --json`.
    pub fn show(&self, conn: &str) -> Value {
        serde_json::from_str(&self.env.ok(&["show", conn, "--json"], "")).unwrap()
    }

    /// A new app key, alone.
    pub fn app_key(&self) -> String {
        self.env
            .ok(&["proxy", "key", "add", "--app", "dist"], "")
            .trim()
            .to_owned()
    }

    /// What the simulator's control API answers to a POST of `body` to `/_sim/{path}`.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        super::sim_control(&self.sim, path, body).await
    }

    /// The messages the simulator took, each with the install that posted it.
    pub async fn posted(&self) -> Vec<Value> {
        super::sim_messages(&self.sim).await
    }
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(answer: &reqwest::Response) -> String {
    answer.headers()["location"].to_str().unwrap().to_owned()
}

/// `name=value` of the answer's cookie, as a browser sends it back.
pub fn cookie_of(answer: &reqwest::Response) -> String {
    let set = answer.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// The requests an endpoint took: headers and body.
pub type Seen = std::sync::Arc<std::sync::Mutex<Vec<(reqwest::header::HeaderMap, Vec<u8>)>>>;

/// An app's own endpoint that keeps what reaches it and answers after `delay`.
pub struct Endpoint {
    pub url: String,
    pub seen: Seen,
    pub delay: std::sync::Arc<std::sync::Mutex<std::time::Duration>>,
}

impl Endpoint {
    pub async fn start() -> Endpoint {
        use axum::body::Bytes;
        use axum::http::HeaderMap;
        let seen: Seen = Default::default();
        let delay = std::sync::Arc::new(std::sync::Mutex::new(std::time::Duration::ZERO));
        let (kept, wait) = (seen.clone(), delay.clone());
        let app = axum::Router::new().route(
            "/slack/events",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (kept, wait) = (kept.clone(), wait.clone());
                async move {
                    let mut copied = reqwest::header::HeaderMap::new();
                    for (name, value) in &headers {
                        copied.insert(
                            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes())
                                .unwrap(),
                            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                        );
                    }
                    kept.lock().unwrap().push((copied, body.to_vec()));
                    let pause = *wait.lock().unwrap();
                    tokio::time::sleep(pause).await;
                    ([("x-slack-no-retry", "1")], "app says hi")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/slack/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Endpoint { url, seen, delay }
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// `body` signed as Slack signs, at `timestamp`, with `secret`.
pub fn signed(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v0={hex}")
}
