//! `xox demo`: the simulator and a seeded temporary database, to try everything without Slack.

use super::list::render_list;
use crate::store::{Store, now_unix};
use clap::Args;
use std::io::IsTerminal;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the demo and exit instead of keeping the simulator up
    #[arg(long)]
    once: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let demo = crate::demo::start().await?;
    let store = Store::open_with_key(&demo.db, None)?;
    outln!(
        "xox demo: a Slack simulator at {} and a seeded database at {}\n",
        demo.sim.base_url(),
        demo.db.display()
    );
    out!("{}", render_list(&store.connections()?, now_unix()));
    outln!("\nfailed calls kept for inspection (xox failed):");
    super::failed::print(&store, store.calls()?, false)?;
    drop(store);
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.once || !interactive {
        return Ok(());
    }
    outln!("\nTry it from another terminal:");
    outln!(
        "  export XOX_DB={} XOX_SLACK_URL={}",
        demo.db.display(),
        demo.sim.base_url()
    );
    outln!(
        "  xox list; xox show acme-rotating; xox call auth.test --conn acme-rotating; xox history acme-rotating"
    );
    outln!("\nCtrl-C stops the simulator and deletes the demo database.");
    super::shutdown_signal().await;
    Ok(())
}
