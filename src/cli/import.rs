//! `xox import NAME --app APP`: store tokens piped on stdin.

use super::{Context, KindArgs, format, print_json};
use crate::engine::MAX_INPUT;
use crate::engine::SdkStore;
use crate::engine::{HeldElsewhere, now_unix};
use anyhow::Context as _;
use clap::Args;
use std::io::Read;

/// Installation stores of other tools that `--from` reads.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FromStore {
    /// python-slack-sdk's SQLite3InstallationStore (a database file)
    SlackSdkSqlite,
    /// python-slack-sdk's FileInstallationStore (a folder)
    SlackSdkFiles,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The connection's name (created, or updated if it is the same install); with
    /// --from, the store's path
    name: String,
    /// Import every installation kept in another tool's store at NAME (a file or folder),
    /// each as a connection of --app
    #[arg(long, value_enum, requires = "app")]
    from: Option<FromStore>,
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
    if let Some(from) = args.from {
        return from_store(ctx, from, &args).await;
    }
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut raw)
        .context("cannot read stdin")?;
    let imported = ctx
        .engine_creating()?
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

async fn from_store(ctx: &Context, from: FromStore, args: &ImportArgs) -> anyhow::Result<()> {
    let source = match from {
        FromStore::SlackSdkSqlite => SdkStore::Sqlite,
        FromStore::SlackSdkFiles => SdkStore::Files,
    };
    let app = args
        .app
        .as_deref()
        .expect("clap requires --app with --from");
    let report = ctx
        .engine_creating()?
        .import_sdk_store(
            source,
            std::path::Path::new(&args.name),
            app,
            held_elsewhere(args.replace),
        )
        .await?;
    let now = now_unix();
    if args.json {
        print_json(&serde_json::json!({
            "imported": report.imported.iter().map(|c| format::connection_json(c, now)).collect::<Vec<_>>(),
            "other_apps": report.other_apps,
            "refused": report.refused.iter().map(|(name, why)| serde_json::json!({"name": name, "error": why})).collect::<Vec<_>>(),
        }));
    } else {
        for conn in &report.imported {
            let tokens: Vec<String> = conn
                .tokens
                .iter()
                .map(|t| format::token_summary(t, now))
                .collect();
            outln!("imported {}: {}", conn.name, tokens.join(", "));
        }
    }
    if report.other_apps > 0 {
        errln!(
            "left alone: {} installation(s) of other apps (another client id)",
            report.other_apps
        );
    }
    for (name, why) in &report.refused {
        errln!("not imported {name}: {why}");
    }
    if !report.refused.is_empty() {
        anyhow::bail!(
            "{} of {} installations were not imported",
            report.refused.len(),
            report.refused.len() + report.imported.len()
        );
    }
    if report.imported.is_empty() {
        anyhow::bail!("no installation of app {app} found in {}", args.name);
    }
    Ok(())
}
