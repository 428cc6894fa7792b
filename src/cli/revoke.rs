//! `xox revoke CONN --yes`: `auth.revoke` a token and mark it revoked.

use super::{Context, KindArgs};
use crate::rotation::Target;
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
    let store = ctx.store()?;
    let conn = store.connection(&args.conn)?;
    let kind = crate::calls::default_kind(&conn, args.kind.kind())?;
    if !args.yes {
        bail!(
            "revoking is final: Slack will not accept the {kind} token of {} again, and a new one means installing the app again; run `xox revoke {} --{kind} --yes` to go ahead",
            conn.name,
            conn.name
        );
    }
    ctx.rotator(store)?.revoke(&Target::of(&conn, kind)).await?;
    outln!("revoked the {kind} token of {}", conn.name);
    Ok(())
}
