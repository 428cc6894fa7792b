//! `xox exec` on the built binary and the simulator: the command gets the live token (and
//! nothing of xox's), its exit status is xox's; with `--proxy` it gets a key that works
//! through the proxy and is revoked when it ends; a rotation restarts it with the new token
//! or signals it; and signals sent to xox reach it. Runs on PostgreSQL too.

mod common;

use common::proxy::Proxy;
use common::rotating::{env_with_connection, simulator, spawn};
use std::path::Path;
use std::time::{Duration, Instant};

fn lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn until(within: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn terminate(child: &std::process::Child) {
    // SAFETY: kill(2) on a child of this test.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_gets_the_token_and_xox_its_status() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0EXEC");
    let dir = tempfile::tempdir().unwrap();
    let (token_file, env_file) = (dir.path().join("token"), dir.path().join("env"));
    let script = format!(
        "printf %s \"$SLACK_BOT_TOKEN\" > {}; env > {}; exit 7",
        token_file.display(),
        env_file.display()
    );
    let out = env.run(&["exec", "conn", "--", "sh", "-c", &script], "");
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = env.ok(&["token", "conn", "--bot"], "");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token.trim());
    let seen = std::fs::read_to_string(&env_file).unwrap();
    assert!(!seen.lines().any(|l| l.starts_with("XOX_")), "{seen}");
    // Another name, and a command that cannot start.
    let out = env.run(
        &[
            "exec",
            "conn",
            "--env",
            "MY_TOKEN",
            "--",
            "sh",
            "-c",
            "test -n \"$MY_TOKEN\"",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    let user = "test -n \"$SLACK_USER_TOKEN\" && test -z \"$SLACK_BOT_TOKEN\"";
    let out = env.run(
        &["exec", "conn", "--kind", "user", "--", "sh", "-c", user],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = env.fails(&["exec", "conn", "--", "/no/such/program"], "");
    assert!(err.contains("cannot run \"/no/such/program\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_proxy_the_command_holds_a_key_that_goes_when_it_ends() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0EXKEY");
    let proxy = Proxy::start(&env);
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen");
    // The command calls Slack through the proxy with what it was given, as an app would.
    let script = format!(
        "printf '%s %s\\n' \"${{SLACK_BOT_TOKEN%%-*}}\" \"$SLACK_API_URL\" > {0}; \
         curl -s -H \"Authorization: Bearer $SLACK_BOT_TOKEN\" \"${{SLACK_API_URL}}auth.test\" >> {0}",
        seen.display()
    );
    let out = env.run(
        &[
            "exec", "conn", "--proxy", &proxy.url, "--", "sh", "-c", &script,
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = lines(&seen);
    assert_eq!(seen[0], format!("xpk {}", proxy.url));
    assert!(seen[1].contains("\"ok\":true"), "{seen:?}");
    // Revoked as the command ended.
    assert_eq!(env.ok(&["proxy", "key", "list", "--json"], ""), "[]\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_restarts_the_command_with_the_new_token() {
    // Tokens that live 14 s, refreshed 10 s before they lapse: a rotation within seconds.
    let sim = simulator(14).await;
    let env = env_with_connection(&sim, "T0EXROT");
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    let script = format!(
        "printf '%s\\n' \"$SLACK_BOT_TOKEN\" >> {}; trap 'exit 0' TERM; while :; do sleep 0.1; done",
        tokens.display()
    );
    let exec = spawn(
        &env,
        &["exec", "conn", "--within", "10s", "--", "sh", "-c", &script],
    );
    until(Duration::from_secs(20), "a second start", || {
        lines(&tokens).len() >= 2
    })
    .await;
    let seen = lines(&tokens);
    assert_ne!(seen[0], seen[1], "the command restarted with the new token");
    // xox's SIGTERM reaches the command, which ends with 0: so does xox.
    terminate(&exec);
    let out = common::rotating::wait(exec).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_can_signal_the_command_instead() {
    let sim = simulator(14).await;
    let env = env_with_connection(&sim, "T0EXSIG");
    let dir = tempfile::tempdir().unwrap();
    let told = dir.path().join("told");
    let script = format!(
        "trap 'echo HUP >> {}' HUP; trap 'exit 3' TERM; while :; do sleep 0.1; done",
        told.display()
    );
    let exec = spawn(
        &env,
        &[
            "exec",
            "conn",
            "--within",
            "10s",
            "--on-rotate",
            "signal:HUP",
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    until(Duration::from_secs(20), "a SIGHUP", || {
        lines(&told).contains(&"HUP".to_owned())
    })
    .await;
    terminate(&exec);
    let out = common::rotating::wait(exec).await;
    assert_eq!(out.status.code(), Some(3), "the command's own status");
    let refused = env.run(
        &["exec", "conn", "--on-rotate", "signal:NOPE", "--", "true"],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("signal:NAME (HUP, USR1"), "{said}");
}
