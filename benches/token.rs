//! `xox token` with 10,000 connections in the file: the whole process, and where time goes.

#[path = "seed.rs"]
mod seed;

use criterion::{Criterion, criterion_group, criterion_main};
use std::process::Command;
use std::time::{Duration, Instant};
use xox_domain::slack::TokenKind;
use xox_domain::store::{ConnectionStore, SqliteStore, TokenStore};

const CONNECTIONS: usize = 10_000;
const TARGET: &str = "conn-05000";

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let started = Instant::now();
    let mut world = xox_domain::sim::World::default();
    for (app, _) in xox_domain::sim::presets::preset_apps() {
        world.register_app(app);
    }
    drop(seed::seed_connections(&mut world, &db, CONNECTIONS));
    eprintln!(
        "seeded {CONNECTIONS} connections in {:.1}s ({} bytes)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&db).unwrap().len()
    );

    let mut group = c.benchmark_group(format!("xox token, {CONNECTIONS} connections"));
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("whole process", |b| {
        b.iter(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_xox"))
                .args(["token", TARGET])
                .env("XOX_DB", &db)
                .env("XDG_STATE_HOME", dir.path().join("state"))
                .env_remove("XOX_KEY")
                .output()
                .unwrap();
            assert!(out.status.success() && out.stdout.starts_with(b"xoxe.xoxb-"));
        })
    });
    group.bench_function("process start, no database (xox --version)", |b| {
        b.iter(|| {
            assert!(
                Command::new(env!("CARGO_BIN_EXE_xox"))
                    .arg("--version")
                    .output()
                    .unwrap()
                    .status
                    .success()
            )
        })
    });
    group.bench_function("open the store (key file, key check)", |b| {
        b.iter(|| SqliteStore::open_with_key(&db, None).unwrap())
    });
    let store = SqliteStore::open_with_key(&db, None).unwrap();
    group.bench_function("find the connection by name", |b| {
        b.iter(|| store.connection(TARGET).unwrap())
    });
    let id = store.connection(TARGET).unwrap().id;
    group.bench_function("decrypt the access token", |b| {
        b.iter(|| store.access_token(&id, TokenKind::Bot).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
