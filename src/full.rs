//! `xox-full`, the whole of xox: parse arguments, start logging, run the command, print
//! one-line errors. `xox` hands it every command line it does not answer itself.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `xox` hands over by exec, which names the process after this file: it keeps the name
    // people and scripts look for (`pgrep -x xox`, `ps -C xox`, `killall xox`).
    let _ = std::fs::write("/proc/self/comm", "xox");
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
