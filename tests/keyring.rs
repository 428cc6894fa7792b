//! The database key in the OS keyring, through a stand-in `secret-tool` on PATH that keeps
//! entries in a folder and logs its arguments.

mod common;

use common::cli_env::{Env, one_line_error};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Write the stand-in tool. `hang` makes every call sleep past xox's time limit.
fn fake_secret_tool(dir: &Path, hang: bool) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(dir.join("entries")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "{dir}/argv.log"
{hang}
verb="$1"; shift
case "$1" in --label=*) shift;; esac
entry="{dir}/entries/$(echo "$@" | sha256sum | cut -c1-16)"
case "$verb" in
  lookup) [ -f "$entry" ] && cat "$entry" || exit 1 ;;
  store) cat > "$entry" ;;
  *) exit 2 ;;
esac
"#,
        dir = dir.display(),
        hang = if hang { "sleep 10" } else { "" },
    );
    let tool = bin.join("secret-tool");
    std::fs::write(&tool, script).unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn with_keyring(env: &Env, keyring: &Path, args: &[&str]) -> Command {
    let mut cmd = env.command(args);
    let path = format!(
        "{}:{}",
        keyring.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    cmd.env("PATH", path).env_remove("XOX_KEYRING");
    cmd
}

fn entries(keyring: &Path) -> Vec<String> {
    std::fs::read_dir(keyring.join("entries"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

#[test]
fn a_new_database_keeps_its_key_in_the_keyring_when_one_answers() {
    let env = Env::new("http://127.0.0.1:9");
    let keyring = tempfile::tempdir().unwrap();
    fake_secret_tool(keyring.path(), false);
    let add = with_keyring(
        &env,
        keyring.path(),
        &["app", "add", "a", "--client-id", "1.2"],
    );
    assert!(env.run_with(add, "secret").status.success());
    assert!(
        !env.db().with_extension("db.key").exists(),
        "no key file when the keyring took the key"
    );
    let stored = entries(keyring.path());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].trim().len(), 44, "32 bytes in base64");
    let argv = std::fs::read_to_string(keyring.path().join("argv.log")).unwrap();
    assert!(
        !argv.contains(stored[0].trim()),
        "the key never travels in argv"
    );
    assert!(argv.contains("service xox database "));

    let list = with_keyring(&env, keyring.path(), &["app", "list", "--json"]);
    let out = env.run_with(list, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"name\": \"a\""));

    // The keyring forgets the entry: the error says where the key was kept.
    std::fs::remove_dir_all(keyring.path().join("entries")).unwrap();
    std::fs::create_dir_all(keyring.path().join("entries")).unwrap();
    let list = with_keyring(&env, keyring.path(), &["app", "list"]);
    let err = one_line_error(&env.run_with(list, ""), &["app", "list"]);
    assert!(
        err.contains("kept in the OS keyring (secret-tool), which did not answer"),
        "{err}"
    );
}

#[test]
fn a_hanging_keyring_costs_a_moment_and_falls_back_to_a_key_file() {
    let env = Env::new("http://127.0.0.1:9");
    let keyring = tempfile::tempdir().unwrap();
    fake_secret_tool(keyring.path(), true);
    let started = std::time::Instant::now();
    let add = with_keyring(
        &env,
        keyring.path(),
        &["app", "add", "a", "--client-id", "1.2"],
    );
    let out = env.run_with(add, "secret");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(9),
        "the tool was cut off"
    );
    assert!(env.db().with_extension("db.key").exists());
}

#[test]
fn xox_keyring_0_and_an_existing_key_file_leave_the_keyring_alone() {
    let env = Env::new("http://127.0.0.1:9");
    let keyring = tempfile::tempdir().unwrap();
    fake_secret_tool(keyring.path(), false);
    let mut add = with_keyring(
        &env,
        keyring.path(),
        &["app", "add", "a", "--client-id", "1.2"],
    );
    add.env("XOX_KEYRING", "0");
    assert!(env.run_with(add, "secret").status.success());
    assert!(env.db().with_extension("db.key").exists());
    // With the key file present the keyring is not even asked.
    let list = with_keyring(&env, keyring.path(), &["app", "list"]);
    assert!(env.run_with(list, "").status.success());
    assert!(!keyring.path().join("argv.log").exists());
}
