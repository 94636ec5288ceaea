//! The published config contract (config.example.toml documents every key): TOML → validated
//! domain types. Every error names the offending key and the reason.

mod limits;

pub use limits::Limits;

use crate::policy::{filter::FilterRules, ProfileClaim};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into() }
}

// ---- the file as written --------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    #[serde(default)]
    store: RawStore,
    notice: RawNotice,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    lifetimes: RawLifetimes,
    #[serde(default)]
    limits: limits::RawLimits,
    #[serde(default)]
    providers: BTreeMap<String, RawProvider>,
    #[serde(default)]
    clients: BTreeMap<String, RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: String,
    public_url: String,
    #[serde(default)]
    log_format: LogFormat,
    log_level: Option<String>,
    admin_listen: Option<String>,
    #[serde(default)]
    metrics_public: bool,
    shutdown_timeout_secs: Option<u64>,
    #[serde(default)]
    discovery_retries: u32,
    tls: Option<RawTls>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    kind: String,
    url: Option<String>,
    urls: Option<Vec<String>>,
    key_prefix: Option<String>,
}

impl Default for RawStore {
    fn default() -> Self {
        Self { kind: "memory".into(), url: None, urls: None, key_prefix: None }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    keeps: Vec<String>,
    url: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    signing_key: Option<String>,
    signing_key_file: Option<String>,
    pairwise_secret: Option<String>,
    storage_keys: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLifetimes {
    pending_login_secs: Option<u64>,
    code_secs: Option<u64>,
    access_token_secs: Option<u64>,
    session_idle_secs: Option<u64>,
    session_absolute_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    kind: String,
    display_name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    allow_unverified_email: bool,
    #[serde(default)]
    allowed_email_domains: Vec<String>,
    #[serde(default)]
    hosted_domains: Vec<String>,
    #[serde(default)]
    allowed_tenants: Vec<String>,
    #[serde(default)]
    assume_email_verified: bool,
    /// GitHub (Enterprise) web and API base URLs.
    web_url: Option<String>,
    api_url: Option<String>,
    /// Profile field → upstream claim name, where they differ.
    #[serde(default)]
    map: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    name: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// Upstream providers this client's users may choose from (default: all).
    providers: Option<Vec<String>>,
    /// "oidc" (default) or "forward-auth".
    mode: Option<String>,
    #[serde(default)]
    return_origins: Vec<String>,
    cookie_domain: Option<String>,
    /// "401" (nginx auth_request) or "redirect" (Traefik ForwardAuth).
    unauthenticated: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    claims: Vec<String>,
}

// ---- the validated configuration ------------------------------------------

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub notice: Notice,
    pub keys: KeysConfig,
    pub lifetimes: Lifetimes,
    pub limits: Limits,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub clients: BTreeMap<String, ClientConfig>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Memory,
    Redis { url: String, key_prefix: String },
    RedisCluster { urls: Vec<String>, key_prefix: String },
}

impl StoreConfig {
    /// Stores shared by several instances need keys shared by all of them.
    pub fn is_shared(&self) -> bool {
        !matches!(self, StoreConfig::Memory)
    }
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub keeps: BTreeSet<ProfileClaim>,
    pub url: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug)]
pub struct KeysConfig {
    /// PKCS#1 or PKCS#8 PEM RSA private key.
    pub signing_key_pem: Option<SecretString>,
    pub pairwise_secret: Option<SecretString>,
    /// `"id:base64(32 bytes)"` entries; the first seals new records.
    pub storage_keys: Vec<SecretString>,
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub pending_login: Duration,
    pub code: Duration,
    pub access_token: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            pending_login: Duration::from_secs(600),
            code: Duration::from_secs(60),
            access_token: Duration::from_secs(600),
            session_idle: Duration::from_secs(8 * 3600),
            session_absolute: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug)]
pub enum ProviderKind {
    Oidc { issuer: String, client_id: String, client_secret: SecretString },
    Github { client_id: String, client_secret: SecretString, web_url: String, api_url: String },
    Dev,
}

#[derive(Debug)]
pub struct ProviderConfig {
    pub id: String,
    pub display_name: String,
    pub kind: ProviderKind,
    pub rules: FilterRules,
}

#[derive(Debug)]
pub struct ClientConfig {
    pub id: String,
    pub name: String,
    /// `None` makes a public client, which must use PKCE.
    pub secret: Option<SecretString>,
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the user back to (exact match).
    pub post_logout_redirect_uris: Vec<String>,
    pub claims: BTreeSet<ProfileClaim>,
    /// Upstream providers offered to this client's users.
    pub providers: Vec<String>,
    /// `Some` for `mode = "forward-auth"`.
    pub forward_auth: Option<ForwardAuth>,
}

/// A client protected by a reverse proxy through `GET /auth`.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    /// Exact origins (`scheme://host[:port]`) sign-in may return to.
    pub return_origins: Vec<String>,
    /// `Domain` of the forward-auth cookie; `None`: host-only.
    pub cookie_domain: Option<String>,
    /// Answer 302 to sign-in instead of 401 when there is no session.
    pub redirect_when_unauthenticated: bool,
    /// Response header per claim: email, user (name), picture, sub.
    pub header_email: String,
    pub header_user: String,
    pub header_picture: String,
    pub header_sub: String,
}

impl Config {
    /// Reads, applies environment overrides for secrets, and validates.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        Config::parse(&text, |name| std::env::var(name).ok()).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax { path: path.display().to_string(), message },
            other => other,
        })
    }

    /// Parses TOML text; `env` looks up environment variables (passed in for tests).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax { path: "config".into(), message: e.to_string() })?;
        validate(raw, &env)
    }
}

/// `CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET` for provider id `google`, etc.
pub fn env_name(section: &str, id: &str, key: &str) -> String {
    let id: String = id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("CLAIMGATE_{section}_{id}_{}", key.to_ascii_uppercase())
}

fn secret(file_value: Option<String>, env_var: &str, env: &impl Fn(&str) -> Option<String>) -> Option<SecretString> {
    env(env_var).filter(|v| !v.is_empty()).or(file_value).map(SecretString::from)
}

fn validate(raw: RawConfig, env: &impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    // [server]
    let public_url =
        Url::parse(&raw.server.public_url).map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))?;
    if !matches!(public_url.scheme(), "http" | "https") || public_url.host().is_none() {
        return Err(invalid("server.public_url", "must be an absolute http:// or https:// URL"));
    }
    if public_url.query().is_some() || public_url.fragment().is_some() {
        return Err(invalid("server.public_url", "must not have a query or fragment"));
    }
    if raw.server.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(invalid("server.listen", "must be an address and port, like \"127.0.0.1:8080\""));
    }
    if let Some(admin) = &raw.server.admin_listen {
        if admin.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid("server.admin_listen", "must be an address and port, like \"127.0.0.1:9090\""));
        }
    }
    let log_level = raw.server.log_level.unwrap_or_else(|| "info".into());
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        return Err(invalid(
            "server.log_level",
            format!("\"{log_level}\" is not a log filter (e.g. \"info\", \"claimgate=debug\")"),
        ));
    }
    let tls = raw.server.tls.map(load_tls).transpose()?;
    let server = ServerConfig {
        listen: raw.server.listen,
        public_url,
        log_format: raw.server.log_format,
        log_level,
        admin_listen: raw.server.admin_listen,
        metrics_public: raw.server.metrics_public,
        shutdown_timeout: Duration::from_secs(raw.server.shutdown_timeout_secs.unwrap_or(30)),
        discovery_retries: raw.server.discovery_retries,
        tls,
    };

    // [store]
    let store = match raw.store.kind.as_str() {
        "memory" => StoreConfig::Memory,
        "redis" => StoreConfig::Redis {
            url: raw.store.url.ok_or_else(|| invalid("store.url", "required when store.kind = \"redis\""))?,
            key_prefix: raw.store.key_prefix.unwrap_or_else(|| "claimgate:".into()),
        },
        "redis-cluster" => StoreConfig::RedisCluster {
            urls: raw.store.urls.filter(|u| !u.is_empty()).ok_or_else(|| {
                invalid("store.urls", "a list of node URLs is required when store.kind = \"redis-cluster\"")
            })?,
            key_prefix: raw.store.key_prefix.unwrap_or_else(|| "claimgate:".into()),
        },
        other => {
            return Err(invalid(
                "store.kind",
                format!("\"{other}\" is not a store kind (memory, redis, redis-cluster)"),
            ))
        }
    };

    // [notice]
    let mut keeps = BTreeSet::new();
    for (i, name) in raw.notice.keeps.iter().enumerate() {
        let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(format!("notice.keeps[{i}]"), e.to_string()))?;
        keeps.insert(claim);
    }
    let notice = Notice { keeps, url: raw.notice.url, version: raw.notice.version };

    // [keys]
    let signing_key_pem = match (secret(raw.keys.signing_key, "CLAIMGATE_SIGNING_KEY", env), raw.keys.signing_key_file)
    {
        (Some(_), Some(_)) => {
            return Err(invalid("keys.signing_key_file", "give either keys.signing_key or keys.signing_key_file"))
        }
        (Some(pem), None) => Some(pem),
        (None, Some(file)) => Some(SecretString::from(
            std::fs::read_to_string(&file).map_err(|e| invalid("keys.signing_key_file", format!("{file}: {e}")))?,
        )),
        (None, None) => None,
    };
    let storage_keys: Vec<SecretString> = match env("CLAIMGATE_STORAGE_KEYS").filter(|v| !v.is_empty()) {
        Some(list) => list.split(',').map(|k| SecretString::from(k.trim().to_owned())).collect(),
        None => raw.keys.storage_keys.unwrap_or_default().into_iter().map(SecretString::from).collect(),
    };
    let keys = KeysConfig {
        signing_key_pem,
        pairwise_secret: secret(raw.keys.pairwise_secret, "CLAIMGATE_PAIRWISE_SECRET", env),
        storage_keys,
    };
    if store.is_shared() {
        // Generated keys would differ per instance: tokens, subjects and
        // records would not be readable across them.
        let missing = [
            ("keys.signing_key", keys.signing_key_pem.is_none()),
            ("keys.pairwise_secret", keys.pairwise_secret.is_none()),
            ("keys.storage_keys", keys.storage_keys.is_empty()),
        ];
        if let Some((key, _)) = missing.iter().find(|(_, m)| *m) {
            return Err(invalid(*key, "required with a shared store: every instance must use the same key"));
        }
    }

    // [lifetimes]
    let d = Lifetimes::default();
    let secs = |v: Option<u64>, default: Duration, key: &str| -> Result<Duration, ConfigError> {
        match v {
            Some(0) => Err(invalid(format!("lifetimes.{key}"), "must be at least 1 second")),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(default),
        }
    };
    let lifetimes = Lifetimes {
        pending_login: secs(raw.lifetimes.pending_login_secs, d.pending_login, "pending_login_secs")?,
        code: secs(raw.lifetimes.code_secs, d.code, "code_secs")?,
        access_token: secs(raw.lifetimes.access_token_secs, d.access_token, "access_token_secs")?,
        session_idle: secs(raw.lifetimes.session_idle_secs, d.session_idle, "session_idle_secs")?,
        session_absolute: secs(raw.lifetimes.session_absolute_secs, d.session_absolute, "session_absolute_secs")?,
    };

    let limits = raw.limits.validate()?;

    // [providers.ID]
    if raw.providers.is_empty() {
        return Err(invalid("providers", "at least one [providers.ID] section is required"));
    }
    let mut providers = BTreeMap::new();
    for (id, p) in raw.providers {
        let key = |k: &str| format!("providers.{id}.{k}");
        check_id(&id, &format!("providers.{id}"))?;
        let kind = match p.kind.as_str() {
            "oidc" => {
                let issuer = p.issuer.clone().ok_or_else(|| invalid(key("issuer"), "required for kind = \"oidc\""))?;
                let parsed = Url::parse(&issuer).map_err(|e| invalid(key("issuer"), format!("not a URL: {e}")))?;
                if parsed.scheme() != "https" && !is_loopback(&parsed) {
                    return Err(invalid(key("issuer"), "must be https (plain http only on a loopback address)"));
                }
                let (client_id, client_secret) = credentials(&id, &p, env)?;
                ProviderKind::Oidc { issuer, client_id, client_secret }
            }
            "dev" => {
                if !is_loopback(&server.public_url) {
                    return Err(invalid(
                        key("kind"),
                        "the dev provider signs in a fixed sample user; it is allowed only when server.public_url is a loopback address",
                    ));
                }
                ProviderKind::Dev
            }
            "github" => {
                let (client_id, client_secret) = credentials(&id, &p, env)?;
                let base_url = |k: &str, value: Option<String>, default: &str| -> Result<String, ConfigError> {
                    let v = value.unwrap_or_else(|| default.to_owned());
                    let u = Url::parse(&v).map_err(|e| invalid(key(k), format!("not a URL: {e}")))?;
                    if u.scheme() != "https" && !is_loopback(&u) {
                        return Err(invalid(key(k), "must be https (plain http only on a loopback address)"));
                    }
                    Ok(v)
                };
                let web_url = base_url("web_url", p.web_url.clone(), crate::upstream::github::DEFAULT_WEB_URL)?;
                let api_url = base_url("api_url", p.api_url.clone(), crate::upstream::github::DEFAULT_API_URL)?;
                ProviderKind::Github { client_id, client_secret, web_url, api_url }
            }
            other => {
                return Err(invalid(key("kind"), format!("\"{other}\" is not a provider kind (oidc, github, dev)")))
            }
        };
        let display_name = p.display_name.unwrap_or_else(|| match &kind {
            ProviderKind::Oidc { issuer, .. } if is_google(issuer) => "Google".into(),
            ProviderKind::Dev => "Sample provider (dev)".into(),
            ProviderKind::Github { .. } => "GitHub".into(),
            _ => id.clone(),
        });
        let mut sources = BTreeMap::new();
        if matches!(kind, ProviderKind::Github { .. }) && notice.keeps.contains(&ProfileClaim::Picture) {
            // GitHub calls the picture `avatar_url`.
            sources.insert(ProfileClaim::Picture, "avatar_url".to_owned());
        }
        for (field, claim) in &p.map {
            let k = key(&format!("map.{field}"));
            let field = field.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
            if !notice.keeps.contains(&field) {
                return Err(invalid(
                    &k,
                    format!("\"{field}\" is not in notice.keeps: the privacy notice does not keep it"),
                ));
            }
            if claim.is_empty() || matches!(claim.as_str(), "sub" | "iss" | "aud" | "email_verified") {
                return Err(invalid(&k, format!("\"{claim}\" cannot feed a profile field")));
            }
            sources.insert(field, claim.clone());
        }
        let oidc_issuer = match &kind {
            ProviderKind::Oidc { issuer, .. } => Some(issuer.as_str()),
            _ => None,
        };
        for (k, set) in [
            ("hosted_domains", !p.hosted_domains.is_empty()),
            ("allowed_tenants", !p.allowed_tenants.is_empty()),
            ("assume_email_verified", p.assume_email_verified),
        ] {
            if set && oidc_issuer.is_none() {
                return Err(invalid(key(k), "applies to kind = \"oidc\" only (it reads the ID token)"));
            }
        }
        if let Some((i, t)) = p.allowed_tenants.iter().enumerate().find(|(_, t)| !is_guid(t)) {
            return Err(invalid(key(&format!("allowed_tenants[{i}]")), format!("\"{t}\" is not a tenant id (a GUID)")));
        }
        if let Some((i, d)) = p.hosted_domains.iter().enumerate().find(|(_, d)| d.is_empty() || d.contains('@')) {
            return Err(invalid(key(&format!("hosted_domains[{i}]")), format!("\"{d}\" is not a domain")));
        }
        let rules = FilterRules {
            keeps: notice.keeps.clone(),
            allow_unverified_email: p.allow_unverified_email,
            allowed_email_domains: p.allowed_email_domains,
            hosted_domains: p.hosted_domains,
            allowed_tenants: p.allowed_tenants,
            // Microsoft sends no email_verified; an address is whatever the tenant says.
            email_verified_unknown: oidc_issuer.is_some_and(is_microsoft) && !p.assume_email_verified,
            sources,
        };
        providers.insert(id.clone(), ProviderConfig { id, display_name, kind, rules });
    }

    // [clients.ID]
    let mut clients = BTreeMap::new();
    for (id, c) in raw.clients {
        let key = |k: &str| format!("clients.{id}.{k}");
        check_id(&id, &format!("clients.{id}"))?;
        let forward_auth = match c.mode.as_deref().unwrap_or("oidc") {
            "oidc" => None,
            "forward-auth" => Some(forward_auth(&id, &c)?),
            other => {
                return Err(invalid(key("mode"), format!("\"{other}\" is not a client mode (oidc, forward-auth)")))
            }
        };
        if c.redirect_uris.is_empty() && forward_auth.is_none() {
            return Err(invalid(key("redirect_uris"), "at least one redirect URI is required"));
        }
        let client_providers = match &c.providers {
            None => providers.keys().cloned().collect(),
            Some(list) if list.is_empty() => return Err(invalid(key("providers"), "name at least one provider")),
            Some(list) => {
                for (i, p) in list.iter().enumerate() {
                    if !providers.contains_key(p) {
                        return Err(invalid(
                            key(&format!("providers[{i}]")),
                            format!("no provider \"{p}\" is configured"),
                        ));
                    }
                }
                list.clone()
            }
        };
        for (i, uri) in c.redirect_uris.iter().enumerate() {
            let k = key(&format!("redirect_uris[{i}]"));
            let parsed = Url::parse(uri).map_err(|e| invalid(&k, format!("\"{uri}\" is not an absolute URI: {e}")))?;
            if parsed.fragment().is_some() {
                return Err(invalid(&k, "must not contain a fragment"));
            }
            if parsed.scheme() == "http" && !is_loopback(&parsed) && !is_loopback(&server.public_url) {
                return Err(invalid(&k, "plain http is allowed only for loopback addresses"));
            }
            if matches!(parsed.scheme(), "javascript" | "data" | "file") {
                return Err(invalid(&k, format!("the {} scheme is not allowed", parsed.scheme())));
            }
        }
        let mut claims = BTreeSet::new();
        for (i, name) in c.claims.iter().enumerate() {
            let k = key(&format!("claims[{i}]"));
            let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
            if !notice.keeps.contains(&claim) {
                return Err(invalid(
                    &k,
                    format!("\"{claim}\" is not in notice.keeps: the privacy notice does not keep it"),
                ));
            }
            claims.insert(claim);
        }
        for (i, uri) in c.post_logout_redirect_uris.iter().enumerate() {
            let k = key(&format!("post_logout_redirect_uris[{i}]"));
            let parsed = Url::parse(uri).map_err(|e| invalid(&k, format!("\"{uri}\" is not an absolute URI: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.fragment().is_some() {
                return Err(invalid(&k, "must be an http(s) URI without a fragment"));
            }
        }
        let secret = secret(c.client_secret, &env_name("CLIENT", &id, "client_secret"), env);
        clients.insert(
            id.clone(),
            ClientConfig {
                name: c.name.unwrap_or_else(|| id.clone()),
                id,
                secret,
                redirect_uris: c.redirect_uris,
                post_logout_redirect_uris: c.post_logout_redirect_uris,
                claims,
                providers: client_providers,
                forward_auth,
            },
        );
    }

    Ok(Config { server, store, notice, keys, lifetimes, limits, providers, clients })
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

/// A provider's `client_id` and `client_secret` (file or environment).
fn credentials(
    id: &str,
    p: &RawProvider,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(String, SecretString), ConfigError> {
    let required = |k: &str, extra: String| {
        invalid(format!("providers.{id}.{k}"), format!("required for kind = \"{}\"{extra}", p.kind))
    };
    let client_id = p.client_id.clone().ok_or_else(|| required("client_id", String::new()))?;
    let var = env_name("PROVIDER", id, "client_secret");
    let client_secret = secret(p.client_secret.clone(), &var, env)
        .ok_or_else(|| required("client_secret", format!(" (or set {var})")))?;
    Ok((client_id, client_secret))
}

fn forward_auth(id: &str, c: &RawClient) -> Result<ForwardAuth, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    if c.return_origins.is_empty() {
        return Err(invalid(key("return_origins"), "forward-auth clients need at least one exact origin"));
    }
    for (i, origin) in c.return_origins.iter().enumerate() {
        let k = key(&format!("return_origins[{i}]"));
        let u = Url::parse(origin).map_err(|e| invalid(&k, format!("\"{origin}\" is not an origin: {e}")))?;
        // An origin, exactly: no path, no wildcard, no suffix matching.
        if u.origin().ascii_serialization() != origin.trim_end_matches('/') || origin.contains('*') {
            return Err(invalid(&k, format!("\"{origin}\" must be an exact origin like \"https://app.example.com\"")));
        }
    }
    let redirect = match c.unauthenticated.as_deref().unwrap_or("401") {
        "401" => false,
        "redirect" => true,
        other => return Err(invalid(key("unauthenticated"), format!("\"{other}\" must be \"401\" or \"redirect\""))),
    };
    let header = |name: &str, default: &str| -> Result<String, ConfigError> {
        let v = c.headers.get(name).cloned().unwrap_or_else(|| default.to_owned());
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(invalid(key(&format!("headers.{name}")), format!("\"{v}\" is not a header name")));
        }
        Ok(v)
    };
    let fa = ForwardAuth {
        return_origins: c.return_origins.iter().map(|o| o.trim_end_matches('/').to_owned()).collect(),
        cookie_domain: c.cookie_domain.clone(),
        redirect_when_unauthenticated: redirect,
        header_email: header("email", "X-Auth-Request-Email")?,
        header_user: header("user", "X-Auth-Request-User")?,
        header_picture: header("picture", "X-Auth-Request-Picture")?,
        header_sub: header("sub", "X-Auth-Request-Sub")?,
    };
    if let Some(unknown) = c.headers.keys().find(|k| !["email", "user", "picture", "sub"].contains(&k.as_str())) {
        return Err(invalid(key(&format!("headers.{unknown}")), "known headers: email, user, picture, sub"));
    }
    Ok(fa)
}

fn check_id(id: &str, key: &str) -> Result<(), ConfigError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(invalid(key, "ids may contain only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

pub fn is_google(issuer: &str) -> bool {
    issuer.trim_end_matches('/') == "https://accounts.google.com"
}

/// Microsoft's identity platform (Entra ID), single- or multi-tenant.
pub fn is_microsoft(issuer: &str) -> bool {
    issuer.starts_with("https://login.microsoftonline.com/")
}

/// A Microsoft tenant id: a GUID, `8-4-4-4-12` hex digits.
pub fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

impl Config {
    /// Settings that work but leave a door open: `claimgate check` prints
    /// them and `serve` logs them. Each names its key.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in self.providers.values() {
            let ProviderKind::Oidc { issuer, .. } = &p.kind else { continue };
            let r = &p.rules;
            let key = |k: &str| format!("providers.{}.{k}", p.id);
            if is_google(issuer) && !r.allowed_email_domains.is_empty() && r.hosted_domains.is_empty() {
                out.push(format!(
                    "{}: a consumer Google account can carry a verified address at these domains; set {} to require a Workspace account of your organisation",
                    key("allowed_email_domains"),
                    key("hosted_domains")
                ));
            }
            let multi_tenant = ["/common/", "/organizations/", "/consumers/"].iter().any(|s| issuer.contains(s));
            // Domain rules or trusted addresses are only as good as the tenant that sets them.
            let relies_on_addresses = !r.allowed_email_domains.is_empty() || !r.email_verified_unknown;
            if is_microsoft(issuer) && multi_tenant && r.allowed_tenants.is_empty() && relies_on_addresses {
                out.push(format!(
                    "{}: any Microsoft tenant can sign in and choose the email address it sends (nOAuth); list the tenants you trust in {}",
                    key("issuer"),
                    key("allowed_tenants")
                ));
            }
        }
        out
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
[notice]
keeps = ["name", "email", "picture"]
[providers.google]
kind = "oidc"
issuer = "https://accounts.google.com"
client_id = "cid"
client_secret = "from-file"
[clients.main-app]
client_secret = "s"
redirect_uris = ["https://app.example.com/cb"]
claims = ["name", "email"]
"#;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn err(text: &str) -> String {
        Config::parse(text, no_env).unwrap_err().to_string()
    }

    #[test]
    fn organisation_rules_name_their_key_and_open_doors_are_warned_about() {
        let with = |lines: &str| {
            BASE.replace("client_secret = \"from-file\"", &format!("client_secret = \"from-file\"\n{lines}"))
        };
        let e = err(&with("allowed_tenants = [\"contoso\"]"));
        assert!(e.starts_with("providers.google.allowed_tenants[0]:") && e.contains("GUID"), "{e}");
        let e = err(&with("hosted_domains = [\"jane@example.com\"]"));
        assert!(e.starts_with("providers.google.hosted_domains[0]:"), "{e}");
        let dev = BASE.replace("kind = \"oidc\"", "kind = \"dev\"\nhosted_domains = [\"example.com\"]");
        assert!(err(&dev).starts_with("providers.google.hosted_domains:"), "{}", err(&dev));

        let google = Config::parse(&with("allowed_email_domains = [\"example.com\"]"), no_env).unwrap();
        let w = google.warnings();
        assert!(w.len() == 1 && w[0].contains("providers.google.hosted_domains"), "{w:?}");
        let workspace = with("allowed_email_domains = [\"example.com\"]\nhosted_domains = [\"example.com\"]");
        assert!(Config::parse(&workspace, no_env).unwrap().warnings().is_empty());

        let ms = BASE.replace("https://accounts.google.com", "https://login.microsoftonline.com/common/v2.0");
        let c = Config::parse(&ms, no_env).unwrap();
        assert!(c.providers["google"].rules.email_verified_unknown, "Microsoft addresses are unverified by default");
        assert!(c.warnings().is_empty(), "unverified addresses are refused: nothing to choose");
        let trusting =
            ms.replace("client_secret = \"from-file\"", "client_secret = \"from-file\"\nassume_email_verified = true");
        let w = Config::parse(&trusting, no_env).unwrap().warnings();
        assert!(w.len() == 1 && w[0].contains("allowed_tenants") && w[0].contains("nOAuth"), "{w:?}");
        let pinned = trusting.replace(
            "assume_email_verified = true",
            "assume_email_verified = true\nallowed_tenants = [\"9188040d-6c67-4c5b-b112-36a304b66dad\"]",
        );
        let c = Config::parse(&pinned, no_env).unwrap();
        assert!(c.warnings().is_empty() && !c.providers["google"].rules.email_verified_unknown);
    }

    #[test]
    fn parses_the_contract() {
        let c = Config::parse(BASE, no_env).unwrap();
        assert_eq!(c.server.issuer(), "http://127.0.0.1:8080");
        assert_eq!(c.store, StoreConfig::Memory);
        assert_eq!(c.clients["main-app"].claims.len(), 2);
        assert_eq!(c.providers["google"].display_name, "Google");
    }

    #[test]
    fn refuses_claims_beyond_the_notice() {
        let text = BASE.replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["name"]"#);
        let e = err(&text);
        assert!(e.starts_with("clients.main-app.claims[1]:"), "{e}");
        assert!(e.contains("notice.keeps"), "{e}");
    }

    #[test]
    fn refuses_unknown_claims() {
        let e = err(&BASE.replace(r#"claims = ["name", "email"]"#, r#"claims = ["name", "phone_number"]"#));
        assert!(e.starts_with("clients.main-app.claims[1]:") && e.contains("phone_number"), "{e}");
        let e = err(&BASE.replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["birthdate"]"#));
        assert!(e.starts_with("notice.keeps[0]:"), "{e}");
    }

    #[test]
    fn refuses_relative_redirect_uri_and_bad_public_url() {
        let e = err(&BASE.replace("https://app.example.com/cb", "/cb"));
        assert!(e.starts_with("clients.main-app.redirect_uris[0]:"), "{e}");
        let e = err(&BASE.replace(r#"public_url = "http://127.0.0.1:8080""#, r#"public_url = "not a url""#));
        assert!(e.starts_with("server.public_url:"), "{e}");
    }

    #[test]
    fn dev_provider_only_on_loopback() {
        let dev = BASE.replace("kind = \"oidc\"", "kind = \"dev\"");
        assert!(Config::parse(&dev, no_env).is_ok());
        let public = dev.replace("http://127.0.0.1:8080", "https://login.example.com");
        let e = err(&public);
        assert!(e.starts_with("providers.google.kind:"), "{e}");
    }

    #[test]
    fn secrets_come_from_the_environment_too() {
        let text = BASE.replace("client_secret = \"from-file\"\n", "");
        let e = err(&text);
        assert!(e.contains("CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET"), "{e}");
        let c = Config::parse(&text, |k| (k == "CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET").then(|| "x".into())).unwrap();
        match &c.providers["google"].kind {
            ProviderKind::Oidc { client_secret, .. } => {
                assert_eq!(secrecy::ExposeSecret::expose_secret(client_secret), "x")
            }
            _ => panic!("wrong kind"),
        }
    }

    #[test]
    fn a_provider_map_cannot_reach_beyond_the_notice() {
        let narrow = BASE.replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["name", "email"]"#).replace(
            r#"client_secret = "from-file""#,
            "client_secret = \"from-file\"\nmap = { picture = \"avatar_url\" }",
        );
        let e = err(&narrow);
        assert!(e.starts_with("providers.google.map.picture:") && e.contains("notice.keeps"), "{e}");
        let sub =
            BASE.replace(r#"client_secret = "from-file""#, "client_secret = \"from-file\"\nmap = { name = \"sub\" }");
        assert!(err(&sub).starts_with("providers.google.map.name:"));
        let ok = BASE
            .replace(r#"client_secret = "from-file""#, "client_secret = \"from-file\"\nmap = { name = \"nickname\" }");
        let c = Config::parse(&ok, no_env).unwrap();
        assert_eq!(c.providers["google"].rules.source(ProfileClaim::Name), "nickname");
    }

    #[test]
    fn tls_files_are_checked_at_load() {
        let e = err(&BASE
            .replace("[notice]", "[server.tls]\ncert = \"/nonexistent.pem\"\nkey = \"/nonexistent.key\"\n[notice]"));
        assert!(e.starts_with("server.tls.cert:"), "{e}");
        let e = err(&BASE.replace(
            "public_url = \"http://127.0.0.1:8080\"",
            "public_url = \"http://127.0.0.1:8080\"\nlog_level = \"[[\"",
        ));
        assert!(e.starts_with("server.log_level:"), "{e}");
    }

    #[test]
    fn forward_auth_needs_exact_origins_and_known_providers() {
        let fa = |origins: &str| {
            BASE.replace(
                "[clients.main-app]",
                &format!("[clients.wiki]\nmode = \"forward-auth\"\nreturn_origins = {origins}\nclaims = [\"email\"]\n[clients.main-app]"),
            )
        };
        assert!(Config::parse(&fa(r#"["https://wiki.example.com"]"#), no_env).unwrap().clients["wiki"]
            .forward_auth
            .is_some());
        for bad in [r#"["https://*.example.com"]"#, r#"["https://wiki.example.com/path"]"#, r#"[".example.com"]"#, "[]"]
        {
            let e = err(&fa(bad));
            assert!(e.starts_with("clients.wiki.return_origins"), "{bad}: {e}");
        }
        let e = err(&BASE.replace("claims = [\"name\", \"email\"]", "claims = [\"name\"]\nproviders = [\"github\"]"));
        assert!(e.starts_with("clients.main-app.providers[0]:"), "{e}");
    }

    #[test]
    fn a_shared_store_needs_shared_keys() {
        let redis = BASE.replace("[notice]", "[store]\nkind = \"redis\"\nurl = \"redis://127.0.0.1\"\n[notice]");
        assert!(err(&redis).starts_with("keys.signing_key:"), "{}", err(&redis));
        let e = err(&BASE.replace("[notice]", "[store]\nkind = \"redis-cluster\"\n[notice]"));
        assert!(e.starts_with("store.urls:"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = err(&BASE.replace("[notice]", "[notice]\nkeep_forever = true"));
        assert!(e.contains("keep_forever"), "{e}");
    }

    mod properties {
        //! Any text: a config, or an error that names its key (or the syntax); never a panic.
        use super::*;
        use proptest::prelude::*;

        /// (section header in BASE, key) pairs a value is tried at.
        const KEYS: &[(&str, &str)] = &[
            ("[server]", "public_url"),
            ("[server]", "listen"),
            ("[server]", "admin_listen"),
            ("[server]", "log_level"),
            ("[notice]", "keeps"),
            ("[notice]", "picture"),
            ("[providers.google]", "issuer"),
            ("[providers.google]", "allowed_tenants"),
            ("[providers.google]", "hosted_domains"),
            ("[providers.google]", "map"),
            ("[clients.main-app]", "redirect_uris"),
            ("[clients.main-app]", "claims"),
            ("[clients.main-app]", "providers"),
            ("[clients.main-app]", "mode"),
            ("[clients.main-app]", "return_origins"),
        ];

        fn toml_value() -> impl Strategy<Value = String> {
            let string = "[ -~]{0,40}".prop_map(|s| format!("{s:?}"));
            prop_oneof![
                string.clone(),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<bool>().prop_map(|b| b.to_string()),
                prop::collection::vec(string.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
                (string.clone(), string).prop_map(|(k, v)| format!("{{ {k} = {v} }}")),
            ]
        }

        proptest! {
            #[test]
            fn any_text_is_refused_or_parsed_without_a_panic(text in any::<String>()) {
                let _ = Config::parse(&text, no_env);
            }

            #[test]
            fn a_bad_value_is_refused_naming_its_key(at in prop::sample::select(KEYS), value in toml_value()) {
                let (section, key) = at;
                let text = BASE.replacen(section, &format!("{section}\n{key} = {value}"), 1);
                match Config::parse(&text, no_env) {
                    Ok(_) | Err(ConfigError::Syntax { .. }) => {}
                    Err(ConfigError::Invalid { key: named, reason }) => {
                        let path = section.trim_matches(|c| c == '[' || c == ']');
                        prop_assert!(named.starts_with(path), "{} = {}: error names {}: {}", key, value, named, reason);
                    }
                    Err(ConfigError::Read { .. }) => prop_assert!(false, "nothing is read from a path here"),
                }
            }
        }
    }
}
