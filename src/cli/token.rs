//! `xox token CONN`: print a valid access token, refreshing first inside the window.

use super::{Context, KindArgs, parse_window};
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Connection name or id
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// Refresh first when the token expires within this long
    #[arg(long, default_value = "2h", value_parser = parse_window)]
    within: Duration,
}

pub async fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    let usable = ctx
        .engine_reading()?
        .with_store_in_place()
        .usable_token(&args.conn, args.kind.kind(), args.within)
        .await?;
    // Warnings on stderr, the token alone on stdout: a script keeps working while a
    // person sees the problem.
    for warning in &usable.warnings {
        errln!("warning: {warning}");
    }
    outln!("{}", usable.token.expose());
    Ok(())
}

#[cfg(test)]
impl TokenArgs {
    /// What clap read: the connection, the kind asked for, and the window.
    pub(crate) fn parts(&self) -> (&str, Option<crate::engine::TokenKind>, Duration) {
        (&self.conn, self.kind.kind(), self.within)
    }
}
