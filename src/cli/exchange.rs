//! `xox exchange CONN --yes`: turn a long-lived token into a rotating pair (irreversible).

use super::{Context, KindArgs, format};
use crate::engine::now_unix;
use anyhow::bail;
use clap::Args;

#[derive(Args, Debug)]
pub struct ExchangeArgs {
    /// Connection name or id
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// Go ahead: this cannot be undone
    #[arg(long)]
    yes: bool,
}

pub async fn run(ctx: &Context, args: ExchangeArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    if !args.yes {
        let token = engine.token_ref(&args.conn, args.kind.kind()).await?;
        let (kind, name) = (token.kind, token.connection);
        bail!(
            "exchanging is irreversible: the {kind} token of {} becomes a 12-hour rotating token, the app's token rotation stays on for good, and the long-lived token stops working at the first refresh; run `xox exchange {} --{kind} --yes` to go ahead",
            name,
            name
        );
    }
    let done = engine.exchange(&args.conn, args.kind.kind()).await?;
    outln!(
        "exchanged {} {}: now {}, expires in {}",
        done.connection,
        done.kind,
        done.token_type,
        format::countdown(done.expires_at, now_unix())
    );
    Ok(())
}
