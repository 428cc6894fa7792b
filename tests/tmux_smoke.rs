//! The real dashboard in tmux: `xox demo` starts and shows the table, `r` refreshes the
//! selected connection, `q` exits and leaves the terminal as it was. Skipped without tmux.

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

#[test]
fn the_dashboard_starts_refreshes_and_restores_the_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("xox-smoke-{}", std::process::id()),
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
