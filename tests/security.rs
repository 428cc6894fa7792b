//! Where secrets must never show: the database file (and its WAL), the log, stderr of every
//! command, and `--json` output, across successes, failures and injected faults. Only
//! `xox token` prints a token, on stdout. (File modes: tests/store.rs, tests/cli.rs and the
//! https login in tests/login.rs; the listener's reach and forged or replayed callbacks:
//! tests/login.rs; panic messages: `logging::tests`.)

mod common;

use common::cli_env::Env;
use std::path::Path;
use xox_domain::sim::presets::{PRESET_SECRET, ROTATING_CLIENT_ID};
use xox_domain::sim::{FaultKind, Simulator};
use xox_domain::store::{ConnectionStore, TokenStore};

/// Everything a run left where a person or a log collector might read it.
#[derive(Default)]
struct Exposed {
    places: Vec<(String, Vec<u8>)>,
}

impl Exposed {
    /// Run a command; keep its stderr, and its stdout when it is `--json` output.
    fn run(&mut self, env: &Env, args: &[&str], stdin: &str) -> std::process::Output {
        let out = env.run(args, stdin);
        self.places
            .push((format!("stderr of xox {args:?}"), out.stderr.clone()));
        if args.contains(&"--json") {
            self.places
                .push((format!("stdout of xox {args:?}"), out.stdout.clone()));
        }
        out
    }

    fn file(&mut self, path: &Path) {
        if let Ok(bytes) = std::fs::read(path) {
            self.places.push((path.display().to_string(), bytes));
        }
    }

    fn assert_free_of(&self, secrets: &[String]) {
        for secret in secrets {
            assert!(secret.len() >= 16, "{secret:?} is too short to search for");
            for (place, bytes) in &self.places {
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "a secret ({}…) is in {place}", &secret[..8]);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_file_the_log_stderr_or_json() {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    // An hour: inside the refresh window, so refresh and token really rotate.
    sim.with_world(|w| w.config.token_lifetime_secs = 3600);
    let env = Env::new(sim.base_url());
    env.add_rotating_app();
    let answer = sim
        .with_world(|w| {
            w.seed_install(
                ROTATING_CLIENT_ID,
                Some(("T0SEC", "Secure")),
                "chat:write",
                "search:read",
            )
        })
        .unwrap();
    let mut secrets: Vec<String> = [
        &answer["access_token"],
        &answer["refresh_token"],
        &answer["authed_user"]["access_token"],
        &answer["authed_user"]["refresh_token"],
    ]
    .iter()
    .map(|v| v.as_str().unwrap().to_owned())
    .collect();
    secrets.push(PRESET_SECRET.to_owned());
    let junk_token = "xoxb-123-456-JunkTokenThatMustNotEcho".to_owned();
    secrets.push(junk_token.clone());

    let mut seen = Exposed::default();
    let imported = seen.run(
        &env,
        &["import", "conn", "--app", "acme", "--json"],
        &answer.to_string(),
    );
    assert!(imported.status.success());
    let key = std::fs::read_to_string(env.db().with_extension("db.key")).unwrap();
    secrets.push(key.trim().to_owned());

    for args in [
        &["list", "--json"][..],
        &["show", "conn", "--json"],
        &["app", "list", "--json"],
        &["history", "conn", "--json"],
        &["refresh", "conn", "--json"],
        &["call", "--conn", "conn", "auth.test", "--json"],
        &["call", "--conn", "conn", "users.list", "--json"],
        &[
            "call",
            "--conn",
            "conn",
            "search.messages",
            "query=x",
            "--user",
            "--json",
        ],
        &["failed", "--json"],
        &["failed", "1", "--json"],
        &["replay", "1", "--json"],
    ] {
        seen.run(&env, args, "");
    }
    // Failures: junk on stdin, a token for an app that is not there, Slack misbehaving.
    seen.run(
        &env,
        &["import", "x", "--app", "acme"],
        &format!("{{\"access_token\": \"{junk_token}\", "),
    );
    seen.run(&env, &["import", "x", "--app", "nope"], &junk_token);
    seen.run(&env, &["import", "x", "--app", "acme"], &junk_token);
    for kind in [
        FaultKind::Html,
        FaultKind::Status { status: 503 },
        FaultKind::Drop,
    ] {
        common::fault_refreshes(&sim, kind, 1);
        seen.run(
            &env,
            &["--http-timeout", "1", "refresh", "conn", "--bot", "--json"],
            "",
        );
    }
    // The one unrecoverable case: Slack rotated, the answer was lost; then `token` warns.
    common::fault_refreshes(&sim, FaultKind::DropAfter, 1);
    seen.run(&env, &["refresh", "conn", "--user"], "");
    let token = seen.run(&env, &["token", "conn", "--user"], "");
    assert!(token.status.success());
    secrets.push(String::from_utf8(token.stdout).unwrap().trim().to_owned());
    seen.run(&env, &["show", "conn", "--json"], "");
    seen.run(&env, &["revoke", "conn", "--bot", "--yes"], "");
    seen.run(&env, &["token", "conn", "--bot"], "");

    // Tokens issued along the way are secrets too: the store decrypts them for us.
    let store = xox_domain::store::SqliteStore::open_with_key(&env.db(), None).unwrap();
    let conn = store.connection("conn").unwrap();
    for kind in [
        xox_domain::slack::TokenKind::Bot,
        xox_domain::slack::TokenKind::User,
    ] {
        secrets.push(
            store
                .access_token(&conn.id, kind)
                .unwrap()
                .expose()
                .to_owned(),
        );
        if let Some(refresh) = store.refresh_token(&conn.id, kind).unwrap() {
            secrets.push(refresh.expose().to_owned());
        }
    }
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        seen.file(Path::new(&format!("{}{suffix}", env.db().display())));
    }
    seen.file(&env.dir.path().join("state/xox/xox.log"));
    assert!(seen.places.len() > 40, "the commands ran and were captured");
    seen.assert_free_of(&secrets);
}

/// A PostgreSQL URL may carry its password in the user part or as `?password=`: neither,
/// nor the user, is shown on a proxy's start line, in a failed command's error or in the log.
#[test]
fn a_password_in_a_postgres_url_is_never_shown() {
    let Some(pg) = common::postgres::Postgres::start() else {
        return;
    };
    let secret_url = |port: u16| {
        format!(
            "postgres://xox:pw-in-userinfo@127.0.0.1:{port}/postgres?password=hunter2-in-query&sslmode=disable&schema=redact"
        )
    };
    let served = pg
        .url()
        .replace("postgres://xox@", "postgres://xox:pw-in-userinfo@")
        .replace(
            "sslmode=disable",
            "password=hunter2-in-query&sslmode=disable&schema=redact",
        );
    let env = Env::on_server(&served, "http://127.0.0.1:9");
    env.ok(
        &["import", "conn", "--no-verify"],
        "xoxb-1111-2222-notarealtokenvalue",
    );
    let mut proxy = env
        .command(&["proxy", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    common::cli_env::first_line(&mut proxy);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &proxy.id().to_string()])
        .status();
    let proxy_out = proxy.wait_with_output().unwrap();
    let proxy_err = String::from_utf8_lossy(&proxy_out.stderr).into_owned();
    // A server that is not there: the command fails and says where it tried.
    let unreachable = Env::on_server(&secret_url(1), "http://127.0.0.1:9");
    let failed = unreachable.fails(&["token", "conn"], "");
    let log = std::fs::read_to_string(unreachable.dir.path().join("state/xox/xox.log"))
        .unwrap_or_default();
    let served_log =
        std::fs::read_to_string(env.dir.path().join("state/xox/xox.log")).unwrap_or_default();
    assert!(proxy_err.contains("127.0.0.1"), "{proxy_err}");
    assert!(failed.contains("127.0.0.1:1"), "{failed}");
    for (what, text) in [
        ("the proxy's start", &proxy_err),
        ("the failed command", &failed),
        ("the failed command's log", &log),
        ("the proxy's log", &served_log),
    ] {
        for secret in ["pw-in-userinfo", "hunter2-in-query"] {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
    }
}
