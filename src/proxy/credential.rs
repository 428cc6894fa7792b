//! Finding an app's credential wherever a Slack client may put it (the `Authorization`
//! header, the query, a form, JSON or multipart body, any number of times) and cutting it
//! out of the bytes, so that everything else reaches Slack exactly as the app sent it.

use std::ops::Range;

/// The credentials found in one position, and the text without them (`None`: none found,
/// the text stays as it is).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub values: Vec<String>,
    pub edited: Option<Vec<u8>>,
}

/// `text` with only the `kept` of its `items` (ranges in order), each kept item followed by
/// the separator that followed it in `text`: the bytes before the first item, between kept
/// items and after the last stay exactly as they were.
fn keep_items(text: &[u8], items: &[Range<usize>], kept: &[bool]) -> Vec<u8> {
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return text.to_vec();
    };
    let mut out = text[..first.start].to_vec();
    let mut previous: Option<usize> = None;
    for (i, item) in items.iter().enumerate() {
        if !kept[i] {
            continue;
        }
        if let Some(p) = previous {
            out.extend_from_slice(&text[items[p].end..items[p + 1].start]);
        }
        out.extend_from_slice(&text[item.clone()]);
        previous = Some(i);
    }
    out.extend_from_slice(&text[last.end..]);
    out
}

/// The key in a request's `Authorization: Bearer` header, if there is one.
pub fn header_key(headers: &axum::http::HeaderMap) -> Option<crate::engine::Secret> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(crate::engine::Secret::new)
}

/// Why a body's credential cannot be told apart from the rest: refused, never guessed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// The token of an `Authorization` header: its scheme is `Bearer` in any case.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `token` fields of an `application/x-www-form-urlencoded` text (a body or a query).
pub fn form_fields(text: &[u8]) -> Found {
    let mut start = 0;
    let fields: Vec<Range<usize>> = text
        .split(|b| *b == b'&')
        .map(|field| {
            let range = start..start + field.len();
            start += field.len() + 1;
            range
        })
        .collect();
    let mut values = Vec::new();
    let kept: Vec<bool> = fields
        .iter()
        .map(|range| {
            let field = &text[range.clone()];
            let (name, value) = match field.iter().position(|b| *b == b'=') {
                Some(eq) => (&field[..eq], &field[eq + 1..]),
                None => (field, &b""[..]),
            };
            let token = decode_form(name) == "token";
            if token {
                values.push(decode_form(value));
            }
            !token
        })
        .collect();
    let edited = (!values.is_empty()).then(|| keep_items(text, &fields, &kept));
    Found { values, edited }
}

fn decode_form(bytes: &[u8]) -> String {
    url::form_urlencoded::parse(&[b"x=", bytes].concat())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Top-level `token` members of a JSON object, each with the comma that joins it to its
/// neighbour. A body that is not one JSON object is unreadable.
pub fn json_members(text: &[u8]) -> Result<Found, Unreadable> {
    let mut scan = Scan { text, at: 0 };
    scan.space();
    scan.expect(b'{')?;
    let mut members: Vec<(Range<usize>, String, Range<usize>)> = Vec::new();
    scan.space();
    if scan.peek() == Some(b'}') {
        scan.at += 1;
    } else {
        loop {
            scan.space();
            let start = scan.at;
            let key = scan.string()?;
            let name: String = serde_json::from_slice(&text[key]).map_err(|_| Unreadable)?;
            scan.space();
            scan.expect(b':')?;
            scan.space();
            let value = scan.value()?;
            members.push((start..scan.at, name, value));
            scan.space();
            match scan.next() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(Unreadable),
            }
        }
    }
    scan.space();
    if scan.at != text.len() {
        return Err(Unreadable);
    }
    let mut values = Vec::new();
    let mut kept = Vec::with_capacity(members.len());
    for (_, name, value) in &members {
        kept.push(name != "token");
        if name == "token" {
            // A credential that is not a string is none xox made: refused, not passed on.
            let token: String =
                serde_json::from_slice(&text[value.clone()]).map_err(|_| Unreadable)?;
            values.push(token);
        }
    }
    let spans: Vec<Range<usize>> = members.into_iter().map(|(span, _, _)| span).collect();
    let edited = (!values.is_empty()).then(|| keep_items(text, &spans, &kept));
    Ok(Found { values, edited })
}

/// A cursor over JSON text that knows only where values begin and end.
struct Scan<'a> {
    text: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Unreadable> {
        (self.next() == Some(b)).then_some(()).ok_or(Unreadable)
    }

    /// A string, its quotes included.
    fn string(&mut self) -> Result<Range<usize>, Unreadable> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.next().ok_or(Unreadable)? {
                b'\\' => {
                    self.next().ok_or(Unreadable)?;
                }
                b'"' => return Ok(start..self.at),
                _ => {}
            }
        }
    }

    /// Any value: its extent only (serde_json checks the body's own values).
    fn value(&mut self) -> Result<Range<usize>, Unreadable> {
        let start = self.at;
        match self.peek().ok_or(Unreadable)? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek().ok_or(Unreadable)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    self.at += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                if self.at == start {
                    return Err(Unreadable);
                }
            }
        }
        Ok(start..self.at)
    }
}

/// One part of a multipart body: where it lies (its delimiter line to the next
/// delimiter), its head, and its content.
struct Part<'a> {
    whole: Range<usize>,
    head: &'a str,
    content: &'a [u8],
}

/// The parts of a `multipart/form-data` body with `boundary`. A body whose parts cannot be
/// found is unreadable.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, Unreadable> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let starts: Vec<usize> = find_all(body, delimiter);
    if starts.is_empty() {
        return Err(Unreadable);
    }
    starts
        .windows(2)
        .map(|pair| {
            let (start, end) = (pair[0], pair[1]);
            let part = &body[start + delimiter.len()..end];
            let part = part.strip_prefix(b"\r\n").ok_or(Unreadable)?;
            let head_end = part
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .ok_or(Unreadable)?;
            let head = std::str::from_utf8(&part[..head_end]).map_err(|_| Unreadable)?;
            let content = part[head_end + 4..]
                .strip_suffix(b"\r\n")
                .ok_or(Unreadable)?;
            Ok(Part {
                whole: start..end,
                head,
                content,
            })
        })
        .collect()
}

/// `token` parts of a `multipart/form-data` body with `boundary`: each whole part, from
/// its delimiter line to the next delimiter. A body whose parts cannot be found is
/// unreadable.
pub fn multipart_parts(body: &[u8], boundary: &str) -> Result<Found, Unreadable> {
    let mut values = Vec::new();
    let mut cuts = Vec::new();
    for part in parts(body, boundary)? {
        if part_name(part.head).as_deref() != Some("token") {
            continue;
        }
        values.push(String::from_utf8(part.content.to_vec()).map_err(|_| Unreadable)?);
        cuts.push(part.whole);
    }
    // Whole parts, each from its delimiter to the next: they never overlap.
    let edited = (!cuts.is_empty()).then(|| {
        let mut out = Vec::with_capacity(body.len());
        let mut at = 0;
        for range in &cuts {
            out.extend_from_slice(&body[at..range.start]);
            at = range.end;
        }
        out.extend_from_slice(&body[at..]);
        out
    });
    Ok(Found { values, edited })
}

/// The fields of a `multipart/form-data` body: each part's name, and its text (a file's
/// content is not an argument: it is given as empty).
pub fn multipart_fields(body: &[u8], boundary: &str) -> Result<Vec<(String, String)>, Unreadable> {
    parts(body, boundary)?
        .into_iter()
        .map(|part| {
            let name = part_name(part.head).ok_or(Unreadable)?;
            let value = if part.head.to_ascii_lowercase().contains("filename=") {
                String::new()
            } else {
                String::from_utf8(part.content.to_vec()).map_err(|_| Unreadable)?
            };
            Ok((name, value))
        })
        .collect()
}

/// The `name` of a part's `Content-Disposition: form-data` header.
fn part_name(head: &str) -> Option<String> {
    let disposition = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    disposition.split(';').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        (key.trim().eq_ignore_ascii_case("name")).then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return Vec::new();
    }
    (0..=haystack.len() - needle.len())
        .filter(|&i| &haystack[i..i + needle.len()] == needle)
        .collect()
}

#[cfg(test)]
mod tests;
