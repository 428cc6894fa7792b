//! `Secret`: a token or client secret that never shows itself in logs, errors or Debug output.

use std::fmt;
use zeroize::Zeroizing;

/// A secret string. `Debug` and `Display` print a fixed placeholder; the value is only
/// reachable through [`Secret::expose`], so every place that reveals it is greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `xoxb-…9f2c`: the prefix up to its first dash and the last four characters, enough to
    /// tell tokens apart without making one usable. Short values show nothing but the prefix.
    pub fn redacted(&self) -> String {
        let value = self.expose();
        // The dash is ASCII, so slicing just past it is always on a char boundary.
        let prefix_end = match value.find('-') {
            Some(i) if i < 12 => i + 1,
            _ => 0,
        };
        let prefix = &value[..prefix_end];
        let chars: Vec<char> = value.chars().collect();
        if chars.len() < prefix_end + 12 {
            return format!("{prefix}…");
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{prefix}…{tail}")
    }
}

/// `text` with every token-shaped word (one whose prefix names a Slack token type) replaced
/// by its redacted form. For text xox did not build itself, such as a panic's message.
pub fn scrub(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_token_char) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        if super::TokenType::classify(word) == super::TokenType::Unknown {
            out.push_str(word);
        } else {
            out.push_str(&Secret::new(word).redacted());
        }
        rest = &rest[start + word_len..];
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("xoxb-1234-5678-abcdefghijkl9f2c");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?} {s}").contains("abcdef"));
    }

    #[test]
    fn redacted_keeps_prefix_and_last_four() {
        let s = Secret::new("xoxb-1234-5678-abcdefghijkl9f2c");
        assert_eq!(s.redacted(), "xoxb-…9f2c");
        let rotating = Secret::new("xoxe.xoxp-1-Mi0yLTExMTEtMjIyMi0zMzMz");
        assert_eq!(rotating.redacted(), "xoxe.xoxp-…MzMz");
    }

    #[test]
    fn scrub_redacts_token_shaped_words_only() {
        assert_eq!(
            scrub("refresh of xoxe-1-ABCDEFGHIJKLMNOP failed (xoxb-1-2-abcdefghijkl9f2c)"),
            "refresh of xoxe-…MNOP failed (xoxb-…9f2c)"
        );
        assert_eq!(
            scrub("no tokens, ünïcödé; here"),
            "no tokens, ünïcödé; here"
        );
        assert_eq!(scrub(""), "");
    }

    #[test]
    fn redacted_short_or_prefixless_values_reveal_no_tail() {
        assert_eq!(Secret::new("xoxb-12").redacted(), "xoxb-…");
        assert_eq!(Secret::new("hunter2").redacted(), "…");
        assert_eq!(Secret::new("ünïcödé-välüé").redacted(), "ünïcödé-…");
        assert_eq!(Secret::new("ééééééé-ééééééééééééééééé").redacted(), "…éééé");
    }
}
