//! Text made to fit a width: cut with an ellipsis, never silently.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

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

/// `pieces` after `label`, wrapped at spaces to `width` columns, with the lines after the
/// first indented by the label's width so that the label's column stays clear. Words joined
/// by a no-break space stay on one line; a word longer than a line is cut across lines.
pub fn hanging(
    label: Span<'static>,
    pieces: Vec<Span<'static>>,
    width: usize,
) -> Vec<Line<'static>> {
    let indent = label.width();
    let room = width.saturating_sub(indent).max(1);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for piece in pieces {
        for (i, word) in piece.content.split(' ').enumerate() {
            let spaced = i > 0 && used > 0;
            let mut word: Vec<char> = word.chars().collect();
            let fits = |used: usize, word: &[char]| {
                used + usize::from(spaced) + Span::raw(word.iter().collect::<String>()).width()
                    <= room
            };
            if used > 0 && !fits(used, &word) {
                lines.push(Vec::new());
                used = 0;
            } else if spaced {
                push(&mut lines, " ".to_owned(), piece.style);
                used += 1;
            }
            while Span::raw(word.iter().collect::<String>()).width() > room - used.min(room) {
                let take = (room - used.min(room)).max(1).min(word.len());
                push(&mut lines, word.drain(..take).collect(), piece.style);
                lines.push(Vec::new());
                used = 0;
            }
            let word: String = word.into_iter().collect();
            used += Span::raw(word.as_str()).width();
            push(&mut lines, word, piece.style);
        }
    }
    let pad = " ".repeat(indent);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, spans)| {
            let lead = if i == 0 {
                label.clone()
            } else {
                Span::raw(pad.clone())
            };
            Line::from(std::iter::once(lead).chain(spans).collect::<Vec<_>>())
        })
        .collect()
}

fn push(lines: &mut [Vec<Span<'static>>], text: String, style: Style) {
    if !text.is_empty() {
        lines
            .last_mut()
            .expect("there is always a line")
            .push(Span::styled(text, style));
    }
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

    fn plain(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wrapped_lines_hang_under_their_text_and_pairs_stay_together() {
        let lines = hanging(
            Span::raw("hint      "),
            vec![Span::raw(
                "the bot is not in C0GENERAL: invite\u{a0}it, then replay",
            )],
            30,
        );
        assert_eq!(
            plain(&lines),
            [
                "hint      the bot is not in",
                "          C0GENERAL:",
                "          invite\u{a0}it, then",
                "          replay",
            ]
        );
        let cut = hanging(Span::raw("ab "), vec![Span::raw("abcdefghij")], 7);
        assert_eq!(plain(&cut), ["ab abcd", "   efgh", "   ij"]);
        for line in hanging(Span::raw("x "), vec![Span::raw("a bb ccc dddd eeeee")], 8) {
            assert!(line.width() <= 8, "{line}");
        }
    }
}
