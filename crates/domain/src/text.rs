//! Text from outside (Slack, the callback, an imported file, the database) made safe to
//! print: no control character and no bidirectional override ever reaches a terminal.

use std::borrow::Cow;

/// Characters that change how a terminal draws what follows: C0 and C1 controls (ESC starts
/// escape sequences, BEL, CR redraws the line), DEL, and the Unicode bidi overrides that
/// make text read differently from what it is.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Unix seconds as RFC 3339 in UTC (`2026-12-07T09:30:00Z`): how xox writes every time
/// it shows or hands over. A time outside chrono's range stays the number it was.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix.to_string())
}

/// `text` safe inside HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// One line of text: every unsafe character, line breaks included, is dropped.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// [`one_line`] for a string already owned: no copy when it is clean, the common case.
pub fn into_one_line(text: String) -> String {
    match one_line(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

/// Text bound for stdout or stderr: our own line breaks and tabs stay, everything else
/// unsafe is dropped. Every line the CLI prints passes through here last.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe(c) && c != '\n' && c != '\t';
    if text.chars().any(unsafe_here) {
        Cow::Owned(text.chars().filter(|c| !unsafe_here(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_and_carriage_returns_are_dropped() {
        let hostile = "Evil\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nFAKE\u{202e}txt";
        assert_eq!(one_line(hostile), "Evil[2J]0;pwnedFAKEtxt");
        assert_eq!(for_terminal(hostile), "Evil[2J]0;pwned\nFAKEtxt");
        assert!(matches!(one_line("plain name"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn nothing_unsafe_survives(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            prop_assert!(!one_line(&text).chars().any(is_unsafe));
            prop_assert!(!for_terminal(&text).chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'));
        }
    }
}
