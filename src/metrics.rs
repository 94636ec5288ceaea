//! Prometheus metrics. Labels are config ids (providers, clients), outcome
//! and reason codes, and store operations: bounded sets, never a value.

use crate::store::{Store, StoreError};
use async_trait::async_trait;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every store operation `InstrumentedStore` measures (the `op` label).
pub const STORE_OPS: [&str; 15] = [
    "put",
    "rate",
    "swap",
    "put_new",
    "put_capped",
    "take_capped",
    "get",
    "replace",
    "take",
    "delete",
    "set_add",
    "set_remove",
    "set_members",
    "ping",
    "count",
];

/// Every `reason` of `claimgate_limited_total`.
pub const LIMIT_REASONS: [&str; 5] = ["query_too_long", "body_too_large", "sign_in_rate", "token_rate", "pending_full"];

pub struct Metrics {
    registry: Registry,
    pub logins_started: IntCounterVec,
    pub logins_completed: IntCounterVec,
    pub logins_failed: IntCounterVec,
    pub token_requests: IntCounterVec,
    pub userinfo_requests: IntCounterVec,
    pub upstream_seconds: HistogramVec,
    pub store_seconds: HistogramVec,
    pub store_errors: IntCounterVec,
    pub active_sessions: IntGauge,
    /// Back-channel logout attempts by client and outcome (delivered, retrying, failed).
    pub backchannel: IntCounterVec,
    /// Security events (SSF) at emission, by client, event and outcome
    /// (queued, held, dropped_disabled, dropped_full, unsigned).
    pub ssf_events: IntCounterVec,
    /// SET deliveries by client and outcome: push attempts (delivered,
    /// retrying, failed) and poll acknowledgements (acknowledged).
    pub ssf_deliveries: IntCounterVec,
    /// Receivers' refusals of SETs by RFC 8935 §2.4 / RFC 8936 `err` code.
    pub ssf_receiver_errors: IntCounterVec,
    /// Rotated refresh tokens presented again (each revokes its family), by client.
    pub refresh_reuse: IntCounterVec,
    /// Refresh tokens presented by a client that does not own them, or
    /// without the key they are bound to (nothing is done to them), by
    /// the presenting client.
    pub refresh_misplaced: IntCounterVec,
    /// 1 when the store answers and every provider is loaded (set at each scrape).
    pub ready: IntGauge,
    /// Request latency by route pattern and status class.
    pub http_seconds: HistogramVec,
    /// Requests refused by a limit, by reason.
    pub limited: IntCounterVec,
    /// Upstream values outside the value rules, not kept.
    pub values_refused: IntCounterVec,
    /// Pictures at login in proxy mode, by provider and outcome (proxied,
    /// none, store_failed, or why the provider's picture was refused).
    pub pictures: IntCounterVec,
    /// Rate-limited requests carrying `X-Forwarded-For` or `Forwarded` from
    /// a peer not in `limits.trusted_proxies` (the header is not believed).
    pub untrusted_forwarded: IntCounter,
}

/// The latency histograms: requests, upstream calls, store operations.
fn histograms(registry: &Registry) -> Result<(HistogramVec, HistogramVec, HistogramVec), prometheus::Error> {
    let http_seconds = histogram(
        registry,
        "http_request_seconds",
        "Request latency by route pattern and status class",
        &["route", "status"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
    )?;
    let upstream_seconds = histogram(
        registry,
        "upstream_seconds",
        "Time spent on upstream calls",
        &["provider", "step"],
        vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
    )?;
    let store_seconds = histogram(
        registry,
        "store_seconds",
        "Store operation latency",
        &["op"],
        vec![0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0],
    )?;
    Ok((http_seconds, upstream_seconds, store_seconds))
}

/// The gauges, and the one counter without labels.
fn gauges(registry: &Registry) -> Result<(IntGauge, IntGauge, IntCounter), prometheus::Error> {
    let active_sessions = IntGauge::with_opts(
        Opts::new("active_sessions", "SSO sessions in the store (memory store only; expired ones until swept)")
            .namespace("claimgate"),
    )?;
    registry.register(Box::new(active_sessions.clone()))?;
    let ready = IntGauge::with_opts(
        Opts::new("ready", "1 when the store answers and every provider is loaded (checked at each scrape)")
            .namespace("claimgate"),
    )?;
    registry.register(Box::new(ready.clone()))?;
    let untrusted_forwarded = IntCounter::with_opts(
        Opts::new(
            "untrusted_forwarded_total",
            "Requests with X-Forwarded-For or Forwarded from a peer not in limits.trusted_proxies",
        )
        .namespace("claimgate"),
    )?;
    registry.register(Box::new(untrusted_forwarded.clone()))?;
    Ok((active_sessions, ready, untrusted_forwarded))
}

impl Metrics {
    /// The token and userinfo endpoints' outcomes (`success` and each error
    /// code), from the start.
    pub fn start_outcomes(&self, outcomes: &[&str]) {
        for outcome in outcomes {
            self.token_requests.with_label_values(&[outcome]);
            self.userinfo_requests.with_label_values(&[outcome]);
        }
    }

    /// Series that exist from the start, so that alerts and panels on them
    /// work before the first event (Prometheus' instrumentation guide:
    /// export 0 for series known to be possible).
    pub fn start_series(&self, config: &crate::config::Config) {
        for client in config.clients.values() {
            if client.oidc().is_some_and(|o| o.backchannel_logout.is_some()) {
                for outcome in ["delivered", "retrying", "failed"] {
                    self.backchannel.with_label_values(&[&client.id, outcome]);
                }
            }
            if !matches!(client.signals, crate::config::Signals::Off) {
                for outcome in ["delivered", "retrying", "failed", "acknowledged"] {
                    self.ssf_deliveries.with_label_values(&[&client.id, outcome]);
                }
            }
            if client.oidc().is_some_and(|o| o.refresh_tokens) {
                self.refresh_reuse.with_label_values(&[&client.id]);
            }
            if client.forward_auth().is_none() {
                self.refresh_misplaced.with_label_values(&[&client.id]);
            }
            // Every sign-in the client may start, through each provider it allows.
            for provider in &client.providers {
                let (p, c) = (provider.as_str(), client.id.as_str());
                self.logins_started.with_label_values(&[p, c]);
                self.logins_completed.with_label_values(&[p, c]);
                self.logins_failed.with_label_values(&[p, c, "browser_mismatch"]);
            }
        }
        // Each value rule of each kept claim, for each provider.
        for provider in config.providers.keys() {
            let kept = crate::policy::values::ValueRefusal::ALL
                .into_iter()
                .filter(|r| config.notice.keeps.contains(&r.claim()));
            for refusal in kept {
                self.values_refused.with_label_values(&[provider.as_str(), refusal.claim().as_str(), refusal.reason()]);
            }
        }
        // The request-rate ratio of the 5xx alert, for the routes apps and
        // browsers use most.
        for route in ["/authorize", "/token", "/userinfo", "/auth"] {
            for class in ["2xx", "4xx", "5xx"] {
                self.http_seconds.with_label_values(&[route, class]);
            }
        }
        let proxied = config.notice.picture == crate::config::PictureMode::Proxy
            && config.notice.keeps.contains(&crate::policy::ProfileClaim::Picture);
        for provider in config.providers.keys().filter(|_| proxied) {
            let refusals = crate::pictures::Refusal::ALL.into_iter().map(crate::pictures::Refusal::reason);
            for outcome in ["proxied", "reused", "revalidated", "none", "store_failed"].into_iter().chain(refusals) {
                self.pictures.with_label_values(&[provider, outcome]);
            }
        }
    }
}

/// The Shared Signals transmitter's counters: events, deliveries, receivers' errors.
fn signal_counters(registry: &Registry) -> Result<(IntCounterVec, IntCounterVec, IntCounterVec), prometheus::Error> {
    Ok((
        counter(
            registry,
            "ssf_events_total",
            "Security events (Shared Signals) at emission by outcome",
            &["client", "event", "outcome"],
        )?,
        counter(
            registry,
            "ssf_deliveries_total",
            "Security event deliveries: push attempts and poll acknowledgements, by outcome",
            &["client", "outcome"],
        )?,
        counter(
            registry,
            "ssf_receiver_errors_total",
            "Security events refused by their receiver, by error code",
            &["client", "err"],
        )?,
    ))
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    let c = IntCounterVec::new(Opts::new(name, help).namespace("claimgate"), labels)?;
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: Vec<f64>,
) -> Result<HistogramVec, prometheus::Error> {
    let h = HistogramVec::new(HistogramOpts::new(name, help).namespace("claimgate").buckets(buckets), labels)?;
    registry.register(Box::new(h.clone()))?;
    Ok(h)
}

impl Metrics {
    /// Registers every metric; an error is a definition mistake (a bad name
    /// or a duplicate), reported at start-up.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let (active_sessions, ready, untrusted_forwarded) = gauges(&registry)?;
        let (http_seconds, upstream_seconds, store_seconds) = histograms(&registry)?;
        let (ssf_events, ssf_deliveries, ssf_receiver_errors) = signal_counters(&registry)?;
        let c = |name: &str, help: &str, labels: &[&str]| counter(&registry, name, help, labels);
        let metrics = Metrics {
            backchannel: c(
                "backchannel_logout_total",
                "Back-channel logout delivery attempts by outcome",
                &["client", "outcome"],
            )?,
            ssf_events,
            ssf_deliveries,
            ssf_receiver_errors,
            refresh_reuse: c(
                "refresh_token_reuse_total",
                "Rotated refresh tokens presented again; each revokes its family",
                &["client"],
            )?,
            refresh_misplaced: c(
                "refresh_token_misplaced_total",
                "Refresh tokens presented by a client that does not own them, or without their key; refused, nothing revoked",
                &["client"],
            )?,
            ready,
            pictures: c(
                "pictures_total",
                "Profile pictures at login (picture = \"proxy\") by outcome",
                &["provider", "outcome"],
            )?,
            http_seconds,
            logins_started: c(
                "logins_started_total",
                "Users sent to an upstream provider",
                &["provider", "client"],
            )?,
            logins_completed: c(
                "logins_completed_total",
                "Upstream logins that passed the filter",
                &["provider", "client"],
            )?,
            logins_failed: c(
                "logins_failed_total",
                "Upstream logins refused",
                &["provider", "client", "reason"],
            )?,
            token_requests: c("token_requests_total", "Token endpoint requests", &["outcome"])?,
            userinfo_requests: c("userinfo_requests_total", "Userinfo requests", &["outcome"])?,
            upstream_seconds,
            store_seconds,
            store_errors: c("store_errors_total", "Failed store operations", &["op"])?,
            values_refused: c(
                "profile_values_refused_total",
                "Upstream profile values outside the value rules, not kept",
                &["provider", "claim", "reason"],
            )?,
            limited: c(
                "limited_total",
                "Requests refused by a limit (rate, size, pending sign-ins)",
                &["reason"],
            )?,
            active_sessions,
            untrusted_forwarded,
            registry,
        };
        // Series that exist from the start, so that rates and alerts on them
        // work before the first failure (bounded label sets only).
        for op in STORE_OPS {
            metrics.store_errors.with_label_values(&[op]);
        }
        for reason in LIMIT_REASONS {
            metrics.limited.with_label_values(&[reason]);
        }
        Ok(metrics)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// A store that measures every operation of the store it wraps.
pub struct InstrumentedStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl InstrumentedStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    fn observe<T>(&self, op: &str, started: Instant, r: Result<T, StoreError>) -> Result<T, StoreError> {
        self.metrics.store_seconds.with_label_values(&[op]).observe(started.elapsed().as_secs_f64());
        if r.is_err() {
            self.metrics.store_errors.with_label_values(&[op]).inc();
        }
        r
    }
}

#[async_trait]
impl Store for InstrumentedStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let t = Instant::now();
        self.observe("put", t, self.inner.put(key, value, ttl).await)
    }
    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let t = Instant::now();
        self.observe("put_new", t, self.inner.put_new(key, value, ttl).await)
    }
    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError> {
        let t = Instant::now();
        self.observe("rate", t, self.inner.rate(key, limit, period).await)
    }
    async fn put_capped(
        &self,
        class: &str,
        key: &str,
        value: &[u8],
        ttl: Duration,
        cap: u64,
    ) -> Result<bool, StoreError> {
        let t = Instant::now();
        let admitted = self.observe("put_capped", t, self.inner.put_capped(class, key, value, ttl, cap).await);
        if matches!(admitted, Ok(false)) {
            self.metrics.limited.with_label_values(&["pending_full"]).inc();
        }
        admitted
    }
    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = Instant::now();
        self.observe("take_capped", t, self.inner.take_capped(class, key).await)
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = Instant::now();
        self.observe("get", t, self.inner.get(key).await)
    }
    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let t = Instant::now();
        self.observe("replace", t, self.inner.replace(key, value, ttl).await)
    }
    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError> {
        let t = Instant::now();
        self.observe("swap", t, self.inner.swap(key, value, ttl).await)
    }
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = Instant::now();
        self.observe("take", t, self.inner.take(key).await)
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let t = Instant::now();
        self.observe("delete", t, self.inner.delete(key).await)
    }
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let t = Instant::now();
        self.observe("set_add", t, self.inner.set_add(key, member, ttl).await)
    }
    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let t = Instant::now();
        self.observe("set_remove", t, self.inner.set_remove(key, member).await)
    }
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let t = Instant::now();
        self.observe("set_members", t, self.inner.set_members(key).await)
    }
    async fn ping(&self) -> Result<(), StoreError> {
        let t = Instant::now();
        self.observe("ping", t, self.inner.ping().await)
    }
    async fn count(&self, prefix: &str) -> Result<Option<u64>, StoreError> {
        self.inner.count(prefix).await
    }
}
