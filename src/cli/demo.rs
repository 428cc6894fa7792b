//! `xox demo`: the simulator and a seeded temporary database, to try everything without Slack.

use super::Context;
use super::list::render_list;
use crate::engine::now_unix;
use clap::Args;
use std::io::IsTerminal;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the seeded connections and failed calls and exit, instead of the dashboard
    #[arg(long)]
    once: bool,
}

pub async fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<()> {
    let demo = crate::engine::demo_world::start().await?;
    let engine = demo.engine(
        demo.open_store()?,
        ctx.settings.http_timeout,
        ctx.settings.stop.clone(),
    );
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.once || !interactive {
        outln!(
            "xox demo: a Slack simulator at {} and a seeded database at {}\n",
            demo.sim.base_url(),
            demo.db.display()
        );
        out!("{}", render_list(&engine.connections().await?, now_unix()));
        outln!("\nfailed calls kept for inspection (xox failed):");
        super::failed::print(&engine.failed_calls().await?, false);
        return Ok(());
    }
    super::dashboard::open(engine, true).await?;
    outln!("xox demo ended: the simulator stopped and the demo database was deleted");
    Ok(())
}
