//! The dashboard with 10,000 connections: time to the first frame and per redraw (loading,
//! `update` and `view` as the binary does them), and the real binary's memory and CPU while
//! idle in tmux for 30 s. Prints numbers; asserts none.

#[path = "first_frame.rs"]
mod first_frame;
#[path = "seed.rs"]
mod seed;

use std::process::Command;
use std::time::{Duration, Instant};
use xox::tui::app::Msg;
use xox_domain::store::{SqliteStore, now_unix};

const CONNECTIONS: usize = 10_000;

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn idle_in_tmux(db: &std::path::Path, state: &std::path::Path) {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("idle CPU: skipped (no tmux)");
        return;
    }
    let socket = format!("xox-bench-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap()
    };
    let command = format!(
        "XDG_STATE_HOME={} XOX_KEYRING=0 XOX_DB={} exec {}",
        state.display(),
        db.display(),
        env!("CARGO_BIN_EXE_xox")
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    let started = Instant::now();
    let pid = loop {
        let out = tmux(&["list-panes", "-t", "bench", "-F", "#{pane_pid}"]);
        let screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "bench"]).stdout)
            .into_owned();
        if screen.contains("connections (10000)") {
            break String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u32>()
                .unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the dashboard never showed:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    println!(
        "real binary: dashboard on screen {:.0} ms after launch (tmux polling, ±20 ms)",
        started.elapsed().as_secs_f64() * 1000.0
    );
    std::thread::sleep(Duration::from_secs(2));
    let (before, rss) = (cpu_ticks(pid).unwrap(), rss_kib(pid).unwrap());
    std::thread::sleep(Duration::from_secs(30));
    let after = cpu_ticks(pid).unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let ticks_per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (after - before) as f64 / ticks_per_sec;
    println!(
        "real binary idle 30 s: {cpu:.2} s CPU ({:.2}%), RSS {:.1} MiB",
        cpu / 30.0 * 100.0,
        rss as f64 / 1024.0
    );
    tmux(&["kill-server"]);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dashboard.db");
    let mut world = xox_domain::sim::World::default();
    for (app, _) in xox_domain::sim::presets::preset_apps() {
        world.register_app(app);
    }
    drop(seed::seed_connections(&mut world, &db, CONNECTIONS));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut app, mut terminal, first, loaded) = first_frame::first_frame(&runtime, &db, || {
        Box::new(SqliteStore::open_with_key(&db, None).unwrap())
    });
    println!(
        "first frame with {CONNECTIONS} connections: {:.1} ms (loading from SQLite {:.1} ms)",
        first.as_secs_f64() * 1000.0,
        loaded.as_secs_f64() * 1000.0
    );
    let rounds = 500;
    let started = Instant::now();
    for i in 0..rounds {
        xox::tui::update::update(&mut app, Msg::Tick, now_unix());
        if i % 50 == 0 {
            xox::tui::update::update(
                &mut app,
                Msg::Key(crossterm::event::KeyEvent::from(
                    crossterm::event::KeyCode::Char('j'),
                )),
                now_unix(),
            );
        }
        terminal
            .draw(|f| xox::tui::view::view(&app, f, now_unix()))
            .unwrap();
    }
    println!(
        "redraw: {:.3} ms per frame (mean of {rounds}, 120×40)",
        started.elapsed().as_secs_f64() * 1000.0 / rounds as f64
    );
    idle_in_tmux(&db, dir.path());
}
