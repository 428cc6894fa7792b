//! The `xox` binary: answers `xox --version` and `xox token` itself when it can, as a
//! small program that starts in a fraction of the time of the whole, and hands every other
//! command line, unchanged, to `xox-full` beside it.

// Rust's usual start-up reads /proc/self/maps to place a stack guard and installs signal
// handlers: a fifth of this program's start, for a process that lives a millisecond. Its
// one safety measure that matters here, open standard descriptors, is kept by hand, and
// `xox-full` gets the usual start-up when it runs.
#![no_main]

use std::ffi::{OsString, c_char, c_int};
use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use xox::quick::Quick;

#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    keep_standard_descriptors_open();
    // glibc hands the arguments to the standard library before `main`, no_main or not.
    let args: Vec<OsString> = std::env::args_os().collect();
    match xox::quick::read(args.get(1..).unwrap_or_default()) {
        Some(Quick::Version) => {
            xox::cli::write_stdout(&format!("xox {}\n", env!("CARGO_PKG_VERSION")));
            return 0;
        }
        Some(Quick::Token(ask)) => {
            if let Some(token) = ask.answer() {
                xox::cli::write_stdout(&format!("{}\n", token.expose()));
                return 0;
            }
        }
        None => {}
    }
    // Beside this file itself (symlinks resolved), never from PATH: what runs is what was
    // installed with it.
    let full = match std::env::current_exe() {
        Ok(me) => me.with_file_name("xox-full"),
        Err(e) => {
            xox::cli::write_stderr(&format!("error: cannot find where xox is: {e}\n"));
            return 127;
        }
    };
    // The same process goes on as xox-full: its pid, signals and terminal stay the caller's.
    let mut command = Command::new(&full);
    if let Some(name) = args.first() {
        command.arg0(name);
    }
    let error = command.args(args.iter().skip(1)).exec();
    xox::cli::write_stderr(&format!(
        "error: cannot run {}: {error}; xox-full belongs beside xox (`cargo install --path .` installs both)\n",
        full.display()
    ));
    127
}

/// Give each closed standard descriptor (0, 1, 2) /dev/null, as Rust's start-up does: a
/// file opened next (the key file, say) would otherwise take descriptor 1, and the token be
/// written into it. SQLite keeps its own files off 0 to 2; this keeps every other one off.
fn keep_standard_descriptors_open() {
    let null = || OpenOptions::new().read(true).write(true).open("/dev/null");
    // The lowest free descriptor is the one opened: below 3, it fills a closed slot.
    while let Ok(file) = null() {
        if file.as_raw_fd() > 2 {
            return;
        }
        let _kept_open = file.into_raw_fd();
    }
}
