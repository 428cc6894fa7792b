//! `xox` and `xox-full`: what `xox` answers itself (its version, a token as it is stored),
//! and every other command line handed, unchanged, to `xox-full` beside it.

mod common;

use common::cli_env::Env;
use common::rotating::{env_with_connection, simulator};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// `xox` copied alone into a folder of its own: what it hands over cannot start there, so
/// whatever succeeds was answered by `xox` itself.
fn lonely_xox(env: &Env) -> PathBuf {
    let dir = env.dir.path().join("lonely");
    std::fs::create_dir_all(&dir).unwrap();
    let xox = dir.join("xox");
    std::fs::copy(env!("CARGO_BIN_EXE_xox"), &xox).unwrap();
    xox
}

fn run(env: &Env, program: &Path, args: &[&str]) -> Output {
    env.run_with(env.command_of(program, args), "")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// What `xox` says when it hands over to an `xox-full` that is not there.
fn handed_over(out: &Output) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    out.status.code() == Some(127) && stderr.contains("cannot run") && stderr.contains("xox-full")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xox_answers_a_token_as_stored_and_its_version_by_itself() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0QUICK");
    let lonely = lonely_xox(&env);
    let full = Path::new(env!("CARGO_BIN_EXE_xox-full"));
    for kind in [&[][..], &["--bot"], &["--user"]] {
        let args: Vec<&str> = ["token", "conn"].iter().chain(kind).copied().collect();
        let quick = stdout(&run(&env, &lonely, &args));
        assert!(quick.starts_with("xoxe.xox"), "{quick}");
        assert_eq!(quick, stdout(&run(&env, full, &args)), "{args:?}");
    }
    assert_eq!(
        stdout(&run(&env, &lonely, &["--version"])),
        stdout(&run(&env, full, &["--version"]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_needs_more_than_a_read_goes_to_xox_full() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0HANDED");
    let lonely = lonely_xox(&env);
    let before = env.ok(&["token", "conn"], "");
    // Inside the window: a refresh, which only xox-full does.
    assert!(handed_over(&run(
        &env,
        &lonely,
        &["token", "conn", "--within", "13h"]
    )));
    let refreshed = env.ok(&["token", "conn", "--within", "13h"], "");
    assert_ne!(refreshed, before, "xox-full refreshed it");
    // Other commands, and what xox does not read itself.
    for args in [
        &["list"][..],
        &["token", "conn", "-v"],
        &["token", "nobody"],
    ] {
        assert!(handed_over(&run(&env, &lonely, args)), "{args:?}");
    }
    // A database others can read: xox-full makes it owner-only, and says so.
    std::fs::set_permissions(env.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(handed_over(&run(&env, &lonely, &["token", "conn"])));
    let out = run(
        &env,
        Path::new(env!("CARGO_BIN_EXE_xox")),
        &["token", "conn"],
    );
    assert_eq!(stdout(&out), refreshed);
    assert!(String::from_utf8_lossy(&out.stderr).contains("could be read by others"));
    // No database where one is named: none is made, and xox-full explains.
    let missing = env.dir.path().join("missing.db");
    let mut cmd = env.command_of(&lonely, &["token", "conn"]);
    cmd.env("XOX_DB", &missing);
    assert!(handed_over(&env.run_with(cmd, "")));
    assert!(!missing.exists());
}

/// Started with its standard descriptors closed, `xox` gives them /dev/null before it opens
/// the database: the token cannot land, in clear, in a file that took descriptor 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_standard_descriptors_are_not_the_database() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0CLOSED");
    let token = env.ok(&["token", "conn"], "");
    let mut cmd = env.command_of(Path::new("/bin/sh"), &[]);
    cmd.args([
        "-c",
        r#"exec "$0" token conn <&- >&- 2>&-"#,
        env!("CARGO_BIN_EXE_xox"),
    ]);
    let out = env.run_with(cmd, "");
    assert!(out.status.success(), "{out:?}");
    // The files SQLite opens (the database, its -wal and -shm) would have taken 0, 1 and 2.
    let folder = env.db().parent().unwrap().to_owned();
    for file in std::fs::read_dir(&folder).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(token.trim()),
            "{} holds the token",
            path.display()
        );
    }
    assert_eq!(env.integrity_check(), "ok");
    assert_eq!(env.ok(&["token", "conn"], ""), token);
}
