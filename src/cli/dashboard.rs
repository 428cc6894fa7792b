//! `xox` alone: the dashboard on a terminal; the `list` view when output is not a terminal.

use super::Context;
use crate::engine::Engine;
use std::io::IsTerminal;
use std::sync::Arc;

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        return super::list::list(
            ctx,
            &super::list::ListArgs {
                json: false,
                names: false,
            },
        )
        .await;
    }
    open(ctx.engine_reading()?, false).await
}

/// `~/…` for a path under the home folder: the header has little room.
fn home_relative(path: &str) -> String {
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && path.starts_with(&format!("{home}/")) => {
            format!("~{}", &path[home.len()..])
        }
        _ => path.to_owned(),
    }
}

/// Run the dashboard on `engine` (shared by `xox` and `xox demo`).
pub async fn open(engine: Engine, demo: bool) -> anyhow::Result<()> {
    let mut db_label = home_relative(engine.location());
    if demo {
        // So the demo can be used from another terminal too (XOX_DB, XOX_SLACK_URL).
        db_label.push_str(&format!(" · Slack simulator at {}", engine.slack_url()));
    }
    let stop = engine.stop().clone();
    let engine = Arc::new(engine);
    // The dashboard refreshes and records as it runs: it tells the hooks itself, and takes
    // up what other processes left.
    let hooks = {
        let (engine, stop) = (engine.clone(), stop.clone());
        tokio::spawn(async move {
            engine
                .run_hooks(stop.reached(crate::engine::StopLevel::Finish))
                .await
        })
    };
    let outcome = crate::tui::run(crate::tui::Setup {
        engine,
        db_label,
        demo,
    })
    .await;
    hooks.abort();
    super::wait_for_rotations(&stop).await;
    outcome
}
