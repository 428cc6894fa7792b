//! `xox demo`: the simulator and a seeded temporary database, to try everything without Slack.

use super::Context;
use super::list::render_list;
use crate::store::{Store, now_unix};
use clap::Args;
use std::io::IsTerminal;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the seeded connections and failed calls and exit, instead of the dashboard
    #[arg(long)]
    once: bool,
}

pub async fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<()> {
    let demo = crate::demo::start().await?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.once || !interactive {
        let store = Store::open_with_key(&demo.db, None)?;
        outln!(
            "xox demo: a Slack simulator at {} and a seeded database at {}\n",
            demo.sim.base_url(),
            demo.db.display()
        );
        out!("{}", render_list(&store.connections()?, now_unix()));
        outln!("\nfailed calls kept for inspection (xox failed):");
        super::failed::print(&store, store.calls()?, false)?;
        return Ok(());
    }
    let demo_ctx = Context {
        db: demo.db.clone(),
        slack_url: demo.sim.base_url().to_owned(),
        http_timeout: ctx.http_timeout,
    };
    let db = demo.db.clone();
    // The demo database's key is the key file beside it, never the keyring.
    let open_store: crate::tui::effects::StoreOpener =
        Arc::new(move || Store::open_with_key(&db, None));
    // A one-minute window, so the token seeded to expire within two minutes is seen
    // counting down and then refreshed by auto-refresh.
    let window = std::time::Duration::from_secs(60);
    super::dashboard::open(
        &demo_ctx,
        Store::open_with_key(&demo.db, None)?,
        open_store,
        true,
        window,
    )
    .await?;
    outln!("xox demo ended: the simulator stopped and the demo database was deleted");
    Ok(())
}
