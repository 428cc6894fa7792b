//! Shared by the proxy's benchmarks: `xox proxy` started as a process, its base URL read
//! from its first line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Start `command` (an `xox proxy …`); the child and its base URL (`http://…/api/`).
pub fn start(mut command: Command) -> (Child, String) {
    let mut proxy = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut base = String::new();
    BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut base)
        .unwrap();
    (proxy, base.trim().to_owned())
}
