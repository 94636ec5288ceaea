//! Builds the application: keys, store, upstream providers, routes.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ProviderKind, StoreConfig};
use crate::ids::ProviderId;
use crate::keys::Keys;
use crate::metrics::{InstrumentedStore, Metrics};
use crate::op;
use crate::state::AppState;
use crate::store::memory::MemoryStore;
use crate::store::records::Records;
use crate::store::redis::RedisStore;
use crate::store::Store;
use crate::upstream::http::UpstreamHttp;
use crate::upstream::oidc::{ClientSecretSource, OidcProvider, OidcSettings};
use crate::upstream::{dev::DevProvider, github::GithubProvider, UpstreamProvider};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
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
    Store(#[source] crate::store::StoreError),
    #[error("providers.{id}: {source}")]
    Provider { id: String, source: url::ParseError },
    #[error("providers.{id}.private_key: {source}")]
    AppleKey { id: String, source: crate::upstream::apple::BadKey },
    #[error("server.tls: {0}")]
    Tls(#[source] rustls::Error),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
    #[error("cannot register the metrics: {0}")]
    Metrics(#[source] prometheus::Error),
}

pub struct Application {
    port: u16,
    admin_port: Option<u16>,
    server: Server,
    admin: Option<Server>,
    state: web::Data<AppState>,
}

/// The one outbound HTTP client: timeouts on every call, no redirects,
/// response bodies capped (`upstream::http`).
pub fn http_client() -> Result<UpstreamHttp, StartupError> {
    upstream_client_builder().build().map(UpstreamHttp::new).map_err(StartupError::Http)
}

/// The bounds of every upstream call: no redirects, timeouts, our name.
fn upstream_client_builder() -> reqwest::ClientBuilder {
    crate::upstream::http::use_aws_lc();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("claimgate/", env!("CARGO_PKG_VERSION")))
}

/// The picture proxy's client: the upstream bounds, and names resolved to
/// public addresses only (`upstream::public_dns`); the dev provider's own
/// host (claimgate itself, on loopback) is exempt.
fn warn_generated(keys: &Keys) {
    for key in &keys.generated {
        tracing::warn!(key = %key, "no {key} configured: generated one for this process only; tokens and pairwise subjects will not survive a restart or match another instance");
    }
}

/// The admin listener (`server.admin_listen`), if one is configured.
fn bind_admin(config: &Config) -> Result<Option<TcpListener>, StartupError> {
    let Some(addr) = &config.server.admin_listen else { return Ok(None) };
    TcpListener::bind(addr).map(Some).map_err(|source| StartupError::Listen { addr: addr.clone(), source })
}

fn picture_client(config: &Config) -> Result<UpstreamHttp, StartupError> {
    let own_host = config.server.public_url.host_str().map(str::to_owned);
    let dev = config.providers.values().any(|p| matches!(p.kind, crate::config::ProviderKind::Dev));
    let resolver = crate::upstream::public_dns::PublicOnly::new(own_host.filter(|_| dev));
    upstream_client_builder()
        .dns_resolver(Arc::new(resolver))
        .build()
        .map(UpstreamHttp::new)
        .map_err(StartupError::Http)
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
        let keys = Keys::load(&config)?;
        warn_generated(&keys);
        let metrics = Arc::new(Metrics::new().map_err(StartupError::Metrics)?);
        // One upstream HTTP client (and connection pool) for providers; the
        // picture proxy has its own, whose resolver refuses private addresses.
        let http = http_client()?;
        let providers = build_providers(&config, &clock, &metrics, &http).await?;
        let issuer = config.server.issuer();
        let store: Arc<dyn Store> = Arc::new(InstrumentedStore::new(store, metrics.clone()));
        let records = Records::new(store, keys.sealer.clone(), config.lifetimes.session_absolute)
            .with_pending_cap(config.limits.max_pending);
        let admin_listener = bind_admin(&config)?;
        let tls = config.server.tls.clone();
        let shutdown = config.server.shutdown_timeout.as_secs();
        let edge = edge_limits(&config, &metrics, &records, &keys);
        forget_idle_addresses(&edge);
        let pictures = crate::pictures::Pictures::new(picture_client(&config)?, &issuer);
        let client_keys = crate::client_keys::ClientKeys::new(http, clock.clone());
        let state = web::Data::new(AppState {
            config,
            issuer,
            keys,
            records,
            providers,
            clock,
            metrics,
            pictures,
            draining: Default::default(),
            client_keys,
        });
        crate::backchannel::spawn_worker(&state);
        start_series(&state);
        let port = listener.local_addr().map_err(|source| StartupError::Listen { addr: "?".into(), source })?.port();
        let listen_err = |source| StartupError::Listen { addr: port.to_string(), source };

        let main_state = state.clone();
        let probes_here = admin_listener.is_none();
        let body_limit = state.config.limits.max_form_bytes;
        let hsts = tls.is_some();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(main_state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::FormConfig::default().limit(body_limit))
                .wrap(crate::edge::Edge::new(hsts, edge.clone(), main_state.metrics.clone()))
                .configure(|cfg| main_routes(cfg, &main_state, probes_here))
        })
        .shutdown_timeout(shutdown)
        // SIGTERM is handled in `run_until_stopped`: drain first, then stop.
        .disable_signals();
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, rustls_config(tls)?).map_err(listen_err)?,
            None => server.listen(listener).map_err(listen_err)?,
        }
        .run();

        let (admin, admin_port) = match admin_listener {
            Some(l) => {
                let admin_port = l.local_addr().map(|a| a.port()).ok();
                (Some(admin_server(&state, l, shutdown).map_err(listen_err)?), admin_port)
            }
            None => (None, None),
        };
        Ok(Application { port, admin_port, server, admin, state })
    }

    /// The admin listener's port, when `server.admin_listen` is set.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT or a listener fails. On the signal,
    /// `/readyz` answers 503 for `server.drain_secs` while every request is
    /// still served; then the listeners close and in-flight requests get
    /// `server.shutdown_timeout_secs` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handles = (self.server.handle(), self.admin.as_ref().map(|a| a.handle()));
        let state = self.state.clone();
        tokio::spawn(async move {
            stop_signal().await;
            let drain = state.config.server.drain;
            state.draining.store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(drain_secs = drain.as_secs(), "stopping: not ready while draining, then closing");
            tokio::time::sleep(drain).await;
            let (main, admin) = handles;
            let admin_stopped = async {
                if let Some(admin) = admin {
                    admin.stop(true).await;
                }
            };
            tokio::join!(main.stop(true), admin_stopped);
        });
        match self.admin {
            Some(admin) => tokio::try_join!(self.server, admin).map(|_| ()),
            None => self.server.await,
        }
    }
}

/// The admin listener's server: probes and metrics, one worker.
fn admin_server(state: &web::Data<AppState>, listener: TcpListener, shutdown: u64) -> std::io::Result<Server> {
    let admin_state = state.clone();
    Ok(HttpServer::new(move || App::new().app_data(admin_state.clone()).configure(admin_routes))
        .workers(1)
        .shutdown_timeout(shutdown)
        .disable_signals()
        .listen(listener)?
        .run())
}

/// SIGTERM (what an orchestrator sends) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The store `[store]` names.
pub async fn store_from_config(config: &Config, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, StartupError> {
    let failed = |e: crate::store::StoreError| StartupError::Store(e);
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

fn rustls_config(tls: crate::config::TlsConfig) -> Result<rustls::ServerConfig, StartupError> {
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(tls.cert_chain, tls.key))
        .map_err(StartupError::Tls)
}

/// Every series the alerts and the dashboard read, at 0 from the start.
fn start_series(state: &AppState) {
    state.metrics.start_series(&state.config);
    let codes = crate::protocol::errors::OAuthError::ALL.map(crate::protocol::errors::OAuthError::code);
    state.metrics.start_outcomes(&[&["success", "missing_token"][..], &codes[..]].concat());
}

/// The limits at the edge; with `limits.shared_rates`, counted in the store.
fn edge_limits(
    config: &Config,
    metrics: &Arc<Metrics>,
    records: &Records,
    keys: &Keys,
) -> web::Data<crate::limits::EdgeLimits> {
    let edge = crate::limits::EdgeLimits::new(&config.limits, metrics.clone());
    web::Data::new(match config.limits.shared_rates {
        true => edge.shared(records.store().clone(), Arc::new(keys.pseudonymizer.clone())),
        false => edge,
    })
}

/// Forgets rate-limit buckets of addresses not seen for a while, every
/// minute, so that their number stays bounded. Stops with the application.
fn forget_idle_addresses(edge: &web::Data<crate::limits::EdgeLimits>) {
    let weak = Arc::downgrade(&edge.clone().into_inner());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match weak.upgrade() {
                Some(edge) => edge.retain_recent(),
                None => break,
            }
        }
    });
}

/// Discovery, retried with backoff when `server.discovery_retries` allows.
async fn discover_with_retries(
    config: &Config,
    id: &str,
    p: &crate::config::ProviderConfig,
    (issuer, flavor, client_id): (&str, crate::config::OidcFlavor, &str),
    client_secret: &dyn Fn() -> Result<ClientSecretSource, StartupError>,
    (http, clock, metrics): (&UpstreamHttp, &Arc<dyn Clock>, &Metrics),
) -> Result<OidcProvider, StartupError> {
    let mut attempt = 0;
    loop {
        let started = std::time::Instant::now();
        let public_url = config.server.issuer();
        let settings = OidcSettings {
            id,
            display_name: &p.display_name,
            issuer,
            flavor,
            client_id,
            client_secret: client_secret()?,
            public_url: &public_url,
        };
        let result = OidcProvider::discover(settings, http.clone(), clock.clone()).await;
        metrics.upstream_seconds.with_label_values(&[id, "discovery"]).observe(started.elapsed().as_secs_f64());
        match result {
            Ok(provider) => return Ok(provider),
            Err(source) if attempt >= config.server.discovery_retries => {
                return Err(StartupError::Discovery { id: id.to_owned(), source })
            }
            Err(e) => {
                let wait = Duration::from_secs((1u64 << attempt.min(5)).min(30));
                tracing::warn!(provider = %id, error = %e, retry_in_secs = wait.as_secs(), "discovery failed; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

async fn build_providers(
    config: &Config,
    clock: &Arc<dyn Clock>,
    metrics: &Metrics,
    http: &UpstreamHttp,
) -> Result<BTreeMap<ProviderId, Arc<dyn UpstreamProvider>>, StartupError> {
    let public_url = config.server.issuer();
    let mut providers: BTreeMap<ProviderId, Arc<dyn UpstreamProvider>> = BTreeMap::new();
    for (id, p) in &config.providers {
        let provider: Arc<dyn UpstreamProvider> = match &p.kind {
            ProviderKind::Oidc { issuer, flavor, client_id, client_secret } => {
                let secret = || Ok(ClientSecretSource::Static(client_secret.clone()));
                let oidc = (issuer.as_str(), *flavor, client_id.as_str());
                Arc::new(discover_with_retries(config, id, p, oidc, &secret, (http, clock, metrics)).await?)
            }
            ProviderKind::Apple(apple) => {
                let secret = || {
                    let maker = crate::upstream::apple::ClientSecretMaker::new(apple, clock.clone())
                        .map_err(|source| StartupError::AppleKey { id: id.to_string(), source })?;
                    Ok(ClientSecretSource::Apple(maker))
                };
                let oidc = (apple.issuer.as_str(), crate::config::OidcFlavor::Generic, apple.client_id.as_str());
                Arc::new(discover_with_retries(config, id, p, oidc, &secret, (http, clock, metrics)).await?)
            }
            ProviderKind::Github { client_id, client_secret, web_url, api_url } => Arc::new(
                GithubProvider::new(
                    id,
                    &p.display_name,
                    client_id,
                    client_secret.clone(),
                    web_url,
                    api_url,
                    &public_url,
                    http.clone(),
                )
                .map_err(|e| StartupError::Provider { id: id.to_string(), source: e })?,
            ),
            ProviderKind::Dev => {
                tracing::warn!(provider = %id, "DEV PROVIDER ENABLED: anyone can sign in as a fixed sample user; never use this in production");
                Arc::new(
                    DevProvider::new(id, &p.display_name, &public_url)
                        .map_err(|e| StartupError::Provider { id: id.to_string(), source: e })?,
                )
            }
        };
        providers.insert(id.clone(), provider);
    }
    Ok(providers)
}

/// The route table.
fn routes(cfg: &mut web::ServiceConfig) {
    // actix-web tries routes in this order, and a route with a parameter is
    // a regex: the paths apps call on every request come first, those with
    // parameters last (a profile of /userinfo and /healthz under load showed
    // the walk past the regexes).
    cfg.route("/userinfo", web::get().to(op::userinfo::userinfo))
        .route("/userinfo", web::post().to(op::userinfo::userinfo))
        .route("/auth", web::get().to(op::forward_auth::check))
        .route("/token", web::post().to(op::token::token))
        .route("/introspect", web::post().to(op::introspect::introspect))
        .route("/revoke", web::post().to(op::revoke::revoke))
        .route("/par", web::post().to(op::par::par))
        .route("/.well-known/openid-configuration", web::get().to(op::discovery::openid_configuration))
        .route("/jwks", web::get().to(op::discovery::jwks))
        .route("/.well-known/claimgate-disclosure", web::get().to(op::discovery::disclosure))
        .route("/.well-known/ssf-configuration", web::get().to(op::ssf::configuration))
        .service(
            web::resource("/ssf/stream")
                .route(web::get().to(op::ssf::stream))
                .route(web::post().to(op::ssf::stream))
                .route(web::patch().to(op::ssf::stream))
                .route(web::put().to(op::ssf::stream))
                .route(web::delete().to(op::ssf::stream)),
        )
        .service(
            web::resource("/ssf/status").route(web::get().to(op::ssf::status)).route(web::post().to(op::ssf::status)),
        )
        .route("/ssf/verify", web::post().to(op::ssf::verify))
        .route("/ssf/poll", web::post().to(op::ssf::poll_events))
        .service(page("/authorize").get(op::authorize::authorize_get).post(op::authorize::authorize_post))
        .service(page("/authorize/continue").post(op::authorize::continue_login))
        .service(page("/logout").get(op::logout::logout_get).post(op::logout::logout_post))
        .service(page("/auth/start").get(op::forward_auth::start))
        .service(page("/auth/callback").get(op::forward_auth::callback))
        .service(page("/me").get(op::me::me))
        .route("/me/picture", web::get().to(op::picture::own_picture))
        .service(page("/me/erase").post(op::me::erase))
        .service(page("/me/export").get(op::export::export))
        .service(page("/callback/{provider}").get(op::callback::callback).post(op::callback::callback_post))
        .service(page("/dev/{provider}/authorize").get(op::callback::dev_authorize))
        .route("/dev/{provider}/picture.png", web::get().to(op::callback::dev_picture))
        .route("/picture/{handle}", web::get().to(op::picture::picture))
        .service(page("/me/apps/{client_id}/withdraw").post(op::me::withdraw));
}

/// A route that answers a person: its pages speak the request's language
/// (`pages::language`). The JSON and image endpoints skip that work.
fn page(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path).wrap(from_fn(crate::pages::language::negotiate))
}

/// The main listener's routes: the probes first when there is no admin
/// listener (a load balancer asks them all the time), then the OpenID
/// Provider's, then `/metrics` when it is public.
fn main_routes(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>, probes: bool) {
    if probes {
        probe_routes(cfg);
    }
    // The pages' languages, for `pages::language::negotiate`.
    cfg.app_data(web::Data::from(state.config.pages.messages.clone()));
    routes(cfg);
    if state.config.server.metrics_public {
        cfg.route("/metrics", web::get().to(crate::admin::metrics));
    }
}

/// Operations endpoints: on the main listener, or on `server.admin_listen`.
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(crate::admin::metrics));
    probe_routes(cfg);
}

/// Liveness and readiness: on the admin listener, or on the main one when
/// there is none. `/metrics` is on the main listener only with
/// `server.metrics_public = true`: per-client counters are for operators.
fn probe_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(crate::admin::healthz)).route("/readyz", web::get().to(crate::admin::readyz));
}
