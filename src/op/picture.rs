//! `GET /picture/{handle}` (one client's URL for a user's picture) and
//! `GET /me/picture`; the picture is settled at login by `crate::account::picture`.

use crate::account::session;
use crate::policy::{Picture, ProfileClaim};
use crate::protocol::errors::Unavailable;
use crate::state::AppState;
use crate::store::records::StoredPicture;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// `GET /picture/{handle}`: one client's URL for one user's picture. Not
/// found when the handle is unknown, the user was erased or signed in
/// again without a picture, or the client no longer receives pictures.
pub async fn picture(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Unavailable> {
    let handle = path.into_inner();
    // Handles are HMAC-SHA256 in base64url: anything else is not looked up.
    if handle.len() != 43 || !handle.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(not_found());
    }
    let Some(link) = state.records.get_picture_link(&handle).await? else { return Ok(not_found()) };
    if !state.client(&link.client_id).is_some_and(|c| c.claims.contains(&ProfileClaim::Picture)) {
        return Ok(not_found());
    }
    match state.records.get_picture(&link.user_key).await? {
        // Any site may show it in an <img> (the app's pages).
        Some(p) => Ok(image(&req, &p, &handle, "cross-origin")),
        None => Ok(not_found()),
    }
}

/// `GET /me/picture`: the signed-in user's own picture, for `/me`.
pub async fn own_picture(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Unavailable> {
    let Some((_, s)) = session::current(&state, &req).await? else { return Ok(not_found()) };
    if s.profile.picture != Some(Picture::Proxied) {
        return Ok(not_found());
    }
    match state.records.get_picture(&s.user_key).await? {
        Some(p) => Ok(image(&req, &p, "me", "same-origin")),
        None => Ok(not_found()),
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// The ETag of the picture at one URL (`url_id`: the handle, or "me"):
/// the bytes' validator combined with the URL, so that two apps' URLs for
/// one picture do not share a value that would link the user.
fn url_etag(p: &StoredPicture, url_id: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(p.etag.as_bytes()).chain_update(b"\0").chain_update(url_id).finalize();
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default()))
}

/// The image with headers that let it be nothing but an image: exact type,
/// no sniffing, no active content, no cookies; cached privately and
/// revalidated (so that erasure takes effect) by its ETag, one per URL.
fn image(req: &HttpRequest, p: &StoredPicture, url_id: &str, resource_policy: &'static str) -> HttpResponse {
    let etag = url_etag(p, url_id);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag || tag.trim() == "*"));
    let mut response = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"))
        .insert_header(("Cross-Origin-Resource-Policy", resource_policy))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if unchanged {
        response.finish()
    } else {
        response.content_type("image/png").body(p.png.clone())
    }
}
