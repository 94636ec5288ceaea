//! Server-rendered HTML: no script, no external assets, escaped everywhere.

use crate::policy::ProfileClaim;
use actix_web::http::{header, StatusCode};
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

/// The store is down or slow: a fast 503 the user may retry.
/// The store is down, slow, or holds as many sign-ins in progress as allowed.
pub fn unavailable() -> HttpResponse {
    let mut response =
        error(StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable", "Please try again in a moment.", None);
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}

/// What the notice page says, all of it from the policy.
pub struct Notice<'a> {
    pub app: &'a str,
    /// What this app will receive under the scopes it asked for.
    pub receives: &'a [ProfileClaim],
    /// `notice.keeps`.
    pub keeps: &'a [ProfileClaim],
    pub notice_url: Option<&'a str>,
    pub ticket: &'a str,
    /// (id, display name) per provider button; empty: one "Continue" button.
    pub providers: &'a [(&'a str, &'a str)],
}

/// "your name, email address and profile picture"
pub fn plain_list(claims: &[ProfileClaim]) -> String {
    let words: Vec<&str> = claims
        .iter()
        .map(|c| match c {
            ProfileClaim::Name => "name",
            ProfileClaim::Email => "email address",
            ProfileClaim::Picture => "profile picture",
        })
        .collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => format!("your {one}"),
        [init @ .., last] => format!("your {} and {last}", init.join(", ")),
    }
}

/// The notice shown before the user is sent upstream (and the provider
/// chooser when there are several): one form, one button per choice.
pub fn notice(n: &Notice) -> HttpResponse {
    let receives = if n.receives.is_empty() {
        "only an identifier that is unique to it, so it cannot recognise you elsewhere".to_string()
    } else {
        format!("{}, and an identifier that is unique to it", plain_list(n.receives))
    };
    let link =
        n.notice_url.map(|u| format!(" <a href=\"{}\">Read the privacy notice</a>.", attr(u))).unwrap_or_default();
    let buttons: String = if n.providers.is_empty() {
        "<button type=\"submit\">Continue</button>".into()
    } else {
        n.providers
            .iter()
            .map(|(id, name)| {
                format!(
                    "<p><button type=\"submit\" name=\"provider\" value=\"{}\">Continue with {}</button></p>",
                    attr(id),
                    text(name)
                )
            })
            .collect()
    };
    let body = format!(
        "<h1>{} asks you to sign in</h1>\
<p>{} will receive {}.</p>\
<p>claimgate keeps {}; nothing else from your account is kept.{link}</p>\
<form method=\"post\" action=\"/authorize/continue\"><input type=\"hidden\" name=\"ticket\" value=\"{}\">{buttons}</form>",
        text(n.app),
        text(n.app),
        text(&receives),
        text(&plain_list(n.keeps)),
        attr(n.ticket),
    );
    html(StatusCode::OK, page(&format!("Sign in to {}", n.app), &body))
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
    fn plain_words() {
        assert_eq!(plain_list(&ProfileClaim::ALL), "your name, email address and profile picture");
        assert_eq!(plain_list(&[ProfileClaim::Email]), "your email address");
    }

    #[test]
    fn escapes_everything() {
        let p = page("<x>", &format!("{}", text("<script>")));
        assert!(!p.contains("<script>") && !p.contains("<x>"));
    }
}
