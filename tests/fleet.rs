//! The fleet proof: hosts sharing one PostgreSQL store, each a group of worker processes
//! logging in as a role of its own, ask for the same rotating tokens as they all enter the
//! refresh window, while Slack takes 300 ms per refresh. Round by round, refresh-lock
//! holders are SIGKILLed mid-refresh at random, or the server is restarted mid-round.
//!
//! Required, and asserted: exactly one refresh is granted by Slack per due token per round;
//! no refresh token is spent twice except by a taker after a holder was killed once Slack
//! had rotated (Slack makes that token unrecoverable), and every such token is flagged
//! needs_reauth with its reason; every other caller gets a working token; a killed holder's
//! lock is taken over within a second; a restart loses nothing and spends nothing twice. `XOX_FLEET_HOSTS`, `_PROCESSES` (per host), `_TASKS`
//! and `_CONNECTIONS` change the size.

mod common;
#[path = "../benches/seed.rs"]
mod seed;

use common::postgres::Postgres;
use common::stampede::{self, Answers};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Child;
use std::time::{Duration, Instant};
use xox_domain::sim::{FaultKind, Simulator};
use xox_domain::slack::{SlackClient, TokenKind};
use xox_domain::store::postgres::PostgresStore;
use xox_domain::store::{ConnectionStore, TokenStore};

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SCHEMA: &str = "fleet";
const KILLS_PER_ROUND: usize = 3;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(format!("XOX_FLEET_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Upset {
    /// SIGKILL refresh-lock holders mid-refresh.
    KillHolders,
    /// `pg_ctl restart` while refreshes are in flight.
    RestartServer,
}

fn main() {
    if !stampede::should_run("fleet") {
        return;
    }
    let Some(pg) = Postgres::start() else { return };
    let hosts = setting("HOSTS", 4);
    let processes = setting("PROCESSES", 25);
    let tasks = setting("TASKS", 2);
    let connections = setting("CONNECTIONS", 20);
    let (runtime, sim) = stampede::simulator();
    let store_url = format!("{}&schema={SCHEMA}", pg.url());
    let mut admin = admin(&pg);
    for host in 1..=hosts {
        admin
            .batch_execute(&format!("CREATE ROLE host_{host} LOGIN SUPERUSER"))
            .unwrap();
    }
    seed_store(&sim, &store_url, connections);
    common::fault_refreshes(&sim, FaultKind::Delay { ms: 300 }, 100_000);

    let mut lost: BTreeSet<String> = BTreeSet::new();
    let mut takeovers: Vec<Duration> = Vec::new();
    for (round, upset) in [Upset::KillHolders, Upset::RestartServer, Upset::KillHolders]
        .into_iter()
        .enumerate()
    {
        let round = round + 1;
        if round > 1 {
            admin = admin_connected(admin, &pg);
            admin
                .execute(
                    "UPDATE fleet.tokens SET expires_at = extract(epoch FROM now())::bigint + 60 WHERE status = 'ok'",
                    &[],
                )
                .unwrap();
        }
        // What each token's generation is as the round starts: a lock holder whose token
        // is still at it is refreshing (a waiter that finds it moved only looks).
        admin
            .batch_execute(
                "DROP TABLE IF EXISTS round_start;
                 CREATE TABLE round_start AS SELECT connection_id, generation FROM fleet.tokens WHERE kind = 'bot'",
            )
            .unwrap();
        let due: BTreeSet<String> = admin
            .query(
                "SELECT c.team_id FROM fleet.tokens t JOIN fleet.connections c ON c.id = t.connection_id WHERE t.status = 'ok'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let before = sim.counters();
        let started = Instant::now();
        let mut children: Vec<Child> = Vec::new();
        for host in 1..=hosts {
            let url = pg.url().replace("xox@", &format!("host_{host}@"))
                + &format!("&schema={SCHEMA}&application_name=host{host}-{{pid}}");
            for p in 0..processes {
                children.push(stampede::spawn_worker(
                    &url,
                    sim.base_url(),
                    tasks,
                    connections,
                    host * processes + p,
                    Some(KEY),
                ));
            }
        }
        // All at once, as when a fleet's tokens enter the refresh window together.
        while !all_connected(&mut admin, children.len()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        stampede::release(&mut children);
        let watch = upset_while_running(&pg, &mut children, upset);
        admin = admin_connected(admin, &pg);
        let mut callers = Answers::default();
        for child in children {
            let pid = child.id();
            let out = child.wait_with_output().unwrap();
            if !watch.killed.contains(&pid) {
                callers.add(&out);
            }
        }
        let after = sim.counters();
        let grants: BTreeMap<String, u64> = after
            .refreshes
            .iter()
            .map(|(slot, n)| {
                (
                    slot.clone(),
                    n - before.refreshes.get(slot).copied().unwrap_or(0),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let spent_twice = after.invalid_refresh_token - before.invalid_refresh_token;
        let flagged: BTreeMap<String, String> = admin
            .query(
                "SELECT c.name, coalesce(t.status_reason, '') FROM fleet.tokens t JOIN fleet.connections c ON c.id = t.connection_id WHERE t.status = 'needs_reauth'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let newly_lost: Vec<&String> = flagged.keys().filter(|c| !lost.contains(*c)).collect();
        println!(
            "fleet round {round} ({upset:?}): {hosts} hosts x {processes} processes x {tasks} tasks x {connections} connections, Slack +300 ms: \
             {} due, {} refreshed at Slack (max {} per token), {} refresh tokens spent twice, {} holders killed, {} taken over (slowest {} ms), \
             {} callers served, {} without a token ({} of them on tokens flagged needs_reauth), {} newly flagged, {:.2}s",
            due.len(),
            grants.len(),
            grants.values().max().copied().unwrap_or(0),
            spent_twice,
            watch.killed.len(),
            watch.takeovers.len(),
            watch.takeovers.iter().max().map_or(0, Duration::as_millis),
            callers.answers,
            callers.without_token.len(),
            callers
                .without_token
                .iter()
                .filter(|(c, _)| flagged.contains_key(c))
                .count(),
            newly_lost.len(),
            started.elapsed().as_secs_f64(),
        );

        assert!(
            callers.worker_errors.is_empty(),
            "{:?}",
            callers.worker_errors
        );
        assert!(
            grants.values().all(|n| *n == 1),
            "one refresh per token: {grants:?}"
        );
        let refreshed_teams: BTreeSet<String> = grants
            .keys()
            .map(|slot| slot.split('/').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(refreshed_teams, due, "every due token refreshed once");
        for (conn, why) in &callers.without_token {
            assert!(
                flagged.contains_key(conn),
                "{conn}: a caller got no token and the token is not flagged: {why}"
            );
        }
        for (conn, reason) in &flagged {
            assert!(
                !reason.is_empty(),
                "{conn} is flagged needs_reauth without a reason"
            );
        }
        match upset {
            Upset::RestartServer => {
                assert!(watch.restarted, "the server was restarted mid-round");
                assert_eq!(
                    spent_twice, 0,
                    "a restart makes no refresh token spent twice"
                );
                assert!(
                    newly_lost.is_empty(),
                    "a restart loses no token: {newly_lost:?}"
                );
            }
            Upset::KillHolders => {
                assert!(!watch.killed.is_empty(), "holders were killed");
                // A refresh token is spent twice only by a taker after its holder was
                // killed once Slack had rotated (a taker killed too makes it twice; a
                // worker holds up to `tasks` locks, all lost with it), and every token
                // lost so was first tried that way.
                assert!(
                    spent_twice as usize <= watch.killed.len() * tasks,
                    "spent twice without a kill"
                );
                assert!(
                    newly_lost.len() <= spent_twice as usize,
                    "flagged without being tried"
                );
                for kill in &watch.kills {
                    assert!(
                        kill.taken_over || saved_by(&mut admin, kill),
                        "holder {} was killed mid-refresh and its lock never taken over",
                        kill.pid
                    );
                }
            }
        }
        takeovers.extend(&watch.takeovers);
        lost.extend(flagged.into_keys());
        runtime.block_on(assert_stored_tokens_work(&sim, &store_url, &lost));
    }
    let slowest = takeovers.iter().max().copied().unwrap_or_default();
    println!(
        "fleet: {} takeovers after SIGKILL, slowest {} ms; {} token(s) flagged needs_reauth in all",
        takeovers.len(),
        slowest.as_millis(),
        lost.len()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a takeover took {slowest:?}"
    );
}

/// Whether the killed holder had stored its new pair (and so freed its lock) before the
/// signal landed: then nothing was left to take over.
fn saved_by(admin: &mut postgres::Client, kill: &Kill) -> bool {
    admin
        .query_one(
            "SELECT EXISTS (
                 SELECT 1 FROM fleet.events e
                 WHERE e.pid = $1 AND e.outcome = 'ok' AND e.token_kind = 'bot'
                   AND hashtextextended('xox refresh fleet ' || e.connection_id || ' bot', 0) = $2)",
            &[&i64::from(kill.pid), &kill.key],
        )
        .unwrap()
        .get(0)
}

fn admin(pg: &Postgres) -> postgres::Client {
    postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap()
}

/// The admin session, opened again if a restart closed it.
fn admin_connected(mut admin: postgres::Client, pg: &Postgres) -> postgres::Client {
    if admin.simple_query("SELECT 1").is_ok() {
        admin
    } else {
        self::admin(pg)
    }
}

/// `connections` due tokens, seeded in a file from the simulator and moved to the server
/// with `xox db copy`.
fn seed_store(sim: &Simulator, url: &str, connections: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.db");
    sim.with_world(|w| w.config.token_lifetime_secs = 60);
    sim.with_world(|w| drop(seed::seed_connections(w, &file, connections)));
    sim.with_world(|w| w.config.token_lifetime_secs = 43_200);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xox"))
        .args([
            "db",
            "copy",
            "--from",
            &file.display().to_string(),
            "--to",
            url,
        ])
        .env("XOX_KEY", KEY)
        .env("XOX_KEYRING", "0")
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Default)]
struct Watch {
    killed: BTreeSet<u32>,
    /// The lock key each killed holder held, and whether (and how soon) another took it.
    kills: Vec<Kill>,
    takeovers: Vec<Duration>,
    restarted: bool,
}

struct Kill {
    pid: u32,
    key: i64,
    taken_over: bool,
}

/// Watch the refresh locks until every worker has exited, upsetting the round meanwhile:
/// SIGKILL a random holder now and then (up to [`KILLS_PER_ROUND`]) and time until another
/// session holds its lock, or restart the server once refreshes are in flight.
fn upset_while_running(pg: &Postgres, children: &mut [Child], upset: Upset) -> Watch {
    let mut watch = Watch::default();
    let mut admin = admin(pg);
    let mut dice = seed_dice();
    let mut pending: Vec<(i64, String, Instant)> = Vec::new();
    // Seen in two polls running: holding through Slack's answer, not just taking the lock.
    let mut seen_before: Vec<(i64, String)> = Vec::new();
    loop {
        let running = children
            .iter_mut()
            .map(|c| c.try_wait().ok().flatten().is_none())
            .filter(|running| *running)
            .count();
        if running == 0 {
            return watch;
        }
        // Holders of a refresh lock whose token has not moved this round: refreshers.
        let holders: Vec<(i64, String)> = match admin.query(
            "SELECT k.key, k.application_name FROM (
                 SELECT (l.classid::bigint << 32) | l.objid::bigint AS key, a.application_name
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'host%') k
             WHERE EXISTS (
                 SELECT 1 FROM round_start r JOIN fleet.tokens t USING (connection_id)
                 WHERE t.kind = 'bot' AND t.generation = r.generation
                   AND hashtextextended('xox refresh fleet ' || r.connection_id || ' bot', 0) = k.key)",
            &[],
        ) {
            Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
            Err(_) => {
                admin = admin_connected(admin, pg);
                continue;
            }
        };
        pending.retain(|(key, name, at)| {
            let taken = holders.iter().any(|(k, n)| k == key && n != name);
            if taken {
                watch.takeovers.push(at.elapsed());
                for kill in watch.kills.iter_mut().filter(|k| k.key == *key) {
                    kill.taken_over = true;
                }
            }
            !taken
        });
        match upset {
            Upset::KillHolders if watch.killed.len() < KILLS_PER_ROUND => {
                let refreshing: Vec<&(i64, String)> =
                    holders.iter().filter(|h| seen_before.contains(h)).collect();
                if !refreshing.is_empty() && next(&mut dice).is_multiple_of(3) {
                    let (key, name) = refreshing[next(&mut dice) as usize % refreshing.len()];
                    let pid: u32 = name.rsplit('-').next().unwrap().parse().unwrap();
                    if watch.killed.insert(pid) {
                        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                        pending.push((*key, name.clone(), Instant::now()));
                        watch.kills.push(Kill {
                            pid,
                            key: *key,
                            taken_over: false,
                        });
                    }
                }
            }
            Upset::RestartServer
                if !watch.restarted
                    && !holders.is_empty()
                    && all_connected(&mut admin, children.len()) =>
            {
                std::thread::sleep(Duration::from_millis(100));
                pg.restart();
                watch.restarted = true;
                admin = admin_connected(admin, pg);
            }
            _ => {}
        }
        seen_before = holders;
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether every worker has opened its store (and waits to be released).
fn all_connected(admin: &mut postgres::Client, workers: usize) -> bool {
    admin
        .query_one(
            "SELECT count(DISTINCT application_name) FROM pg_stat_activity WHERE application_name LIKE 'host%'",
            &[],
        )
        .is_ok_and(|r| r.get::<_, i64>(0) as usize >= workers)
}

fn seed_dice() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) | 1
}

/// xorshift64: enough to pick victims and moments.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Every token not flagged is the one Slack now accepts.
async fn assert_stored_tokens_work(sim: &Simulator, url: &str, flagged: &BTreeSet<String>) {
    let url = url.to_owned();
    let tokens = tokio::task::spawn_blocking(move || {
        let store = PostgresStore::open_with_key(&url, Some(KEY)).unwrap();
        store
            .connections()
            .unwrap()
            .into_iter()
            .map(|c| {
                let token = store.access_token(&c.id, TokenKind::Bot).unwrap();
                (c.name, token)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let client = SlackClient::new(sim.base_url(), Duration::from_secs(10)).unwrap();
    for (name, token) in tokens {
        if flagged.contains(&name) {
            continue;
        }
        let answer = client.call("auth.test", &token, &[]).await;
        assert!(answer.is_ok(), "{name}: stored token refused: {answer:?}");
    }
}
