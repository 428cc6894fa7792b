//! The proxy against clients that mean it harm, or are merely slow: a slowloris under a
//! 256-descriptor limit, a flood of keyless 1 MiB bodies, half-sent requests at a stop, and
//! an upload that takes longer than a Web API call may.

mod common;

use common::proxy::{Proxy, key};
use common::rotating::{env_with_connection, simulator};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The proxy's resident memory at its peak, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_of_300_connections_leaves_a_good_client_served() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0SLOW");
    let key = key(&env, "conn");
    let proxy = Proxy::spawn_with_descriptor_limit(env.command(&["proxy", "--port", "0"]), 256);
    let until = Instant::now() + Duration::from_secs(12);
    let attackers = proxy.slowloris(300, until);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // A well-behaved client, on a new connection each time, while the flood goes on.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut slowest = Duration::ZERO;
    for _ in 0..30 {
        let started = Instant::now();
        let answer: serde_json::Value = client
            .post(format!("{}auth.test", proxy.url))
            .bearer_auth(&key)
            .send()
            .await
            .expect("the good client got through")
            .json()
            .await
            .unwrap();
        assert_eq!(answer["ok"], true, "{answer}");
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        slowest < Duration::from_secs(2),
        "the slowest took {slowest:?}"
    );
    for attacker in attackers {
        attacker.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyless_bodies_cannot_fill_the_proxys_memory() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0MEM");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    let to = proxy.address();
    let before = peak_rss_kib(proxy.pid());
    // 200 connections at once, each sending 1 MiB: half with no key at all (the key could
    // be in the body), half with a key the proxy never made.
    let body = vec![b'a'; 1024 * 1024];
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let (to, body) = (to.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(mut stream) = TcpStream::connect(&to).await else {
                    return;
                };
                let auth = if i % 2 == 0 {
                    String::new()
                } else {
                    "Authorization: Bearer xpk-not-one-of-ours\r\n".to_owned()
                };
                let head = format!(
                    "POST /api/chat.postMessage HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                tokio::time::sleep(Duration::from_secs(3)).await;
            })
        })
        .collect();
    for request in flood {
        let _ = request.await;
    }
    let after = peak_rss_kib(proxy.pid());
    assert!(
        after < before + 64 * 1024,
        "peak resident memory went from {before} KiB to {after} KiB"
    );
    // A keyed request is served as ever.
    let answer = proxy.call("auth.test", &key).await;
    assert_eq!(answer["ok"], true, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_waits_for_no_client_that_sends_nothing() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0STOP");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    let to = proxy.address();
    // Five clients stop halfway through a head, three halfway through a body (one of them
    // with a good key), and one keeps an idle keep-alive connection.
    let mut held = Vec::new();
    for i in 0..8 {
        let mut stream = TcpStream::connect(&to).await.unwrap();
        let partial = if i < 5 {
            "POST /api/auth.test HTTP/1.1\r\nHost: x\r\n".to_owned()
        } else {
            let auth = if i == 5 {
                format!("Authorization: Bearer {key}\r\n")
            } else {
                String::new()
            };
            format!(
                "POST /api/chat.postMessage HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nchannel=C"
            )
        };
        stream.write_all(partial.as_bytes()).await.unwrap();
        held.push(stream);
    }
    let client = reqwest::Client::new();
    let answer: serde_json::Value = client
        .post(format!("{}auth.test", proxy.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], true, "{answer}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let stderr = proxy.stop();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stop took {:?}",
        started.elapsed()
    );
    assert!(stderr.contains("proxy stopped after"), "{stderr}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_slower_than_the_http_timeout_goes_through_while_it_keeps_moving() {
    let sim = simulator(43_200).await;
    let env = common::sdks::env_with_install(&sim, "T0UPSLOW", "files:write");
    let key = key(&env, "conn");
    let proxy = Proxy::spawn(env.command(&["--http-timeout", "2", "proxy", "--port", "0"]));
    let http = reqwest::Client::new();
    let url: serde_json::Value = http
        .post(format!("{}files.getUploadURLExternal", proxy.url))
        .bearer_auth(&key)
        .form(&[("filename", "slow.bin"), ("length", "6000")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upload_url = url["upload_url"].as_str().unwrap().to_owned();
    // 6,000 bytes at 1,000 a second: three times the HTTP timeout.
    let pieces = futures_util::stream::unfold(0, |sent| async move {
        (sent < 6).then_some(())?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        Some((Ok::<_, std::io::Error>(vec![9u8; 1000]), sent + 1))
    });
    let sent = http
        .post(upload_url)
        .header("content-length", "6000")
        .body(reqwest::Body::wrap_stream(pieces))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.text().await.unwrap(), "OK - 6000");
}
