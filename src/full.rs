//! The `xox` binary: parse arguments, start logging, run the command, print one-line errors.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `xox --version` is how scripts check the tool is there: answered before clap builds
    // the whole command tree, which is most of its time.
    if let Some(line) = version_asked() {
        xox::cli::write_stdout(&line);
        return ExitCode::SUCCESS;
    }
    let cli = xox::cli::Cli::parse();
    let pace = if cli.serves_many() {
        xox::logging::Pace::Batched
    } else {
        xox::logging::Pace::Direct
    };
    // Kept to the end of `main`: a batched log writes its last lines when this goes.
    let logging = xox::logging::init(cli.log_to_stderr(), pace);
    if let Some(note) = &logging.note {
        xox::cli::write_stderr(&format!("{note}\n"));
    }
    xox::logging::install_panic_hook(xox::tui::give_back_terminal);
    // One thread: every command waits on I/O, store work goes to the blocking pool, and
    // not starting worker threads saves most of a millisecond on each `xox token`. The
    // proxy serves many apps at once: it gets a thread per core.
    let mut builder = if cli.serves_many() {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(xox::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined with ": ".
            let line = format!("{e:#}").replace('\n', " ");
            let line = xox::engine::text::one_line(&line);
            tracing::warn!(error = %line, "command failed");
            xox::cli::write_stderr(&format!("error: {line}\n"));
            ExitCode::FAILURE
        }
    }
}

/// The `--version` line clap would print, when that (or `-V`) is the only argument.
fn version_asked() -> Option<String> {
    let mut args = std::env::args_os().skip(1);
    let first = args.next()?;
    (args.next().is_none() && (first == "--version" || first == "-V"))
        .then(|| format!("xox {}\n", env!("CARGO_PKG_VERSION")))
}
