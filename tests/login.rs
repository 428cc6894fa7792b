//! `xox login` end to end: the binary listens, a test client plays the browser through the
//! simulator's consent page and follows the redirect to the listener.

mod common;

use common::browser::{
    browser, consent, follow, free_port, login_command, start_login, start_login_with,
};
use common::cli_env::Env;
use serde_json::Value;
use xox_domain::sim::{SimApp, Simulator};

const CONFIDENTIAL: &str = "700.701";
const PUBLIC: &str = "800.801";

/// A simulator knowing both apps at `redirect`, and an environment that registered them.
async fn setup(redirect: &str) -> (Simulator, Env) {
    let sim = Simulator::start(0).await.unwrap();
    sim.with_world(|w| {
        for (client_id, pkce) in [(CONFIDENTIAL, false), (PUBLIC, true)] {
            w.register_app(SimApp {
                client_id: client_id.into(),
                client_secret: (!pkce).then(|| "login-secret".into()),
                pkce,
                rotation: true,
                redirect_urls: vec![redirect.into()],
                app_id: format!("A{client_id}"),
                signing_secret: None,
                event_url: None,
            });
        }
    });
    let env = Env::new(sim.base_url());
    let mut add = env.command(&[
        "app",
        "add",
        "conf",
        "--client-id",
        CONFIDENTIAL,
        "--rotation",
        "--redirect-uri",
        redirect,
        "--scopes",
        "chat:write",
        "--user-scopes",
        "search:read",
    ]);
    add.env("XOX_CLIENT_SECRET", "login-secret");
    assert!(env.run_with(add, "").status.success());
    env.ok(
        &[
            "app",
            "add",
            "public",
            "--client-id",
            PUBLIC,
            "--pkce",
            "--redirect-uri",
            redirect,
            "--user-scopes",
            "search:read",
        ],
        "",
    );
    (sim, env)
}

fn list(env: &Env) -> Value {
    serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_install_stores_bot_and_user_tokens_and_closes_the_listener() {
    let port = free_port();
    let redirect = format!("http://localhost:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf", "--timeout", "30"]);
    let query: std::collections::HashMap<_, _> = url::Url::parse(&login.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["scope"], "chat:write");
    assert_eq!(query["user_scope"], "search:read");
    assert_eq!(query["redirect_uri"], redirect);
    assert!(!query.contains_key("code_challenge"));

    let location = consent(&login.url, "allow").await;
    let page = follow(&location).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You can close this tab")
    );
    let (ok, out, err) = login.end().await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "conf-sim-workspace");
    assert!(
        err.contains("logged in to Sim Workspace (T0SIMTEAM1): bot xoxe.xoxb (1 scope"),
        "{err}"
    );

    let conn = &list(&env)[0];
    assert_eq!(conn["name"], "conf-sim-workspace");
    assert_eq!(conn["tokens"][0]["type"], "xoxe.xoxb");
    assert_eq!(
        conn["tokens"][0]["scopes"],
        serde_json::json!(["chat:write"])
    );
    assert_eq!(conn["tokens"][1]["type"], "xoxe.xoxp");
    let history: Value =
        serde_json::from_str(&env.ok(&["history", "conf-sim-workspace", "--json"], "")).unwrap();
    assert_eq!(history[0]["action"], "login");

    // A replayed callback finds nobody listening.
    assert!(browser().get(&location).send().await.is_err());
    // Nor is it taken by the next login on the same port: its state is that login's own.
    let next = start_login(&env, &["--app", "conf", "--timeout", "30"]);
    let replayed = browser().get(&location).send().await.unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(
        replayed
            .text()
            .await
            .unwrap()
            .contains("state does not match")
    );
    follow(&consent(&next.url, "allow").await).await;
    let (ok, _, err) = next.end().await;
    assert!(ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_install_uses_a_kept_self_signed_certificate() {
    let redirect = format!("https://localhost:{}/callback", free_port());
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf", "--name", "tls"]);
    let location = consent(&login.url, "allow").await;
    assert!(location.starts_with("https://localhost:"));
    assert_eq!(follow(&location).await.status(), 200);
    let (ok, out, err) = login.end().await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "tls");
    assert!(err.contains("self-signed certificate"), "{err}");
    let data = env.db().parent().unwrap().to_path_buf();
    for file in ["localhost-cert.pem", "localhost-key.pem"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(data.join(file)).unwrap().permissions(),
        ) & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_install_sends_the_verifier_and_no_secret() {
    let redirect = format!("http://localhost:{}/callback", free_port());
    let (sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "public", "--name", "me"]);
    assert!(login.url.contains("code_challenge_method=S256"));
    follow(&consent(&login.url, "allow").await).await;
    let (ok, _, err) = login.end().await;
    assert!(ok, "{err}");
    let conn = &list(&env)[0];
    assert_eq!(conn["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(conn["tokens"][0]["kind"], "user");
    assert_eq!(sim.counters().code_grants, 1);

    // Bot scopes through a PKCE localhost redirect are refused before any URL is printed.
    let err = env.fails(
        &[
            "login",
            "--app",
            "public",
            "--scopes",
            "chat:write",
            "--no-browser",
        ],
        "",
    );
    assert!(err.contains("may ask only for user scopes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_and_forged_callbacks_are_refused_while_the_real_one_is_awaited() {
    let port = free_port();
    let redirect = format!("http://localhost:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf"]);
    let base = format!("http://127.0.0.1:{port}");
    let b = browser();
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(
            b.get(format!("{base}/callback?code=forged&state=not-ours"))
                .send()
                .await
                .unwrap()
        ),
        400
    );
    assert_eq!(
        status(
            b.get(format!(
                "{base}/callback?error=access_denied&state=not-ours"
            ))
            .send()
            .await
            .unwrap()
        ),
        400
    );
    // A cancel without the state is anyone's: refused, and the login goes on.
    assert_eq!(
        status(
            b.get(format!(
                "{base}/callback?error=%1b%5d0%3bpwned%07%1b%5b2J%1b%5b31mFAKE%0d"
            ))
            .send()
            .await
            .unwrap()
        ),
        400
    );
    assert_eq!(
        status(b.get(format!("{base}/callback")).send().await.unwrap()),
        400
    );
    assert_eq!(
        status(b.post(format!("{base}/callback")).send().await.unwrap()),
        405
    );
    assert_eq!(
        status(b.get(format!("{base}/admin")).send().await.unwrap()),
        404
    );
    let huge = "x".repeat(40_000);
    assert_eq!(
        status(
            b.get(format!("{base}/callback"))
                .header("x-junk", huge)
                .send()
                .await
                .unwrap()
        ),
        431
    );
    // localhost is served on IPv6 loopback too, where the machine has it.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let v6 = b
            .get(format!("http://[::1]:{port}/callback?code=x&state=y"))
            .send()
            .await
            .unwrap();
        assert_eq!(status(v6), 400);
    }
    // Nobody else on the network can reach the listener: it binds loopback only.
    let outside = this_machines_network_addresses();
    for ip in &outside {
        let reached = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::new(*ip, port),
            std::time::Duration::from_secs(2),
        );
        assert!(reached.is_err(), "the listener answered on {ip}");
    }
    if outside.is_empty() {
        eprintln!("no non-loopback address on this machine: the reachability check did not run");
    }
    follow(&consent(&login.url, "allow").await).await;
    let (ok, _, err) = login.end().await;
    assert!(ok, "{err}");
}

/// The machine's own non-loopback addresses: the source address of a route to a
/// documentation network (a UDP connect sends nothing).
fn this_machines_network_addresses() -> Vec<std::net::IpAddr> {
    ["0.0.0.0:0", "[::]:0"]
        .into_iter()
        .zip(["192.0.2.1:9", "[2001:db8::1]:9"])
        .filter_map(|(local, remote)| {
            let socket = std::net::UdpSocket::bind(local).ok()?;
            socket.connect(remote).ok()?;
            Some(socket.local_addr().ok()?.ip())
        })
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_the_browser_ends_cleanly() {
    let redirect = format!("http://localhost:{}/callback", free_port());
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf"]);
    let location = consent(&login.url, "deny").await;
    assert!(location.contains("error=access_denied"));
    assert!(
        follow(&location)
            .await
            .text()
            .await
            .unwrap()
            .contains("cancelled")
    );
    let (ok, out, err) = login.end().await;
    assert!(!ok);
    assert!(out.is_empty());
    assert!(
        err.trim_end()
            .ends_with("error: the install was cancelled in the browser (access_denied)"),
        "{err}"
    );
    assert_eq!(list(&env), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_carrying_escape_codes_reaches_the_terminal_clean() {
    let port = free_port();
    let redirect = format!("http://localhost:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf"]);
    let state = url::Url::parse(&login.url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let answer = browser()
        .get(format!(
            "http://127.0.0.1:{port}/callback?error=%1b%5d0%3bpwned%07%1b%5b2J%1b%5b31mFAKE%0d&state={state}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let (ok, _, err) = login.end().await;
    assert!(!ok);
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    assert!(
        err.contains("cancelled in the browser (]0;pwned[2J[31mFAKE)"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_callback_gets_through_300_idle_connections_with_256_descriptors() {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let mut command = login_command(&env, &["--app", "conf", "--timeout", "30"]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let login = start_login_with(command);
    let idle: Vec<std::net::TcpStream> = (0..300)
        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(idle.len() >= 256, "only {} connections opened", idle.len());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let answer = follow(&consent(&login.url, "allow").await).await;
    assert_eq!(answer.status().as_u16(), 200);
    let (ok, _, err) = login.end().await;
    assert!(ok, "{err}");
    assert_eq!(list(&env).as_array().unwrap().len(), 1);
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_ends_is_cut_off() {
    use std::io::{Read, Write};
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf", "--timeout", "30"]);
    let started = std::time::Instant::now();
    let closed = tokio::task::spawn_blocking(move || {
        let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        slow.write_all(b"GET /callback HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        slow.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut rest = Vec::new();
        slow.read_to_end(&mut rest).is_ok()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(closed, "the listener kept the connection past 20 s");
    assert!(
        (std::time::Duration::from_secs(9)..std::time::Duration::from_secs(15)).contains(&took),
        "cut off after {took:?}"
    );
    follow(&consent(&login.url, "allow").await).await;
    let (ok, _, err) = login.end().await;
    assert!(ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_is_started_without_xox_secrets_in_its_environment() {
    use std::os::unix::fs::PermissionsExt;
    let redirect = format!("http://localhost:{}/callback", free_port());
    let (_sim, env) = setup(&redirect).await;
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join("xdg-open");
    let seen = env.dir.path().join("browser-env");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nenv > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut login = env.command(&["login", "--app", "conf", "--timeout", "3"]);
    login
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("XOX_CLIENT_SECRET", "login-secret");
    let (out, env) = tokio::task::spawn_blocking(move || (env.run_with(login, ""), env))
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no answer"), "{err}");
    let browser_env = std::fs::read_to_string(&seen).unwrap();
    assert!(browser_env.contains("PATH="), "{browser_env}");
    assert!(!browser_env.contains("XOX_"), "{browser_env}");
    drop(env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_and_a_busy_port_are_clear_errors() {
    let port = free_port();
    let redirect = format!("http://localhost:{port}/callback");
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf", "--timeout", "1"]);
    let (ok, _, err) = login.end().await;
    assert!(!ok);
    assert!(
        err.contains("error: no answer from the browser within 1s"),
        "{err}"
    );

    let _busy = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let err = env.fails(&["login", "--app", "conf", "--no-browser"], "");
    assert!(
        err.contains(&format!("port {port} on localhost is in use")),
        "{err}"
    );
    assert!(
        err.contains("`xox app set conf --redirect-uri http://localhost:PORT/callback`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauth_reauthorizes_the_same_connection_with_the_union() {
    let redirect = format!("http://localhost:{}/callback", free_port());
    let (_sim, env) = setup(&redirect).await;
    let login = start_login(&env, &["--app", "conf", "--name", "acme"]);
    follow(&consent(&login.url, "allow").await).await;
    assert!(login.end().await.0);

    let login = start_login(&env, &["--reauth", "acme", "--scopes", "reactions:write"]);
    let query: std::collections::HashMap<_, _> = url::Url::parse(&login.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["scope"], "chat:write,reactions:write");
    assert_eq!(query["user_scope"], "search:read");
    assert_eq!(query["team"], "T0SIMTEAM1");
    follow(&consent(&login.url, "allow").await).await;
    let (ok, out, err) = login.end().await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "acme");
    let all = list(&env);
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "the same connection, updated in place"
    );
    assert_eq!(
        all[0]["tokens"][0]["scopes"],
        serde_json::json!(["chat:write", "reactions:write"])
    );

    // A revoked token is brought back by the same command, with nothing to add.
    env.ok(&["revoke", "acme", "--bot", "--yes"], "");
    assert_eq!(list(&env)[0]["tokens"][0]["status"], "revoked");
    let login = start_login(&env, &["--reauth", "acme"]);
    follow(&consent(&login.url, "allow").await).await;
    let (ok, _, err) = login.end().await;
    assert!(ok, "{err}");
    let all = list(&env);
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["tokens"][0]["status"], "ok");
    env.ok(&["token", "acme"], "");
    // The old spelling still works.
    let out = env.run(&["login", "--add-scopes", "acme", "--app", "conf"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'--reauth <CONN>' cannot be used with"),
        "{err}"
    );
}
