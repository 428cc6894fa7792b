//! `xox token` and `xox --version` beside `/bin/true`, timed in the same run: the ratios.

#[path = "seed.rs"]
mod seed;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds of the three commands, taken in turn so that the machine's drift falls on all.
const ROUNDS: usize = 600;
const CONNECTIONS: usize = 2_000;
const TARGET: &str = "conn-01000";

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let mut world = xox_domain::sim::World::default();
    for (app, _) in xox_domain::sim::presets::preset_apps() {
        world.register_app(app);
    }
    drop(seed::seed_connections(&mut world, &db, CONNECTIONS));
    // XOX_BENCH_KEEP=DIR leaves the seeded store there, for a profiler, and stops.
    if let Some(keep) = std::env::var_os("XOX_BENCH_KEEP") {
        for file in ["bench.db", "bench.db.key"] {
            std::fs::copy(dir.path().join(file), Path::new(&keep).join(file)).unwrap();
        }
        println!("seeded {}", Path::new(&keep).join("bench.db").display());
        return;
    }
    // Both programs run from the same folder: a binary's place alone (target/ against
    // /tmp) has been seen to move its start by a third.
    let floor = copied(Path::new("/bin/true"), dir.path());
    // XOX_BENCH_BIN times another build (an older one) on the same setup.
    let built = std::env::var("XOX_BENCH_BIN").unwrap_or(env!("CARGO_BIN_EXE_xox").into());
    let xox = copied(Path::new(&built), dir.path());
    // `xox` hands what it does not answer itself to `xox-full` beside it (an older build
    // has none).
    let full = Path::new(&built).with_file_name("xox-full");
    if full.exists() {
        copied(&full, dir.path());
    }
    let state = dir.path().join("state");
    let run = |program: &Path, args: &[&str]| {
        let started = Instant::now();
        let status = Command::new(program)
            .args(args)
            .env("XOX_DB", &db)
            .env("XDG_STATE_HOME", &state)
            .env_remove("XOX_KEY")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        let took = started.elapsed();
        assert!(status.success(), "{} {args:?} failed", program.display());
        took
    };
    for _ in 0..20 {
        run(&floor, &[]);
        run(&xox, &["--version"]);
        run(&xox, &["token", TARGET]);
    }
    let (mut floors, mut versions, mut tokens) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        floors.push(run(&floor, &[]));
        versions.push(run(&xox, &["--version"]));
        tokens.push(run(&xox, &["token", TARGET]));
    }
    let floor = median(&mut floors);
    let version = median(&mut versions);
    let token = median(&mut tokens);
    println!("medians of {ROUNDS} runs each, taken in turn ({CONNECTIONS} connections):");
    println!("  /bin/true       {:>7.3} ms", ms(floor));
    println!(
        "  xox --version   {:>7.3} ms  {:.2}× /bin/true (goal: at most 1.5×)",
        ms(version),
        ratio(version, floor)
    );
    println!(
        "  xox token CONN  {:>7.3} ms  {:.2}× /bin/true (goal: at most 2×)",
        ms(token),
        ratio(token, floor)
    );
}

fn copied(program: &Path, dir: &Path) -> PathBuf {
    let to = dir.join(program.file_name().unwrap());
    std::fs::copy(program, &to).unwrap();
    to
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
