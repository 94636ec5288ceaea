//! The picture proxy (`[notice] picture = "proxy"`): claimgate fetches the
//! provider's picture itself at login, only from the provider's
//! `picture_hosts`, re-encodes it, and stores it sealed. Apps receive
//! `{public_url}/picture/{handle}`, a different URL per app, so that the
//! provider's URL (itself an identifier: one per account, the same for
//! every app) reaches no app, and no app's page tells the provider who
//! looks at it (docs/PRIVACY.md).

mod fetch;
mod reencode;

pub use fetch::SourceCache;
pub use reencode::{reencode, MAX_SIDE};

use crate::config::PictureHosts;
use crate::upstream::http::UpstreamHttp;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The longest a login waits for its picture: past it the app gets no
/// picture (never the provider's URL), and the login goes on.
pub const FETCH_BOUND: Duration = Duration::from_secs(3);

/// The largest picture claimgate stores and serves (a PNG it encoded): a
/// picture that would be larger at [`MAX_SIDE`] is kept at half that side.
pub const MAX_STORED_BYTES: usize = 96 * 1024;

/// How many pictures are decoded at once: each decode may hold up to
/// `reencode::MAX_DECODE_ALLOC` bytes.
const DECODES_AT_ONCE: usize = 2;

/// Why a provider's picture was not kept: a stable reason code for the
/// audit log and `claimgate_pictures_total`. Never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the picture's host is not in the provider's picture_hosts")]
    HostNotAllowed,
    #[error("the picture's host redirected outside the provider's picture_hosts")]
    RedirectNotAllowed,
    #[error("the picture's host redirected too often")]
    TooManyRedirects,
    #[error("the picture's host could not be reached")]
    Unreachable,
    #[error("the picture's host name resolves to a loopback, private, link-local or unique-local address")]
    PrivateAddress,
    #[error("the picture's host answered with an error")]
    Status,
    #[error("the picture is larger than claimgate fetches")]
    TooLarge,
    #[error("the response is not a PNG, JPEG, GIF or WebP image")]
    NotAnImage,
    #[error("the picture has more pixels than claimgate decodes")]
    TooManyPixels,
    #[error("the picture could not be decoded")]
    Undecodable,
    #[error("the picture took too long")]
    TimedOut,
}

impl Refusal {
    pub const ALL: [Refusal; 11] = [
        Refusal::HostNotAllowed,
        Refusal::RedirectNotAllowed,
        Refusal::TooManyRedirects,
        Refusal::Unreachable,
        Refusal::PrivateAddress,
        Refusal::Status,
        Refusal::TooLarge,
        Refusal::NotAnImage,
        Refusal::TooManyPixels,
        Refusal::Undecodable,
        Refusal::TimedOut,
    ];

    pub fn reason(self) -> &'static str {
        match self {
            Refusal::HostNotAllowed => "host_not_allowed",
            Refusal::RedirectNotAllowed => "redirect_not_allowed",
            Refusal::TooManyRedirects => "too_many_redirects",
            Refusal::Unreachable => "unreachable",
            Refusal::PrivateAddress => "private_address",
            Refusal::Status => "status",
            Refusal::TooLarge => "too_large",
            Refusal::NotAnImage => "not_an_image",
            Refusal::TooManyPixels => "too_many_pixels",
            Refusal::Undecodable => "undecodable",
            Refusal::TimedOut => "timed_out",
        }
    }
}

/// Fetches and re-encodes pictures; builds the URLs apps receive.
pub struct Pictures {
    http: UpstreamHttp,
    decoding: Arc<Semaphore>,
    /// `{public_url}/picture/`.
    base: String,
}

impl Pictures {
    /// `http` follows no redirect by itself and caps every body at 1 MiB
    /// (`upstream::http`); it keeps no cookies.
    pub fn new(http: UpstreamHttp, issuer: &str) -> Self {
        Self {
            http,
            decoding: Arc::new(Semaphore::new(DECODES_AT_ONCE)),
            base: format!("{}/picture/", issuer.trim_end_matches('/')),
        }
    }

    /// The URL one client receives for a picture handle.
    pub fn url(&self, handle: &str) -> String {
        format!("{}{handle}", self.base)
    }

    /// The provider's picture at `url`, fetched from `hosts` only and
    /// re-encoded, within [`FETCH_BOUND`]. With the `known` validators of
    /// the picture kept from it before, the source may answer that it has
    /// not changed: nothing is decoded or encoded then.
    pub async fn fetch(
        &self,
        hosts: &PictureHosts,
        url: &str,
        known: Option<&SourceCache>,
    ) -> Result<Fetched, Refusal> {
        let work = async {
            let (bytes, cache) = match fetch::download(&self.http, hosts, url, known).await? {
                fetch::Downloaded::NotModified(cache) => return Ok(Fetched::Unchanged(cache)),
                fetch::Downloaded::Body(bytes, cache) => (bytes, cache),
            };
            // Decoding is CPU work: off the async workers, a few at a time.
            // The permit moves into the task, so a decode that outlives the
            // bound still counts until it ends.
            let permit = self.decoding.clone().acquire_owned().await.map_err(|_| Refusal::Undecodable)?;
            let png = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                reencode(&bytes)
            })
            .await
            .map_err(|_| Refusal::Undecodable)??;
            Ok(Fetched::New(png, cache))
        };
        tokio::time::timeout(FETCH_BOUND, work).await.unwrap_or(Err(Refusal::TimedOut))
    }
}

/// What a fetch found.
pub enum Fetched {
    /// The source's picture has not changed since it was kept (304).
    Unchanged(SourceCache),
    /// A new picture: the PNG claimgate encoded, and the source's caching.
    New(Vec<u8>, SourceCache),
}

/// The source a picture was kept from, as stored beside it: a digest of
/// the provider's URL (the URL itself is not kept).
pub fn source_of(url: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(url.as_bytes()))
}

/// A strong validator of the bytes served (RFC 9110 §8.8.3).
pub fn etag(png: &[u8]) -> String {
    let digest = Sha256::digest(png);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default()))
}
