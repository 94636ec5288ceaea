//! The application state every handler shares, built once by `crate::startup`.

use crate::clock::Clock;
use crate::config::{ClientConfig, Config};
use crate::ids::ProviderId;
use crate::keys::Keys;
use crate::store::records::Records;
use crate::upstream::UpstreamProvider;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything the handlers share. Built once by [`crate::startup`].
pub struct AppState {
    pub config: Config,
    /// `public_url` without trailing slash: `iss` of every token.
    pub issuer: String,
    pub keys: Keys,
    pub records: Records,
    pub providers: BTreeMap<ProviderId, Arc<dyn UpstreamProvider>>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The picture proxy (`[notice] picture = "proxy"`).
    pub pictures: crate::pictures::Pictures,
    /// Set on SIGTERM: `/readyz` answers 503 while requests are still served
    /// (`server.drain_secs`).
    pub draining: std::sync::atomic::AtomicBool,
    /// The public keys of `private_key_jwt` clients (`jwks_uri` cached).
    pub client_keys: crate::client_keys::ClientKeys,
}

impl AppState {
    pub fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.config.clients.get(id)
    }

    pub fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}

/// What telling the apps needs (back-channel logout, security events):
/// the server's state, or the `erase` command's.
pub struct Notifier<'a> {
    pub config: &'a Config,
    pub issuer: &'a str,
    pub keys: &'a Keys,
    pub records: &'a Records,
    pub metrics: &'a crate::metrics::Metrics,
    pub clock: &'a dyn Clock,
}

impl<'a> From<&'a AppState> for Notifier<'a> {
    fn from(state: &'a AppState) -> Self {
        Notifier {
            config: &state.config,
            issuer: &state.issuer,
            keys: &state.keys,
            records: &state.records,
            metrics: &state.metrics,
            clock: state.clock.as_ref(),
        }
    }
}

impl Notifier<'_> {
    pub fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.config.clients.get(id)
    }

    pub fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}
