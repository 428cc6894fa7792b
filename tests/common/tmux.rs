//! A program in a detached tmux session of its own, its screen read back: how the tests
//! see the real dashboard as a person would.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "smoke"]).stdout)
            .into_owned()
    }

    pub fn wait_for(&self, what: &str) -> String {
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

/// `shell` (with `$XOX` for the binary) in a detached tmux session of its own, with its
/// own state and temporary folders (the state folder's `tmp`); `None` without tmux.
pub fn start_in_tmux(shell: &str) -> Option<(Tmux, tempfile::TempDir)> {
    start_in_tmux_sized(shell, (100, 30))
}

/// The same, in a terminal of `size` columns and rows.
pub fn start_in_tmux_sized(shell: &str, size: (u16, u16)) -> Option<(Tmux, tempfile::TempDir)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return None;
    }
    let state = tempfile::tempdir().unwrap();
    // A socket of its own for every session: a test that starts several one after the
    // other must not meet the server it just killed, still on its way out.
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let tmux = Tmux {
        socket: format!(
            "xox-smoke-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    };
    let tmp = state.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let command = format!(
        "export XDG_STATE_HOME={} XOX_KEYRING=0 TMPDIR={} XOX={}; {shell}",
        state.path().display(),
        tmp.display(),
        env!("CARGO_BIN_EXE_xox")
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "smoke",
        "-x",
        &size.0.to_string(),
        "-y",
        &size.1.to_string(),
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    Some((tmux, state))
}
