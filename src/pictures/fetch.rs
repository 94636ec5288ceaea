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

/// How long a picture's source may be trusted unchanged without asking
/// again, at most (whatever its `Cache-Control` says).
const MAX_FRESH_SECS: u64 = 24 * 3600;

/// What the source said about caching its picture: validators (RFC 9110
/// §8.8) to revalidate with, and its freshness (RFC 9111 §5.2.2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCache {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `max-age`, within 0..=[`MAX_FRESH_SECS`]; 0 for `no-store`/`no-cache`.
    pub fresh_secs: u64,
}

/// A download's result.
pub(super) enum Downloaded {
    /// The source answered 304 to a conditional request.
    NotModified(SourceCache),
    /// A new body, with what the source said about caching it.
    Body(Vec<u8>, SourceCache),
}

/// The body at `url` (at most 1 MiB), following redirects within `hosts`;
/// with `known` validators, a conditional request (RFC 9110 §13.1.1–2).
pub(super) async fn download(
    http: &UpstreamHttp,
    hosts: &PictureHosts,
    url: &str,
    known: Option<&SourceCache>,
) -> Result<Downloaded, Refusal> {
    let mut url = Url::parse(url).map_err(|_| Refusal::HostNotAllowed)?;
    if !hosts.allow(&url) {
        return Err(Refusal::HostNotAllowed);
    }
    let accept = IMAGE_TYPES.join(", ");
    let mut headers = vec![("accept", accept.as_str())];
    if let Some(etag) = known.and_then(|k| k.etag.as_deref()) {
        headers.push(("if-none-match", etag));
    }
    if let Some(date) = known.and_then(|k| k.last_modified.as_deref()) {
        headers.push(("if-modified-since", date));
    }
    for _ in 0..=MAX_REDIRECTS {
        // No bearer, no cookies: the client holds none.
        let fetched = http.get(url.clone(), None, &headers).await.map_err(|e| match e {
            UpstreamError::ResponseTooLarge => Refusal::TooLarge,
            UpstreamError::NonPublicAddress => Refusal::PrivateAddress,
            _ => Refusal::Unreachable,
        })?;
        if fetched.status == reqwest::StatusCode::NOT_MODIFIED && known.is_some() {
            return Ok(Downloaded::NotModified(source_cache(&fetched.headers)));
        }
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
        return Ok(Downloaded::Body(fetched.body, source_cache(&fetched.headers)));
    }
    Err(Refusal::TooManyRedirects)
}

/// The validators and freshness of a response; a validator longer than
/// any real one is not kept.
fn source_cache(headers: &header::HeaderMap) -> SourceCache {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| v.len() <= 128).map(str::to_owned);
    let mut fresh_secs = 0;
    let directives =
        headers.get_all(header::CACHE_CONTROL).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let mut uncacheable = false;
    for d in directives.map(str::trim) {
        if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
            uncacheable = true;
        } else if let Some(secs) = d.strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse::<u64>().ok()) {
            fresh_secs = secs.min(MAX_FRESH_SECS);
        }
    }
    SourceCache {
        etag: value(header::ETAG),
        last_modified: value(header::LAST_MODIFIED),
        fresh_secs: if uncacheable { 0 } else { fresh_secs },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn freshness_and_validators_are_read_within_bounds() {
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
        h.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        assert_eq!(
            source_cache(&h),
            SourceCache { etag: Some("\"v1\"".into()), last_modified: None, fresh_secs: 86400 }
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=31536000"));
        assert_eq!(source_cache(&h).fresh_secs, MAX_FRESH_SECS);
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, max-age=600"));
        assert_eq!(source_cache(&h).fresh_secs, 0);
        h.insert(header::ETAG, HeaderValue::from_str(&"x".repeat(200)).unwrap());
        assert_eq!(source_cache(&h).etag, None, "no unbounded validator is kept");
    }
}
