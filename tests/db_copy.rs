//! `xox db copy` on the built binary: a file into a real PostgreSQL server and back, each
//! store under its own key, with history, recorded calls and statuses intact.

mod common;

use common::cli_env::Env;
use common::postgres::Postgres;
use common::rotating::{env_with_connection, seed, simulator};
use xox_domain::sim::presets::{CLASSIC_CLIENT_ID, ROTATING_CLIENT_ID};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_to_a_server_and_back_and_every_token_still_opens() {
    let Some(pg) = Postgres::start() else { return };
    let sim = simulator(43_200).await;
    let file = env_with_connection(&sim, "T0COPY");
    // A bare long-lived token, kept under no app.
    let classic = seed(&sim, CLASSIC_CLIENT_ID, "T0LOOSE");
    let classic: serde_json::Value = serde_json::from_str(&classic).unwrap();
    let loose = classic["access_token"].as_str().unwrap().to_owned();
    file.ok(&["import", "loose"], &loose);
    file.ok(&["refresh", "conn", "--bot"], "");
    // A call Slack refuses (a bot token for a user-token method) is recorded.
    let _ = file.run(
        &[
            "call",
            "search.messages",
            "query=x",
            "--conn",
            "conn",
            "--bot",
        ],
        "",
    );
    let failed_before = file.ok(&["failed", "--json"], "");
    assert_ne!(failed_before.trim(), "[]", "a call was recorded");
    file.ok(&["proxy", "key", "add", "conn"], "");
    let token = file.ok(&["token", "conn"], "");
    let user_token = file.ok(&["token", "conn", "--user"], "");
    let history_before = file.ok(&["history", "conn"], "");

    // The server's store is under the fleet's key (XOX_KEY), the file under its key file.
    let server = Env::on_server(&pg.url(), sim.base_url());
    let source = file.db().display().to_string();
    let copied = server.ok(&["db", "copy", "--from", &source, "--to", &pg.url()], "");
    assert!(
        copied.contains("copied 1 app(s), 2 connection(s) with 3 token(s)"),
        "{copied}"
    );
    assert!(
        copied.contains("checked: one token of each kind (bot, user)"),
        "{copied}"
    );
    assert!(copied.contains("not copied: 1 proxy key(s)"), "{copied}");

    assert_eq!(server.ok(&["token", "conn"], ""), token);
    assert_eq!(server.ok(&["token", "conn", "--user"], ""), user_token);
    assert_eq!(server.ok(&["token", "loose"], "").trim(), loose);
    let history = server.ok(&["history", "conn"], "");
    for line in history_before.lines().skip(1) {
        assert!(history.contains(line), "{line:?} kept in\n{history}");
    }
    assert!(history.contains("copy"), "{history}");
    assert_eq!(server.ok(&["failed", "--json"], ""), failed_before);
    // The copied pair still rotates, from the server.
    server.ok(&["refresh", "conn", "--bot"], "");
    assert_ne!(server.ok(&["token", "conn"], ""), token);

    // A store that holds something is only added to when asked.
    let again = server.fails(&["db", "copy", "--from", &source, "--to", &pg.url()], "");
    assert!(
        again.contains("already holds 1 app(s) and 2 connection(s); pass --merge"),
        "{again}"
    );

    // Merging adds what is missing and never puts the file's older, spent pair over the
    // server's newer one.
    file.ok(
        &["import", "second", "--app", "acme"],
        &seed(&sim, ROTATING_CLIENT_ID, "T0TWO"),
    );
    let rotated = server.ok(&["token", "conn"], "");
    let merged = server.ok(
        &[
            "db",
            "copy",
            "--from",
            &source,
            "--to",
            &pg.url(),
            "--merge",
        ],
        "",
    );
    assert!(merged.contains("1 connection(s)"), "{merged}");
    assert!(
        merged.contains("kept as the target had them (not copied over): conn, loose"),
        "{merged}"
    );
    assert_eq!(server.ok(&["token", "conn"], ""), rotated);
    assert!(server.ok(&["token", "second"], "").starts_with("xoxe."));

    // Back into a new file, which gets a key file of its own: the fleet key is not needed
    // to open it afterwards.
    let back = tempfile::tempdir().unwrap();
    let back_db = back.path().join("back.db");
    let back_path = back_db.display().to_string();
    server.ok(&["db", "copy", "--from", &pg.url(), "--to", &back_path], "");
    assert!(back.path().join("back.db.key").exists());
    let local = Env::at(&back_db, sim.base_url());
    assert_eq!(
        local.ok(&["token", "conn"], ""),
        server.ok(&["token", "conn"], "")
    );
    assert_eq!(local.ok(&["failed", "--json"], ""), failed_before);

    let missing = server.fails(
        &[
            "db",
            "copy",
            "--from",
            "/nonexistent/xox.db",
            "--to",
            &back_path,
        ],
        "",
    );
    assert!(
        missing.contains("cannot copy: no xox database at /nonexistent/xox.db"),
        "{missing}"
    );
}
