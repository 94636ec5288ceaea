//! Builds the application: keys, store, upstream providers, routes.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ProviderKind, StoreConfig};
use crate::keys::Keys;
use crate::op::{self, AppState};
use crate::store::memory::MemoryStore;
use crate::store::records::Records;
use crate::store::redis::RedisStore;
use crate::store::Store;
use crate::upstream::{dev::DevProvider, oidc::OidcProvider, UpstreamProvider};
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("providers.{id}: {source}")]
    Discovery { id: String, source: crate::upstream::oidc::DiscoveryFailed },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("store.kind: {0}")]
    Store(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

/// The one outbound HTTP client: timeouts on every call, no redirects.
pub fn http_client() -> Result<reqwest::Client, StartupError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("claimgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| StartupError::Http(e.to_string()))
}

impl Application {
    /// Binds `server.listen` and builds.
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(&config.server.listen)
            .map_err(|source| StartupError::Listen { addr: config.server.listen.clone(), source })?;
        Self::build_with_listener(config, listener, Arc::new(SystemClock)).await
    }

    /// Builds on an already bound listener (port 0 works; see [`Self::port`]),
    /// with the store that `[store]` names.
    pub async fn build_with_listener(
        config: Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartupError> {
        let store = store_from_config(&config, clock.clone()).await?;
        Self::build_with_store(config, listener, clock, store).await
    }

    /// Builds with a given store (tests keep a handle on it).
    pub async fn build_with_store(
        config: Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
        store: Arc<dyn Store>,
    ) -> Result<Application, StartupError> {
        let keys = Keys::load(&config.keys)?;
        for key in &keys.generated {
            tracing::warn!(key = %key, "no {key} configured: generated one for this process only; tokens and pairwise subjects will not survive a restart or match another instance");
        }
        let providers = build_providers(&config).await?;
        let issuer = config.server.issuer();
        let records = Records::new(store, keys.sealer.clone(), config.lifetimes.session_absolute);
        let state = web::Data::new(AppState { config, issuer, keys, records, providers, clock });
        let port = listener.local_addr().map_err(|source| StartupError::Listen { addr: "?".into(), source })?.port();
        let server_state = state.clone();
        let server = HttpServer::new(move || App::new().app_data(server_state.clone()).configure(routes))
            .listen(listener)
            .map_err(|source| StartupError::Listen { addr: port.to_string(), source })?
            .run();
        Ok(Application { port, server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The store `[store]` names.
pub async fn store_from_config(config: &Config, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, StartupError> {
    let failed = |e: crate::store::StoreError| StartupError::Store(e.to_string());
    Ok(match &config.store {
        StoreConfig::Memory => {
            let store = MemoryStore::new(clock);
            store.spawn_sweeper(Duration::from_secs(30));
            store
        }
        StoreConfig::Redis { url, key_prefix } => Arc::new(RedisStore::connect(url, key_prefix).await.map_err(failed)?),
        StoreConfig::RedisCluster { urls, key_prefix } => {
            Arc::new(RedisStore::connect_cluster(urls, key_prefix).await.map_err(failed)?)
        }
    })
}

async fn build_providers(config: &Config) -> Result<BTreeMap<String, Arc<dyn UpstreamProvider>>, StartupError> {
    let http = http_client()?;
    let public_url = config.server.issuer();
    let mut providers: BTreeMap<String, Arc<dyn UpstreamProvider>> = BTreeMap::new();
    for (id, p) in &config.providers {
        let provider: Arc<dyn UpstreamProvider> = match &p.kind {
            ProviderKind::Oidc { issuer, client_id, client_secret } => Arc::new(
                OidcProvider::discover(
                    id,
                    &p.display_name,
                    issuer,
                    client_id,
                    client_secret.clone(),
                    &public_url,
                    http.clone(),
                )
                .await
                .map_err(|source| StartupError::Discovery { id: id.clone(), source })?,
            ),
            ProviderKind::Dev => {
                tracing::warn!(provider = %id, "DEV PROVIDER ENABLED: anyone can sign in as a fixed sample user; never use this in production");
                Arc::new(DevProvider::new(id, &p.display_name, &public_url))
            }
        };
        providers.insert(id.clone(), provider);
    }
    Ok(providers)
}

/// The route table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/openid-configuration", web::get().to(op::discovery::openid_configuration))
        .route("/jwks", web::get().to(op::discovery::jwks))
        .route("/.well-known/claimgate-disclosure", web::get().to(op::discovery::disclosure))
        .route("/authorize", web::get().to(op::authorize::authorize_get))
        .route("/authorize", web::post().to(op::authorize::authorize_post))
        .route("/authorize/continue", web::post().to(op::authorize::continue_login))
        .route("/callback/{provider}", web::get().to(op::callback::callback))
        .route("/dev/{provider}/authorize", web::get().to(op::callback::dev_authorize))
        .route("/token", web::post().to(op::token::token))
        .route("/userinfo", web::get().to(op::userinfo::userinfo))
        .route("/userinfo", web::post().to(op::userinfo::userinfo))
        .route("/revoke", web::post().to(op::revoke::revoke))
        .route("/logout", web::get().to(op::logout::logout_get))
        .route("/logout", web::post().to(op::logout::logout_post))
        .route("/me", web::get().to(op::me::me))
        .route("/me/erase", web::post().to(op::me::erase));
}
