//! Server-rendered HTML: no script, no external assets, escaped everywhere.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5;color:#1a1a1a;background:#fff}h1{font-size:1.4rem}a,button{font-size:1rem}\
button{padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1a56db;color:#fff;cursor:pointer}\
button:focus,a:focus{outline:3px solid #f59e0b;outline-offset:2px}ul{padding-left:1.2rem}\
code{background:#f3f4f6;padding:0 .2rem}.muted{color:#4b5563}";

/// A whole page around already-escaped `body` HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · claimgate</title>\
<style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        text(title)
    )
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self' http: https:; frame-ancestors 'none'"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// An error the user can read. `back` is where the app may be told of the
/// failure (its redirect URI with `error=`), when that is known to be safe.
pub fn error(status: StatusCode, title: &str, message: &str, back: Option<&str>) -> HttpResponse {
    let back =
        back.map(|url| format!("<p><a href=\"{}\">Return to the application</a></p>", attr(url))).unwrap_or_default();
    let body = format!(
        "<h1>{}</h1><p>{}</p>{back}<p class=\"muted\">Nothing about you was kept from this attempt.</p>",
        text(title),
        text(message)
    );
    html(status, page(title, &body))
}

/// The provider chooser: one link per provider, each continuing the same request.
pub fn chooser(app_name: &str, choices: &[(String, String)]) -> HttpResponse {
    let items: String = choices
        .iter()
        .map(|(name, href)| format!("<li><a href=\"{}\">Sign in with {}</a></li>", attr(href), text(name)))
        .collect();
    let body = format!("<h1>Sign in to {}</h1><p>Choose how to sign in.</p><ul>{items}</ul>", text(app_name));
    html(StatusCode::OK, page("Choose a sign-in", &body))
}

/// The dev provider's sample login page: shows every claim the stand-in
/// upstream will send, so the filter's work is visible afterwards.
pub fn dev_login(provider_id: &str, state: &str, claims: &serde_json::Map<String, serde_json::Value>) -> HttpResponse {
    let rows: String =
        claims.iter().map(|(k, v)| format!("<li><code>{}</code>: {}</li>", text(k), text(&v.to_string()))).collect();
    let body = format!(
        "<h1>Dev sign-in (not a real provider)</h1>\
<p>This stand-in upstream signs in one sample user and sends these claims. \
claimgate keeps only what the notice allows and drops the rest.</p><ul>{rows}</ul>\
<form method=\"get\" action=\"/callback/{}\"><input type=\"hidden\" name=\"state\" value=\"{}\">\
<input type=\"hidden\" name=\"code\" value=\"dev-approved\"><button type=\"submit\">Sign in as the sample user</button></form>",
        attr(provider_id),
        attr(state)
    );
    html(StatusCode::OK, page("Dev sign-in", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        let p = page("<x>", &format!("{}", text("<script>")));
        assert!(!p.contains("<script>") && !p.contains("<x>"));
    }
}
