//! Logging to a file (never the terminal by default); `-v` adds stderr for CLI commands.

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Start logging. Filter from `XOX_LOG` (default `xox=info`). A log file that cannot be
/// opened costs the logs, never the command. Nothing logged ever holds a secret: secrets
/// are `Secret`s, whose Debug and Display print `***`.
pub fn init(verbose: bool) {
    let filter = EnvFilter::try_from_env("XOX_LOG").unwrap_or_else(|_| EnvFilter::new("xox=info"));
    let file = crate::paths::log_file().and_then(|path| {
        if let Some(dir) = path.parent() {
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .ok()
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = match (file, verbose) {
        (Some(f), true) => builder
            .with_writer(Mutex::new(f).and(std::io::stderr))
            .try_init(),
        (Some(f), false) => builder.with_writer(Mutex::new(f)).try_init(),
        (None, true) => builder.with_writer(std::io::stderr).try_init(),
        (None, false) => Ok(()),
    };
}

/// Report a panic as one line on stderr and in the log, with token-shaped words redacted:
/// a panic's message is text xox did not format itself, so it is scrubbed, not trusted.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let line = panic_line(&payload, &at);
        tracing::error!("{line}");
        eprintln!("{line}");
    }));
}

fn panic_line(payload: &str, at: &str) -> String {
    let what = crate::slack::secret::scrub(payload).replace(['\n', '\r'], " ");
    format!("error: xox hit a bug ({what}, at {at}); please report it")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_line_is_one_line_without_the_token() {
        let line = super::panic_line("bad state\nfor xoxp-1-2-3-abcdefghijklmnop", "src/x.rs:1");
        assert_eq!(
            line,
            "error: xox hit a bug (bad state for xoxp-…mnop, at src/x.rs:1); please report it"
        );
    }
}
