//! Logging to a file (never the terminal by default); `-v` adds stderr for CLI commands.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// How log lines reach the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Each line written as it is logged: a command's last words are never lost.
    Direct,
    /// Lines handed to a writer thread and written in batches, so that a server's access
    /// log costs its requests no system call. None is dropped: a full queue makes the
    /// logger wait.
    Batched,
}

/// What logging needs kept until the end: with [`Pace::Batched`], dropping it writes the
/// lines still queued.
pub struct Logging {
    pub note: Option<String>,
    _flush_on_drop: Option<WorkerGuard>,
}

/// Start logging. Filter from `XOX_LOG` (default `xox=info`). A log file that cannot be
/// opened costs the logs, never the command. Nothing logged ever holds a secret: secrets
/// are `Secret`s, whose Debug and Display print `***`. The note says when the log file had
/// a loose mode and was made owner-only.
pub fn init(verbose: bool, pace: Pace) -> Logging {
    let mut note = None;
    let filter = EnvFilter::try_from_env("XOX_LOG").unwrap_or_else(|_| EnvFilter::new("xox=info"));
    let file = crate::paths::log_file().and_then(|path| {
        if let Some(dir) = path.parent() {
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .ok()?;
        note = crate::paths::tighten_to_owner_only(&path).map(|mode| {
            format!(
                "note: the log {} could be read by others (mode {mode:o}); it is now 600",
                path.display()
            )
        });
        Some(file)
    });
    if file.is_none() && !verbose {
        return Logging {
            note,
            _flush_on_drop: None,
        };
    }
    let sink = CleanSink {
        file,
        stderr: verbose,
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let guard = match pace {
        Pace::Direct => {
            let _ = subscriber.with_writer(Mutex::new(sink)).try_init();
            None
        }
        Pace::Batched => {
            // Whole lines reach the buffer, and the buffer passes whole lines on, so the
            // cleaning below never sees a character cut in two.
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .lossy(false)
                .buffered_lines_limit(4096)
                .thread_name("xox-log")
                .finish(BufWriter::new(sink));
            let _ = subscriber.with_writer(writer).try_init();
            Some(guard)
        }
    };
    Logging {
        note,
        _flush_on_drop: guard,
    }
}

/// Where log lines go: the file and, with `-v`, stderr. Every line is cleaned of control
/// characters first, since fields quote text from outside (Slack's answers, names).
struct CleanSink {
    file: Option<File>,
    stderr: bool,
}

impl Write for CleanSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = crate::text::for_terminal(&text);
        if let Some(file) = &mut self.file {
            file.write_all(clean.as_bytes())?;
        }
        if self.stderr {
            std::io::stderr().write_all(clean.as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Report a panic as one line on stderr and in the log, with token-shaped words redacted:
/// a panic's message is text xox did not format itself, so it is scrubbed, not trusted.
/// `first` runs before the message is printed (the dashboard gives the terminal back).
pub fn install_panic_hook(first: fn()) {
    std::panic::set_hook(Box::new(move |info| {
        first();
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
        eprintln!("{}", crate::text::one_line(&line));
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
