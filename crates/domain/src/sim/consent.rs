//! The HTML pages of the simulated authorize step: consent, and the refusal page.

use super::oauth::{AuthorizeRefusal, Form};

use crate::text::html_escape as escape;

/// The consent page: the request's own parameters as hidden fields, a picker of where to
/// install (when there is a choice), and Allow / Cancel.
pub fn consent_page(query: &Form, choices: &[(String, String)]) -> String {
    let mut keys: Vec<&String> = query.keys().collect();
    keys.sort();
    let hidden: String = keys
        .iter()
        .map(|k| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(&query[*k])
            )
        })
        .collect();
    let list =
        |name: &str| escape(query.get(name).map(String::as_str).unwrap_or("")).replace(',', ", ");
    let picker = if choices.len() > 1 {
        let options: String = choices
            .iter()
            .map(|(id, name)| format!("<option value=\"{}\">{}</option>", escape(id), escape(name)))
            .collect();
        format!(
            "<p><label>Install to <select name=\"team\" id=\"team\">{options}</select></label></p>"
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html><html><head><title>Install app (Slack simulator)</title></head><body>\
         <h1>An app wants to join Sim Workspace</h1>\
         <p>Bot scopes: {}</p><p>User scopes: {}</p>\
         <form method=\"post\" action=\"/oauth/v2/authorize\">{hidden}{picker}\
         <button name=\"decision\" value=\"allow\">Allow</button>\
         <button name=\"decision\" value=\"deny\">Cancel</button></form></body></html>",
        list("scope"),
        list("user_scope"),
    )
}

pub fn refusal_page(refusal: &AuthorizeRefusal) -> String {
    format!(
        "<!doctype html><html><head><title>Slack: {code}</title></head><body><h1>Something went wrong</h1>\
         <p>{code}: {}</p></body></html>",
        escape(&refusal.explanation),
        code = refusal.code,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_page_escapes_what_it_echoes() {
        let mut q = Form::new();
        q.insert("state".into(), "\"><script>".into());
        q.insert("scope".into(), "chat:write,users:read".into());
        let page = consent_page(&q, &[]);
        assert!(page.contains("&quot;&gt;&lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("chat:write, users:read"));
        assert!(page.contains("value=\"allow\""));
    }
}
