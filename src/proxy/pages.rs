//! The public face's pages: small, plain HTML with no outside assets and no script, so
//! they work with JavaScript off and load nothing from elsewhere.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::engine::text::html_escape as escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5}\
a.add{display:inline-block;padding:.6em 1.2em;border:1px solid #4a154b;border-radius:4px;color:#fff;background:#4a154b;text-decoration:none;font-weight:600}";

/// A page, with headers that keep it to itself: nothing loads from elsewhere, it is not
/// framed, and the URL it was reached by (which may hold Slack's code) is never sent on.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The install page: one link to Slack's authorize page.
pub fn install(app: &str, authorize_url: &str) -> Response {
    page(
        StatusCode::OK,
        &format!("Install {app}"),
        &format!(
            "<h1>Install {}</h1><p>Add {} to a Slack workspace, or to a whole Enterprise Grid org.</p>\
             <p><a class=\"add\" id=\"add-to-slack\" href=\"{}\">Add to Slack</a></p>",
            escape(app),
            escape(app),
            escape(authorize_url)
        ),
    )
}

/// After a finished install.
pub fn installed(app: &str, place: &str) -> Response {
    page(
        StatusCode::OK,
        &format!("{app} is installed"),
        &format!(
            "<h1 id=\"installed\">{} is installed</h1><p>It is now in {}. You can close this page.</p>",
            escape(app),
            escape(place)
        ),
    )
}

/// An install that stored nothing, and why.
pub fn refused(app: &str, reason: &str, explanation: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        &format!("{app} was not installed"),
        &format!(
            "<h1 id=\"not-installed\">{} was not installed</h1><p>{}</p><p><small>({})</small></p>",
            escape(app),
            escape(explanation),
            escape(reason)
        ),
    )
}

pub fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<h1>Not found</h1><p>There is nothing here.</p>",
    )
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn what_a_page_echoes_is_escaped() {
        let page = super::install("<app>", "https://slack.test/?a=1&b=\"x\"");
        let body = axum::body::to_bytes(page.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("Install &lt;app&gt;"), "{body}");
        assert!(
            body.contains("href=\"https://slack.test/?a=1&amp;b=&quot;x&quot;\""),
            "{body}"
        );
        assert!(!body.contains("<app>"));
    }
}
