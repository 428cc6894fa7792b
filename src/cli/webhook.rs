//! `xox webhook CONN`: print the connection's incoming-webhook URL, for scripts.

use super::Context;
use clap::Args;

#[derive(Args, Debug)]
pub struct WebhookArgs {
    /// Connection name or id
    conn: String,
}

pub async fn run(ctx: &Context, args: WebhookArgs) -> anyhow::Result<()> {
    // The URL alone on stdout, like `xox token`: it is a secret that lets anyone post.
    let hook = ctx.engine_reading()?.webhook(&args.conn).await?;
    outln!("{}", hook.url.expose());
    Ok(())
}
