//! The PostgreSQL backend on a real server started for the test.

mod common;

use common::postgres::Postgres;
use xox_domain::store::{Backend, RefreshLock};

#[test]
fn a_throwaway_cluster_starts_and_takes_connections() {
    let Some(pg) = Postgres::start() else { return };
    let mut client = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    let row = client.query_one("SELECT 1 + 1", &[]).unwrap();
    assert_eq!(row.get::<_, i32>(0), 2);
    pg.restart();
    let mut again = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    assert!(again.query_one("SELECT version()", &[]).is_ok());
}

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const OTHER_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

#[test]
fn a_new_store_gets_its_schema_once_and_refuses_another_key_and_a_newer_schema() {
    use xox_domain::store::StoreError;
    use xox_domain::store::postgres::PostgresStore;
    let Some(pg) = Postgres::start() else { return };
    let url = format!("{}&schema=fleet", pg.url());
    let mut store = PostgresStore::open_with_key(&url, Some(KEY)).unwrap();
    let notices = store.take_notices();
    assert!(
        notices[0].contains("created a new xox database"),
        "{notices:?}"
    );
    assert!(!store.location().contains("password"));
    let mut again = PostgresStore::open_with_key(&url, Some(KEY)).unwrap();
    assert!(again.take_notices().is_empty());

    let wrong = PostgresStore::open_with_key(&url, Some(OTHER_KEY))
        .err()
        .unwrap();
    assert!(matches!(wrong, StoreError::WrongKey(_)), "{wrong}");
    let missing = PostgresStore::open_with_key(&url, None).err().unwrap();
    assert!(missing.to_string().contains("XOX_KEY"), "{missing}");

    let mut admin = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    let version = |admin: &mut postgres::Client| -> i64 {
        admin
            .query_one("SELECT max(version) FROM fleet.schema_version", &[])
            .unwrap()
            .get(0)
    };
    let newer_version = version(&mut admin) + 1;
    admin
        .batch_execute("UPDATE fleet.schema_version SET version = version + 1")
        .unwrap();
    let newer = PostgresStore::open_with_key(&url, Some(KEY)).err().unwrap();
    assert!(newer.to_string().contains("newer xox"), "{newer}");
    assert_eq!(
        version(&mut admin),
        newer_version,
        "a newer schema is left as it was"
    );

    let down = PostgresStore::open_with_key("postgres://xox@127.0.0.1:1/postgres", Some(KEY))
        .err()
        .unwrap();
    assert!(
        down.to_string()
            .starts_with("PostgreSQL at postgres://127.0.0.1:1/postgres"),
        "{down}"
    );
}

/// TLS over rustls: `require` encrypts, `verify-ca` and `verify-full` check the server's
/// certificate against `sslrootcert` (the name too, for `verify-full`); the server refuses
/// sessions without TLS, so each success here went over it.
#[test]
fn tls_sessions_check_the_server_as_sslmode_says() {
    use xox_domain::store::postgres::PostgresStore;
    let Some((pg, ca_pem)) = Postgres::start_tls_only() else {
        return;
    };
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), ca_pem).unwrap();
    let ca = ca.path().display();
    let at = |host: &str, params: &str| {
        pg.url()
            .replace("127.0.0.1", host)
            .replace("sslmode=disable", params)
    };
    let opens = |url: String| PostgresStore::open_with_key(&url, Some(KEY)).map(drop);

    let plain = opens(pg.url()).err().unwrap();
    assert!(plain.to_string().contains("no encryption"), "{plain}");
    opens(at("127.0.0.1", "sslmode=require")).expect("require encrypts without checking");
    opens(at(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .expect("verify-full: the CA signed it for localhost");
    opens(at(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    ))
    .expect("verify-ca: the CA signed it, whatever the name");

    let wrong_name = opens(at(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .err()
    .unwrap();
    assert!(
        wrong_name.to_string().contains("not valid for"),
        "{wrong_name}"
    );
    let unknown_ca = opens(at("localhost", "sslmode=verify-full")).err().unwrap();
    assert!(
        unknown_ca
            .to_string()
            .starts_with("PostgreSQL at postgres://localhost"),
        "{unknown_ca}"
    );
    assert!(
        unknown_ca.to_string().contains("sslrootcert=PATH"),
        "{unknown_ca}"
    );
}

/// The everyday commands on a store on the server: register an app, import an install,
/// hand out and refresh its tokens, list it, remove it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_works_the_same_on_a_server() {
    use common::rotating::{server_env_with_connection, simulator};
    let Some(pg) = Postgres::start() else { return };
    let sim = simulator(43_200).await;
    let env = server_env_with_connection(&sim, &pg.url(), "T0PG");
    let token = env.ok(&["token", "conn"], "");
    assert!(token.trim().starts_with("xoxe.xoxb-"), "{token}");
    env.ok(&["refresh", "conn", "--bot"], "");
    let fresh = env.ok(&["token", "conn"], "");
    assert_ne!(fresh, token, "the refreshed token is the one handed out");
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(listed[0]["name"], "conn", "{listed}");
    let history = env.ok(&["history", "conn"], "");
    assert!(history.contains("refresh"), "{history}");

    // Nothing secret reaches the server in clear text.
    let url = pg.url();
    let dump: String = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .query_one(
                "SELECT string_agg(encode(access_token, 'escape') || coalesce(encode(refresh_token, 'escape'), ''), '') FROM xox.tokens",
                &[],
            )
            .unwrap()
            .get(0)
    })
    .await
    .unwrap();
    assert!(!dump.contains(fresh.trim()), "tokens are sealed");

    env.ok(&["remove", "conn", "--yes"], "");
    assert!(
        env.fails(&["token", "conn"], "")
            .contains("no connection named")
    );
}

/// A mistyped schema is not a new store: a command that uses a store refuses it and makes
/// nothing; one that starts a store (import) makes it.
#[test]
fn a_mistyped_schema_is_refused_not_made() {
    let Some(pg) = Postgres::start() else { return };
    let env = common::cli_env::Env::on_server(
        &format!("{}&schema=typo2", pg.url()),
        "http://127.0.0.1:9",
    );
    for command in [
        &["token", "x"][..],
        &["list"],
        &["proxy", "key", "list"],
        &["watch"],
    ] {
        let err = env.fails(command, "");
        assert!(
            err.contains("no xox store in schema typo2"),
            "{command:?}: {err}"
        );
    }
    let mut admin = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    let made: bool = admin
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'typo2')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!made, "nothing was made on the server");
    let out = env.run(
        &["import", "a", "--no-verify", "--bot"],
        "xoxb-1-2-abcdefghijkl",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.ok(&["list"], "").contains('a'));
}

/// The dashboard's change feed on a server is pushed: another process's commit reaches it
/// within a second (here, the listener's own session hears the server's NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_commit_reaches_a_watcher_at_once() {
    use common::cli_env::Env;
    use common::rotating::simulator;
    use std::time::{Duration, Instant};
    use xox::engine::{Engine, Settings};
    use xox_domain::store::postgres::PostgresStore;
    let Some(pg) = Postgres::start() else { return };
    let sim = simulator(43_200).await;
    let env = Env::on_server(&pg.url(), sim.base_url());
    // The store is made by the watcher's own opening, below.
    let url = pg.url();
    let store = tokio::task::spawn_blocking(move || PostgresStore::open_with_key(&url, Some(KEY)))
        .await
        .unwrap()
        .unwrap();
    let engine = std::sync::Arc::new(Engine::with_backend(
        Box::new(store),
        Settings {
            db: pg.url().into(),
            slack_url: sim.base_url().to_owned(),
            http_timeout: Duration::from_secs(5),
            window: xox_domain::rotation::DEFAULT_WINDOW,
            stop: Default::default(),
        },
    ));
    let (heard, mut hearing) = tokio::sync::mpsc::unbounded_channel();
    let _watch = engine.watch_changes(move || {
        let _ = heard.send(Instant::now());
    });
    // The listener's first tick (it cannot know what happened before it listened).
    tokio::time::timeout(Duration::from_secs(5), hearing.recv())
        .await
        .expect("the listener connects");
    tokio::time::sleep(Duration::from_millis(300)).await;
    while hearing.try_recv().is_ok() {}

    let committed = tokio::task::spawn_blocking(move || {
        env.add_rotating_app();
        Instant::now()
    })
    .await
    .unwrap();
    let at = tokio::time::timeout(Duration::from_secs(1), hearing.recv())
        .await
        .expect("heard within a second")
        .unwrap();
    eprintln!(
        "heard {} ms after the committing process ended",
        at.saturating_duration_since(committed).as_millis()
    );
}

/// The refresh lock across a holder's death and a server restart: a holder whose session
/// died is taken over at once, but one that may have lived through a restart is waited
/// for (until its TTL), since it may still be saving the pair Slack gave it, unless it is
/// the very taker asking.
#[test]
fn a_dead_holder_is_taken_over_at_once_and_a_restart_does_not_free_a_live_one() {
    use std::time::Duration;
    use xox_domain::slack::TokenKind::Bot;
    use xox_domain::store::Lease;
    use xox_domain::store::postgres::PostgresStore;
    let Some(pg) = Postgres::start() else { return };
    let url = format!("{}&schema=locks", pg.url());
    let open = || PostgresStore::open_with_key(&url, Some(KEY)).unwrap();
    let ttl = Duration::from_secs(60);
    let (mut first, mut second) = (open(), open());

    assert_eq!(
        first.try_lease("c1", Bot, "m:1:a", ttl).unwrap(),
        Lease::Taken
    );
    assert_eq!(
        second.try_lease("c1", Bot, "m:2:b", ttl).unwrap(),
        Lease::Busy
    );
    pg.restart();
    // Every lock went with the restart, but the holder may be alive: still busy.
    assert_eq!(
        second.try_lease("c1", Bot, "m:2:b", ttl).unwrap(),
        Lease::Busy
    );
    first.release_lease("c1", Bot, "m:1:a").unwrap();
    assert_eq!(
        second.try_lease("c1", Bot, "m:2:b", ttl).unwrap(),
        Lease::Taken
    );

    // The holder dies: its session ends, and the next taker is told whose lease it took.
    drop(second);
    let mut third = open();
    assert_eq!(
        third.try_lease("c1", Bot, "m:3:c", ttl).unwrap(),
        Lease::TakenFromGone("m:2:b".into())
    );

    // A lease from before a restart whose TTL has run out is taken too.
    third.try_lease("c2", Bot, "m:3:c", Duration::ZERO).unwrap();
    pg.restart();
    let mut fourth = open();
    assert_eq!(
        fourth.try_lease("c2", Bot, "m:4:d", ttl).unwrap(),
        Lease::TakenFromGone("m:3:c".into())
    );

    // A row a taker left itself before a restart (an attempt whose end the restart cut
    // off) does not make that taker wait for itself; anyone else still waits.
    assert_eq!(
        fourth.try_lease("c3", Bot, "m:4:d", ttl).unwrap(),
        Lease::Taken
    );
    pg.restart();
    let (mut fifth, mut sixth) = (open(), open());
    assert_eq!(
        fifth.try_lease("c3", Bot, "m:5:e", ttl).unwrap(),
        Lease::Busy
    );
    assert_eq!(
        sixth.try_lease("c3", Bot, "m:4:d", ttl).unwrap(),
        Lease::Taken
    );
}

/// A lease attempt whose row landed while its answer was lost (the server went away right
/// after committing it), by a caller that then finds the token refreshed by another host,
/// leaves no row behind. Left, the row would name a holder from before the restart, and
/// every taker after it would wait out its TTL (about a minute) for a holder that is not
/// refreshing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_row_whose_answer_was_lost_is_not_left_behind() {
    use common::cli_env::Env;
    use common::relay::Relay;
    use common::rotating::{server_env_with_connection, simulator};
    let Some(pg) = Postgres::start() else { return };
    // Tokens live a minute: every one is inside the refresh window.
    let sim = simulator(60).await;
    let here = server_env_with_connection(&sim, &pg.url(), "T0LOST");
    let relay = Relay::start(pg.port);
    let there = Env::on_server(&pg.url_on_port(relay.port()), sim.base_url());
    relay.hold("pg_try_advisory_xact_lock");
    relay.lose_answer_to("INSERT INTO refreshing");
    let waiter = there
        .command(&["token", "conn"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The waiter has read the token as due and asks for the lock; meanwhile this host
    // refreshes it.
    relay.wait_held();
    here.ok(&["refresh", "conn", "--bot"], "");
    let refreshed = here.ok(&["token", "conn"], "");
    relay.pass();
    let out = tokio::task::spawn_blocking(move || waiter.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(relay.answers_lost(), 1, "the lease's row went unanswered");
    assert_eq!(String::from_utf8_lossy(&out.stdout), refreshed);
    let url = pg.url();
    let rows: i64 = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .query_one("SELECT count(*) FROM xox.refreshing", &[])
            .unwrap()
            .get(0)
    })
    .await
    .unwrap();
    assert_eq!(rows, 0, "no refresh-lock row is left behind");
}

/// `xox token` started while the server is restarting waits for it, as its reads do,
/// rather than failing at once with "Connection refused".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_started_while_the_server_restarts_waits_for_it() {
    let Some(pg) = Postgres::start() else { return };
    let sim = common::rotating::simulator(43_200).await;
    let url = format!("{}&schema=restarting", pg.url());
    let env = common::rotating::server_env_with_connection(&sim, &url, "T0RESTART");
    let back = pg.down_for(std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    let token = env.ok(&["token", "conn"], "");
    assert!(token.starts_with("xoxe.xoxb-"), "{token}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the server was down: {:?}",
        started.elapsed()
    );
    back.join().unwrap();
}
