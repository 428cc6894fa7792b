//! `xox` alone: the dashboard on a terminal; the `list` view when output is not a terminal.

use super::Context;
use crate::store::Store;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        return super::list::list(ctx, &super::list::ListArgs { json: false });
    }
    let db = ctx.db.clone();
    let store = Store::open(&db)?;
    let open_store: crate::tui::effects::StoreOpener = Arc::new(move || Store::open(&db));
    open(
        ctx,
        store,
        open_store,
        false,
        crate::rotation::DEFAULT_WINDOW,
    )
    .await
}

/// Run the dashboard on `store` (shared by `xox` and `xox demo`).
pub async fn open(
    ctx: &Context,
    store: Store,
    open_store: crate::tui::effects::StoreOpener,
    demo: bool,
    window: std::time::Duration,
) -> anyhow::Result<()> {
    let mut db_label = store.path().display().to_string();
    if demo {
        // So the demo can be used from another terminal too (XOX_DB, XOX_SLACK_URL).
        db_label.push_str(&format!(" · Slack simulator at {}", ctx.slack_url));
    }
    let cert_dir = store
        .path()
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let rotator = Arc::new(ctx.rotator(store)?);
    crate::tui::run(crate::tui::Setup {
        rotator,
        open_store,
        db_label,
        cert_dir,
        demo,
        window,
    })
    .await
}
