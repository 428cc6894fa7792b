//! What `xox` answers without starting `xox-full`: `--version`, and `xox token` when the
//! token can be handed out as it is stored. A command line it does not wholly understand
//! goes on to `xox-full`, which reads it (and explains it when it is wrong).

use crate::engine::{DEFAULT_WINDOW, Secret, TokenKind, http_timeout, paths, token_as_stored};
use lexopt::Arg::{Long, Value};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// A command line `xox` answers itself.
#[derive(Debug, PartialEq, Eq)]
pub enum Quick {
    /// `xox --version` or `xox -V`, alone.
    Version,
    /// `xox token CONN`, with at most `--db`, one kind flag and `--within`.
    Token(TokenAsk),
}

/// `xox token`'s arguments, as `xox-full` would read them.
#[derive(Debug, PartialEq, Eq)]
pub struct TokenAsk {
    pub db: Option<PathBuf>,
    pub conn: String,
    pub kind: Option<TokenKind>,
    pub within: Duration,
}

/// The command line after the program's name, when it is one `xox` may answer.
pub fn read(args: &[OsString]) -> Option<Quick> {
    if let [only] = args
        && (only == "--version" || only == "-V")
    {
        return Some(Quick::Version);
    }
    // After `--` every word is a value to clap, the subcommand's name included.
    if args.iter().any(|a| a == "--") {
        return None;
    }
    let mut parser = lexopt::Parser::from_args(args.iter().cloned());
    let (mut db, mut conn, mut kind, mut within) = (None, None, None, None);
    let mut token = false;
    while let Some(arg) = parser.next().ok()? {
        match arg {
            // `--db` is global: before or after the subcommand, once.
            Long("db") if db.is_none() => db = Some(PathBuf::from(plain(parser.value().ok()?)?)),
            Value(word) if !token => {
                (word == "token").then_some(())?;
                token = true;
            }
            Long("within") if token && within.is_none() => {
                within = Some(crate::cli::parse_window(&plain(parser.value().ok()?)?).ok()?);
            }
            Long(flag) if token && kind.is_none() => kind = Some(kind_flag(flag)?),
            Value(name) if token && conn.is_none() => conn = Some(plain(name)?),
            _ => return None,
        }
    }
    Some(Quick::Token(TokenAsk {
        db,
        conn: conn?,
        kind,
        within: within.unwrap_or(DEFAULT_WINDOW),
    }))
}

/// `--bot`, `--user`, `--app-level` or `--config`: clap refuses two of them together.
fn kind_flag(flag: &str) -> Option<TokenKind> {
    Some(match flag {
        "bot" => TokenKind::Bot,
        "user" => TokenKind::User,
        "app-level" => TokenKind::App,
        "config" => TokenKind::Config,
        _ => return None,
    })
}

/// A word as text, unless it is empty or could be taken for a flag: `xox-full` decides
/// those.
fn plain(word: OsString) -> Option<String> {
    let text = word.into_string().ok()?;
    (!text.is_empty() && !text.starts_with('-')).then_some(text)
}

impl TokenAsk {
    /// The token, when `xox-full token` would hand it out as stored and say nothing else.
    pub fn answer(&self) -> Option<Secret> {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        // `xox-full` refuses a bad timeout before it reads anything: handed over, so is this.
        http_timeout(None, from_env("XOX_HTTP_TIMEOUT").as_deref())?;
        let db = self
            .db
            .clone()
            .or_else(|| from_env("XOX_DB").map(PathBuf::from))
            .unwrap_or_else(paths::default_db);
        let env_key = std::env::var("XOX_KEY").ok();
        token_as_stored(&db, env_key.as_deref(), &self.conn, self.kind, self.within)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use proptest::prelude::*;

    fn read_words(words: &[&str]) -> Option<Quick> {
        read(&words.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn token(db: Option<&str>, conn: &str, kind: Option<TokenKind>, within: u64) -> Quick {
        Quick::Token(TokenAsk {
            db: db.map(PathBuf::from),
            conn: conn.into(),
            kind,
            within: Duration::from_secs(within),
        })
    }

    #[test]
    fn the_version_alone() {
        assert_eq!(read_words(&["--version"]), Some(Quick::Version));
        assert_eq!(read_words(&["-V"]), Some(Quick::Version));
        assert_eq!(read_words(&["--version", "token"]), None);
        assert_eq!(read_words(&[]), None);
    }

    #[test]
    fn token_with_what_scripts_pass() {
        assert_eq!(
            read_words(&["token", "acme"]),
            Some(token(None, "acme", None, 7200))
        );
        assert_eq!(
            read_words(&["--db", "/s.db", "token", "--user", "acme", "--within=30m"]),
            Some(token(Some("/s.db"), "acme", Some(TokenKind::User), 1800))
        );
        assert_eq!(
            read_words(&["token", "acme", "--db=/s.db", "--app-level"]),
            Some(token(Some("/s.db"), "acme", Some(TokenKind::App), 7200))
        );
    }

    #[test]
    fn anything_else_goes_on() {
        for words in [
            &["list"][..],
            &["token"],
            &["token", "a", "b"],
            &["token", "--bot", "--user", "a"],
            &["token", "--bot", "--bot", "a"],
            &["token", "--bot=yes", "a"],
            &["token", "-v", "a"],
            &["-v", "token", "a"],
            &["token", "--", "a"],
            &["token", "--within", "soon", "a"],
            &["--within", "1h", "token", "a"],
            &["--db", "/a", "token", "--db", "/b", "a"],
            &["--db=", "token", "a"],
            &["--db", "-x", "token", "a"],
            &["token", "--help"],
            &["token", "--slack-url", "http://x", "a"],
        ] {
            assert_eq!(read_words(words), None, "{words:?}");
        }
    }

    const WORDS: &[&str] = &[
        "token",
        "acme",
        "beta",
        "-x",
        "--db",
        "/s.db",
        "--db=/t.db",
        "--db=",
        "--bot",
        "--user",
        "--app-level",
        "--config",
        "--within",
        "1h",
        "--within=5m",
        "soon",
        "-v",
        "--",
        "-V",
        "--version",
        "list",
        "--help",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever `xox` answers itself, `xox-full` would have read the same way: the
        /// quick reading never takes a line clap refuses, or reads one differently.
        #[test]
        fn the_quick_reading_agrees_with_clap(
            before in prop::collection::vec(0..WORDS.len(), 0..3),
            after in prop::collection::vec(0..WORDS.len(), 0..5),
        ) {
            let words: Vec<&str> = before
                .iter()
                .map(|&i| WORDS[i])
                .chain(["token"])
                .chain(after.iter().map(|&i| WORDS[i]))
                .collect();
            let Some(quick) = read_words(&words) else { return Ok(()) };
            let clap = crate::cli::Cli::try_parse_from(std::iter::once("xox").chain(words.iter().copied()));
            match quick {
                // clap prints the version and stops, which is an `Err` of kind DisplayVersion.
                Quick::Version => prop_assert_eq!(
                    clap.err().map(|e| e.kind()),
                    Some(clap::error::ErrorKind::DisplayVersion)
                ),
                Quick::Token(ask) => {
                    let cli = clap.map_err(|e| TestCaseError::fail(format!("{words:?}: {e}")))?;
                    let (db, conn, kind, within) = cli.token_parts().expect("a token command");
                    prop_assert_eq!(db, ask.db.as_ref());
                    prop_assert_eq!(conn, ask.conn.as_str());
                    prop_assert_eq!(kind, ask.kind);
                    prop_assert_eq!(within, ask.within);
                }
            }
        }
    }
}
