//! Running the built `xox` binary in a throwaway environment, and `xox sim` as a process.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use xox_domain::sim::presets::{PRESET_SECRET, ROTATING_CLIENT_ID};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub slack_url: String,
    db: PathBuf,
    /// The store's key, given as `XOX_KEY` (a store on a server has no key file).
    key: Option<String>,
}

impl Env {
    /// A new store: a file, or a schema of its own on PostgreSQL when the tests run there
    /// (`XOX_TEST_BACKEND=postgres`).
    pub fn new(slack_url: &str) -> Env {
        if super::postgres::testing_on_server() {
            let url = super::postgres::fresh_store_url()
                .expect("XOX_TEST_BACKEND=postgres needs a PostgreSQL server");
            return Env::on_server(&url, slack_url);
        }
        Env::in_file(slack_url)
    }

    fn in_file(slack_url: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/xox.db");
        Env {
            dir,
            slack_url: slack_url.to_owned(),
            db,
            key: None,
        }
    }

    /// An environment whose store is on the PostgreSQL server at `url`.
    pub fn on_server(url: &str, slack_url: &str) -> Env {
        Env {
            db: PathBuf::from(url),
            key: Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into()),
            ..Env::in_file(slack_url)
        }
    }

    /// An environment on an existing database (the demo's, say).
    pub fn at(db: &std::path::Path, slack_url: &str) -> Env {
        Env {
            db: db.to_owned(),
            ..Env::in_file(slack_url)
        }
    }

    /// The same store, seen with another Slack URL.
    pub fn with_slack_url(&self, slack_url: &str) -> Env {
        Env {
            db: self.db.clone(),
            key: self.key.clone(),
            ..Env::in_file(slack_url)
        }
    }

    pub fn db(&self) -> PathBuf {
        self.db.clone()
    }

    /// A folder put first on PATH holding an `xdg-open` that plays a browser which follows
    /// the link and its redirects (enough where Slack approves installs at once).
    pub fn browser_that_follows_links(&self) -> String {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.dir.path().join("browser-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let opener = bin.join("xdg-open");
        std::fs::write(&opener, "#!/bin/sh\nexec curl -sSL -o /dev/null \"$1\"\n").unwrap();
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_of(Path::new(env!("CARGO_BIN_EXE_xox")), args)
    }

    /// `program` (another copy of `xox`, or `xox-full`) run as [`Env::command`] runs `xox`.
    pub fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("XOX_DB", self.db())
            .env("XOX_SLACK_URL", &self.slack_url)
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("XDG_DATA_HOME", self.dir.path().join("share"))
            .env_remove("XOX_KEY")
            // Hermetic: never a developer's real keyring (tests/keyring.rs turns it back on).
            .env("XOX_KEYRING", "0")
            .env_remove("XOX_CLIENT_SECRET")
            .env_remove("XOX_SIGNING_SECRET")
            .env_remove("XOX_LOG");
        if let Some(key) = &self.key {
            cmd.env("XOX_KEY", key);
        }
        cmd
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_with(self.command(args), stdin)
    }

    pub fn run_with(&self, mut cmd: Command, stdin: &str) -> Output {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command may exit before reading stdin (a usage error): a closed pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "xox {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run a command that must fail with exactly one line on stderr; return that line.
    pub fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        one_line_error(&out, args)
    }

    /// What `PRAGMA integrity_check` says of the database: `ok` when it is sound.
    pub fn integrity_check(&self) -> String {
        rusqlite::Connection::open(self.db())
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    pub fn add_rotating_app(&self) {
        let mut cmd = self.command(&[
            "app",
            "add",
            "acme",
            "--client-id",
            ROTATING_CLIENT_ID,
            "--scopes",
            "users:read",
        ]);
        cmd.env("XOX_CLIENT_SECRET", PRESET_SECRET);
        let out = self.run_with(cmd, "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The note a command prints when it creates the database, which comes before its own
/// output on a fresh environment.
pub const CREATED_NOTE: &str = "created a new xox database at ";

/// `stderr` without the note that the database was just created.
pub fn without_created_note(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with(CREATED_NOTE))
        .map(|l| format!("{l}\n"))
        .collect()
}

pub fn one_line_error(out: &Output, args: &[&str]) -> String {
    assert!(!out.status.success(), "xox {args:?} should fail");
    let stderr = without_created_note(&String::from_utf8(out.stderr.clone()).unwrap());
    assert_eq!(
        stderr.lines().count(),
        1,
        "xox {args:?}: stderr is not one line: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.trim_end().to_owned()
}

/// The first line a child prints on stdout (a server's address), trimmed.
pub fn first_line(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim().to_owned()
}

/// `xox sim` as a process; the first line of its stdout is its base URL.
pub struct SimProcess(pub std::process::Child, pub String);

impl SimProcess {
    pub fn start() -> SimProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xox"))
            .args(["sim", "--port", "0"])
            .env(
                "XDG_STATE_HOME",
                std::env::temp_dir().join("xox-test-state"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = first_line(&mut child);
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        SimProcess(child, url)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
