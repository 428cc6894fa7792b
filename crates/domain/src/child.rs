//! Child processes (the browser, the keyring tool) start without xox's settings and secrets
//! in their environment: `XOX_KEY` and `XOX_CLIENT_SECRET` must never reach a program
//! xox did not write.

use std::ffi::OsStr;
use std::process::Command;

/// A command for `program` whose environment holds no `XOX_*` variable.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("XOX_") {
            command.env_remove(name);
        }
    }
    command
}

/// The signal numbers xox passes on to a child it runs (`xox exec`).
pub mod signals {
    pub use libc::{
        SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
    };
}

/// Send `signal` to a running `child`; a child that has exited is left alone.
pub fn send_signal(child: &tokio::process::Child, signal: i32) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) on the child's own pid, which is ours to signal until we reap it;
        // it touches no memory of ours.
        unsafe { libc::kill(pid, signal) };
    }
}
