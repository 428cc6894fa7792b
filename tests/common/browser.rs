//! A test client that plays the browser for `xox login`: consent page, button, redirect.

use super::cli_env::Env;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A port free now, for a server a test starts later, chosen below Linux's ephemeral range
/// (32768 and up): a port the kernel hands out itself may meanwhile become the local end of
/// some outgoing connection (the tests open many, to PostgreSQL above all), and the server
/// then fails to bind it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Spread over the range by process, then taken in turn within it.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 600) as u16 * 20;
    loop {
        let port = 20_000 + (base - 20_000 + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running `xox login`; the authorize URL is its first stdout line.
pub struct Login {
    pub child: Child,
    pub stdout: BufReader<ChildStdout>,
    pub url: String,
}

pub fn start_login(env: &Env, args: &[&str]) -> Login {
    start_login_with(login_command(env, args))
}

/// `xox login --no-browser ARGS` in `env`, for a caller to adjust before starting it.
pub fn login_command(env: &Env, args: &[&str]) -> Command {
    let mut all = vec!["login", "--no-browser"];
    all.extend_from_slice(args);
    env.command(&all)
}

pub fn start_login_with(mut command: Command) -> Login {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    if !url.contains("/oauth/v2/authorize?") {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
        panic!("first line is the URL: {url:?}; stderr: {err}");
    }
    Login {
        child,
        stdout,
        url: url.trim().to_owned(),
    }
}

impl Login {
    /// Wait for the process: its exit status, remaining stdout and stderr.
    pub async fn end(mut self) -> (bool, String, String) {
        tokio::task::spawn_blocking(move || {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut self.stdout, &mut out).unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut err).unwrap();
            (self.child.wait().unwrap().success(), out, err)
        })
        .await
        .unwrap()
    }
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The callback's certificate is self-signed, as it is for a real user.
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// Open the consent page, press the button, return the redirect Slack sends the browser to.
pub async fn consent(url: &str, decision: &str) -> String {
    let b = browser();
    let page = b.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"allow\""), "{page}");
    let parsed = url::Url::parse(url).unwrap();
    let mut form: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    form.push(("decision".into(), decision.into()));
    let action = parsed.join("/oauth/v2/authorize").unwrap();
    let answer = b.post(action).form(&form).send().await.unwrap();
    answer.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn follow(location: &str) -> reqwest::Response {
    browser().get(location).send().await.unwrap()
}
