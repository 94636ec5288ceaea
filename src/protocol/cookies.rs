//! claimgate's own cookies. The SSO session cookie: HttpOnly, SameSite=Lax,
//! holding only a random id. `__Host-` prefixed and Secure when `public_url`
//! is https; neither on plain http (local testing), where browsers would
//! refuse them.

use crate::state::AppState;
use crate::store::records::SessionId;
use actix_web::cookie::{Cookie, SameSite};
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
    req.cookie(cookie_name(state)).map(|c| c.value().to_owned()).filter(|v| !v.is_empty()).map(SessionId::presented)
}
