//! `xox revoke CONN --yes`: `auth.revoke` a token and mark it revoked.

use super::{Context, KindArgs};
use anyhow::bail;
use clap::Args;

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Connection name or id
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// Go ahead: Slack will not accept the token again
    #[arg(long)]
    yes: bool,
}

pub async fn run(ctx: &Context, args: RevokeArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    if !args.yes {
        let token = engine.token_ref(&args.conn, args.kind.kind()).await?;
        let (kind, name) = (token.kind, token.connection);
        bail!(
            "revoking is final: Slack will not accept the {kind} token of {} again, and a new one means installing the app again; run `xox revoke {} --{kind} --yes` to go ahead",
            name,
            name
        );
    }
    let kind = engine.revoke(&args.conn, args.kind.kind()).await?;
    outln!("revoked the {kind} token of {}", args.conn);
    Ok(())
}
