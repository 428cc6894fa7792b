//! The proxy under bad luck: a first burst of traffic that uses up its file descriptors, and
//! a store whose server is down for a few seconds.

mod common;

use common::postgres::Postgres;
use common::proxy::{Proxy, key};
use common::rotating::{env_with_connection, server_env_with_connection, simulator};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_burst_that_uses_up_the_descriptors_does_not_break_the_proxy_for_good() {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, "T0FD");
    let key = key(&env, "conn");
    let proxy = Proxy::spawn_with_descriptor_limit(env.command(&["proxy", "--port", "0"]), 256);
    // 600 apps at once as the proxy's very first traffic: far more connections than it
    // has descriptors for. Some are refused or fail; that is the machine's limit.
    let burst: Vec<_> = (0..600)
        .map(|_| {
            let (url, key) = (format!("{}auth.test", proxy.url), key.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                let _ = client.post(url).bearer_auth(key).send().await;
            })
        })
        .collect();
    for request in burst {
        let _ = request.await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Once the burst is gone, the proxy serves again: it never kept a failure to reach
    // Slack as the answer for good.
    let answer = proxy.call("auth.test", &key).await;
    assert_eq!(answer["ok"], true, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_down_for_a_few_seconds_is_waited_out_not_answered_with_an_error() {
    let Some(pg) = Postgres::start() else { return };
    let sim = simulator(43_200).await;
    let url = format!("{}&schema=proxy_blip", pg.url());
    let env = server_env_with_connection(&sim, &url, "T0BLIP");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    // The server goes down for 3 s just before the proxy's first request, whose key is
    // not in the proxy's cache yet: it must read the store.
    let back = pg.down_for(Duration::from_secs(3));
    let response = reqwest::Client::new()
        .post(format!("{}auth.test", proxy.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ok"], true, "{answer}");
    back.join().unwrap();
}
