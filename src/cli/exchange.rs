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
        let (name, kinds) = engine.exchangeable(&args.conn, args.kind.kind()).await?;
        let which = kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        let (tokens, become_, flags) = match kinds.as_slice() {
            [one] => (
                "token",
                "becomes a 12-hour rotating token",
                format!(" --{one}"),
            ),
            _ => ("tokens", "become 12-hour rotating tokens", String::new()),
        };
        bail!(
            "exchanging is irreversible: the {which} {tokens} of {name} {become_}, the app's token rotation stays on for good, and long-lived tokens stop working at the first refresh; run `xox exchange {name}{flags} --yes` to go ahead"
        );
    }
    let done = engine.exchange_each(&args.conn, args.kind.kind()).await?;
    let all = done.len();
    let mut failures = Vec::new();
    for (kind, outcome) in done {
        match outcome {
            Ok(done) => outln!(
                "exchanged {} {}: now {}, expires in {}",
                done.connection,
                done.kind,
                done.token_type,
                format::countdown(done.expires_at, now_unix())
            ),
            // A lone token's failure is the command's error, in its own words.
            Err(e) if all == 1 => return Err(e.into()),
            Err(e) => failures.push(format!("{kind}: {e}")),
        }
    }
    super::each_failure("exchange", &args.conn, all, failures)
}
