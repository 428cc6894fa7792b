//! The many-process stampede shared by the stress test (one file) and the fleet proof
//! (hosts on one PostgreSQL store): worker processes, each with tasks that ask for every
//! connection's token as `xox token` does, and what their answers add up to.
//!
//! The test binary is its own worker: started with `XOX_STAMPEDE_WORKER` set, it plays one
//! process and prints `NAME DIGEST` per answer (`NAME -` for none, with the error on stderr).

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use xox_domain::rotation::{Need, RetryPolicy, Rotator, StoreHandle, Target};
use xox_domain::slack::{SlackClient, TokenKind};

const WORKER_ENV: &str = "XOX_STAMPEDE_WORKER";
/// Seeded tokens expire in a minute, inside this window; refreshed ones live 12 hours.
pub const WINDOW_SECS: i64 = 120;
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The start of a `harness = false` test binary named `name`: answers a listing, plays a
/// worker when started as one, and says whether the test itself is to run (`cargo test
/// NAME` passes NAME on).
pub fn should_run(name: &str) -> bool {
    if std::env::args().any(|a| a == "--list") {
        println!("{name}: test");
        return false;
    }
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        worker(&spec);
        return false;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// A runtime with two workers, as on the machines these tests run on, and the simulator
/// with the preset apps on it.
pub fn simulator() -> (tokio::runtime::Runtime, xox_domain::sim::Simulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(xox_domain::sim::Simulator::start(0))
        .unwrap();
    sim.add_preset_apps();
    (runtime, sim)
}

/// One worker process on the store at `location` (a file, or a URL with the key in
/// `XOX_KEY`; `{pid}` in it becomes the worker's process id, so that a PostgreSQL session's
/// `application_name` can name its process), with `tasks` tasks over `connections`
/// connections.
pub fn spawn_worker(
    location: &str,
    slack: &str,
    tasks: usize,
    connections: usize,
    process: usize,
    key: Option<&str>,
) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env(
            WORKER_ENV,
            format!("{location}\n{slack}\n{tasks}\n{connections}\n{process}"),
        )
        .env("XOX_KEYRING", "0")
        .env_remove("XOX_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("XOX_KEY", key);
    }
    command.spawn().unwrap()
}

/// Let every worker start asking at once: each has opened its store and waits for a line
/// on stdin (or its end).
pub fn release(children: &mut [Child]) {
    for child in children {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = std::io::Write::write_all(&mut stdin, b"go\n");
        }
    }
}

/// What the callers of a stampede were given.
#[derive(Default)]
pub struct Answers {
    pub answers: usize,
    /// `(connection, why)` for each caller given no token.
    pub without_token: Vec<(String, String)>,
    /// Per connection, the distinct tokens (by digest) the callers were given.
    pub tokens_seen: BTreeMap<String, BTreeSet<String>>,
    pub worker_errors: Vec<String>,
}

impl Answers {
    /// Add what one worker printed; `killed` workers' output is not theirs to answer for.
    pub fn add(&mut self, out: &Output) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut reasons: BTreeMap<&str, &str> = BTreeMap::new();
        for line in stderr.lines() {
            match line.split_once(": ") {
                Some((conn, why)) if conn.starts_with("conn-") => {
                    reasons.insert(conn, why);
                }
                _ => self.worker_errors.push(line.to_owned()),
            }
        }
        if !out.status.success() {
            self.worker_errors
                .push(format!("worker exited {}: {stderr}", out.status));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match line.split_once(' ') {
                Some((conn, digest)) if digest != "-" => {
                    self.answers += 1;
                    self.tokens_seen
                        .entry(conn.to_owned())
                        .or_default()
                        .insert(digest.to_owned());
                }
                Some((conn, _)) => self.without_token.push((
                    conn.to_owned(),
                    reasons.get(conn).copied().unwrap_or("?").to_owned(),
                )),
                None => self.worker_errors.push(format!("stray output: {line}")),
            }
        }
    }
}

/// One process: `tasks` tasks each ask for every connection's token, in an order of their
/// own, through one rotator, as a long-lived app does.
fn worker(spec: &str) {
    let fields: Vec<&str> = spec.lines().collect();
    let [location, base, tasks, connections, process] = fields[..] else {
        panic!("worker spec: {spec:?}");
    };
    let (tasks, connections, process): (usize, usize, usize) = (
        tasks.parse().unwrap(),
        connections.parse().unwrap(),
        process.parse().unwrap(),
    );
    // Current-thread, like the xox binary.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let location = location.replace("{pid}", &std::process::id().to_string());
    runtime.block_on(async move {
        let store =
            tokio::task::spawn_blocking(move || xox_domain::store::open(Path::new(&location)))
                .await
                .unwrap()
                .unwrap();
        let client = SlackClient::new(base, HTTP_TIMEOUT).unwrap();
        let rotator = std::rc::Rc::new(Rotator::new(
            StoreHandle::new(store),
            client,
            RetryPolicy::for_timeout(HTTP_TIMEOUT),
        ));
        let mut go = String::new();
        let _ = std::io::stdin().read_line(&mut go);
        let local = tokio::task::LocalSet::new();
        let mut handles = Vec::new();
        for task in 0..tasks {
            let rotator = rotator.clone();
            handles.push(local.spawn_local(async move {
                let mut lines = Vec::with_capacity(connections);
                for i in 0..connections {
                    let name = format!("conn-{:05}", (i + task * 7 + process * 3) % connections);
                    lines.push(ask(&rotator, &name).await);
                }
                lines
            }));
        }
        local
            .run_until(async {
                for handle in handles {
                    for line in handle.await.unwrap() {
                        println!("{line}");
                    }
                }
            })
            .await;
    });
}

async fn ask(rotator: &Rotator, name: &str) -> String {
    let lookup = name.to_owned();
    let conn = match rotator.store().read(move |s| s.connection(&lookup)).await {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("{name}: {e}");
            return format!("{name} -");
        }
    };
    match rotator
        .refresh_if(
            &Target::of(&conn, TokenKind::Bot),
            Need::ExpiresWithin(WINDOW_SECS),
        )
        .await
    {
        Ok(fresh) => {
            let digest = Sha256::digest(fresh.access.expose().as_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} {hex}")
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            format!("{name} -")
        }
    }
}
