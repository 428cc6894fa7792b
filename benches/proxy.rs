//! `xox proxy` under load, against the simulator: 64 keep-alive clients calling `auth.test`
//! straight at the simulator and through the proxy in alternating one-second slices, so
//! that both see the same machine (requests per second, the ratio, and the latency the
//! proxy adds at p50 and p99); then the
//! proxy's resident memory with 1,000 connections open and after many more requests.
//! Prints numbers; asserts none. `XOX_PROXY_BENCH_SECS` and `XOX_PROXY_BENCH_REQUESTS`
//! change the run's length.

#[path = "proxy_process.rs"]
mod proxy_process;
#[path = "seed.rs"]
mod seed;

use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xox_domain::sim::Simulator;

const CLIENTS: usize = 64;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `clients` clients calling `url` with `bearer` until `until`; every request's latency.
async fn hammer(clients: usize, url: &str, bearer: &str, until: Instant) -> Vec<Duration> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, url, bearer) = (http.clone(), url.to_owned(), bearer.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < until {
                    let started = Instant::now();
                    let answer = http.post(&url).bearer_auth(&bearer).send().await.unwrap();
                    let body = answer.bytes().await.unwrap();
                    assert!(body.starts_with(b"{"), "{body:?}");
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    all
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time a process has used so far (user and system), from `/proc/PID/stat`.
fn cpu_used(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name, which is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    // Linux reports these in clock ticks of 1/100 s.
    Duration::from_millis(ticks * 10)
}

/// One side of the comparison: every request's latency, and the CPU time the bench
/// process and the proxy used meanwhile.
#[derive(Default)]
struct Side {
    latencies: Vec<Duration>,
    cpu: [Duration; 2],
}

impl Side {
    fn add(&mut self, (latencies, cpu): (Vec<Duration>, [Duration; 2])) {
        self.latencies.extend(latencies);
        self.cpu[0] += cpu[0];
        self.cpu[1] += cpu[1];
    }

    /// Microseconds of CPU per request: the bench process's, then the proxy's.
    fn cpu_per_request(&self) -> [f64; 2] {
        let count = self.latencies.len().max(1) as f64;
        self.cpu.map(|c| c.as_secs_f64() * 1e6 / count)
    }
}

/// Open `count` connections to the proxy, each sending one request and keeping the
/// connection open; returns them, to be dropped later.
async fn open_connections(addr: &str, key: &str, count: usize) -> Vec<tokio::net::TcpStream> {
    let request = format!(
        "POST /api/auth.test HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\n\r\n"
    );
    let mut open = Vec::new();
    for _ in 0..count {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await.unwrap();
        open.push(stream);
    }
    open
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs = env_number("XOX_PROXY_BENCH_SECS", 5);
    let requests = env_number("XOX_PROXY_BENCH_REQUESTS", 200_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proxy.db");
    let sim = Simulator::start(0).await.unwrap();
    sim.add_preset_apps();
    sim.with_world(|w| drop(seed::seed_connections(w, &db, 1)));
    let xox = |args: &[&str]| {
        // XOX_BENCH_BIN runs another build (an older one, beside this one) on the same setup.
        let bin = std::env::var("XOX_BENCH_BIN").unwrap_or(env!("CARGO_BIN_EXE_xox").into());
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("XOX_DB", &db)
            .env("XOX_SLACK_URL", sim.base_url())
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("XOX_KEYRING", "0");
        cmd
    };
    let output = |args: &[&str]| {
        let out = xox(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let key = output(&["proxy", "key", "add", "conn-00000"]);
    let token = output(&["token", "conn-00000"]);
    let (mut proxy, base) = proxy_process::start(xox(&["proxy", "--port", "0"]));
    let direct_url = format!("{}/api/auth.test", sim.base_url().trim_end_matches('/'));
    let proxy_url = format!("{base}auth.test");

    // Warm both up, then measure each for the same time in alternating slices: a shared
    // machine's slow second then falls on both sides rather than on one.
    // One slice: its latencies, and the CPU time each process used for them, the bench's
    // own (clients and simulator) and the proxy's.
    let proxy_pid = proxy.id().to_string();
    let run = |clients, url: &str, bearer: &str| {
        let (url, bearer, proxy_pid) = (url.to_owned(), bearer.to_owned(), proxy_pid.clone());
        async move {
            let before = [cpu_used("self"), cpu_used(&proxy_pid)];
            let latencies = hammer(
                clients,
                &url,
                &bearer,
                Instant::now() + Duration::from_secs(1),
            )
            .await;
            let cpu = [
                cpu_used("self") - before[0],
                cpu_used(&proxy_pid) - before[1],
            ];
            (latencies, cpu)
        }
    };
    let alternate = |clients| {
        let (direct_url, proxy_url, token, key) = (&direct_url, &proxy_url, &token, &key);
        async move {
            let (mut direct, mut proxied) = (Side::default(), Side::default());
            for _ in 0..secs {
                direct.add(run(clients, direct_url, token).await);
                proxied.add(run(clients, proxy_url, key).await);
            }
            direct.latencies.sort();
            proxied.latencies.sort();
            (direct, proxied)
        }
    };
    hammer(
        CLIENTS,
        &proxy_url,
        &key,
        Instant::now() + Duration::from_millis(500),
    )
    .await;
    // One client at a time first: the latency the proxy adds, without queueing in it.
    let (direct_one, proxied_one) = alternate(1).await;
    let (direct, proxied) = alternate(CLIENTS).await;
    let rate = |side: &Side| side.latencies.len() as f64 / secs as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |side: &Side, at: f64| ms(percentile(&side.latencies, at));
    println!(
        "one client, auth.test, {secs} s each: straight p50 {:.3} ms, p99 {:.3} ms; through the proxy p50 {:.3} ms, p99 {:.3} ms; added p50 {:.3} ms, p99 {:.3} ms",
        p(&direct_one, 0.5),
        p(&direct_one, 0.99),
        p(&proxied_one, 0.5),
        p(&proxied_one, 0.99),
        p(&proxied_one, 0.5) - p(&direct_one, 0.5),
        p(&proxied_one, 0.99) - p(&direct_one, 0.99)
    );
    println!(
        "{CLIENTS} keep-alive clients, auth.test, {secs} s each in 1 s slices, on {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let [straight_cpu, _] = direct.cpu_per_request();
    let [bench_cpu, proxy_cpu] = proxied.cpu_per_request();
    println!(
        "straight at the simulator: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms; CPU per request: clients and simulator {straight_cpu:.0} µs",
        rate(&direct),
        p(&direct, 0.5),
        p(&direct, 0.99)
    );
    println!(
        "through xox proxy:         {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms; CPU per request: clients and simulator {bench_cpu:.0} µs, proxy {proxy_cpu:.0} µs",
        rate(&proxied),
        p(&proxied, 0.5),
        p(&proxied, 0.99)
    );
    println!("ratio {:.2}", rate(&proxied) / rate(&direct));

    let pid = proxy.id();
    println!("proxy resident memory after the runs: {} KiB", rss_kib(pid));
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches("/api/")
        .to_owned();
    let held = open_connections(&addr, &key, 1_000).await;
    println!("… with 1,000 connections open: {} KiB", rss_kib(pid));
    drop(held);
    let mut served = 0;
    let started = Instant::now();
    while served < requests {
        let batch = hammer(
            CLIENTS,
            &proxy_url,
            &key,
            Instant::now() + Duration::from_secs(5),
        )
        .await;
        served += batch.len() as u64;
        println!(
            "… after {served} more requests ({:.0} s): {} KiB",
            started.elapsed().as_secs_f64(),
            rss_kib(pid)
        );
    }
    let _ = proxy.kill();
    let _ = proxy.wait();
}
