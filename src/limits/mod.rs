//! Limits at the edge, before any handler reads or stores anything: query
//! and body sizes (414, 413), and per-address request rates on the
//! endpoints anyone can call before signing in (429 with `Retry-After`),
//! counted by `governor` in this instance, or with `limits.shared_rates` in
//! the shared store for all instances together. The client's address is
//! found behind trusted proxies by `client_address`. The `[limits]` section
//! sets them (`config::Limits`, defaults in docs/SECURITY.md).

mod client_address;

use crate::config::Limits;
use crate::messages::Msg;
use crate::metrics::Metrics;
use crate::pages::{self, language};
use crate::policy::Pseudonymizer;
use crate::store::Store;
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
pub use client_address::{ClientAddress, Seen};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Addresses tracked at once per limiter. Beyond, every new request shares
/// one overflow bucket until the periodic cleanup: the limiter's memory is
/// bounded however many addresses an attacker controls.
const MAX_TRACKED: usize = 100_000;

/// The requests a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Browser sign-in steps, each of which may store a pre-login record or call an upstream.
    SignIn,
    /// App back-ends: `/token`, `/revoke`.
    Token,
}

impl Class {
    fn of(path: &str) -> Option<Class> {
        match path {
            "/authorize" | "/authorize/continue" | "/auth/start" | "/auth/callback" => Some(Class::SignIn),
            p if p.starts_with("/callback/") => Some(Class::SignIn),
            "/token" | "/revoke" | "/introspect" | "/par" => Some(Class::Token),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Class::SignIn => "sign_in_rate",
            Class::Token => "token_rate",
        }
    }
}

/// The rate limiters, keyed by client address, and the size limits. Shared
/// with the middleware as its own app data.
pub struct EdgeLimits {
    metrics: Arc<Metrics>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    token: DefaultKeyedRateLimiter<IpAddr>,
    address: ClientAddress,
    /// Whether the one warning about forwarding headers from an untrusted
    /// peer was logged.
    warned_untrusted: AtomicBool,
    max_query_bytes: usize,
    max_form_bytes: usize,
    /// `limits.shared_rates`: the store that counts for every instance, and
    /// the keyed hash that names an address there.
    shared: Option<(Arc<dyn Store>, Arc<Pseudonymizer>)>,
    sign_in_per_minute: u32,
    token_per_minute: u32,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl EdgeLimits {
    pub fn new(limits: &Limits, metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            sign_in: RateLimiter::keyed(per_minute(limits.sign_in_per_minute)),
            token: RateLimiter::keyed(per_minute(limits.token_per_minute)),
            address: ClientAddress { trusted: limits.trusted_proxies.clone(), header: limits.client_ip_header.clone() },
            warned_untrusted: AtomicBool::new(false),
            max_query_bytes: limits.max_query_bytes,
            max_form_bytes: limits.max_form_bytes,
            shared: None,
            sign_in_per_minute: limits.sign_in_per_minute,
            token_per_minute: limits.token_per_minute,
        }
    }

    /// Counts the per-address rates in `store`, for every instance that
    /// shares it (`limits.shared_rates`).
    pub fn shared(self, store: Arc<dyn Store>, names: Arc<Pseudonymizer>) -> Self {
        Self { shared: Some((store, names)), ..self }
    }

    /// Forgets addresses whose buckets are full again (call every minute or so).
    pub fn retain_recent(&self) {
        for limiter in [&self.sign_in, &self.token] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// The client's address (see [`ClientAddress`]). IPv6 counts by /64,
    /// the block one subscriber usually holds. Forwarding headers from an
    /// untrusted peer are counted, and warned about once: behind a proxy
    /// not listed in `limits.trusted_proxies`, every user shares its address.
    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let seen = self.address.of(req.peer_addr()?.ip(), req.headers());
        if seen.untrusted_forwarding {
            self.metrics.untrusted_forwarded.inc();
            if !self.warned_untrusted.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "requests carry X-Forwarded-For or Forwarded from a peer not in limits.trusted_proxies: \
                     the peer's address is used, so everyone behind that proxy shares one rate limit; \
                     list the proxy in limits.trusted_proxies (and set limits.client_ip_header if it is not Forwarded)"
                );
            }
        }
        Some(bucket(seen.client))
    }

    /// `None` when the request may go on; else how long to wait. Shared:
    /// one store round trip; a store that does not answer falls back to
    /// this instance's own count rather than refusing everyone.
    async fn check_rate(&self, class: Class, client: IpAddr) -> Option<Duration> {
        let Some((store, names)) = &self.shared else { return self.check(class, client) };
        let limit = match class {
            Class::SignIn => self.sign_in_per_minute,
            Class::Token => self.token_per_minute,
        };
        let key = format!("rate:{}:{}", class.label(), names.address_key(&client.to_string()));
        match store.rate(&key, limit, Duration::from_secs(60)).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(error = %e, "shared rate limit unavailable: counting on this instance");
                self.check(class, client)
            }
        }
    }

    /// This instance's own count.
    fn check(&self, class: Class, client: IpAddr) -> Option<Duration> {
        let limiter = match class {
            Class::SignIn => &self.sign_in,
            Class::Token => &self.token,
        };
        let key = if limiter.len() >= MAX_TRACKED { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { client };
        limiter.check_key(&key).err().map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

/// Why a request was refused at the edge.
enum Refusal {
    QueryTooLong,
    BodyTooLarge,
    TooMany(Class, Duration),
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Refusal::QueryTooLong => "query_too_long",
            Refusal::BodyTooLarge => "body_too_large",
            Refusal::TooMany(class, _) => class.label(),
        }
    }

    /// A page for browsers (in their language); an OAuth-style JSON error
    /// for app back-ends (in English, RFC 6749 §5.2's ASCII).
    fn response(&self, json: bool, req: &actix_web::HttpRequest) -> HttpResponse {
        let (status, title, text) = match self {
            Refusal::QueryTooLong => (StatusCode::URI_TOO_LONG, Msg::TooLongTitle, Msg::TooLongText),
            Refusal::BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, Msg::TooLargeTitle, Msg::TooLargeText),
            Refusal::TooMany(..) => (StatusCode::TOO_MANY_REQUESTS, Msg::TooManyTitle, Msg::TooManyText),
        };
        let mut response = if json {
            HttpResponse::build(status).json(serde_json::json!({
                "error": if status == StatusCode::TOO_MANY_REQUESTS { "temporarily_unavailable" } else { "invalid_request" },
                "error_description": language::english(text),
            }))
        } else {
            language::render_for(req, || pages::refused(status, title, text))
        };
        if let Refusal::TooMany(_, wait) = self {
            // RFC 9110 §10.2.3: whole seconds, at least one.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = header::HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

async fn exceeded(limits: &EdgeLimits, req: &ServiceRequest, class: Option<Class>) -> Option<Refusal> {
    if req.query_string().len() > limits.max_query_bytes {
        return Some(Refusal::QueryTooLong);
    }
    // Chunked bodies are bounded by the extractors' limits (web::PayloadConfig).
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_form_bytes) {
        return Some(Refusal::BodyTooLarge);
    }
    let class = class?;
    let client = limits.client(req)?;
    limits.check_rate(class, client).await.map(|wait| Refusal::TooMany(class, wait))
}

/// The answer to a request that exceeds a limit, before any handler runs;
/// `None` when it may go on (the `edge` middleware calls this).
pub async fn refusal(limits: &EdgeLimits, req: &ServiceRequest) -> Option<HttpResponse> {
    let class = Class::of(req.path());
    let refused = exceeded(limits, req, class).await?;
    limits.metrics.limited.with_label_values(&[refused.label()]).inc();
    tracing::info!(reason = refused.label(), "request refused at the edge");
    Some(refused.response(class == Some(Class::Token), req.request()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket(c));
        assert_eq!(bucket("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_burst_beyond_the_quota_waits_and_other_addresses_do_not() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let limits = EdgeLimits::new(&Limits { sign_in_per_minute: 3, ..Limits::default() }, metrics);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.check(Class::SignIn, one), None);
        }
        let wait = limits.check(Class::SignIn, one).expect("the fourth waits");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "{wait:?}");
        assert_eq!(limits.check(Class::SignIn, two), None);
        assert_eq!(limits.check(Class::Token, one), None, "classes count apart");
    }

    /// Forwarding headers from an untrusted peer: each counted, one warning.
    #[test]
    fn an_untrusted_peer_forwarding_is_counted_and_warned_about_once() {
        #[derive(Clone, Default)]
        struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let metrics = Arc::new(Metrics::new().unwrap());
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let limits = EdgeLimits::new(&Limits { trusted_proxies: trusted, ..Limits::default() }, metrics.clone());
        let log = Lines::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            for n in 0..3 {
                let req = actix_web::test::TestRequest::get()
                    .peer_addr("198.51.100.7:4711".parse().unwrap())
                    .insert_header(("x-forwarded-for", format!("203.0.113.{n}")))
                    .to_srv_request();
                assert_eq!(limits.client(&req), Some("198.51.100.7".parse().unwrap()), "the peer, not the header");
            }
        });
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("not in limits.trusted_proxies").count(), 1, "{text}");
        assert_eq!(metrics.untrusted_forwarded.get(), 3);
    }

    #[test]
    fn classes_cover_the_unauthenticated_endpoints() {
        for p in ["/authorize", "/authorize/continue", "/auth/start", "/auth/callback", "/callback/google"] {
            assert_eq!(Class::of(p), Some(Class::SignIn), "{p}");
        }
        for p in ["/token", "/revoke", "/introspect", "/par"] {
            assert_eq!(Class::of(p), Some(Class::Token), "{p}");
        }
        for p in ["/userinfo", "/auth", "/jwks", "/.well-known/openid-configuration", "/me"] {
            assert_eq!(Class::of(p), None, "{p}");
        }
    }
}
