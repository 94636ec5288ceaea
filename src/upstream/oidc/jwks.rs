//! The provider's signing keys: fetched with discovery, trusted no longer
//! than the provider's `Cache-Control: max-age` allows (within bounds), so a
//! key the provider has removed stops being trusted; refetched on an
//! unknown `kid` (key rotation) at most once per interval.

use crate::clock::Clock;
use crate::upstream::http::{FetchError, UpstreamHttp};
use chrono::{DateTime, Utc};
use openidconnect::core::CoreJsonWebKeySet;
use openidconnect::JsonWebKeySetUrl;
use reqwest::header::{HeaderMap, CACHE_CONTROL};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Keys are trusted at most this long without a refetch (also the default
/// when the provider says nothing).
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// ... and refetched at most this often, whatever the provider says.
pub const MIN_AGE: Duration = Duration::from_secs(300);
/// An unknown `kid` or stale keys trigger at most one fetch per this interval.
pub const REFETCH_MIN_INTERVAL: Duration = Duration::from_secs(10);

/// Fetches the key set; returns it with how long it may be trusted.
pub async fn fetch(http: &UpstreamHttp, uri: &JsonWebKeySetUrl) -> Result<(CoreJsonWebKeySet, Duration), FetchError> {
    let (keys, headers) = http.get_json(uri.url().clone()).await?;
    Ok((keys, max_age(&headers)))
}

/// `Cache-Control: max-age`, within [`MIN_AGE`]..=[`MAX_AGE`] (RFC 9111 §5.2.2.1).
pub fn max_age(headers: &HeaderMap) -> Duration {
    let directives = headers.get_all(CACHE_CONTROL).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let mut age = MAX_AGE;
    for d in directives.map(str::trim) {
        if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
            age = MIN_AGE;
        } else if let Some(seconds) = d.strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse::<u64>().ok()) {
            age = age.min(Duration::from_secs(seconds));
        }
    }
    age.clamp(MIN_AGE, MAX_AGE)
}

/// When the keys stop being trusted, and when a fetch last went out.
pub struct KeyCache {
    clock: Arc<dyn Clock>,
    fresh_until: RwLock<DateTime<Utc>>,
    last_fetch: RwLock<Option<DateTime<Utc>>>,
}

impl KeyCache {
    /// Keys just fetched (at discovery), trusted for `max_age`. The first
    /// refetch may follow at once: a key rotated just before start-up.
    pub fn new(clock: Arc<dyn Clock>, max_age: Duration) -> Self {
        let fresh_until = clock.now() + to_chrono(max_age);
        Self { fresh_until: RwLock::new(fresh_until), last_fetch: RwLock::new(None), clock }
    }

    pub fn is_stale(&self) -> bool {
        self.clock.now() >= *self.fresh_until.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a fetch may go out now; if so, it counts as going out.
    pub fn claim_fetch(&self) -> bool {
        let now = self.clock.now();
        let mut last = self.last_fetch.write().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| now < at + to_chrono(REFETCH_MIN_INTERVAL)) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Fresh keys arrived, trusted for `max_age`.
    pub fn renewed(&self, max_age: Duration) {
        *self.fresh_until.write().unwrap_or_else(|e| e.into_inner()) = self.clock.now() + to_chrono(max_age);
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use reqwest::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn cache_control_is_honoured_within_bounds() {
        assert_eq!(max_age(&HeaderMap::new()), MAX_AGE);
        assert_eq!(max_age(&headers("public, max-age=20379, must-revalidate")), MAX_AGE, "Google's: capped");
        assert_eq!(max_age(&headers("max-age=900")), Duration::from_secs(900));
        assert_eq!(max_age(&headers("max-age=0")), MIN_AGE);
        assert_eq!(max_age(&headers("no-store")), MIN_AGE);
    }

    #[test]
    fn keys_go_stale_and_fetches_are_spaced() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let cache = KeyCache::new(clock.clone(), Duration::from_secs(900));
        assert!(!cache.is_stale());
        assert!(cache.claim_fetch(), "a rotation right after start-up is found");
        assert!(!cache.claim_fetch(), "one fetch per interval");
        clock.advance(chrono::Duration::seconds(11));
        assert!(cache.claim_fetch());
        clock.advance(chrono::Duration::seconds(900));
        assert!(cache.is_stale());
        cache.renewed(Duration::from_secs(300));
        assert!(!cache.is_stale());
    }
}
