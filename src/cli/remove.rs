//! `xox remove CONN --yes [--revoke]`: forget a connection and its tokens.

use super::Context;
use anyhow::bail;
use clap::Args;

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// Connection name or id
    conn: String,
    /// Revoke its tokens at Slack first (auth.revoke); a failed revoke removes nothing
    #[arg(long)]
    revoke: bool,
    /// Go ahead: the tokens are deleted from the database
    #[arg(long)]
    yes: bool,
}

pub async fn run(ctx: &Context, args: RemoveArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    if !args.yes {
        let conn = engine.connection(&args.conn).await?;
        bail!(
            "removing deletes the tokens of {} from the database (its history and failed calls stay); add --revoke to revoke them at Slack first; run `xox remove {} --yes` to go ahead",
            conn.name,
            conn.name
        );
    }
    let removed = engine.remove(&args.conn, args.revoke).await?;
    let how = if args.revoke {
        "revoked its tokens at Slack and removed"
    } else {
        "removed"
    };
    outln!(
        "{how} {} (its history and failed calls are kept)",
        removed.name
    );
    Ok(())
}
