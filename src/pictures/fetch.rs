//! Downloading a provider's picture: only from its `picture_hosts`, every
//! redirect checked against them, no cookies or credentials, the body
//! capped, and only image content types.

use super::Refusal;
use crate::config::PictureHosts;
use crate::upstream::http::UpstreamHttp;
use crate::upstream::UpstreamError;
use reqwest::header;
use url::Url;

/// Redirects followed, each to a listed host.
const MAX_REDIRECTS: usize = 3;

/// The image types claimgate decodes; SVG (a document that can carry
/// script) is not one of them.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The body at `url` (at most 1 MiB), following redirects within `hosts`.
pub(super) async fn download(http: &UpstreamHttp, hosts: &PictureHosts, url: &str) -> Result<Vec<u8>, Refusal> {
    let mut url = Url::parse(url).map_err(|_| Refusal::HostNotAllowed)?;
    if !hosts.allow(&url) {
        return Err(Refusal::HostNotAllowed);
    }
    for _ in 0..=MAX_REDIRECTS {
        // No bearer, no cookies: the client holds none.
        let fetched =
            http.get(url.clone(), None, &[("accept", &IMAGE_TYPES.join(", "))]).await.map_err(|e| match e {
                UpstreamError::ResponseTooLarge => Refusal::TooLarge,
                UpstreamError::NonPublicAddress => Refusal::PrivateAddress,
                _ => Refusal::Unreachable,
            })?;
        if fetched.status.is_redirection() {
            let next = fetched
                .headers
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or(Refusal::Status)?;
            if !hosts.allow(&next) {
                return Err(Refusal::RedirectNotAllowed);
            }
            url = next;
            continue;
        }
        if !fetched.status.is_success() {
            return Err(Refusal::Status);
        }
        let content_type = fetched.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !IMAGE_TYPES.contains(&essence.as_str()) {
            return Err(Refusal::NotAnImage);
        }
        return Ok(fetched.body);
    }
    Err(Refusal::TooManyRedirects)
}
