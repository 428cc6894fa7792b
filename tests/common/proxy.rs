//! `xox proxy` as a process for the tests that drive it: started on a free port, its base
//! URL read from its first line, stopped with SIGTERM.

use super::cli_env::{Env, first_line};
use super::rotating::{env_with_connection, simulator};
use std::process::{Child, Stdio};
use xox_domain::sim::Simulator;

/// `xox proxy --port 0` running on `env`; its base URL (`http://127.0.0.1:PORT/api/`).
pub struct Proxy {
    child: Child,
    pub url: String,
    /// The public face's base (`http://127.0.0.1:PORT/slack/`), when it serves one.
    pub public: Option<String>,
}

/// `command` started with its output piped.
fn piped(mut command: std::process::Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

impl Proxy {
    pub fn start(env: &Env) -> Proxy {
        Proxy::spawn(env.command(&["proxy", "--port", "0"]))
    }

    /// The proxy `command` starts (made by `Env::command`, then adjusted).
    pub fn spawn(command: std::process::Command) -> Proxy {
        let mut child = piped(command);
        let url = first_line(&mut child);
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/api/"),
            "{url}"
        );
        Proxy {
            child,
            url,
            public: None,
        }
    }

    /// The proxy `command` starts with `--public-listen`: its second line is the public
    /// face's base.
    pub fn spawn_public(command: std::process::Command) -> Proxy {
        use std::io::BufRead;
        let mut child = piped(command);
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = || lines.next().unwrap().unwrap().trim().to_owned();
        let (url, public) = (next(), next());
        assert!(
            url.ends_with("/api/") && public.ends_with("/slack/"),
            "{url} {public}"
        );
        Proxy {
            child,
            url,
            public: Some(public),
        }
    }

    /// The proxy `command` starts, under a limit of `files` open files.
    pub fn spawn_with_descriptor_limit(mut command: std::process::Command, files: u64) -> Proxy {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe, and nothing else runs between fork and
        // exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: files,
                    rlim_max: files,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        Proxy::spawn(command)
    }

    /// `127.0.0.1:PORT`, for raw connections.
    pub fn address(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches("/api/")
            .to_owned()
    }

    /// `count` slowloris connections to the proxy until `until`: each sends a request head
    /// one line every 2 s, and connects again whenever the proxy drops it.
    pub fn slowloris(
        &self,
        count: usize,
        until: std::time::Instant,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        use tokio::io::AsyncWriteExt;
        (0..count)
            .map(|_| {
                let to = self.address();
                tokio::spawn(async move {
                    while std::time::Instant::now() < until {
                        let Ok(mut stream) = tokio::net::TcpStream::connect(&to).await else {
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                            continue;
                        };
                        let mut line = b"POST /api/auth.test HTTP/1.1\r\n".to_vec();
                        while std::time::Instant::now() < until
                            && stream.write_all(&line).await.is_ok()
                        {
                            line = b"X-Slow: 1\r\n".to_vec();
                            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        }
                    }
                })
            })
            .collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stop it as a service manager would; its stderr.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let out = std::mem::replace(
            &mut self.child,
            std::process::Command::new("true").spawn().unwrap(),
        )
        .wait_with_output()
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn key(env: &Env, conn: &str) -> String {
    env.ok(&["proxy", "key", "add", conn, "--label", "test app"], "")
        .trim()
        .to_owned()
}

/// A simulator, a connection `conn` of `team`, a key for it, and a proxy serving it.
pub async fn proxied(team: &str) -> (Simulator, Env, String, Proxy) {
    let sim = simulator(43_200).await;
    let env = env_with_connection(&sim, team);
    let key = key(&env, "conn");
    let proxy = Proxy::start(&env);
    (sim, env, key, proxy)
}

impl Proxy {
    /// `method` through the proxy with `key`, as an SDK calls it; Slack's JSON answer.
    pub async fn call(&self, method: &str, key: &str) -> serde_json::Value {
        self.call_with(method, key, &[]).await
    }

    /// The same, with `form` as its arguments.
    pub async fn call_with(
        &self,
        method: &str,
        key: &str,
        form: &[(&str, &str)],
    ) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}{method}", self.url))
            .bearer_auth(key)
            .form(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Refreshes of bot tokens that reached the simulator.
pub fn bot_refreshes(counters: &xox_domain::sim::Counters) -> u64 {
    counters
        .refreshes
        .iter()
        .filter(|(who, _)| who.ends_with("/bot"))
        .map(|(_, n)| n)
        .sum()
}
