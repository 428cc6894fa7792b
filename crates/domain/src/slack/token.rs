//! Token kinds (bot or user slot) and token types (the prefix family), with prefix classification.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which slot of a connection a token fills: the app's bot, the user who installed it, the
/// app itself (an app-level `xapp-` token, for Socket Mode), or an app configuration token
/// (for `apps.manifest.*`, rotated with `tooling.tokens.rotate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Bot,
    User,
    App,
    Config,
}

impl TokenKind {
    pub const ALL: [TokenKind; 4] = [
        TokenKind::Bot,
        TokenKind::User,
        TokenKind::App,
        TokenKind::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Bot => "bot",
            TokenKind::User => "user",
            TokenKind::App => "app",
            TokenKind::Config => "config",
        }
    }

    /// The command-line flag that picks this kind of token.
    pub fn flag(self) -> &'static str {
        match self {
            TokenKind::Bot => "--bot",
            TokenKind::User => "--user",
            TokenKind::App => "--app-level",
            TokenKind::Config => "--config",
        }
    }

    /// The other of an OAuth install's two tokens; app-level and configuration tokens have
    /// no other.
    pub fn other(self) -> TokenKind {
        match self {
            TokenKind::Bot => TokenKind::User,
            TokenKind::User => TokenKind::Bot,
            other => other,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bot" => Ok(TokenKind::Bot),
            "user" => Ok(TokenKind::User),
            "app" => Ok(TokenKind::App),
            "config" => Ok(TokenKind::Config),
            other => Err(format!(
                "token kind must be bot, user, app or config, not {other:?}"
            )),
        }
    }
}

/// The family a token string belongs to, read from its prefix. A prefix is only a hint:
/// `xoxe.xoxp` is both a rotating user token and an app configuration token, and `xoxb`
/// covers granular and classic bots. Where Slack said `token_type`, that answer wins
/// (see [`TokenType::with_slack_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    Bot,
    User,
    RotatingBot,
    RotatingUser,
    Refresh,
    AppLevel,
    Workflow,
    LegacyWorkspaceApp,
    LegacyWorkspaceRefresh,
    ClientSession,
    ClientCookie,
    Legacy,
    Unknown,
}

/// Prefix table, longest first so that `xoxe.xoxb-` wins over `xoxe`.
const PREFIXES: &[(&str, TokenType)] = &[
    ("xoxe.xoxb-", TokenType::RotatingBot),
    ("xoxe.xoxp-", TokenType::RotatingUser),
    ("xoxa-2-", TokenType::LegacyWorkspaceApp),
    ("xoxe-", TokenType::Refresh),
    ("xoxb-", TokenType::Bot),
    ("xoxp-", TokenType::User),
    ("xapp-", TokenType::AppLevel),
    ("xwfp-", TokenType::Workflow),
    ("xoxr-", TokenType::LegacyWorkspaceRefresh),
    ("xoxc-", TokenType::ClientSession),
    ("xoxd-", TokenType::ClientCookie),
    ("xoxs-", TokenType::Legacy),
    ("xoxo-", TokenType::Legacy),
    ("xoxa-", TokenType::Legacy),
];

impl TokenType {
    /// Classify a token by its prefix. Never fails: anything unrecognised is `Unknown`.
    pub fn classify(token: &str) -> TokenType {
        let token = token.trim();
        PREFIXES
            .iter()
            .find(|(prefix, _)| token.starts_with(prefix))
            .map(|&(_, t)| t)
            .unwrap_or(TokenType::Unknown)
    }

    /// The short name used in output and stored in the database (`xoxe.xoxb`, `unknown`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bot => "xoxb",
            TokenType::User => "xoxp",
            TokenType::RotatingBot => "xoxe.xoxb",
            TokenType::RotatingUser => "xoxe.xoxp",
            TokenType::Refresh => "xoxe",
            TokenType::AppLevel => "xapp",
            TokenType::Workflow => "xwfp",
            TokenType::LegacyWorkspaceApp => "xoxa-2",
            TokenType::LegacyWorkspaceRefresh => "xoxr",
            TokenType::ClientSession => "xoxc",
            TokenType::ClientCookie => "xoxd",
            TokenType::Legacy => "legacy",
            TokenType::Unknown => "unknown",
        }
    }

    pub fn parse(name: &str) -> TokenType {
        PREFIXES
            .iter()
            .map(|&(_, t)| t)
            .chain([TokenType::Unknown])
            .find(|t| t.as_str() == name)
            .unwrap_or(TokenType::Unknown)
    }

    /// The slot this type suggests, if it suggests one at all.
    pub fn kind_hint(self) -> Option<TokenKind> {
        match self {
            TokenType::Bot | TokenType::RotatingBot | TokenType::Workflow => Some(TokenKind::Bot),
            TokenType::User | TokenType::RotatingUser | TokenType::ClientSession => {
                Some(TokenKind::User)
            }
            TokenType::AppLevel => Some(TokenKind::App),
            _ => None,
        }
    }

    pub fn is_rotating_access(self) -> bool {
        matches!(self, TokenType::RotatingBot | TokenType::RotatingUser)
    }

    /// Correct the prefix's guess with what Slack said the token is. A rotating token
    /// keeps its rotating family; an `unknown` string stays unknown (we do not invent a
    /// prefix), but its slot comes from Slack's answer.
    pub fn with_slack_kind(self, kind: TokenKind) -> TokenType {
        match (self, kind) {
            (TokenType::RotatingUser, TokenKind::Bot) => TokenType::RotatingBot,
            (TokenType::RotatingBot, TokenKind::User) => TokenType::RotatingUser,
            (TokenType::User, TokenKind::Bot) => TokenType::Bot,
            (TokenType::Bot, TokenKind::User) => TokenType::User,
            (t, _) => t,
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_documented_prefix() {
        let cases = [
            ("xoxb-1-2-abc", TokenType::Bot),
            ("xoxp-1-2-3-abc", TokenType::User),
            ("xoxe.xoxb-1-abc", TokenType::RotatingBot),
            ("xoxe.xoxp-1-abc", TokenType::RotatingUser),
            ("xoxe-1-abc", TokenType::Refresh),
            ("xapp-1-A123-456-beef", TokenType::AppLevel),
            ("xwfp-abc", TokenType::Workflow),
            ("xoxa-2-abc", TokenType::LegacyWorkspaceApp),
            ("xoxr-abc", TokenType::LegacyWorkspaceRefresh),
            ("xoxc-abc", TokenType::ClientSession),
            ("xoxd-abc", TokenType::ClientCookie),
            ("xoxs-abc", TokenType::Legacy),
            ("xoxo-abc", TokenType::Legacy),
            ("xoxa-abc", TokenType::Legacy),
            ("ghp_abc", TokenType::Unknown),
            ("", TokenType::Unknown),
            ("xoxb", TokenType::Unknown),
            ("XOXB-abc", TokenType::Unknown),
        ];
        for (token, expected) in cases {
            assert_eq!(TokenType::classify(token), expected, "{token}");
        }
    }

    #[test]
    fn names_round_trip() {
        for &(_, t) in PREFIXES {
            assert_eq!(TokenType::parse(t.as_str()), t);
        }
        assert_eq!(TokenType::parse("nonsense"), TokenType::Unknown);
    }

    #[test]
    fn slack_token_type_wins_over_the_prefix() {
        // xoxe.xoxp is ambiguous; if Slack says bot, it is a rotating bot token.
        assert_eq!(
            TokenType::RotatingUser.with_slack_kind(TokenKind::Bot),
            TokenType::RotatingBot
        );
        assert_eq!(
            TokenType::RotatingBot.with_slack_kind(TokenKind::Bot),
            TokenType::RotatingBot
        );
        assert_eq!(
            TokenType::Unknown.with_slack_kind(TokenKind::User),
            TokenType::Unknown
        );
    }

    #[test]
    fn kind_hints() {
        assert_eq!(TokenType::RotatingBot.kind_hint(), Some(TokenKind::Bot));
        assert_eq!(TokenType::User.kind_hint(), Some(TokenKind::User));
        assert_eq!(TokenType::Refresh.kind_hint(), None);
        assert_eq!(TokenType::Unknown.kind_hint(), None);
        assert_eq!("user".parse::<TokenKind>(), Ok(TokenKind::User));
        assert!("both".parse::<TokenKind>().is_err());
    }
}
