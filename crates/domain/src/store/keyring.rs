//! The OS keyring, through libsecret's `secret-tool` (GNOME Keyring, KWallet, KeePassXC):
//! the database key is kept there when one answers.
//!
//! The key travels on the tool's stdin and stdout, never in its argv. Every call has a
//! hard time limit, so a keyring that hangs (a locked collection, D-Bus activation that
//! never completes) costs a moment and a fallback, never a stuck `xox`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const TOOL: &str = "secret-tool";
const LIMIT: Duration = Duration::from_secs(3);
/// Set to `0` to never use the keyring.
pub const KEYRING_ENV: &str = "XOX_KEYRING";

pub fn enabled() -> bool {
    std::env::var(KEYRING_ENV).map_or(true, |v| v != "0")
}

fn attributes(db: &Path) -> [String; 4] {
    let path = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    [
        "service".into(),
        "xox".into(),
        "database".into(),
        path.display().to_string(),
    ]
}

/// Run the tool with `input` on stdin; its stdout if it succeeded within the limit.
fn run(args: &[String], input: Option<&[u8]>) -> Option<Zeroizing<Vec<u8>>> {
    let mut child = crate::child::command(TOOL)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let Some(bytes) = input {
        let mut stdin = child.stdin.take()?;
        let _ = stdin.write_all(bytes);
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if started.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let mut out = Zeroizing::new(Vec::new());
    child.stdout.take()?.read_to_end(&mut out).ok()?;
    Some(out)
}

/// The key stored for `db`, if a keyring answers and holds one.
pub fn lookup(db: &Path) -> Option<Zeroizing<String>> {
    let mut args = vec!["lookup".to_owned()];
    args.extend(attributes(db));
    let out = run(&args, None)?;
    let text = String::from_utf8(out.to_vec()).ok()?;
    let text = Zeroizing::new(text.trim().to_owned());
    (!text.is_empty()).then_some(text)
}

/// Keep `key` for `db` in the keyring. True only if a lookup then returns it.
pub fn store(db: &Path, key: &str) -> bool {
    let mut args = vec![
        "store".to_owned(),
        format!("--label=xox database key ({})", attributes(db)[3]),
    ];
    args.extend(attributes(db));
    run(&args, Some(key.as_bytes())).is_some()
        && lookup(db).is_some_and(|found| found.as_str() == key)
}
