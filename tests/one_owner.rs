//! One owner per token chain: a token already held by one connection is refused to another
//! (or moved with `--replace`), checked by keyed digests under a unique index.

mod common;

use common::cli_env::Env;
use common::rotating::{seed, simulator};
use serde_json::Value;
use xox_domain::sim::presets::ROTATING_CLIENT_ID;

fn show(env: &Env, name: &str) -> Value {
    serde_json::from_str(&env.ok(&["show", name, "--json"], "")).unwrap()
}

/// A simulator, and a database holding one rotating install as `a1`; with its answer.
async fn imported_as_a1() -> (xox_domain::sim::Simulator, Env, String) {
    let sim = simulator(43_200).await;
    let env = Env::new(sim.base_url());
    env.add_rotating_app();
    let answer = seed(&sim, ROTATING_CLIENT_ID, "T0DUP");
    env.ok(&["import", "a1", "--app", "acme"], &answer);
    (sim, env, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_answer_imported_twice_is_refused_naming_the_owner() {
    let (_sim, env, dup) = imported_as_a1().await;
    let err = env.fails(&["import", "a2", "--app", "acme"], &dup);
    assert!(err.contains("already held by connection a1"), "{err}");
    assert!(err.contains("--replace"), "{err}");
    assert!(
        env.fails(&["show", "a2"], "")
            .contains("no connection named")
    );

    // Refused, the second owner cannot break the first: a1 refreshes and stays good.
    env.ok(&["refresh", "a1"], "");
    env.ok(&["token", "a1", "--within", "13h"], "");
    assert!(!env.ok(&["token", "a1"], "").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_moves_the_chain_and_leaves_an_event_where_it_was() {
    let (_sim, env, dup) = imported_as_a1().await;
    env.ok(&["import", "a2", "--app", "acme", "--replace"], &dup);
    assert_eq!(show(&env, "a1")["tokens"].as_array().unwrap().len(), 0);
    assert_eq!(show(&env, "a2")["tokens"].as_array().unwrap().len(), 2);
    let history = env.ok(&["history", "a1"], "");
    assert!(
        history.contains("moved") && history.contains("the token moved to connection a2"),
        "{history}"
    );
    env.ok(&["refresh", "a2"], "");
    env.ok(&["token", "a2", "--within", "13h"], "");
}

#[test]
fn a_bare_token_is_one_chain_too() {
    let env = Env::new("http://127.0.0.1:9");
    env.ok(
        &["import", "b1", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    let err = env.fails(
        &["import", "b2", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    assert!(
        err.contains("this bot token is already held by connection b1"),
        "{err}"
    );
    // The same token again under its own name is an update, not a second owner.
    env.ok(
        &["import", "b1", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
}

#[test]
fn the_database_keeps_digests_never_tokens_and_refuses_a_second_owner_itself() {
    if common::postgres::file_only("it reads the file with SQLite") {
        return;
    }
    let env = Env::new("http://127.0.0.1:9");
    env.ok(
        &["import", "b1", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    env.ok(
        &["import", "b2", "--no-verify", "--bot"],
        "xoxb-1-2-zzzzzzzzzzzz",
    );
    let db = rusqlite::Connection::open(env.db()).unwrap();
    let digest: Vec<u8> = db
        .query_row("SELECT access_digest FROM tokens t JOIN connections c ON c.id = t.connection_id WHERE c.name = 'b1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(digest.len(), 32);
    assert!(!digest.windows(6).any(|w| w == b"abcdef"));
    // Another process writing behind xox's back is stopped by the unique index.
    let err = db
        .execute(
            "UPDATE tokens SET access_digest = ?1 WHERE connection_id = (SELECT id FROM connections WHERE name = 'b2')",
            [&digest],
        )
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
}

#[test]
fn a_database_that_already_held_a_token_twice_says_so_once_when_upgraded() {
    if common::postgres::file_only("it rewrites the file as an older xox left it") {
        return;
    }
    let env = Env::new("http://127.0.0.1:9");
    env.ok(
        &["import", "old", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    // Make the state an older xox could leave: the first owner renamed, no digests, then
    // the same token imported again under the old name.
    {
        let db = rusqlite::Connection::open(env.db()).unwrap();
        db.execute_batch(
            "UPDATE connections SET name = 'older' WHERE name = 'old';
             UPDATE tokens SET access_digest = NULL, refresh_digest = NULL;",
        )
        .unwrap();
    }
    env.ok(
        &["import", "old", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute("DELETE FROM meta WHERE key = 'token_digests'", [])
        .unwrap();
    let out = env.run(&["list"], "");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("connections old and older hold the same bot token")
            && err.contains("xox remove older --yes"),
        "{err}"
    );
    let again = env.run(&["list"], "");
    assert!(
        String::from_utf8_lossy(&again.stderr).is_empty(),
        "said once"
    );
}
