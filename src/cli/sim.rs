//! `xox sim [--port N] [--auto-consent]`: run the Slack simulator in the foreground.

use crate::engine::{Simulator, Stop, StopLevel, preset_apps};
use clap::Args;

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Port on 127.0.0.1; 0 or none picks a free one
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Approve every install at once, without the consent page: any client that follows
    /// redirects (`curl -sL LINK`) then completes a login
    #[arg(long)]
    auto_consent: bool,
}

pub async fn run(args: SimArgs, stop: &Stop) -> anyhow::Result<()> {
    let sim = Simulator::start(args.port)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    sim.add_preset_apps();
    if args.auto_consent {
        sim.with_world(|w| w.config.auto_consent = true);
    }
    // The first line of stdout is the contract: scripts read the base URL from it. Only
    // that line goes to stdout, so a script may read it and close the pipe.
    outln!("{}", sim.base_url());
    errln!("preset apps (confidential ones share the README's simulator secret):");
    for (app, what) in preset_apps() {
        errln!("  {}  {what}", app.client_id);
    }
    errln!(
        "control API: POST /_sim/apps /_sim/installs /_sim/faults /_sim/clock /_sim/config, GET /_sim/counters"
    );
    errln!("Ctrl-C stops it.");
    stop.reached(StopLevel::Finish).await;
    Ok(())
}
