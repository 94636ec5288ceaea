//! claimgate's own cookies. The SSO session cookie: HttpOnly, SameSite=Lax,
//! holding only a random id. `__Host-` prefixed and Secure when `public_url`
//! is https; neither on plain http (local testing), where browsers would
//! refuse them. `presented` reads any of claimgate's cookies from a request.

use crate::state::AppState;
use crate::store::records::SessionId;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::HttpRequest;
use std::time::Duration;

pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.server.is_https() {
        "__Host-claimgate-session"
    } else {
        "claimgate-session"
    }
}

pub fn session_cookie(state: &AppState, id: &SessionId) -> Cookie<'static> {
    own_cookie(state, cookie_name(state), id.as_str(), state.config.lifetimes.session_absolute)
}

/// A cookie of claimgate's own host: path `/`, HttpOnly, SameSite=Lax,
/// Secure on https (where its name carries `__Host-`).
pub fn own_cookie(state: &AppState, name: &'static str, value: &str, max_age: Duration) -> Cookie<'static> {
    Cookie::build(name, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(state.config.server.is_https())
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = session_cookie(state, &SessionId::presented(""));
    c.make_removal();
    c
}

pub fn session_id(state: &AppState, req: &HttpRequest) -> Option<SessionId> {
    presented(req, cookie_name(state)).filter(|v| !v.is_empty()).map(SessionId::presented)
}

/// The value of the first cookie named `name`, percent-decoded, as
/// `HttpRequest::cookie` finds it, without decoding and keeping every other
/// cookie first (a Cookie header that is not UTF-8 hides them all, as there).
pub fn presented(req: &HttpRequest, name: &str) -> Option<String> {
    let mut found = None;
    for h in req.headers().get_all(header::COOKIE) {
        let text = std::str::from_utf8(h.as_bytes()).ok()?;
        if found.is_none() {
            found = text
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .filter_map(|c| Cookie::parse_encoded(c).ok())
                .find(|c| c.name() == name)
                .map(|c| c.value().to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;

    /// The same cookie `HttpRequest::cookie` would find, for each shape of
    /// Cookie header a browser or an attacker may send.
    #[test]
    fn finds_the_cookie_actix_would() {
        let name = "claimgate-fa-wiki";
        let headers: [&[&[u8]]; 8] = [
            &[b"claimgate-fa-wiki=abc"],
            &[b"a=1; claimgate-fa-wiki=abc; b=2"],
            &[b"claimgate-fa-wiki=first; claimgate-fa-wiki=second"],
            &[b"a=1", b"claimgate-fa-wiki=in-the-second-header"],
            &[b" ;; claimgate-fa-wiki=a%20b ;"],
            &[b"claimgate%2Dfa-wiki=decoded-name"],
            &[b"other=1"],
            &[b"claimgate-fa-wiki=abc", b"x=\xff"],
        ];
        for cookies in headers {
            let mut req = TestRequest::default();
            for c in cookies {
                req = req.append_header((header::COOKIE, HeaderValue::from_bytes(c).unwrap()));
            }
            let req = req.to_http_request();
            let expected = req.cookie(name).map(|c| c.value().to_owned());
            assert_eq!(presented(&req, name), expected, "{cookies:?}");
        }
    }
}
