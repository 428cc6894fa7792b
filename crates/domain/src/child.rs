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
