//! A throwaway PostgreSQL cluster, started from the system's binaries (`initdb`, `pg_ctl`)
//! in a temporary directory on a free loopback port, and stopped when dropped. `initdb`
//! refuses to run as root, so under root the cluster runs as `nobody`. Where no cluster
//! can be started the tests that need one skip with a notice, except in CI (`CI=true`),
//! where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// The user the cluster runs as, when the tests run as root.
    run_as: Option<&'static str>,
}

/// The directory holding `initdb` and `pg_ctl`: `pg_config --bindir`, then `PATH`, then
/// Debian's versioned directories, newest first.
fn binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let from_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    debian.sort();
    debian.reverse();
    from_pg_config
        .into_iter()
        .chain(from_path)
        .chain(debian)
        .find(|d| has_both(d))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Say why there is no server: a failure in CI, a notice (and `None`) elsewhere.
fn unavailable(why: &str) -> Option<Postgres> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "no PostgreSQL server for the tests: {why} (CI=true; install the postgresql package)"
        );
    }
    eprintln!("notice: skipping a PostgreSQL test: {why}");
    None
}

impl Postgres {
    /// A running cluster with a superuser `xox` that logs in without a password over
    /// loopback, or `None` (with a notice) where none can be started outside CI.
    pub fn start() -> Option<Postgres> {
        Postgres::start_with(None)
    }

    /// A running cluster that refuses sessions without TLS, its certificate for
    /// `localhost` signed by a CA of its own, whose PEM is returned beside it.
    pub fn start_tls_only() -> Option<(Postgres, String)> {
        let ca = rcgen::KeyPair::generate().expect("a CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca).expect("a CA");
        let key = rcgen::KeyPair::generate().expect("a server key");
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .expect("a server certificate");
        let files = [
            ("server.crt", cert.pem()),
            ("server.key", key.serialize_pem()),
        ];
        let postgres = Postgres::start_with(Some(&files))?;
        Some((postgres, ca.pem()))
    }

    /// With `tls`, the certificate and key files go into the data directory, the server
    /// turns TLS on, and its access rules refuse sessions without it.
    fn start_with(tls: Option<&[(&str, String); 2]>) -> Option<Postgres> {
        let Some(bin) = binaries() else {
            return unavailable("initdb and pg_ctl were not found");
        };
        let dir = tempfile::Builder::new()
            .prefix("xox-pg-")
            .tempdir()
            .expect("a temporary directory");
        let root = std::env::var("USER").is_ok_and(|u| u == "root")
            || Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let run_as = root.then_some("nobody");
        if let Some(user) = run_as {
            let chowned = Command::new("chown")
                .args(["-R", &format!("{user}:"), &dir.path().display().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if !chowned {
                return unavailable("the cluster's directory could not be given to nobody");
            }
        }
        let mut postgres = Postgres {
            dir,
            bin,
            port: 0,
            run_as,
        };
        let data = postgres.data().display().to_string();
        let initdb = postgres.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "xox",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        if !initdb.status.success() {
            return unavailable(&format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr).trim()
            ));
        }
        if let Some(files) = tls {
            let data = postgres.data();
            for (name, text) in files {
                std::fs::write(data.join(name), text).expect("the certificate is written");
                let mode = std::os::unix::fs::PermissionsExt::from_mode(0o600);
                std::fs::set_permissions(data.join(name), mode).unwrap();
            }
            let conf = data.join("postgresql.conf");
            let mut settings = std::fs::read_to_string(&conf).unwrap();
            settings.push_str("\nssl = on\n");
            std::fs::write(&conf, settings).unwrap();
            let hba = data.join("pg_hba.conf");
            let rules = std::fs::read_to_string(&hba).unwrap();
            std::fs::write(&hba, format!("hostnossl all all all reject\n{rules}")).unwrap();
            if let Some(user) = run_as {
                let data = data.display().to_string();
                Command::new("chown")
                    .args(["-R", &format!("{user}:"), &data])
                    .status()
                    .expect("chown runs");
            }
        }
        for _ in 0..5 {
            postgres.port = free_port();
            if postgres.pg_ctl("start").status.success() {
                return Some(postgres);
            }
        }
        let log =
            std::fs::read_to_string(postgres.dir.path().join("server.log")).unwrap_or_default();
        unavailable(&format!("the server did not start: {}", log.trim()))
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `program` from the cluster's binaries, as the cluster's user.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program, args)
            .output()
            .expect("the PostgreSQL binaries run")
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.args(args).current_dir(self.dir.path());
        command
    }

    fn pg_ctl(&self, action: &str) -> Output {
        self.pg_ctl_command(action)
            .output()
            .expect("the PostgreSQL binaries run")
    }

    fn pg_ctl_command(&self, action: &str) -> Command {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000",
            self.port,
            self.dir.path().display()
        );
        let data = self.data().display().to_string();
        let log = self.dir.path().join("server.log").display().to_string();
        self.command(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-w", "-t", "30", "-m", "fast", "-o", &options, action,
            ],
        )
    }

    /// Stop and start the server again, as `pg_ctl restart` does in production.
    pub fn restart(&self) {
        let out = self.pg_ctl("restart");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stop the server as a restart does, and start it again after `down` on a thread of
    /// its own: returned at once, with the server stopped.
    pub fn down_for(&self, down: std::time::Duration) -> std::thread::JoinHandle<()> {
        let out = self.pg_ctl("stop");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut start = self.pg_ctl_command("start");
        std::thread::spawn(move || {
            std::thread::sleep(down);
            let out = start.output().expect("pg_ctl runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    }

    /// The URL xox is given: database `postgres`, superuser `xox`, no TLS.
    pub fn url(&self) -> String {
        self.url_on_port(self.port)
    }

    /// The same URL through something listening on `port` (a relay in front of the server).
    pub fn url_on_port(&self, port: u16) -> String {
        format!("postgres://xox@127.0.0.1:{port}/postgres?sslmode=disable")
    }
}

impl Postgres {
    fn stop(&self) {
        let data = self.data().display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Which store the command-line tests use: a file, or (with `XOX_TEST_BACKEND=postgres`)
/// PostgreSQL, so that the same tests run on both.
pub fn testing_on_server() -> bool {
    std::env::var("XOX_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

static SHARED: std::sync::OnceLock<Option<Postgres>> = std::sync::OnceLock::new();

extern "C" fn stop_shared() {
    if let Some(Some(pg)) = SHARED.get() {
        pg.stop();
        let _ = std::fs::remove_dir_all(pg.dir.path());
    }
}

/// A store of its own (a schema of its own) on one cluster shared by the test binary,
/// started on first use and stopped when the binary exits. `None` where there is none.
pub fn fresh_store_url() -> Option<String> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let pg = SHARED
        .get_or_init(|| {
            let pg = Postgres::start();
            // A static is never dropped: the cluster is stopped when the process exits.
            unsafe { libc::atexit(stop_shared) };
            pg
        })
        .as_ref()?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(format!("{}&schema=t{}_{n}", pg.url(), std::process::id()))
}

/// True, with a notice, when the tests run on PostgreSQL and the calling test is about the
/// file itself (`why`): its bytes, its locks, its lease rows. It then has nothing to test.
pub fn file_only(why: &str) -> bool {
    let skip = testing_on_server();
    if skip {
        eprintln!("notice: a test about the SQLite file is skipped on PostgreSQL: {why}");
    }
    skip
}
