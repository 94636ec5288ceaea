//! Server-rendered HTML, as `maud` templates: escaped at compile time, no
//! script, no external assets. One file per page family; `layout` wraps
//! each in the same document and `html` answers with the same security
//! headers (a CSP without scripts).

mod account;
mod sign_in;

pub use account::{confirm_sign_out, deleted, me, not_signed_in, signed_out, AppConsent, MeView, OwnPicture};
pub use sign_in::{dev_login, notice, plain_list, Choice, Notice};

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5;color:#1a1a1a;background:#fff}h1{font-size:1.4rem}a,button{font-size:1rem}\
button{padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1a56db;color:#fff;cursor:pointer}\
button:focus,a:focus{outline:3px solid #f59e0b;outline-offset:2px}ul{padding-left:1.2rem}\
code{background:#f3f4f6;padding:0 .2rem}.muted{color:#4b5563}";

/// The document every page shares.
fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · claimgate" }
                // A constant of this file, not user input.
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// A page answer with claimgate's security headers.
fn html(status: StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(page.into_string())
}

/// An error the user can read. `back` is where the app may be told of the
/// failure (its redirect URI with `error=`), when that is known to be safe.
pub fn error(status: StatusCode, title: &str, message: &str, back: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { (title) }
        p { (message) }
        @if let Some(url) = back {
            p { a href=(url) { "Return to the application" } }
        }
        p class="muted" { "Nothing about you was kept from this attempt." }
    };
    html(status, layout(title, body))
}

/// The store is down, slow, or holds as many sign-ins in progress as allowed:
/// a fast 503 the user may retry.
pub fn unavailable() -> HttpResponse {
    let mut response =
        error(StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable", "Please try again in a moment.", None);
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        let page = layout("<x>", html! { p { ("<script>alert(1)</script>") } }).into_string();
        assert!(!page.contains("<script>") && !page.contains("<x>"), "{page}");
        let r = error(StatusCode::BAD_REQUEST, "t", "m", Some("https://app.example/cb?a=1&b=\"2\""));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
