//! `xox db copy`: move a whole store between a file and a PostgreSQL server, either way.

use super::deferred::Deferred;
use super::print_json;
use crate::engine::CopyReport;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy a whole store into another (a file or a postgres:// URL, either way), then
    /// check row counts and decrypt one token of each kind from the target. Each side
    /// opens with its own key: a server's from XOX_KEY, a file's from its key file or the
    /// keyring
    Copy(Deferred<CopyArgs>),
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The store to copy from: a file path or a postgres:// URL
    #[arg(long, value_name = "PATH|URL")]
    from: PathBuf,
    /// The store to copy into (a file is made if missing)
    #[arg(long, value_name = "PATH|URL")]
    to: PathBuf,
    /// Add to a target that already holds apps or connections (same-named ones must be the
    /// same app and the same install)
    #[arg(long)]
    merge: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub async fn run(command: DbCommand) -> anyhow::Result<()> {
    let DbCommand::Copy(Deferred(args)) = command;
    let report = crate::engine::copy_between(&args.from, &args.to, args.merge).await?;
    if args.json {
        print_json(&serde_json::to_value(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(report: &CopyReport) {
    outln!(
        "copied {} app(s), {} connection(s) with {} token(s), {} event(s), {} recorded call(s)",
        report.apps,
        report.connections,
        report.tokens,
        report.events,
        report.calls
    );
    if !report.checked_kinds.is_empty() {
        let kinds: Vec<&str> = report.checked_kinds.iter().map(|k| k.as_str()).collect();
        outln!(
            "checked: one token of each kind ({}) read back from the target, decrypted, and found equal",
            kinds.join(", ")
        );
    }
    if !report.kept.is_empty() {
        outln!(
            "kept as the target had them (not copied over): {}",
            report.kept.join(", ")
        );
    }
    if report.proxy_keys_left > 0 {
        outln!(
            "not copied: {} proxy key(s), kept only as digests under the source's key; make new ones with `xox proxy key add`",
            report.proxy_keys_left
        );
    }
}
