//! What the proxy sends on, read as bytes by a stand-in for Slack that keeps every request
//! it gets: the app's body to the byte, its framing, and never a credential the app sent.

mod common;

use common::cli_env::Env;
use common::proxy::{Proxy, key};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as it arrived: its request line, headers (lower-case names) and body.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stand-in for Slack on loopback that answers `{"ok":true}` to everything and keeps
/// what it was sent. Reads `Content-Length` bodies and chunked ones, as a server must.
async fn capture() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let Some(end) = find(&buf, b"\r\n\r\n") else {
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let mut lines = head.split("\r\n");
                    let line = lines.next().unwrap_or("").to_owned();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let mut rest = buf[end + 4..].to_vec();
                    let chunked = headers
                        .iter()
                        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
                    let length: usize = headers
                        .iter()
                        .find(|(n, _)| n == "content-length")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let body = if chunked {
                        while find(&rest, b"0\r\n\r\n").is_none() {
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => rest.extend_from_slice(&chunk[..n]),
                            }
                        }
                        dechunk(&rest)
                    } else {
                        while rest.len() < length {
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => rest.extend_from_slice(&chunk[..n]),
                            }
                        }
                        rest[..length].to_vec()
                    };
                    kept.lock().unwrap().push(Seen {
                        line,
                        headers,
                        body,
                    });
                    let answer = br#"{"ok":true}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.write_all(answer).await;
                    return;
                }
            });
        }
    });
    (url, seen)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = find(data, b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// A connection holding a bare bot token (never checked with the stand-in), a key for it,
/// and the proxy.
fn proxied(slack: &str) -> (Env, String, Proxy) {
    let env = Env::new(slack);
    env.ok(
        &["import", "conn", "--no-verify"],
        "xoxb-1111-2222-notarealtokenvalue",
    );
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    (env, key, proxy)
}

async fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> serde_json::Value {
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_reach_slack_byte_for_byte_without_the_key() {
    let (slack, seen) = capture().await;
    let (_env, key, proxy) = proxied(&slack);
    let last = || {
        seen.lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request reached Slack")
    };

    // A form: odd escapes and a bare flag stay as they were; the key field goes.
    let form = format!("x=%E9&flag&token={key}&text=a+b%2Bc");
    let answer = post(
        &format!("{}chat.postMessage", proxy.url),
        &[("content-type", "application/x-www-form-urlencoded")],
        form.into_bytes(),
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    let got = last();
    assert_eq!(got.body, b"x=%E9&flag&text=a+b%2Bc");
    assert_eq!(got.header("content-length"), Some("23"));
    assert_eq!(got.header("transfer-encoding"), None);
    assert_eq!(
        got.header("authorization"),
        Some("Bearer xoxb-1111-2222-notarealtokenvalue")
    );

    // JSON: numbers, key order and white space stay; the key member goes.
    let json = format!(
        "{{\"z\": 123456789012345678901, \"token\":\"{key}\",\n \"a\" : [1.50, {{\"token\":\"inner\"}}]}}"
    );
    post(
        &format!("{}chat.postMessage", proxy.url),
        &[("content-type", "application/json; charset=utf-8")],
        json.into_bytes(),
    )
    .await;
    assert_eq!(
        String::from_utf8(last().body).unwrap(),
        "{\"z\": 123456789012345678901, \"a\" : [1.50, {\"token\":\"inner\"}]}"
    );

    // Multipart: the key's part goes whole, the rest stays.
    let part = |name: &str, value: &str| {
        format!("--B0\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let multipart = format!("{}{}--B0--\r\n", part("token", &key), part("channel", "C1"));
    post(
        &format!("{}files.upload", proxy.url),
        &[("content-type", "multipart/form-data; boundary=B0")],
        multipart.into_bytes(),
    )
    .await;
    assert_eq!(
        String::from_utf8(last().body).unwrap(),
        format!("{}--B0--\r\n", part("channel", "C1"))
    );

    // The header key with the same key in the query: the query loses it, the rest stays.
    post(
        &format!(
            "{}conversations.history?channel=C1&token={key}&limit=2",
            proxy.url
        ),
        &[("authorization", &format!("bearer {key}"))],
        Vec::new(),
    )
    .await;
    assert_eq!(
        last().line,
        "POST /api/conversations.history?channel=C1&limit=2 HTTP/1.1"
    );

    for request in seen.lock().unwrap().iter() {
        let all = format!(
            "{} {:?} {}",
            request.line,
            request.headers,
            String::from_utf8_lossy(&request.body)
        );
        assert!(!all.contains("xpk-"), "a key reached Slack: {all}");
        assert!(!all.contains(&key), "a key reached Slack: {all}");
    }
}

/// A request that carries more than one credential, or one that cannot be told apart, and
/// the error the proxy answers it with.
struct Smuggled {
    path: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    error: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggled_credentials_and_odd_method_names_are_refused_before_slack() {
    let (slack, seen) = capture().await;
    let (_env, key, proxy) = proxied(&slack);
    let count = || seen.lock().unwrap().len();

    let cases: Vec<Smuggled> = vec![
        // Two different keys in one form.
        Smuggled {
            path: "chat.postMessage".into(),
            headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
            body: format!("token={key}&token=xpk-other&text=hi"),
            error: "invalid_auth",
        },
        // The header's key and another in the query.
        Smuggled {
            path: "auth.test?token=xpk-other".into(),
            headers: vec![("authorization", format!("Bearer {key}"))],
            body: String::new(),
            error: "invalid_auth",
        },
        // The header's key and a Slack token in a JSON body.
        Smuggled {
            path: "chat.postMessage".into(),
            headers: vec![
                ("authorization", format!("Bearer {key}")),
                ("content-type", "application/json".into()),
            ],
            body: r#"{"token":"xoxb-1-2-3","text":"hi"}"#.into(),
            error: "invalid_auth",
        },
        // The header's key and another in a multipart part.
        Smuggled {
            path: "files.upload".into(),
            headers: vec![
                ("authorization", format!("Bearer {key}")),
                ("content-type", "multipart/form-data; boundary=Q".into()),
            ],
            body: "--Q\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nxpk-other\r\n--Q--\r\n"
                .into(),
            error: "invalid_auth",
        },
        // A JSON body whose credential cannot be told apart.
        Smuggled {
            path: "chat.postMessage".into(),
            headers: vec![("content-type", "application/json".into())],
            body: format!("{{\"token\":\"{key}\""),
            error: "invalid_json",
        },
    ];
    for Smuggled {
        path,
        headers,
        body,
        error,
    } in cases
    {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", proxy.url))
            .body(body.clone());
        for (name, value) in &headers {
            request = request.header(*name, value.as_str());
        }
        let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(answer["error"], error, "{path} {headers:?} {body}");
    }
    assert_eq!(count(), 0, "a refused request reached Slack");

    // Names Slack's catalogue could not hold never reach `{slack}/api` with a token. Sent
    // as raw bytes: an HTTP client would tidy the dot segments away first.
    let address = proxy.address();
    for path in [
        "/api/.",
        "/api/..",
        "/api/%2E%2E",
        "/api/.auth",
        "/api/auth.",
        "/api/auth..test",
        "/api/auth",
    ] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.contains("unknown_method") || answer.starts_with("HTTP/1.1 404"),
            "{path}: {answer}"
        );
    }
    assert_eq!(count(), 0, "an odd method name reached Slack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_url_is_the_proxys_own_whatever_host_the_client_names() {
    let sim = common::rotating::simulator(43_200).await;
    let env = common::sdks::env_with_install(&sim, "T0HOST", "files:write");
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    let address = proxy.address();
    let body = "filename=a.bin&length=10";
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/files.getUploadURLExternal HTTP/1.1\r\nHost: 127.0.0.1@evil.example\r\nAuthorization: Bearer {key}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.contains(&format!("\"upload_url\":\"http://{address}/upload/")),
        "{answer}"
    );
    assert!(!answer.contains("evil.example"), "{answer}");
}
