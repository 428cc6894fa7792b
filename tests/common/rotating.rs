//! The rotating-token set-up shared by the tests that drive the built binary: a simulator
//! with the preset apps, a connection imported into a throwaway environment, and children.

use super::cli_env::Env;
use super::fault_refreshes;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use xox_domain::sim::presets::ROTATING_CLIENT_ID;
use xox_domain::sim::{FaultKind, Simulator};

/// An in-process simulator with the preset apps, whose rotating tokens live `lifetime` s.
pub async fn simulator(lifetime: i64) -> Simulator {
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    sim.with_world(|w| w.config.token_lifetime_secs = lifetime);
    sim
}

pub fn seed(sim: &Simulator, client_id: &str, team: &str) -> String {
    sim.with_world(|w| w.seed_install(client_id, Some((team, team)), "chat:write", "search:read"))
        .unwrap()
        .to_string()
}

/// An environment with app `acme` (rotating preset) and connection `conn` from `team`.
pub fn env_with_connection(sim: &Simulator, team: &str) -> Env {
    with_connection(Env::new(sim.base_url()), sim, team)
}

/// The same on the PostgreSQL server at `url`.
pub fn server_env_with_connection(sim: &Simulator, url: &str, team: &str) -> Env {
    with_connection(Env::on_server(url, sim.base_url()), sim, team)
}

fn with_connection(env: Env, sim: &Simulator, team: &str) -> Env {
    env.add_rotating_app();
    env.ok(
        &["import", "conn", "--app", "acme"],
        &seed(sim, ROTATING_CLIENT_ID, team),
    );
    env
}

pub fn spawn(env: &Env, args: &[&str]) -> Child {
    env.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

pub async fn wait(child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// Start `xox refresh conn --bot` with Slack never answering; return it once its request
/// has reached the simulator (it holds the lease then).
pub async fn refresher_waiting_on_slack(sim: &Simulator, env: &Env) -> Child {
    // The request is lost on the way, so the refresh token is not spent.
    fault_refreshes(sim, FaultKind::Blackhole, 1);
    let refresher = spawn(env, &["--http-timeout", "1", "refresh", "conn", "--bot"]);
    refresh_requests_reach(sim, 1).await;
    refresher
}

/// Wait until `count` refresh requests (`oauth.v2.access`) have reached the simulator.
pub async fn refresh_requests_reach(sim: &Simulator, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sim
        .counters()
        .calls
        .get("oauth.v2.access")
        .copied()
        .unwrap_or(0)
        < count
    {
        assert!(
            Instant::now() < deadline,
            "the refresh never reached the simulator"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `xox refresh conn --bot` (1 s HTTP timeout) to its end, which must be a success.
pub async fn refresh_bot(env: &Env) -> String {
    let out = wait(spawn(
        env,
        &["--http-timeout", "1", "refresh", "conn", "--bot"],
    ))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn signal(child: &Child, name: &str) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Start `count` processes of `xox ARGS` at once; each must succeed. Their outputs.
pub async fn all_at_once(env: &Env, count: usize, args: &[&str]) -> Vec<std::process::Output> {
    let children: Vec<Child> = (0..count).map(|_| spawn(env, args)).collect();
    let mut outputs = Vec::new();
    for child in children {
        let out = wait(child).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(out);
    }
    outputs
}
