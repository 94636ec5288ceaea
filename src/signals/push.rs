//! Push delivery of a SET (RFC 8935), one attempt; the back-channel queue
//! (`backchannel::attempt`) retries it. The HTTP client is the one every
//! call to an app's back channel uses.

use super::streams::Stream;
use crate::state::Notifier;
use crate::store::records::{Delivery, StreamDelivery, StreamStatus};
use serde::Deserialize;
use std::sync::OnceLock;
use std::time::Duration;

/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One HTTP client for every call to an app (logout tokens, SETs): no
/// redirects (the app registered one URI), no cookies, a bounded time.
/// `None` if it could not be built (its TLS backend failed): deliveries
/// then fail and are retried, never sent by a client without those bounds.
pub fn http() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::upstream::http::use_aws_lc();
            let built = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(TIMEOUT).build();
            built.map_err(|e| tracing::error!(error = %e, "back-channel HTTP client could not be built")).ok()
        })
        .as_ref()
}

/// RFC 8935 §2.4: the error codes a receiver may answer; anything else is
/// logged as `other`, so that a receiver's text never reaches the log.
const RECEIVER_ERRORS: [&str; 6] =
    ["invalid_request", "invalid_key", "invalid_issuer", "invalid_audience", "authentication_failed", "access_denied"];

/// A receiver's error code as a bounded label.
pub fn receiver_error_code(err: &str) -> &'static str {
    RECEIVER_ERRORS.into_iter().find(|c| *c == err).unwrap_or("other")
}

#[derive(Deserialize)]
struct ReceiverError {
    err: String,
}

/// What became of a queued SET at an attempt that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    /// The receiver accepted it (202).
    Delivered,
    /// The stream was since paused or turned to polling: held for it.
    Held,
    /// The stream was since disabled or deleted.
    Dropped,
}

impl Handed {
    pub fn label(self) -> &'static str {
        match self {
            Handed::Delivered => "delivered",
            Handed::Held => "held",
            Handed::Dropped => "dropped",
        }
    }
}

/// One attempt to push a queued SET to its client's stream as it stands
/// now. `Err` names why it failed.
pub async fn deliver(n: &Notifier<'_>, d: &Delivery, set: &str) -> Result<Handed, &'static str> {
    let client = n.client(&d.client_id).ok_or("client_removed")?;
    let stream = Stream::of(n, client).await.map_err(|_| "store_unavailable")?;
    let Some(stream) = stream.filter(|s| s.status != StreamStatus::Disabled) else {
        return Ok(Handed::Dropped);
    };
    let (url, authorization) = match (&stream.delivery, stream.status) {
        (StreamDelivery::Push { endpoint_url, authorization_header }, StreamStatus::Enabled) => {
            (endpoint_url.as_str(), authorization_header.as_deref())
        }
        _ => {
            return match n.records.hold_event(&d.client_id, &d.jti, set).await.map_err(|_| "store_unavailable")? {
                true => Ok(Handed::Held),
                false => Ok(Handed::Dropped),
            };
        }
    };
    let http = http().ok_or("no_http_client")?;
    // RFC 8935 §2: the SET as the body, typed.
    let mut request = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/secevent+jwt")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(set.to_owned());
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let response = request.send().await.map_err(|_| "unreachable")?;
    match response.status().as_u16() {
        // §2.2: accepted.
        202 => Ok(Handed::Delivered),
        // §2.3: refused, with an error code (§2.4).
        400 => {
            let mut response = response;
            let mut body = Vec::new();
            // A bounded read: the receiver's answer is never kept whole.
            while let Ok(Some(chunk)) = response.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() > 4096 {
                    break;
                }
            }
            let err = serde_json::from_slice::<ReceiverError>(&body).ok();
            let code = err.map_or("other", |e| receiver_error_code(&e.err));
            n.metrics.ssf_receiver_errors.with_label_values(&[&d.client_id, code]).inc();
            Err(code)
        }
        _ => Err("refused"),
    }
}
