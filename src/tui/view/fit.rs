//! Text made to fit a width: cut with an ellipsis, never silently.

use ratatui::text::Span;

/// `text` in at most `width` columns: whole when it fits, else cut and ended with "…".
pub fn ellipsized(text: &str, width: usize) -> String {
    if Span::raw(text).width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        if Span::raw(next.as_str()).width() + 1 > width {
            break;
        }
        out = next;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `lead` and `entries` joined with " · ", dropping the last entries not `kept` until the
/// line fits in `width`, and ending in "…" when even the kept ones do not.
pub fn fitted(lead: Option<&str>, mut entries: Vec<(String, bool)>, width: usize) -> String {
    let line = |entries: &[(String, bool)]| {
        lead.into_iter()
            .chain(entries.iter().map(|(text, _)| text.as_str()))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    while line(&entries).chars().count() > width {
        match entries.iter().rposition(|(_, kept)| !kept) {
            Some(last) => {
                entries.remove(last);
            }
            None => break,
        }
    }
    ellipsized(&line(&entries), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_in_an_ellipsis_and_fits() {
        assert_eq!(ellipsized("acme-prod", 20), "acme-prod");
        assert_eq!(ellipsized("acme-production", 8), "acme-pr…");
        assert_eq!(ellipsized("acme", 0), "");
    }

    #[test]
    fn the_footer_drops_its_last_keys_first_and_keeps_back_and_help() {
        let entries = vec![
            ("p replay".to_owned(), false),
            ("a re-auth".to_owned(), false),
            ("? help".to_owned(), true),
            ("q/esc back".to_owned(), true),
        ];
        assert_eq!(
            fitted(None, entries.clone(), 80),
            "p replay · a re-auth · ? help · q/esc back"
        );
        assert_eq!(
            fitted(None, entries.clone(), 35),
            "p replay · ? help · q/esc back"
        );
        assert_eq!(fitted(Some("type"), entries, 12), "type · ? he…");
    }
}
