//! What every endpoint reads and answers alike: OAuth error answers and
//! request parameters, claimgate's cookies, the browser binding of a
//! sign-in, client authentication, DPoP, and redirects after a POST.

pub mod binding;
pub mod client_auth;
pub mod cookies;
pub mod dpop;
pub mod errors;
pub mod redirect;

/// Whether the request's body is of `media_type` (its `Content-Type`, any
/// parameters after it allowed: `; charset=utf-8`).
pub fn has_content_type(req: &actix_web::HttpRequest, media_type: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(media_type))
}
