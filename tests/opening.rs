//! What opening a database may change: never another program's file; a loose mode on ours
//! is tightened (said once); hundreds of first runs at once all get their turn (`app list`,
//! which creates the database where reading commands refuse to).

mod common;

use common::cli_env::Env;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn another_programs_database_is_refused_unchanged() {
    let env = Env::new("http://127.0.0.1:9");
    let foreign = env.dir.path().join("f.db");
    {
        let db = rusqlite::Connection::open(&foreign).unwrap();
        db.execute_batch("CREATE TABLE t(x)").unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let mut cmd = env.command(&["list"]);
    cmd.env("XOX_DB", &foreign);
    let out = env.run_with(cmd, "");
    let err = common::cli_env::one_line_error(&out, &["list"]);
    assert!(err.contains("not one of xox's"), "{err}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before, "the file changed");
    let db = rusqlite::Connection::open(&foreign).unwrap();
    let journal: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    assert!(!env.dir.path().join("f.db-wal").exists());
}

#[test]
fn loose_modes_on_the_database_and_log_are_tightened_and_said_once() {
    let env = Env::new("http://127.0.0.1:9");
    env.ok(
        &["import", "a", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    let log = env.dir.path().join("state/xox/xox.log");
    for path in [env.db(), log.clone()] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = env.run(&["list"], "");
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("it is now 600").count(), 2, "{stderr}");
    assert!(stderr.contains("mode 644"), "{stderr}");
    assert_eq!((mode(&env.db()), mode(&log)), (0o600, 0o600));
    let again = env.run(&["list"], "");
    assert!(again.stderr.is_empty(), "said more than once");
}

#[test]
fn simultaneous_first_runs_on_a_new_database_all_succeed() {
    let env = Env::new("http://127.0.0.1:9");
    // Each starts the store (app add may), at once.
    let children: Vec<_> = (0..300)
        .map(|i| {
            env.command(&[
                "app",
                "add",
                &format!("app{i}"),
                "--client-id",
                "1.2",
                "--json",
            ])
            .env("XOX_CLIENT_SECRET", "a-secret")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let failures: Vec<String> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .filter(|o| !o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    assert_eq!(env.ok(&["list", "--json"], ""), "[]\n");
    let apps: serde_json::Value =
        serde_json::from_str(&env.ok(&["app", "list", "--json"], "")).unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 300);
}
