//! `xox import --from slack-sdk-sqlite|slack-sdk-files`: installations that the real
//! python-slack-sdk (from PyPI, scripts/sdk-venv.sh) kept in its two stores come over as
//! working connections, the latest per workspace and user, another app's left alone.

mod common;

use common::cli_env::Env;
use common::rotating::simulator;
use common::sdks::sdk_python;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sdk_stores_come_over_as_working_connections() {
    let Some(python) = sdk_python() else {
        return;
    };
    let sim = simulator(43_200).await;
    // Each store gets installs of its own: a refresh token works once, in one place.
    let stores = |teams: [&str; 2]| {
        let answers: Vec<Value> = teams
            .iter()
            .map(|team| {
                sim.with_world(|w| {
                    w.seed_install(
                        ROTATING_CLIENT_ID,
                        Some((team, team)),
                        "chat:write",
                        "search:read",
                    )
                })
                .unwrap()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let (db, files) = (dir.path().join("installs.db"), dir.path().join("installs"));
        let mut maker = Command::new(&python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/sdk_stores.py"
            ))
            .args([
                db.to_str().unwrap(),
                files.to_str().unwrap(),
                ROTATING_CLIENT_ID,
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        maker
            .stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(&answers).unwrap().as_bytes())
            .unwrap();
        assert!(maker.wait().unwrap().success());
        (dir, db, files)
    };
    let (_one, db, _) = stores(["T0ONE", "T0TWO"]);
    let (_two, _, files) = stores(["T0THREE", "T0FOUR"]);
    for (from, path) in [("slack-sdk-sqlite", &db), ("slack-sdk-files", &files)] {
        let env = Env::new(sim.base_url());
        env.add_rotating_app();
        let out = env.run(
            &[
                "import",
                "--from",
                from,
                path.to_str().unwrap(),
                "--app",
                "acme",
                "--json",
            ],
            "",
        );
        assert!(
            out.status.success(),
            "{from}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let imported = report["imported"].as_array().unwrap();
        assert_eq!(imported.len(), 2, "{from}: {report:#}");
        if from == "slack-sdk-sqlite" {
            assert_eq!(report["other_apps"], 1, "{report:#}");
        }
        for conn in imported {
            let name = conn["name"].as_str().unwrap();
            assert_eq!(conn["tokens"].as_array().unwrap().len(), 2, "{conn:#}");
            assert_eq!(conn["tokens"][0]["type"], "xoxe.xoxb", "{conn:#}");
            assert!(conn["tokens"][0]["expires_at"].is_string(), "{conn:#}");
            // The latest install's tokens: they work, and they rotate.
            env.ok(&["call", "auth.test", "--conn", name], "");
            env.ok(&["refresh", name], "");
            env.ok(
                &[
                    "call",
                    "search.messages",
                    "query=x",
                    "--conn",
                    name,
                    "--user",
                ],
                "",
            );
        }
        // Importing the same store again changes nothing, and a store of neither kind is
        // one clear line.
        env.ok(
            &[
                "import",
                "--from",
                from,
                path.to_str().unwrap(),
                "--app",
                "acme",
            ],
            "",
        );
        let err = env.fails(
            &[
                "import",
                "--from",
                "slack-sdk-sqlite",
                files.to_str().unwrap(),
                "--app",
                "acme",
            ],
            "",
        );
        assert!(
            err.contains("cannot open") || err.contains("not a python-slack-sdk"),
            "{err}"
        );
    }
}
