//! The README's walk-throughs run as written: every shell block of "Try it in two minutes"
//! and of the PostgreSQL walk-through, line by line in one bash session, against the real
//! binary, `xox sim` and (for the second) a real PostgreSQL server. A line marked
//! `# exits N` must exit N; every other line must succeed. `cargo` lines (installing) are
//! left out: the test puts the built binary on PATH instead.

mod common;

use std::os::unix::fs::symlink;
use std::process::Command;

/// The first block of `language` in the section headed `heading`.
fn block(readme: &str, heading: &str, language: &str) -> String {
    let start = readme.find(heading).expect("the section exists");
    let section = &readme[start..];
    let open = format!("```{language}\n");
    let from = section.find(&open).expect("the block exists") + open.len();
    section[from..from + section[from..].find("```").unwrap()].to_owned()
}

/// A free port on loopback, as text.
fn free_port() -> String {
    common::browser::free_port().to_string()
}

/// The shell lines of the section headed `heading`, in order.
fn shell_lines(readme: &str, heading: &str) -> Vec<String> {
    let start = readme.find(heading).expect("the section exists");
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut lines = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        match line.trim() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            text if in_block && !text.is_empty() && !text.starts_with('#') => {
                lines.push(text.to_owned())
            }
            _ => {}
        }
    }
    lines
}

/// The exit status a README line promises: `# exits N: …` at its end, else 0.
fn expected_status(line: &str) -> i32 {
    line.split_once("# exits ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_quick_start_runs_as_written() {
    let readme = include_str!("../README.md");
    let lines = shell_lines(readme, "## Try it in two minutes");
    assert!(lines.iter().any(|l| l.starts_with("xox demo")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("xox replay")),
        "{lines:?}"
    );
    let lines: Vec<String> = lines
        .into_iter()
        .filter(|l| !l.starts_with("cargo "))
        .collect();
    let (out, _home) = run_lines(&lines);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The loop did what the README says: the replay went through.
    assert!(stderr.contains("replayed call #1: ok"), "{stderr}");
    assert!(stdout.contains("try-prod"), "{stdout}");
}

/// Run `lines` in one bash session with the built binary first on PATH, in a home of
/// their own (kept until the returned directory is dropped), which is also where they run.
fn run_lines(lines: &[String]) -> (std::process::Output, tempfile::TempDir) {
    run_lines_with(lines, &[], None)
}

/// The same, with `files` (name, text) written in the home first, and `python` on PATH
/// as that program.
fn run_lines_with(
    lines: &[String],
    files: &[(&str, &str)],
    python: Option<&str>,
) -> (std::process::Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    symlink(env!("CARGO_BIN_EXE_xox"), bin.join("xox")).unwrap();
    if let Some(python) = python {
        // A script, not a link: a venv's python finds its packages by the path it was
        // started as.
        let wrapper = bin.join("python");
        std::fs::write(&wrapper, format!("#!/bin/sh\nexec {python} \"$@\"\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (name, text) in files {
        std::fs::write(home.path().join(name), text).unwrap();
    }
    let mut script = String::from("set -o pipefail\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\n");
    for (n, line) in lines.iter().enumerate() {
        let expected = expected_status(line);
        let quoted = line.replace('\'', r"'\''");
        script.push_str(&format!(
            "{line}\nrc=$?; if [ $rc -ne {expected} ]; then echo 'README line {n} exited '$rc' (expected {expected}): {quoted}' >&2; exit 1; fi\n"
        ));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(home.path())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .env("XDG_DATA_HOME", home.path().join("share"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XOX_KEYRING", "0")
        .env_remove("XOX_DB")
        .env_remove("XOX_SLACK_URL")
        .env_remove("XOX_KEY")
        .output()
        .unwrap();
    (out, home)
}

/// The walk-through of a shared store, on a server the test starts (in place of step 1),
/// then a token read and a refresh through it, as step 5's other hosts would.
#[test]
fn the_postgresql_walk_through_runs_as_written() {
    let Some(pg) = common::postgres::Postgres::start() else {
        return;
    };
    let readme = include_str!("../README.md");
    let lines = shell_lines(readme, "### Walk-through: two hosts, one store");
    assert!(
        lines.iter().any(|l| l.starts_with("xox db copy")),
        "{lines:?}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
        .to_string();
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("mine.db").display().to_string();
    let mut lines: Vec<String> = lines
        .into_iter()
        .filter(|l| {
            !["PATH=", "initdb ", "pg_ctl "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(|l| {
            l.replace("postgres://xox@127.0.0.1:5433/postgres", &pg.url())
                .replace("8979", &port)
                .replace("/tmp/mine.db", &file)
        })
        .collect();
    assert!(
        !lines.iter().any(|l| l.contains("8977")),
        "the simulator keeps off the proxy's port: {lines:?}"
    );
    lines.push("xox token acme-prod".into());
    lines.push("xox refresh acme-prod".into());
    let (out, _home) = run_lines(&lines);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("copied 1 app(s), 1 connection(s) with 1 token(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("\nxoxe.xoxb-"), "{stdout}");
    assert!(stdout.contains("refreshed acme-prod bot"), "{stdout}");
    // The file was made before the fleet's key was exported: its own key is beside it, as
    // step 4 says.
    assert!(
        std::path::Path::new(&format!("{file}.key")).exists(),
        "the file has a key file of its own"
    );
}

/// The distributed-app walk-through, Bolt app included: an install through the public
/// page, an app key, and a mention answered through the proxy. Its ports are free ones.
#[test]
fn the_distributed_app_walk_through_runs_as_written() {
    let Some(python) = common::sdks::sdk_python() else {
        return;
    };
    let readme = include_str!("../README.md");
    let heading = "## Serve a distributed app";
    let ports: Vec<(&str, String)> = ["8901", "8977", "8978", "3000"]
        .into_iter()
        .map(|p| (p, free_port()))
        .collect();
    let with_ports = |text: &str| {
        ports
            .iter()
            .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
    };
    let lines: Vec<String> = shell_lines(readme, heading)
        .iter()
        .map(|l| with_ports(l))
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("python app.py")),
        "{lines:?}"
    );
    let app = with_ports(&block(readme, heading, "python"));
    let (out, _home) = run_lines_with(&lines, &[("app.py", &app)], Some(&python));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("It is now in Sim Workspace"), "{stdout}");
    assert!(
        stdout.contains("\"status\":200"),
        "Slack's event reached the app: {stdout}"
    );
    assert!(stdout.contains("shop-t0simteam1"), "{stdout}");
    assert!(
        stdout.contains("heard: hello"),
        "the Bolt app answered: {stdout}"
    );
}

#[test]
fn expected_statuses_are_read_from_the_line() {
    assert_eq!(expected_status("xox call x   # exits 1: missing_scope"), 1);
    assert_eq!(expected_status("xox failed"), 0);
}
