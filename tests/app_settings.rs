//! `xox app set` and `xox app remove` on the built binary: apps can be corrected in place,
//! and settings Slack would refuse are refused when they are registered.

mod common;

use common::cli_env::{Env, one_line_error};
use serde_json::Value;
use xox_domain::sim::presets::{PRESET_SECRET, ROTATING_CLIENT_ID};

/// `xox app add pub --client-id 1.2 --pkce` followed by `more`.
fn add_public(env: &Env, more: &[&str]) -> std::process::Output {
    let mut args = vec!["app", "add", "pub", "--client-id", "1.2", "--pkce"];
    args.extend_from_slice(more);
    env.run(&args, "")
}

fn apps(env: &Env) -> Value {
    serde_json::from_str(&env.ok(&["app", "list", "--json"], "")).unwrap()
}

#[test]
fn pkce_with_bot_scopes_is_refused_when_registered_with_the_reason() {
    let env = Env::new("http://127.0.0.1:9");
    let err = one_line_error(
        &add_public(&env, &["--scopes", "chat:write"]),
        &["app", "add"],
    );
    assert!(err.contains("user scopes only"), "{err}");
    assert!(err.contains("drop --scopes chat:write"), "{err}");
    // Nothing was stored, so the fixed command goes through.
    assert!(
        add_public(&env, &["--user-scopes", "search:read"])
            .status
            .success()
    );
    let err = env.fails(&["app", "set", "pub", "--scopes", "chat:write"], "");
    assert!(err.contains("user scopes only"), "{err}");
}

#[test]
fn set_changes_an_app_in_place_and_keeps_its_secret_unless_given_one() {
    let env = Env::new("http://127.0.0.1:9");
    env.add_rotating_app();
    let err = env.fails(
        &[
            "app",
            "add",
            "acme",
            "--client-id",
            ROTATING_CLIENT_ID,
            "--pkce",
        ],
        "",
    );
    assert!(
        err.contains("`xox app set acme` changes its settings"),
        "{err}"
    );

    let out = env.ok(
        &[
            "app",
            "set",
            "acme",
            "--redirect-uri",
            "http://localhost:9911/cb",
            "--scopes",
            "chat:write,users:read",
            "--rotation",
            "--json",
        ],
        "",
    );
    let app: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(app["redirect_uri"], "http://localhost:9911/cb");
    assert_eq!(app["rotation"], true);
    assert_eq!(app["has_secret"], true, "the secret is kept");
    assert_eq!(
        app["bot_scopes"],
        serde_json::json!(["chat:write", "users:read"])
    );

    // A new secret comes from stdin with --secret, never from argv.
    let out = env.ok(
        &["app", "set", "acme", "--secret", "--json"],
        "new-secret\n",
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["has_secret"],
        true
    );

    // PKCE drops the secret; going back needs one.
    env.ok(
        &[
            "app",
            "set",
            "acme",
            "--pkce",
            "--scopes",
            "",
            "--user-scopes",
            "search:read",
        ],
        "",
    );
    assert_eq!(apps(&env)[0]["has_secret"], false);
    assert_eq!(apps(&env)[0]["pkce"], true);
    let err = env.fails(&["app", "set", "acme", "--no-pkce"], "");
    assert!(err.contains("needs its client secret"), "{err}");
    let mut cmd = env.command(&[
        "app",
        "set",
        "acme",
        "--no-pkce",
        "--secret",
        "--no-rotation",
    ]);
    cmd.env("XOX_CLIENT_SECRET", PRESET_SECRET);
    assert!(env.run_with(cmd, "").status.success());
    assert_eq!(apps(&env)[0]["pkce"], false);
    assert_eq!(apps(&env)[0]["rotation"], false);

    let err = env.fails(&["app", "set", "acme"], "");
    assert!(err.contains("nothing to change"), "{err}");
    let err = env.fails(
        &[
            "app",
            "set",
            "acme",
            "--redirect-uri",
            "http://example.com:1/cb",
        ],
        "",
    );
    assert!(err.contains("must look like http://localhost"), "{err}");
}

#[test]
fn remove_is_refused_while_connections_use_the_app_unless_forced() {
    let env = Env::new("http://127.0.0.1:9");
    env.add_rotating_app();
    env.ok(
        &[
            "import",
            "acme-prod",
            "--app",
            "acme",
            "--no-verify",
            "--bot",
        ],
        "xoxb-1-2-abcdefghijkl",
    );
    let err = env.fails(&["app", "remove", "acme"], "");
    assert!(err.contains("app acme is used by acme-prod"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(apps(&env).as_array().unwrap().len(), 1);

    let out = env.run(&["app", "remove", "acme", "--force"], "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed connections: acme-prod"));
    assert!(apps(&env).as_array().unwrap().is_empty());
    assert!(
        env.fails(&["show", "acme-prod"], "")
            .contains("no connection named")
    );
    // An app no connection uses goes without --force.
    env.add_rotating_app();
    env.ok(&["app", "remove", "acme"], "");
}

#[test]
fn the_manifest_always_states_pkce_and_rotation() {
    let env = Env::new("http://127.0.0.1:9");
    env.add_rotating_app();
    let manifest: Value = serde_json::from_str(&env.ok(&["app", "manifest", "acme"], "")).unwrap();
    assert_eq!(manifest["oauth_config"]["pkce_enabled"], false);
    assert_eq!(manifest["settings"]["token_rotation_enabled"], false);
}
