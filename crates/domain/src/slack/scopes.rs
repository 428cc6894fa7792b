//! `Scopes`: an ordered set of OAuth scope names, parsed leniently from Slack's comma lists.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parse `a,b, c` (Slack's headers and bodies; spaces after commas are tolerated).
    pub fn parse(list: &str) -> Scopes {
        Scopes(
            // Control characters separate too: a list from the wire must not carry a
            // newline or an escape sequence into a one-line message or the terminal.
            list.split(|c: char| c == ',' || c.is_whitespace() || c.is_control())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Scopes only classic apps were granted (`bot`, `identify`, `client`, …): retired in
    /// favour of granular scopes, and never asked for by a v2 install.
    pub fn is_classic(&self) -> bool {
        const CLASSIC_ONLY: [&str; 6] = ["bot", "identify", "client", "read", "post", "admin"];
        self.0.iter().any(|s| CLASSIC_ONLY.contains(&s.as_str()))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn union(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.union(&other.0).cloned().collect())
    }

    /// The scopes in `self` that `held` lacks.
    pub fn missing_from(&self, held: &Scopes) -> Scopes {
        Scopes(self.0.difference(&held.0).cloned().collect())
    }

    /// Comma-separated with no spaces, the form Slack uses and the form we store.
    pub fn to_csv(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_csv())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lenient_comma_lists() {
        let s = Scopes::parse("chat:write, users:read,,channels:read ");
        assert_eq!(s.to_csv(), "channels:read,chat:write,users:read");
        assert_eq!(s.len(), 3);
        assert!(Scopes::parse("").is_empty());
        assert!(Scopes::parse(" , ").is_empty());
    }

    #[test]
    fn set_operations() {
        let held = Scopes::parse("chat:write,users:read");
        let needed = Scopes::parse("chat:write,channels:history");
        assert_eq!(needed.missing_from(&held).to_csv(), "channels:history");
        assert_eq!(
            held.union(&needed).to_csv(),
            "channels:history,chat:write,users:read"
        );
        assert!(held.contains("users:read"));
    }
}
