//! The proxy through everything at once, for `XOX_SOAK_SECS` seconds (120 in CI;
//! `scripts/soak.sh` runs 600): the real python-slack-sdk calling without pause from four
//! threads, 300 slowloris connections, a flood of keyless 1 MiB bodies, and a PostgreSQL
//! restart halfway, all under a limit of 256 open files. Every call the app makes succeeds
//! (with the SDK's own retry handlers), p99 stays under 1 s outside the restart, and the
//! proxy's resident memory stays under 200 MB.

mod common;

use common::postgres::Postgres;
use common::proxy::{Proxy, key};
use common::rotating::{server_env_with_connection, simulator};
use common::sdks::{run_client, sdk_python};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The proxy's resident memory now, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_serves_an_app_through_attacks_and_a_restart() {
    let Some(python) = sdk_python() else { return };
    let Some(pg) = Postgres::start() else { return };
    let secs: u64 = std::env::var("XOX_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let sim = simulator(43_200).await;
    let url = format!("{}&schema=soak", pg.url());
    let env = server_env_with_connection(&sim, &url, "T0SOAK");
    let key = key(&env, "conn");
    let proxy = Proxy::spawn_with_descriptor_limit(env.command(&["proxy", "--port", "0"]), 256);
    let to = proxy.address();
    let until = Instant::now() + Duration::from_secs(secs);

    // 300 slowloris connections, again whenever dropped.
    let mut attackers = proxy.slowloris(300, until);
    // Ten senders of keyless 1 MiB bodies, one after another.
    let body = Arc::new(vec![b'a'; 1024 * 1024]);
    attackers.extend((0..10).map(|_| {
        let (to, body) = (to.clone(), body.clone());
        tokio::spawn(async move {
            while Instant::now() < until {
                if let Ok(mut stream) = TcpStream::connect(&to).await {
                    let head = format!(
                        "POST /api/chat.postMessage HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }));
    // The proxy's resident memory, every half second.
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (peak, pid) = (peak.clone(), proxy.pid());
        tokio::spawn(async move {
            while Instant::now() < until {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    // The app: python-slack-sdk, four threads, for the whole run.
    let app = {
        let (python, base, key) = (python.clone(), proxy.url.clone(), key.clone());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/soak_client.py");
        let secs = secs.to_string();
        tokio::task::spawn_blocking(move || run_client(&python, &[script, &base, &key, &secs, "4"]))
    };
    // Halfway, the store's server restarts.
    tokio::time::sleep(Duration::from_secs(secs / 2)).await;
    let restart_began = now_epoch();
    let pg = tokio::task::spawn_blocking(move || {
        pg.restart();
        pg
    })
    .await
    .unwrap();
    let restart_ended = now_epoch();

    let seen = app.await.unwrap();
    sampler.await.unwrap();
    for attacker in attackers {
        attacker.abort();
    }
    let failures = seen["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "the app's calls failed: {failures:?}");
    let calls = seen["calls"].as_array().unwrap();
    assert!(calls.len() as u64 > secs * 5, "only {} calls", calls.len());
    // p99 of the calls that began away from the restart (one second before it, five after).
    let mut away: Vec<f64> = calls
        .iter()
        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
        .filter(|(at, _)| *at < restart_began - 1.0 || *at > restart_ended + 5.0)
        .map(|(_, took)| took)
        .collect();
    away.sort_by(f64::total_cmp);
    let p99 = away[(away.len() * 99 / 100).min(away.len() - 1)];
    let peak_mib = peak.load(Ordering::Relaxed) / 1024;
    eprintln!(
        "soak {secs} s: {} calls, p99 {:.0} ms away from the restart ({:.1} s), peak resident {peak_mib} MiB",
        calls.len(),
        p99 * 1000.0,
        restart_ended - restart_began
    );
    assert!(p99 < 1.0, "p99 {p99:.3} s");
    assert!(peak_mib < 200, "peak resident {peak_mib} MiB");
    let answer = proxy.call("auth.test", &key).await;
    assert_eq!(answer["ok"], true, "{answer}");
    let stderr = proxy.stop();
    assert!(stderr.contains("proxy stopped after"), "{stderr}");
    drop(pg);
}
