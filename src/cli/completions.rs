//! `xox completions SHELL` and `xox man`: shell completions and the man page, generated from
//! the command line's own definition so they never drift from it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    shell: Shell,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "xox", &mut out);
    super::write_stdout(&String::from_utf8_lossy(&out));
    Ok(())
}

pub fn man() -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command()).render(&mut out)?;
    super::write_stdout(&String::from_utf8_lossy(&out));
    Ok(())
}
