//! The one HTTP client for every upstream call (discovery, JWKS, token,
//! userinfo, GitHub's API): timeouts and no redirects (set where it is
//! built, `startup::http_client`), and a cap on every response body, so a
//! misbehaving provider cannot make claimgate read, or hold, without bound.
//! `openidconnect` and `oauth2` call it through [`AsyncHttpClient`].

use super::UpstreamError;
use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::future::Future;
use std::pin::Pin;

/// TLS for every outbound client on `aws-lc-rs`, the library that already
/// signs claimgate's tokens: one crypto library in the binary, not two.
/// Call before building a `reqwest` client (idempotent).
pub fn use_aws_lc() {
    // Err only when a provider is installed already (by an earlier call).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The largest upstream response body claimgate reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct UpstreamHttp {
    client: reqwest::Client,
}

/// A response read in full (within the cap).
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("the response body is larger than {MAX_BODY_BYTES} bytes")]
pub struct TooLarge;

/// Why a JSON document (discovery, JWKS) could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {source}")]
    Upstream { url: String, source: UpstreamError },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: StatusCode },
    #[error("{url}: {reason}")]
    Unreadable { url: String, reason: String },
}

impl UpstreamHttp {
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }

    /// GET `url`, with a bearer token where given, reading at most
    /// [`MAX_BODY_BYTES`].
    pub async fn get(
        &self,
        url: reqwest::Url,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, UpstreamError> {
        let mut request = self.client.get(url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(|e| match super::public_dns::is_non_public(&e) {
            true => UpstreamError::NonPublicAddress,
            false => UpstreamError::Unreachable,
        })?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = read_capped(response).await.map_err(|e| match e {
            ReadError::TooLarge(_) => UpstreamError::ResponseTooLarge,
            ReadError::Transport(_) => UpstreamError::Unreachable,
        })?;
        Ok(Fetched { status, headers, body })
    }
}

impl UpstreamHttp {
    /// GET a JSON document; returns it with the response headers.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: reqwest::Url,
    ) -> Result<(T, HeaderMap), FetchError> {
        let name = url.to_string();
        let fetched = self
            .get(url, None, &[("accept", "application/json")])
            .await
            .map_err(|source| FetchError::Upstream { url: name.clone(), source })?;
        if !fetched.status.is_success() {
            return Err(FetchError::Status { url: name, status: fetched.status });
        }
        let document = serde_json::from_slice(&fetched.body)
            .map_err(|e| FetchError::Unreadable { url: name, reason: e.to_string() })?;
        Ok((document, fetched.headers))
    }
}

#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(TooLarge.into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(TooLarge.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl<'c> AsyncHttpClient<'c> for UpstreamHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = request.try_into().map_err(Box::new)?;
            let response = self.client.execute(request).await.map_err(Box::new)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = read_capped(response).await.map_err(|e| match e {
                ReadError::TooLarge(t) => HttpClientError::Other(t.to_string()),
                ReadError::Transport(t) => HttpClientError::Reqwest(Box::new(t)),
            })?;
            builder.body(body).map_err(HttpClientError::Http)
        })
    }
}
