//! The published config contract (config.example.toml documents every key): TOML → validated
//! domain types. Every error names the offending key and the reason.

mod clients;
#[cfg(test)]
pub mod edit;
mod keys;
mod lifetimes;
mod limits;
mod pages;
mod pictures;
mod providers;
mod server;
mod signals;
mod store;
mod uris;

pub use crate::net::is_loopback;
pub use clients::{
    BackchannelLogout, ClientAuth, ClientConfig, ClientKeySource, ClientKind, ForwardAuth, OidcApp, OidcClient,
    FAPI2_RULES,
};
pub use keys::{KeysConfig, SigningKeySource};
pub use lifetimes::Lifetimes;
pub use limits::Limits;
pub use pages::Pages;
pub use pictures::{PictureHosts, PictureMode};
pub use providers::{is_guid, AppleSettings, OidcFlavor, ProviderConfig, ProviderKind, APPLE_ISSUER};
pub use server::{LogFormat, ServerConfig, TlsConfig};
pub use signals::{Signals, StaticStream};
pub use store::StoreConfig;
pub use uris::{PostLogoutUri, RedirectUri, RegisteredUri};

use crate::ids::{ClientId, ProviderId};
use clients::RawClient;
use keys::RawKeys;
use lifetimes::RawLifetimes;
use providers::RawProvider;
use server::RawServer;
use store::RawStore;

use crate::policy::ProfileClaim;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    pages: pages::RawPages,
    #[serde(default)]
    providers: BTreeMap<String, RawProvider>,
    #[serde(default)]
    clients: BTreeMap<String, RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    keeps: Vec<String>,
    url: Option<String>,
    version: Option<String>,
    revised: Option<String>,
    controller: Option<String>,
    contact: Option<String>,
    picture: Option<String>,
}

// ---- the validated configuration ------------------------------------------

#[derive(Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub notice: Notice,
    pub keys: KeysConfig,
    pub lifetimes: Lifetimes,
    pub limits: Limits,
    pub pages: Pages,
    pub providers: BTreeMap<ProviderId, ProviderConfig>,
    pub clients: BTreeMap<ClientId, ClientConfig>,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub keeps: BTreeSet<ProfileClaim>,
    pub url: Option<String>,
    /// Operators change it for material changes (the notice's section 11):
    /// a consent given under another version counts as none.
    pub version: Option<String>,
    /// When the notice was last revised (`YYYY-MM-DD`), shown with the version.
    pub revised: Option<String>,
    /// Who is responsible for the processing, and how to reach them (in
    /// consent receipts and `/me/export`).
    pub controller: Option<String>,
    pub contact: Option<String>,
    /// How apps receive the picture (`"proxy"`, the default, or `"link"`).
    pub picture: PictureMode,
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

/// A secret from the environment's `env_var` (an empty variable counts as
/// unset) or else the file's `key`. A blank secret is refused: a client
/// whose secret is "" would be one anyone authenticates as.
fn secret(
    file_value: Option<String>,
    key: &str,
    env_var: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
    let (value, from) = match env(env_var).filter(|v| !v.is_empty()) {
        Some(v) => (Some(v), env_var),
        None => (file_value, key),
    };
    match value {
        Some(v) if v.trim().is_empty() => Err(invalid(from, "is empty or blank: set a real secret, or remove the key")),
        v => Ok(v.map(SecretString::from)),
    }
}

fn validate(raw: RawConfig, env: &impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let server = server::validate(raw.server)?;
    let store = store::validate(raw.store)?;
    // [notice]
    let mut keeps = BTreeSet::new();
    for (i, name) in raw.notice.keeps.iter().enumerate() {
        let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(format!("notice.keeps[{i}]"), e.to_string()))?;
        keeps.insert(claim);
    }
    let picture = match raw.notice.picture.as_deref() {
        None | Some("proxy") => PictureMode::Proxy,
        Some("link") => PictureMode::Link,
        Some(other) => {
            return Err(invalid("notice.picture", format!("\"{other}\" is not a picture mode (proxy, link)")))
        }
    };
    if let Some(revised) = &raw.notice.revised {
        if chrono::NaiveDate::parse_from_str(revised, "%Y-%m-%d").is_err() {
            return Err(invalid("notice.revised", format!("\"{revised}\" is not a date (YYYY-MM-DD)")));
        }
    }
    let notice = Notice {
        keeps,
        url: raw.notice.url,
        version: raw.notice.version,
        revised: raw.notice.revised,
        controller: raw.notice.controller,
        contact: raw.notice.contact,
        picture,
    };

    let keys = keys::validate(raw.keys, &store, env)?;
    let lifetimes = lifetimes::validate(raw.lifetimes)?;
    let limits = raw.limits.validate()?;
    if limits.shared_rates && !store.is_shared() {
        let why = "counts in a shared store: set store.kind to redis or redis-cluster, or leave it false";
        return Err(invalid("limits.shared_rates", why));
    }
    let providers = providers::validate(raw.providers, &server, &notice, env)?;
    let clients = clients::validate(raw.clients, &server, &providers, &notice, env)?;
    let pages = raw.pages.validate()?;
    Ok(Config { server, store, notice, keys, lifetimes, limits, pages, providers, clients })
}

fn check_id(id: &str, key: &str) -> Result<(), ConfigError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(invalid(key, "ids may contain only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
