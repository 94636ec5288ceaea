//! `[server]`: where claimgate listens, its public URL (the issuer), logs,
//! the admin listener and TLS.

use super::{invalid, ConfigError};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    listen: String,
    public_url: String,
    #[serde(default)]
    log_format: LogFormat,
    log_level: Option<String>,
    admin_listen: Option<String>,
    #[serde(default)]
    metrics_public: bool,
    shutdown_timeout_secs: Option<u64>,
    drain_secs: Option<u64>,
    #[serde(default)]
    discovery_retries: u32,
    tls: Option<RawTls>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    cert: String,
    key: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: String,
    /// Issuer of claimgate's tokens; no trailing slash.
    pub public_url: Url,
    pub log_format: LogFormat,
    /// A tracing filter (`info`, `claimgate=debug`…); `RUST_LOG` wins.
    pub log_level: String,
    /// Serve /metrics, /healthz and /readyz here instead of on `listen`.
    pub admin_listen: Option<String>,
    /// Also serve /metrics on `listen` (default: only on `admin_listen`).
    pub metrics_public: bool,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// After SIGTERM: how long `/readyz` answers 503 while the listener
    /// still serves, so that a load balancer routing by readiness stops
    /// sending requests before the port closes.
    pub drain: Duration,
    /// Discovery attempts after the first one fails (backoff 1 s, 2 s, 4 s… up to 30 s).
    pub discovery_retries: u32,
    pub tls: Option<TlsConfig>,
}

/// PEM certificate chain and private key, read and parsed at start-up.
#[derive(Debug)]
pub struct TlsConfig {
    pub cert_chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    pub key: rustls_pki_types::PrivateKeyDer<'static>,
}

impl Clone for TlsConfig {
    fn clone(&self) -> Self {
        Self { cert_chain: self.cert_chain.clone(), key: self.key.clone_key() }
    }
}

impl ServerConfig {
    /// `public_url` without a trailing slash, as used for `iss`.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }

    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

pub(super) fn validate(raw: RawServer) -> Result<ServerConfig, ConfigError> {
    let public_url =
        Url::parse(&raw.public_url).map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))?;
    if !matches!(public_url.scheme(), "http" | "https") || public_url.host().is_none() {
        return Err(invalid("server.public_url", "must be an absolute http:// or https:// URL"));
    }
    if public_url.query().is_some() || public_url.fragment().is_some() {
        return Err(invalid("server.public_url", "must not have a query or fragment"));
    }
    if raw.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(invalid("server.listen", "must be an address and port, like \"127.0.0.1:8080\""));
    }
    if let Some(admin) = &raw.admin_listen {
        if admin.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid("server.admin_listen", "must be an address and port, like \"127.0.0.1:9090\""));
        }
    }
    let log_level = raw.log_level.unwrap_or_else(|| "info".into());
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        return Err(invalid(
            "server.log_level",
            format!("\"{log_level}\" is not a log filter (e.g. \"info\", \"claimgate=debug\")"),
        ));
    }
    let tls = raw.tls.map(load_tls).transpose()?;
    let server = ServerConfig {
        listen: raw.listen,
        public_url,
        log_format: raw.log_format,
        log_level,
        admin_listen: raw.admin_listen,
        metrics_public: raw.metrics_public,
        shutdown_timeout: Duration::from_secs(raw.shutdown_timeout_secs.unwrap_or(30)),
        drain: Duration::from_secs(raw.drain_secs.unwrap_or(5)),
        discovery_retries: raw.discovery_retries,
        tls,
    };

    Ok(server)
}

fn load_tls(raw: RawTls) -> Result<TlsConfig, ConfigError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let cert_chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&raw.cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| invalid("server.tls.cert", format!("{}: not a readable PEM certificate chain: {e}", raw.cert)))?;
    if cert_chain.is_empty() {
        return Err(invalid("server.tls.cert", format!("{}: no certificate in the file", raw.cert)));
    }
    let key = PrivateKeyDer::from_pem_file(&raw.key)
        .map_err(|e| invalid("server.tls.key", format!("{}: not a readable PEM private key: {e}", raw.key)))?;
    Ok(TlsConfig { cert_chain, key })
}
