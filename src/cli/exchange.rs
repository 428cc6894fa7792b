//! `xox exchange CONN --yes`: turn a long-lived token into a rotating pair (irreversible).

use super::{Context, KindArgs, format};
use crate::rotation::Target;
use crate::store::now_unix;
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
    let store = ctx.store()?;
    let conn = store.connection(&args.conn)?;
    let kind = crate::calls::default_kind(&conn, args.kind.kind())?;
    if !args.yes {
        bail!(
            "exchanging is irreversible: the {kind} token of {} becomes a 12-hour rotating token, the app's token rotation stays on for good, and the long-lived token stops working at the first refresh; run `xox exchange {} --{kind} --yes` to go ahead",
            conn.name,
            conn.name
        );
    }
    let fresh = ctx
        .rotator(store)?
        .exchange(&Target::of(&conn, kind))
        .await?;
    let store = ctx.store()?;
    let token_type = store
        .connection(&conn.id)?
        .token(kind)
        .map(|t| t.token_type.to_string())
        .unwrap_or_default();
    outln!(
        "exchanged {} {kind}: now {token_type}, expires in {}",
        conn.name,
        format::countdown(fresh.expires_at, now_unix())
    );
    Ok(())
}
