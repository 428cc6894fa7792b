//! The real dashboard in tmux: `xox demo` starts and shows the table, `r` refreshes the
//! selected connection, `q` exits and leaves the terminal as it was, SIGTERM during a
//! refresh waits for its pair, and every way out (SIGTERM, SIGHUP, SIGINT, a closed pipe, a
//! panic) gives the terminal back and removes the demo's files. Skipped without tmux.

use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::tmux::{Tmux, start_in_tmux};

/// `xox demo` in a detached tmux session of its own; `None` without tmux.
fn start_demo() -> Option<(Tmux, tempfile::TempDir)> {
    start_in_tmux(&format!(
        "{} demo; echo XOX-EXITED-$?; sleep 60",
        env!("CARGO_BIN_EXE_xox")
    ))
}

#[test]
fn the_dashboard_starts_refreshes_and_restores_the_terminal() {
    let Some((tmux, _state)) = start_demo() else {
        return;
    };
    let screen = tmux.wait_for("connections (5)");
    assert!(
        screen.contains("beta-expiring") && screen.contains("needs re-auth"),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", "smoke", "j", "j", "r"]);
    tmux.wait_for("refreshed beta-expiring bot, expires in 1");
    tmux.run(&["send-keys", "-t", "smoke", "q"]);
    let after = tmux.wait_for("XOX-EXITED-0");
    assert!(
        !after.contains("connections (5)"),
        "the dashboard's screen is gone:\n{after}"
    );
    assert!(after.contains("xox demo ended"), "{after}");
}

#[test]
fn sigterm_during_a_refresh_closes_the_dashboard_after_the_pair_is_saved() {
    let Some((tmux, _state)) = start_demo() else {
        return;
    };
    let screen = tmux.wait_for("connections (5)");
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
    let before = refresh_requests(&sim);
    tmux.run(&["send-keys", "-t", "smoke", "j", "r"]);
    tmux.wait_for("refreshing");
    // "refreshing" is drawn before the rotation takes its lease; a signal in between
    // rightly stops it before it asks Slack, with nothing to wait for. The signal must
    // come once Slack has the request and is issuing the pair.
    let deadline = Instant::now() + Duration::from_secs(15);
    while refresh_requests(&sim) == before {
        assert!(Instant::now() < deadline, "the refresh never reached Slack");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = xox_pid(&tmux);
    assert!(
        Command::new("kill")
            .args(["-TERM", pid.as_str()])
            .status()
            .unwrap()
            .success()
    );
    let after = tmux.wait_for("XOX-EXITED-0");
    assert!(
        after.contains("waiting for the new token pair Slack is issuing to be saved"),
        "{after}"
    );
    assert!(!after.contains("connections (5)"), "{after}");
}

/// How many `oauth.v2.access` requests the simulator at `sim` has received.
fn refresh_requests(sim: &str) -> u64 {
    let out = Command::new("curl")
        .args(["-sf", &format!("{sim}/_sim/counters")])
        .output()
        .unwrap();
    let counters: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    counters["calls"]["oauth.v2.access"].as_u64().unwrap_or(0)
}

/// The pane's alternate-screen and cursor-visible flags: `(false, true)` is a terminal given
/// back as it was.
fn terminal_state(tmux: &Tmux) -> (bool, bool) {
    let out = tmux.run(&[
        "display",
        "-p",
        "-t",
        "smoke",
        "#{alternate_on} #{cursor_flag}",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let flags: Vec<&str> = text.split_whitespace().collect();
    (flags[0] == "1", flags[1] == "1")
}

/// What the demo left in the temporary folder.
fn leftovers(state: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_dir(state.path().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn xox_pid(tmux: &Tmux) -> String {
    let shell = String::from_utf8(
        tmux.run(&["list-panes", "-t", "smoke", "-F", "#{pane_pid}"])
            .stdout,
    )
    .unwrap();
    let out = Command::new("pgrep")
        .args(["-P", shell.trim(), "-x", "xox"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn every_signal_gives_the_terminal_back_and_removes_the_demo_files() {
    for signal in ["TERM", "HUP", "INT"] {
        let Some((tmux, state)) = start_demo() else {
            return;
        };
        tmux.wait_for("connections (5)");
        assert_eq!(
            terminal_state(&tmux),
            (true, false),
            "the dashboard owns the screen"
        );
        assert_eq!(
            leftovers(&state).len(),
            1,
            "the demo's folder exists while it runs"
        );
        let pid = xox_pid(&tmux);
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let after = tmux.wait_for("XOX-EXITED-");
        assert!(after.contains("XOX-EXITED-0"), "SIG{signal}: {after}");
        assert_eq!(terminal_state(&tmux), (false, true), "SIG{signal}");
        assert!(
            leftovers(&state).is_empty(),
            "SIG{signal} left {:?}",
            leftovers(&state)
        );
    }
}

#[test]
fn a_panic_gives_the_terminal_back_and_removes_the_demo_files() {
    let Some((tmux, state)) =
        start_in_tmux("XOX_TEST_PANIC=1 $XOX demo; echo XOX-EXITED-$?; sleep 60")
    else {
        return;
    };
    let after = tmux.wait_for("XOX-EXITED-");
    assert!(
        after.contains("xox hit a bug (XOX_TEST_PANIC is set"),
        "{after}"
    );
    assert!(after.contains("XOX-EXITED-101"), "{after}");
    assert_eq!(terminal_state(&tmux), (false, true));
    assert!(leftovers(&state).is_empty(), "left {:?}", leftovers(&state));
}

#[test]
fn a_closed_pipe_removes_the_demo_files() {
    let Some((tmux, state)) = start_in_tmux(
        // `true` closes the pipe at once, long before the demo's first line is written:
        // with `head -1`, the rest could land in the pipe's buffer before head left.
        "bash -c '$XOX demo --once | true; echo XOX-EXITED-${PIPESTATUS[0]}'; sleep 60",
    ) else {
        return;
    };
    let after = tmux.wait_for("XOX-EXITED-");
    assert!(after.contains("XOX-EXITED-141"), "{after}");
    assert!(leftovers(&state).is_empty(), "left {:?}", leftovers(&state));
}

/// A terminal that goes away (an ssh session dropped, the tmux session killed) ends the demo
/// as SIGHUP does: its database and key file go with it.
#[test]
fn a_closed_terminal_removes_the_demo_files() {
    let Some((tmux, state)) = start_demo() else {
        return;
    };
    tmux.wait_for("connections (5)");
    assert_eq!(leftovers(&state).len(), 1);
    tmux.run(&["kill-session", "-t", "smoke"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !leftovers(&state).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the closed terminal left {:?}",
            leftovers(&state)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
