//! The built `xox` binary against a simulator over loopback: the scripted contract and bad input.

mod common;

use common::cli_env::{Env, SimProcess, one_line_error};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use xox_domain::sim::presets::{PRESET_SECRET, ROTATING_CLIENT_ID};

fn seed_install(sim_url: &str, scopes: &str, user_scopes: &str) -> String {
    let body = serde_json::json!({"client_id": ROTATING_CLIENT_ID, "team_id": "T0ACME", "team_name": "Acme",
                                  "scopes": scopes, "user_scopes": user_scopes});
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{sim_url}/_sim/installs"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}

/// A running `xox sim`, and an environment with app `acme` and connection `acme-prod`.
fn with_acme_prod() -> (SimProcess, Env) {
    let sim = SimProcess::start();
    let env = Env::new(&sim.1);
    env.add_rotating_app();
    env.ok(
        &["import", "acme-prod", "--app", "acme"],
        &seed_install(&sim.1, "chat:write", ""),
    );
    (sim, env)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn import_list_and_call_against_xox_sim() {
    if common::postgres::file_only("it reads the file's bytes") {
        return;
    }
    let sim = SimProcess::start();
    let env = Env::new(&sim.1);
    env.add_rotating_app();
    let answer = seed_install(&sim.1, "users:read,channels:read", "search:read");
    let grant: Value = serde_json::from_str(&answer).unwrap();
    let secrets: Vec<String> = [
        &grant["access_token"],
        &grant["refresh_token"],
        &grant["authed_user"]["access_token"],
        &grant["authed_user"]["refresh_token"],
    ]
    .iter()
    .map(|v| v.as_str().unwrap().to_owned())
    .collect();

    let out = env.ok(&["import", "acme-prod", "--app", "acme"], &answer);
    assert!(
        out.starts_with(
            "imported acme-prod from oauth.v2.access: bot xoxe.xoxb (2 scopes, expires 1"
        ),
        "{out}"
    );

    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    let conn = &list[0];
    assert_eq!(conn["name"], "acme-prod");
    assert_eq!(conn["app"], "acme");
    assert_eq!(conn["team_id"], "T0ACME");
    assert_eq!(conn["status"], "ok");
    let tokens = conn["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    for (token, kind, ty, scopes) in [
        (
            &tokens[0],
            "bot",
            "xoxe.xoxb",
            vec!["channels:read", "users:read"],
        ),
        (&tokens[1], "user", "xoxe.xoxp", vec!["search:read"]),
    ] {
        assert_eq!(token["kind"], kind);
        assert_eq!(token["type"], ty);
        assert_eq!(token["rotating"], true);
        assert_eq!(token["scopes"], serde_json::json!(scopes));
        let expires = token["expires_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(expires).is_ok(),
            "{expires}"
        );
    }

    let ok: Value =
        serde_json::from_str(&env.ok(&["call", "auth.test", "--conn", "acme-prod", "--json"], ""))
            .unwrap();
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["team_id"], "T0ACME");
    let user: Value = serde_json::from_str(&env.ok(
        &[
            "call",
            "search.messages",
            "query=deploy",
            "--conn",
            "acme-prod",
            "--user",
            "--json",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(user["ok"], true);

    let out = env.run(
        &[
            "call",
            "chat.postMessage",
            "channel=C0SIMGENERAL",
            "text=hi",
            "--conn",
            "acme-prod",
        ],
        "",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        lines[0],
        "warning: the bot token lacks chat:write (for chat.postMessage); Slack will likely answer missing_scope"
    );
    let err = lines[1];
    assert!(
        err.starts_with("error: Slack answered missing_scope"),
        "{err}"
    );
    assert!(err.contains("needed: chat:write"), "{err}");
    assert!(
        err.contains("recorded as call #1; next: xox login --reauth acme-prod --scopes chat:write"),
        "{err}"
    );

    // Nothing printed or stored reveals a token or the client secret.
    let mut printed = Vec::new();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "acme-prod"],
        &["show", "acme-prod", "--json"],
        &["history", "acme-prod", "--json"],
        &["app", "list", "--json"],
    ] {
        printed.extend(env.run(args, "").stdout);
    }
    let mut stored = std::fs::read(env.db()).unwrap();
    stored.extend(std::fs::read(env.db().with_extension("db-wal")).unwrap_or_default());
    let log = std::fs::read(env.dir.path().join("state/xox/xox.log")).unwrap();
    assert!(
        contains(&log, "command=\"import\"") && contains(&log, "missing_scope"),
        "the log records commands and failures"
    );
    assert_eq!(mode(&env.dir.path().join("state/xox/xox.log")), 0o600);
    for secret in secrets.iter().map(String::as_str).chain([PRESET_SECRET]) {
        assert!(
            !contains(&stored, secret),
            "a secret is in the database in clear"
        );
        assert!(!contains(&printed, secret), "a secret was printed");
        assert!(!contains(&log, secret), "a secret is in the log");
    }
    assert_eq!(mode(&env.db()), 0o600);
    assert_eq!(mode(&env.db().with_extension("db.key")), 0o600);
}

#[test]
fn show_and_history_tell_the_story() {
    let (_sim, env) = with_acme_prod();
    let show = env.ok(&["show", "acme-prod"], "");
    assert!(
        show.contains("bot token     xoxe.xoxb xoxe.xoxb-…"),
        "{show}"
    );
    assert!(
        show.contains("rotating, refreshable; expires in 1"),
        "{show}"
    );
    assert!(show.contains("scopes (1): chat:write"), "{show}");
    let history: Value =
        serde_json::from_str(&env.ok(&["history", "acme-prod", "--json"], "")).unwrap();
    assert_eq!(history[0]["action"], "import");
    assert_eq!(history[0]["token_kind"], "bot");
    assert_eq!(history[0]["outcome"], "ok");
    assert!(history[0]["new_expires_at"].is_string());
    assert!(history[0]["pid"].as_i64().unwrap() > 0);
}

#[test]
fn bare_tokens_are_verified_with_auth_test_or_stored_as_unknown() {
    let sim = SimProcess::start();
    let env = Env::new(&sim.1);
    env.add_rotating_app();
    let grant: Value =
        serde_json::from_str(&seed_install(&sim.1, "chat:write,users:read", "")).unwrap();
    let token = grant["access_token"].as_str().unwrap();
    let out = env.ok(&["import", "bare", "--app", "acme", "--json"], token);
    let conn: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(conn["team_id"], "T0ACME");
    assert_eq!(conn["tokens"][0]["kind"], "bot");
    assert_eq!(
        conn["tokens"][0]["scopes"],
        serde_json::json!(["chat:write", "users:read"])
    );
    assert_eq!(conn["tokens"][0]["rotating"], true);

    let err = env.fails(
        &["import", "junk", "--app", "acme"],
        "xoxb-0000-not-a-token",
    );
    assert!(
        err.contains("Slack did not accept the token") && err.contains("invalid_auth"),
        "{err}"
    );

    let err = env.fails(
        &["import", "odd", "--app", "acme", "--no-verify"],
        "sometoken-123",
    );
    assert!(err.contains("pass --bot or --user"), "{err}");
    let conn: Value = serde_json::from_str(&env.ok(
        &[
            "import",
            "odd",
            "--app",
            "acme",
            "--no-verify",
            "--bot",
            "--json",
        ],
        "sometoken-123",
    ))
    .unwrap();
    assert_eq!(conn["tokens"][0]["type"], "unknown");
}

#[test]
fn bad_input_gets_one_clear_line_and_loses_nothing() {
    let (_sim, env) = with_acme_prod();
    let before = env.ok(&["list", "--json"], "");

    for (stdin, expected) in [
        (
            "{\"ok\": true, \"access_token\": ",
            "stdin is not valid JSON",
        ),
        ("{not json}", "stdin is not valid JSON"),
        (
            "{\"ok\":false,\"error\":\"invalid_code\"}",
            "Slack's error answer (invalid_code)",
        ),
        ("", "nothing on stdin"),
        ("xoxe-1-refresh", "that is a refresh token"),
    ] {
        let err = env.fails(&["import", "acme-prod", "--app", "acme"], stdin);
        assert!(err.contains(expected), "{stdin:?}: {err}");
    }
    assert!(
        env.fails(&["import", "x", "--app", "nope"], "xoxb-1")
            .contains("no app named \"nope\"")
    );
    assert!(
        env.fails(&["show", "nope"], "")
            .contains("no connection named \"nope\"")
    );
    assert!(
        env.fails(
            &["call", "auth.test", "token=xoxb-1", "--conn", "acme-prod"],
            ""
        )
        .contains("never as an argument")
    );
    assert!(
        env.fails(&["call", "auth.test", "--conn", "acme-prod", "--user"], "")
            .contains("has no user token; it has: bot (--bot)")
    );
    let err = env.fails(
        &[
            "app",
            "add",
            "loop",
            "--client-id",
            "555.666",
            "--redirect-uri",
            "http://127.0.0.1:0/callback",
        ],
        "s",
    );
    assert!(err.contains("needs a real port, not 0"), "{err}");
    assert_eq!(
        env.ok(&["list", "--json"], ""),
        before,
        "failed commands changed nothing"
    );

    // A wrong key is refused, never decrypted into garbage.
    let mut cmd = env.command(&["list"]);
    cmd.env("XOX_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let err = one_line_error(&env.run_with(cmd, ""), &["list"]);
    assert!(err.contains("the key does not open"), "{err}");

    // --db at a file that is not SQLite, and at a place that cannot be created.
    let junk = env.dir.path().join("junk.db");
    std::fs::write(
        &junk,
        "hello, I am a text file and nothing like an SQLite header",
    )
    .unwrap();
    let err = env.fails(&["--db", junk.to_str().unwrap(), "list"], "");
    assert!(err.contains("is not an SQLite database"), "{err}");
    let err = env.fails(
        &[
            "--db",
            junk.join("x.db").to_str().unwrap(),
            "import",
            "x",
            "--no-verify",
        ],
        "xoxb-1-2-abcdefghijkl",
    );
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn a_mistyped_db_is_refused_by_reading_commands_and_a_new_store_is_announced() {
    if common::postgres::file_only("a mistyped path and its key file") {
        return;
    }
    let env = Env::new("http://127.0.0.1:9");
    let typo = env.dir.path().join("typo/x.db");
    let typo_arg = typo.to_str().unwrap();
    // Only app add, import, login and db copy start a store: everything else that uses
    // one refuses a path where there is none, and makes no file and no key.
    for command in [
        &["list"][..],
        &["show", "a"],
        &["token", "a"],
        &["failed"],
        &["history", "a"],
        &["call", "auth.test", "--conn", "a"],
        &["refresh", "a"],
        &["proxy", "key", "list"],
        &["hook", "list"],
        &["app", "list"],
        &["watch"],
    ] {
        let mut args = vec!["--db", typo_arg];
        args.extend_from_slice(command);
        let err = env.fails(&args, "");
        assert!(
            err.contains(&format!("no xox database at {typo_arg}")),
            "{err}"
        );
        assert!(
            !typo.exists() && !typo.parent().unwrap().exists(),
            "{command:?} created it"
        );
    }
    // A command that stores something creates the database, and says so once, with where
    // its key went.
    let out = env.run(
        &["--db", typo_arg, "import", "a", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "created a new xox database at {typo_arg}; its key is in {typo_arg}.key"
        )),
        "{err}"
    );
    let again = env.run(&["--db", typo_arg, "list"], "");
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn the_version_answered_early_is_the_one_clap_gives() {
    let env = Env::new("http://127.0.0.1:9");
    let line = format!("xox {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(env.ok(&["--version"], ""), line);
    assert_eq!(env.ok(&["-V"], ""), line);
    // With more arguments clap answers, the same way.
    assert_eq!(env.ok(&["--version", "list"], ""), line);
}

#[test]
fn environment_defaults_stay_out_of_usage_lines_and_demo_refuses_a_db() {
    let env = Env::new("http://127.0.0.1:9");
    let out = env.run(&["show"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Usage: xox show"), "{err}");
    assert!(
        !err.contains("--db") && !err.contains("--slack-url"),
        "{err}"
    );
    let err = env.fails(&["demo", "--db", "/tmp/elsewhere.db", "--once"], "");
    assert!(
        err.contains("xox demo runs on its own temporary database"),
        "{err}"
    );
    let mut cmd = env.command(&["list"]);
    cmd.env("XOX_HTTP_TIMEOUT", "soon");
    let err = one_line_error(&env.run_with(cmd, ""), &["list"]);
    assert!(err.contains("XOX_HTTP_TIMEOUT"), "{err}");
}

#[test]
fn a_locked_database_is_reported_after_a_short_wait() {
    if common::postgres::file_only("it locks the file") {
        return;
    }
    let sim = SimProcess::start();
    let env = Env::new(&sim.1);
    env.add_rotating_app();
    let holder = rusqlite::Connection::open(env.db()).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let err = env.fails(
        &["import", "acme-prod", "--app", "acme"],
        &seed_install(&sim.1, "chat:write", ""),
    );
    assert!(err.contains("is locked by another process"), "{err}");
    holder.execute_batch("ROLLBACK;").unwrap();
}

#[test]
fn slack_answering_html_or_nothing_is_a_clear_error() {
    let sim = SimProcess::start();
    let env = Env::new(&sim.1);
    env.add_rotating_app();
    let grant: Value = serde_json::from_str(&seed_install(&sim.1, "chat:write", "")).unwrap();
    let token = grant["access_token"].as_str().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fault = serde_json::json!({"kind": "html", "method": "auth.test"});
        reqwest::Client::new()
            .post(format!("{}/_sim/faults", sim.1))
            .json(&fault)
            .send()
            .await
            .unwrap();
    });
    let err = env.fails(&["import", "bare", "--app", "acme"], token);
    assert!(
        err.contains("HTML page (\"502 Bad Gateway\")") && err.contains("--no-verify"),
        "{err}"
    );

    let nowhere = Env::new("http://127.0.0.1:9");
    nowhere.add_rotating_app();
    let err = nowhere.fails(&["import", "bare", "--app", "acme"], token);
    assert!(err.contains("could not reach Slack"), "{err}");
    assert!(!err.contains(token));
}

#[test]
fn app_secrets_come_from_stdin_or_the_environment_only() {
    let env = Env::new("http://127.0.0.1:9");
    let out = env.ok(
        &["app", "add", "piped", "--client-id", "1.2"],
        "from-stdin-secret\n",
    );
    assert_eq!(out, "added app piped (client id 1.2)\n");
    env.ok(
        &[
            "app",
            "add",
            "public",
            "--client-id",
            "3.4",
            "--pkce",
            "--user-scopes",
            "search:read",
        ],
        "",
    );
    let err = env.fails(&["app", "add", "nosecret", "--client-id", "5.6"], "");
    assert!(err.contains("XOX_CLIENT_SECRET"), "{err}");
    let err = env.fails(
        &[
            "app",
            "add",
            "bad",
            "--client-id",
            "5.6",
            "--redirect-uri",
            "https://example.com/cb",
        ],
        "s",
    );
    assert!(err.contains("--redirect-uri must look like"), "{err}");
    let apps: Value = serde_json::from_str(&env.ok(&["app", "list", "--json"], "")).unwrap();
    assert_eq!(apps[0]["name"], "piped");
    assert_eq!(apps[0]["has_secret"], true);
    let created = apps[0]["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    assert_eq!(apps[1]["has_secret"], false);
    assert!(!contains(
        env.ok(&["app", "list", "--json"], "").as_bytes(),
        "from-stdin-secret"
    ));
    // There is no flag that takes a secret on the command line.
    assert_eq!(
        env.run(
            &[
                "app",
                "add",
                "x",
                "--client-id",
                "1",
                "--client-secret",
                "s"
            ],
            ""
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn demo_seeds_a_database_and_prints_the_list() {
    let env = Env::new("http://127.0.0.1:9");
    let out = env.ok(&["demo", "--once"], "");
    for expected in [
        "acme-rotating",
        "beta-expiring",
        "needs_reauth",
        "needed: reactions:write",
        "not_allowed_token_type",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }
}

#[test]
fn a_bare_token_needs_no_app_but_cannot_be_refreshed() {
    let env = Env::new("http://127.0.0.1:9");
    let out = env.ok(
        &["import", "solo", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefabcdefabcdefab",
    );
    assert!(out.starts_with("imported solo: bot xoxb"), "{out}");
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list[0]["app"], "standalone");
    let err = env.fails(&["refresh", "solo"], "");
    assert!(err.contains("belong to no registered app"), "{err}");
    let err = env.fails(&["exchange", "solo", "--yes"], "");
    assert!(err.contains("belong to no registered app"), "{err}");
    let err = env.fails(
        &["import", "grant"],
        r#"{"ok":true,"access_token":"xoxb-9-9-abcdefabcdefabcdef","token_type":"bot"}"#,
    );
    assert!(err.contains("pass --app APP"), "{err}");
    let err = env.fails(&["app", "add", "standalone", "--client-id", "1.2"], "s");
    assert!(
        err.contains("kept for tokens imported without --app"),
        "{err}"
    );
}

#[test]
fn remove_revokes_first_on_request_and_keeps_the_history() {
    let (_sim, env) = with_acme_prod();
    // A failed call, to see it outlive its connection.
    let _ = env.run(
        &[
            "call",
            "chat.postMessage",
            "channel=C1",
            "--conn",
            "acme-prod",
        ],
        "",
    );
    let token = env.ok(&["token", "acme-prod"], "");
    let err = env.fails(&["remove", "acme-prod"], "");
    assert!(err.contains("--yes") && err.contains("--revoke"), "{err}");
    let out = env.ok(&["remove", "acme-prod", "--revoke", "--yes"], "");
    assert_eq!(
        out,
        "revoked its tokens at Slack and removed acme-prod (its history and failed calls are kept)\n"
    );
    assert_eq!(env.ok(&["list", "--json"], ""), "[]\n");
    let failed: serde_json::Value =
        serde_json::from_str(&env.ok(&["failed", "--json"], "")).unwrap();
    assert_eq!(failed[0]["connection"], serde_json::Value::Null);
    assert!(env.ok(&["failed"], "").contains("(removed connection)"));
    // Its history is kept, as remove says, and reached by the name it had.
    let history = env.ok(&["history", "acme-prod"], "");
    assert!(history.contains("removed acme-prod"), "{history}");
    assert!(history.contains("revoke"), "{history}");
    let err = env.fails(&["history", "never-was"], "");
    assert!(err.contains("never-was"), "{err}");
    // Slack no longer takes the token that was removed.
    let out = env.run(&["import", "again", "--app", "acme"], &token);
    assert!(!out.status.success(), "a revoked token was accepted again");
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let env = Env::new("http://127.0.0.1:9");
    let bash = env.ok(&["completions", "bash"], "");
    assert!(bash.contains("_xox()") && bash.contains("remove") && bash.contains("webhook"));
    // A subcommand's arguments are declared only when it is built; each one is still
    // complete, with its own options and description, wherever the whole tree is shown.
    assert!(bash.contains("--conn --bot --user --app-level --config --json"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = env.ok(&["completions", shell], "");
        assert!(script.contains("Print a valid access token"), "{shell}");
        assert!(script.contains("--within"), "{shell}");
    }
    let man = env.ok(&["man"], "");
    assert!(
        man.contains(".TH xox 1") && man.contains("completions"),
        "{man}"
    );
    for about in [
        "Print a valid access token",
        "Call a Slack Web API method",
        "Keep tokens piped on stdin",
        "Refresh rotating tokens now",
    ] {
        assert!(man.contains(about), "{about} in {man}");
        assert_eq!(man.matches(about).count(), 1, "{about}");
    }
    assert!(
        env.ok(&["token", "--help"], "")
            .starts_with("Print a valid access token"),
        "token --help"
    );
    assert!(!env.db().exists(), "neither needs the database");
}

#[test]
fn token_finds_a_connection_by_name_or_id_and_picks_the_kind_it_holds() {
    let env = Env::new("http://127.0.0.1:9");
    let bot = "xoxb-1-2-abcdefabcdefabcdefab";
    let user = "xoxp-1-2-3-abcdefabcdefabcdefab";
    env.ok(&["import", "solo", "--no-verify", "--bot"], bot);
    env.ok(&["import", "person", "--no-verify", "--user"], user);
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    let solo_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "solo")
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(env.ok(&["token", "solo"], ""), format!("{bot}\n"));
    assert_eq!(env.ok(&["token", &solo_id], ""), format!("{bot}\n"));
    // A connection holding only a user token hands that out unless asked for another.
    assert_eq!(env.ok(&["token", "person"], ""), format!("{user}\n"));
    let err = env.fails(&["token", "person", "--bot"], "");
    assert!(err.contains("it has: user (--user)"), "{err}");
    // A name that is another connection's id: the name wins.
    let twin = "xoxb-9-9-fedcbafedcbafedcbafe";
    env.ok(&["import", &solo_id, "--no-verify", "--bot"], twin);
    assert_eq!(env.ok(&["token", &solo_id], ""), format!("{twin}\n"));
    let err = env.fails(&["token", "nobody"], "");
    assert!(err.contains("no connection named \"nobody\""), "{err}");
}

/// A mistyped method is refused before Slack is asked, with the nearest method and the
/// whole command again, arguments quoted as a shell reads them; `--force` sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_method_is_refused_with_the_nearest_one() {
    let sim = common::rotating::simulator(43_200).await;
    let env = common::rotating::env_with_connection(&sim, "T0TYPO");
    let args = [
        "call",
        "chat.postMesage",
        "channel=C0SIMGENERAL",
        "text=hi there",
        "--conn",
        "acme-prod",
    ];
    let conn = env.ok(&["list", "--json"], "");
    let conn: Value = serde_json::from_str(&conn).unwrap();
    let name = conn[0]["name"].as_str().unwrap().to_owned();
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "acme-prod" { name.as_str() } else { a })
        .collect();
    let error = env.fails(&args, "");
    assert!(error.contains("did you mean chat.postMessage?"), "{error}");
    assert!(
        error.contains(&format!(
            "next: xox call chat.postMessage channel=C0SIMGENERAL 'text=hi there' --conn {name}"
        )),
        "{error}"
    );
    assert_eq!(
        sim.counters().calls.get("chat.postMesage"),
        None,
        "nothing was sent"
    );
    let mut forced = args.clone();
    forced.push("--force");
    let out = env.run(&forced, "");
    assert!(!out.status.success());
    assert_eq!(
        sim.counters().calls.get("chat.postMesage"),
        Some(&1),
        "--force sends it"
    );
}

#[test]
fn the_help_for_db_names_a_postgresql_url() {
    let help = Env::new("http://127.0.0.1:9").ok(&["--help"], "");
    assert!(help.contains("--db <PATH|URL>"), "{help}");
    assert!(help.contains("PostgreSQL URL (postgres://…)"), "{help}");
}

#[test]
fn the_man_pages_name_only_pages_that_exist_and_the_environment() {
    let env = Env::new("http://127.0.0.1:9");
    let top = env.ok(&["man"], "");
    assert!(
        top.contains(".SH ENVIRONMENT") && top.contains("XOX_KEY"),
        "{top}"
    );
    assert!(
        top.contains("xox man \\-\\-dir"),
        "where the named pages come from"
    );
    let dir = tempfile::tempdir().unwrap();
    let said = env.ok(&["man", "--dir", dir.path().to_str().unwrap()], "");
    assert!(
        said.ends_with(&format!("pages in {}\n", dir.path().display())),
        "{said}"
    );
    let mut named = 0;
    for page in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        for line in text.lines() {
            let Some(name) = line.strip_suffix("(1)") else {
                continue;
            };
            let name = name.replace("\\-", "-");
            if name.starts_with("xox-") {
                named += 1;
                assert!(
                    dir.path().join(format!("{name}.1")).exists(),
                    "{name}(1) is named but missing"
                );
            }
        }
    }
    assert!(
        named > 20,
        "the pages name their subcommands' pages: {named}"
    );
}

/// Scope names are checked against the catalogue: an app keeps what it is given, with a
/// warning and the nearest known scope; a login refuses at once what Slack would refuse on
/// its own page (and never call back for), unless --force.
#[test]
fn scope_names_are_checked_before_slack_is_asked() {
    let (_sim, env) = with_acme_prod();
    let out = env.run(
        &["app", "set", "acme", "--scopes", "chat:wrte,users:read"],
        "",
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"chat:wrte\" is not a Slack scope xox knows (did you mean chat:write?)"),
        "{err}"
    );
    assert!(!err.contains("users:read"), "{err}");

    let started = std::time::Instant::now();
    let login = [
        "login",
        "--reauth",
        "acme-prod",
        "--scopes",
        "not:a:scope",
        "--no-browser",
    ];
    let err = env.fails(&login, "");
    assert!(
        err.contains("\"not:a:scope\" is not a Slack scope"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // With --force the link is printed; the simulator, like Slack, then refuses the scope
    // on its own page.
    let mut cmd = env.command(&[&login[..], &["--force", "--timeout", "1"]].concat());
    cmd.stdin(std::process::Stdio::null());
    let out = env.run_with(cmd, "");
    let link = String::from_utf8_lossy(&out.stdout);
    assert!(
        link.contains("scope=") && link.contains("not%3Aa%3Ascope"),
        "{link}"
    );
}

/// Bash completes connection names where a connection is asked for, not file names.
#[test]
fn bash_completes_connection_names() {
    let (_sim, env) = with_acme_prod();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_xox"))
        .parent()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let complete = |words: &str, cword: usize| {
        // The environment the tests give xox, and the built binary first on PATH.
        let template = env.command(&[]);
        let mut bash = std::process::Command::new("bash");
        for (key, value) in template.get_envs() {
            match value {
                Some(value) => bash.env(key, value),
                None => bash.env_remove(key),
            };
        }
        let out = bash
            .env("PATH", &path)
            .arg("-c")
            .arg(format!(
                r#"source <(xox completions bash); COMP_WORDS=({words}); COMP_CWORD={cword}; _xox xox "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"; printf '%s\n' "${{COMPREPLY[@]}}""#
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(complete(r#"xox token """#, 2), "acme-prod\n");
    assert_eq!(
        complete(r#"xox call auth.test --conn acme"#, 4),
        "acme-prod\n"
    );
    assert_eq!(complete(r#"xox login --reauth """#, 3), "acme-prod\n");
    assert!(complete(r#"xox token acme-prod --wi"#, 3).contains("--within"));
}
