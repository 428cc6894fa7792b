//! Logging to a file (never the terminal by default); `-v` adds stderr for CLI commands.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines reach the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Each line written as it is logged: a command's last words are never lost.
    Direct,
    /// Lines gathered in memory and written by a thread every [`GATHER_FOR`], so that a
    /// server's access log costs its requests neither a system call nor a thread's wake-up.
    /// None is dropped: a logger that finds [`GATHER_AT_MOST`] waiting writes them itself.
    Batched,
}

/// What logging needs kept until the end: with [`Pace::Batched`], dropping it writes the
/// lines still queued.
pub struct Logging {
    pub note: Option<String>,
    _flush_on_drop: Option<Gatherer>,
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
            let gatherer = Gatherer::start(sink);
            let _ = subscriber.with_writer(gatherer.writer()).try_init();
            Some(gatherer)
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

/// How long gathered lines wait before they are written.
const GATHER_FOR: Duration = Duration::from_millis(100);
/// How many bytes of lines may wait before the logger writes them itself.
const GATHER_AT_MOST: usize = 1 << 20;

/// What the loggers and the writing thread share.
struct Gathered {
    /// Whole lines not yet written: the formatter hands over one line per write.
    lines: Mutex<Vec<u8>>,
    /// Taken before `lines` by whoever writes, so that batches reach the file in order.
    sink: Mutex<CleanSink>,
    stopping: Mutex<bool>,
    stop: Condvar,
}

impl Gathered {
    /// Write what has gathered. The sink's lock is held across taking and writing, so a
    /// later batch can never overtake an earlier one.
    fn write_out(&self) {
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = std::mem::take(&mut *self.lines.lock().unwrap_or_else(PoisonError::into_inner));
        if !batch.is_empty() {
            let _ = sink.write_all(&batch);
        }
    }
}

/// The thread that writes gathered lines; dropping it writes the last of them.
pub struct Gatherer {
    gathered: Arc<Gathered>,
    thread: Option<JoinHandle<()>>,
}

impl Gatherer {
    fn start(sink: CleanSink) -> Gatherer {
        let gathered = Arc::new(Gathered {
            lines: Mutex::new(Vec::new()),
            sink: Mutex::new(sink),
            stopping: Mutex::new(false),
            stop: Condvar::new(),
        });
        let thread = {
            let gathered = gathered.clone();
            std::thread::Builder::new()
                .name("xox-log".into())
                .spawn(move || {
                    loop {
                        let stopping = gathered
                            .stopping
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        let (stopping, _) = gathered
                            .stop
                            .wait_timeout_while(stopping, GATHER_FOR, |stopping| !*stopping)
                            .unwrap_or_else(PoisonError::into_inner);
                        let last = *stopping;
                        drop(stopping);
                        gathered.write_out();
                        if last {
                            break;
                        }
                    }
                })
                .ok()
        };
        Gatherer { gathered, thread }
    }

    fn writer(&self) -> GatherWriter {
        GatherWriter(self.gathered.clone())
    }
}

impl Drop for Gatherer {
    fn drop(&mut self) {
        *self
            .gathered
            .stopping
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.gathered.stop.notify_all();
        match self.thread.take() {
            Some(thread) => {
                let _ = thread.join();
            }
            // No thread could be started: the lines are written here.
            None => self.gathered.write_out(),
        }
    }
}

/// Hands each formatted line to the gathered lines.
#[derive(Clone)]
struct GatherWriter(Arc<Gathered>);

impl Write for GatherWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut lines = self.0.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines.extend_from_slice(buf);
        if lines.len() >= GATHER_AT_MOST {
            drop(lines);
            self.0.write_out();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for GatherWriter {
    type Writer = GatherWriter;

    fn make_writer(&'a self) -> GatherWriter {
        self.clone()
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
        // Written, not `eprintln!`ed: on a closed terminal that would panic inside this
        // hook and abort the process before its cleanup.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{}", crate::text::one_line(&line));
    }));
}

fn panic_line(payload: &str, at: &str) -> String {
    let what = crate::engine::scrub(payload).replace(['\n', '\r'], " ");
    format!("error: xox hit a bug ({what}, at {at}); please report it")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    #[test]
    fn gathered_lines_reach_the_file_whole_in_order_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let file = std::fs::File::create(&path).unwrap();
        let gatherer = super::Gatherer::start(super::CleanSink {
            file: Some(file),
            stderr: false,
        });
        let mut writers: Vec<_> = (0..4).map(|_| gatherer.writer()).collect();
        // More than the gathering bound, so that loggers also write batches themselves.
        let line = "x".repeat(1000);
        for n in 0..2_000 {
            let writer = &mut writers[n % 4];
            writer
                .write_all(format!("{n} {line}\x1b[2J\n").as_bytes())
                .unwrap();
        }
        drop(gatherer);
        let written = std::fs::read_to_string(&path).unwrap();
        let numbers: Vec<usize> = written
            .lines()
            .map(|l| l.split_once(' ').unwrap().0.parse().unwrap())
            .collect();
        assert_eq!(numbers, (0..2_000).collect::<Vec<_>>());
        assert!(!written.contains('\x1b'));
    }

    #[test]
    fn a_panic_line_is_one_line_without_the_token() {
        let line = super::panic_line("bad state\nfor xoxp-1-2-3-abcdefghijklmnop", "src/x.rs:1");
        assert_eq!(
            line,
            "error: xox hit a bug (bad state for xoxp-…mnop, at src/x.rs:1); please report it"
        );
    }
}
