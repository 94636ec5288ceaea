//! Binds every step of a sign-in to the browser that began it, against
//! login CSRF and session swapping (RFC 6749 §10.12, RFC 9700 §4.7.1).
//!
//! A sign-in starts at `/authorize` or `/auth/start`: the browser gets a
//! short-lived random cookie (`__Host-claimgate-login` on https), and the
//! records of that sign-in (notice ticket, pending upstream login,
//! forward-auth return) hold its SHA-256, never the value. Each later step
//! (`/authorize/continue`, `/callback/{provider}`, `/auth/callback`) runs
//! only for the browser that presents the matching cookie: a link carrying
//! an attacker's `state` and `code`, or an attacker's notice ticket, does
//! nothing in a victim's browser. One cookie serves every sign-in a browser
//! runs at once (several tabs), so a new one is made only when none is there.

use crate::messages::Msg;
use crate::pages;
use crate::protocol::cookies;
use crate::state::AppState;
use crate::store::records::{random_handle, BindingDigest};
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.server.is_https() {
        "__Host-claimgate-login"
    } else {
        "claimgate-login"
    }
}

/// The browser's binding: the value its cookie holds, or a fresh one.
pub struct BrowserBinding {
    value: String,
}

impl BrowserBinding {
    pub fn of(state: &AppState, req: &HttpRequest) -> Self {
        let existing = cookies::presented(req, cookie_name(state)).filter(|v| is_handle(v));
        Self { value: existing.unwrap_or_else(random_handle) }
    }

    /// What the sign-in's records hold.
    pub fn digest(&self) -> BindingDigest {
        BindingDigest::of(&self.value)
    }

    /// HttpOnly, SameSite=Lax (it must come back on the provider's top-level
    /// redirect to the callback), for as long as a pending sign-in lives.
    pub fn cookie(&self, state: &AppState) -> Cookie<'static> {
        cookies::own_cookie(state, cookie_name(state), &self.value, state.config.lifetimes.pending_login)
    }

    /// `response`, setting (or renewing) the binding cookie.
    pub fn attach(&self, state: &AppState, mut response: HttpResponse) -> HttpResponse {
        if let Err(e) = response.add_cookie(&self.cookie(state)) {
            tracing::error!(error = %e, "could not set the sign-in cookie");
        }
        response
    }
}

/// Whether `req` comes from the browser whose binding is `expected`.
pub fn is_same_browser(state: &AppState, req: &HttpRequest, expected: &BindingDigest) -> bool {
    cookies::presented(req, cookie_name(state)).is_some_and(|v| expected.matches(&v))
}

/// The answer to a sign-in step finished in another browser: nothing issued.
pub fn other_browser_page() -> HttpResponse {
    pages::refused(StatusCode::BAD_REQUEST, Msg::OtherBrowserTitle, Msg::OtherBrowserText)
}

/// A value claimgate could have made: 32 random bytes, base64url.
fn is_handle(v: &str) -> bool {
    v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_value_matches_and_the_empty_digest_matches_nothing() {
        let v = random_handle();
        assert!(is_handle(&v));
        assert!(BindingDigest::of(&v).matches(&v));
        assert!(!BindingDigest::of(&v).matches(&random_handle()));
        assert!(!BindingDigest::default().matches(""));
        assert!(!BindingDigest::default().matches(&v));
        assert!(!is_handle("short") && !is_handle(&format!("{}=", &v[..42])));
    }
}
