//! The real dashboard in tmux: `xox demo` starts and shows the table, `r` refreshes the
//! selected connection, `q` exits and leaves the terminal as it was, and SIGTERM during a
//! refresh waits for its pair. Skipped without tmux.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "smoke"]).stdout)
            .into_owned()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// `xox demo` in a detached tmux session of its own; `None` without tmux.
fn start_demo() -> Option<(Tmux, tempfile::TempDir)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return None;
    }
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!(
            "xox-smoke-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    };
    let command = format!(
        "XDG_STATE_HOME={} XOX_KEYRING=0 {} demo; echo XOX-EXITED-$?; sleep 60",
        state.path().display(),
        env!("CARGO_BIN_EXE_xox")
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "smoke",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    Some((tmux, state))
}

#[test]
fn the_dashboard_starts_refreshes_and_restores_the_terminal() {
    let Some((tmux, _state)) = start_demo() else {
        return;
    };
    let screen = tmux.wait_for("connections (4)");
    assert!(
        screen.contains("beta-expiring") && screen.contains("needs re-auth"),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", "smoke", "j", "j", "r"]);
    tmux.wait_for("refreshed beta-expiring bot, expires in 1");
    tmux.run(&["send-keys", "-t", "smoke", "q"]);
    let after = tmux.wait_for("XOX-EXITED-0");
    assert!(
        !after.contains("connections (4)"),
        "the dashboard's screen is gone:\n{after}"
    );
    assert!(after.contains("xox demo ended"), "{after}");
}

#[test]
fn sigterm_during_a_refresh_closes_the_dashboard_after_the_pair_is_saved() {
    let Some((tmux, _state)) = start_demo() else {
        return;
    };
    let screen = tmux.wait_for("connections (4)");
    let sim = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the header names the simulator")
        .to_owned();
    let fault = Command::new("curl")
        .args([
            "-sf",
            &format!("{sim}/_sim/faults"),
            "-H",
            "content-type: application/json",
        ])
        .args([
            "-d",
            r#"{"kind":"delay","method":"oauth.v2.access","ms":2000}"#,
        ])
        .status()
        .unwrap();
    assert!(fault.success());
    tmux.run(&["send-keys", "-t", "smoke", "j", "r"]);
    tmux.wait_for("refreshing");
    let shell = String::from_utf8(
        tmux.run(&["list-panes", "-t", "smoke", "-F", "#{pane_pid}"])
            .stdout,
    )
    .unwrap();
    let xox = Command::new("pgrep")
        .args(["-P", shell.trim(), "-x", "xox"])
        .output()
        .unwrap();
    let pid = String::from_utf8(xox.stdout).unwrap();
    assert!(
        Command::new("kill")
            .args(["-TERM", pid.trim()])
            .status()
            .unwrap()
            .success()
    );
    let after = tmux.wait_for("XOX-EXITED-0");
    assert!(
        after.contains("waiting for the new token pair Slack is issuing to be saved"),
        "{after}"
    );
    assert!(!after.contains("connections (4)"), "{after}");
}
