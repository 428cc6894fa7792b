//! The real dashboard in tmux at 80×24 while a distributed app's installs come and go:
//! a new install from the public page appears, and Slack's uninstall shows at once, on
//! the file and (with `XOX_TEST_BACKEND=postgres`) on PostgreSQL. Skipped without tmux.

mod common;

use common::distributed::{CLIENT_ID, Distributed};
use common::tmux::start_in_tmux_sized;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_installs_and_uninstalls() {
    let d = Distributed::start(None).await;
    for team in ["T0ONE", "T0TWO"] {
        assert_eq!(d.install(team).await.0, 200);
    }
    // The dashboard with the store's settings, as `xox` itself reads them.
    let command = d.env.command(&[]);
    let exports: String = command
        .get_envs()
        .filter_map(|(name, value)| Some(format!("{}='{}' ", name.to_str()?, value?.to_str()?)))
        .collect();
    let shell = format!("export {exports}; $XOX; sleep 60");
    let Some((tmux, _state)) = start_in_tmux_sized(&shell, (80, 24)) else {
        return;
    };
    tmux.wait_for("dist-t0two");

    assert_eq!(d.install("T0THREE").await.0, 200);
    tmux.wait_for("dist-t0three");

    d.control(
        "uninstall",
        json!({"client_id": CLIENT_ID, "team_id": "T0ONE"}),
    )
    .await;
    let screen = tmux.wait_for("uninstalled");
    let row = screen
        .lines()
        .find(|l| l.contains("dist-t0one"))
        .unwrap_or("");
    assert!(row.contains("uninstalled"), "{screen}");
    let other = screen
        .lines()
        .find(|l| l.contains("dist-t0two"))
        .unwrap_or("");
    assert!(!other.contains("uninstalled"), "{screen}");
}
