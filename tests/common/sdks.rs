//! The real Slack SDKs for the tests that drive them: python-slack-sdk from PyPI and
//! @slack/web-api from npm, each installed under target/ by its script. Without one, a test
//! fails in CI (`CI=true`) and is skipped with a notice elsewhere.

use super::cli_env::Env;
use std::process::Command;
use xox_domain::sim::Simulator;
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

/// Run an installing script; what it printed, or `None` (with the notice) when it failed.
fn installed(script: &str, what: &str) -> Option<String> {
    let out = Command::new(format!("{}/scripts/{script}", env!("CARGO_MANIFEST_DIR")))
        .output()
        .ok()?;
    if out.status.success() {
        return Some(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{what} could not be installed in CI: {why}"
    );
    eprintln!("skipped: {what} could not be installed: {why}");
    None
}

/// The python of the venv holding python-slack-sdk.
pub fn sdk_python() -> Option<String> {
    installed("sdk-venv.sh", "python-slack-sdk")
}

/// The folder holding node_modules/@slack/web-api; `None` also where node is missing.
pub fn node_sdk() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: node is not installed");
        return None;
    }
    installed("sdk-node.sh", "@slack/web-api")
}

/// An environment with app `acme` and connection `conn`, an install of `team` with these
/// bot scopes.
pub fn env_with_install(sim: &Simulator, team: &str, bot_scopes: &str) -> Env {
    let env = Env::new(sim.base_url());
    env.add_rotating_app();
    let install = sim
        .with_world(|w| w.seed_install(ROTATING_CLIENT_ID, Some((team, team)), bot_scopes, ""))
        .unwrap();
    env.ok(&["import", "conn", "--app", "acme"], &install.to_string());
    env
}

/// Run an SDK client script (`program` `args`…) to its end; the JSON it printed of what it saw.
pub fn run_client(program: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
