//! `xox import NAME --app APP`: store tokens piped on stdin.

use super::{Context, KindArgs, format, print_json};
use crate::slack::import_input::MAX_INPUT;
use crate::store::{HeldElsewhere, now_unix};
use anyhow::Context as _;
use clap::Args;
use std::io::Read;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The connection's name (created, or updated if it is the same install)
    name: String,
    /// The app the tokens belong to (a bare token may go without: it is kept under "standalone")
    #[arg(long)]
    app: Option<String>,
    #[command(flatten)]
    kind: KindArgs,
    /// Keep a bare token without asking Slack who it is (auth.test)
    #[arg(long)]
    no_verify: bool,
    /// Move a token that another connection holds to this one (one owner per token chain)
    #[arg(long)]
    replace: bool,
    #[arg(long)]
    json: bool,
}

/// `--replace` as the store's rule for a token another connection holds.
pub fn held_elsewhere(replace: bool) -> HeldElsewhere {
    if replace {
        HeldElsewhere::Move
    } else {
        HeldElsewhere::Refuse
    }
}

pub async fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<()> {
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut raw)
        .context("cannot read stdin")?;
    let imported = ctx
        .engine()?
        .import(
            &args.name,
            args.app.as_deref(),
            &raw,
            args.kind.kind(),
            !args.no_verify,
            held_elsewhere(args.replace),
        )
        .await?;
    let (conn, now) = (&imported.connection, now_unix());
    if args.json {
        let mut value = format::connection_json(conn, now);
        value["imported_from"] = imported.shape.map_or("token", |s| s.method()).into();
        print_json(&value);
        return Ok(());
    }
    let parts: Vec<String> = conn
        .tokens
        .iter()
        .filter(|t| imported.kinds.contains(&t.kind))
        .map(|t| format::token_summary(t, now))
        .collect();
    let from = imported
        .shape
        .map(|s| format!(" from {}", s.method()))
        .unwrap_or_default();
    outln!("imported {}{from}: {}", conn.name, parts.join(", "));
    Ok(())
}
