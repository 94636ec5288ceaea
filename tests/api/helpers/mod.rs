//! Test support, by concern: `spawn_app()` here (claimgate on a random port
//! in front of the in-process test identity provider, with its config);
//! `browser` (the user agent that records everything it sees), `oauth` (the
//! app back-end), `store` (memory or a prefixed Redis), `logs` (capture),
//! `html` (reading pages and encoded values).

use crate::idp::{TestIdp, IDP_CLIENT_ID, IDP_CLIENT_SECRET};
use actix_web::web;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use claimgate::clock::{Clock, SystemClock};
use claimgate::config::Config;
use claimgate::startup::Application;
use claimgate::state::AppState;
use claimgate::store::memory::MemoryStore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

mod browser;
#[path = "../../../src/config/edit.rs"]
mod config_edit;
mod dpop;
mod html;
mod logs;
mod oauth;
mod store;

pub use config_edit::ConfigEdit;
pub use dpop::{ath, DpopKey, ProofClaims};
pub use html::{contains_encoded, field_value, is_notice, offered_claims, ticked_claims};
use logs::capture_logs;
pub use logs::logs;
pub use oauth::{code_form, verify_with_jwks};
pub use store::TestStore;

pub struct Client {
    pub id: &'static str,
    pub secret: Option<&'static str>,
    pub redirect_uri: &'static str,
}

/// Receives name, email and picture.
pub const APP_A: Client = Client { id: "app-a", secret: Some("secret-a"), redirect_uri: "http://127.0.0.1:9/cb-a" };
/// Receives name only.
pub const APP_B: Client = Client { id: "app-b", secret: Some("secret-b"), redirect_uri: "http://127.0.0.1:9/cb-b" };
/// A public client (no secret): must use PKCE. Receives email.
pub const PUBLIC_APP: Client = Client { id: "public-app", secret: None, redirect_uri: "http://127.0.0.1:9/cb-p" };

// ---- the app ----

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> Option<String> {
        self.headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// How a login walk ended.
#[derive(Debug)]
pub enum LoginEnd {
    /// Back at the app with these query parameters (a code, or an error).
    App(HashMap<String, String>),
    /// Stopped at a claimgate page (status, body).
    Page(u16, String),
}

impl LoginEnd {
    pub fn code(&self) -> String {
        match self {
            LoginEnd::App(p) if p.contains_key("code") => p["code"].clone(),
            other => panic!("expected a code, got {other:?}"),
        }
    }
}

pub struct TestApp {
    /// Where this instance listens.
    pub base: String,
    /// Its configured public URL (the issuer); another instance's when behind one balancer.
    pub public_url: String,
    pub idp: Arc<TestIdp>,
    #[allow(dead_code)]
    pub state: web::Data<AppState>,
    pub store: TestStore,
    pub(super) browser: reqwest::Client,
    pub(super) backend: reqwest::Client,
    /// Builds another browser (its own cookie jar) for this instance.
    pub(super) new_browser: Box<dyn Fn() -> reqwest::Client + Send + Sync>,
    /// Every response the browser and the app backend received, as text.
    pub seen: Mutex<Vec<String>>,
    /// The config this instance runs with.
    pub config_text: String,
    /// The admin listener, when the config sets one.
    pub admin_base: Option<String>,
    /// The self-signed certificate (PEM) the TLS listener serves, when `tls`.
    pub tls_cert_pem: Option<String>,
    /// Requests addressed to the public URL go to this instance instead
    /// (a load balancer without stickiness).
    pub route_to: Mutex<Option<String>>,
}

pub fn config_text(public_url: &str, idp_issuer: &str) -> String {
    let idp_host =
        url::Url::parse(idp_issuer).map(|u| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())).unwrap();
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "{public_url}"
[notice]
keeps = ["name", "email", "picture"]
version = "test-1"
[keys]
pairwise_secret = "a-test-pairwise-secret-of-32-chars-or-more"
[providers.idp]
kind = "oidc"
issuer = "{idp_issuer}"
client_id = "{IDP_CLIENT_ID}"
client_secret = "{IDP_CLIENT_SECRET}"
picture_hosts = ["{idp_host}"]
[clients.app-a]
client_secret = "secret-a"
redirect_uris = ["http://127.0.0.1:9/cb-a"]
post_logout_redirect_uris = ["http://127.0.0.1:9/bye-a"]
claims = ["name", "email", "picture"]
[clients.app-b]
client_secret = "secret-b"
redirect_uris = ["http://127.0.0.1:9/cb-b"]
claims = ["name"]
[clients.public-app]
redirect_uris = ["http://127.0.0.1:9/cb-p"]
claims = ["email"]
"#
    )
}

pub async fn spawn_app() -> TestApp {
    spawn(Options::default()).await
}

/// `edit` changes the test's config before it is parsed.
pub async fn spawn_app_with(edit: impl FnOnce(&mut ConfigEdit) + 'static) -> TestApp {
    spawn(Options { edit: Some(Box::new(edit)), ..Options::default() }).await
}

/// A forward-auth client `id` returning to `origin`, receiving `claims`.
pub fn forward_auth_client(c: &mut ConfigEdit, id: &str, origin: &str, claims: &[&str]) {
    let path = format!("clients.{id}");
    c.set(&path, "mode", "forward-auth").set_list(&path, "return_origins", &[origin]).set_list(&path, "claims", claims);
}

/// The test IdP's multi-tenant (`common`) endpoint as the provider's issuer.
pub fn multi_tenant_idp(c: &mut ConfigEdit) {
    let issuer = c.get_str("providers.idp", "issuer").expect("the test IdP's issuer");
    c.set("providers.idp", "issuer", format!("{issuer}/common/v2.0"));
}

/// A test's change of its config (see [`Options::edit`]).
pub type EditConfig = Box<dyn FnOnce(&mut ConfigEdit)>;

/// Wraps a test instance's store (see [`Options::wrap_store`]).
pub type WrapStore = Box<dyn FnOnce(Arc<dyn claimgate::store::Store>) -> Arc<dyn claimgate::store::Store>>;

pub struct Options {
    /// Changes the config before it is parsed: typed edits of its keys.
    pub edit: Option<EditConfig>,
    pub store: Option<TestStore>,
    pub clock: Arc<dyn Clock>,
    /// Another instance's public URL (instances behind one load balancer),
    /// and the upstream provider they share.
    pub behind: Option<(String, Arc<TestIdp>)>,
    /// Serve over TLS with a certificate made for `localhost` by the test.
    pub tls: bool,
    /// Wraps the memory store the instance uses (a store that fails on
    /// demand, say).
    pub wrap_store: Option<WrapStore>,
}

impl Default for Options {
    fn default() -> Self {
        Options { edit: None, store: None, clock: Arc::new(SystemClock), behind: None, tls: false, wrap_store: None }
    }
}

/// A self-signed certificate for localhost, written to temporary PEM files.
struct TestCert {
    cert_pem: String,
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
}

fn test_cert() -> TestCert {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir();
    let id = &claimgate::store::records::random_handle()[..8];
    let (cert_file, key_file) = (dir.join(format!("cg-{id}.crt")), dir.join(format!("cg-{id}.key")));
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.signing_key.serialize_pem()).unwrap();
    TestCert { cert_pem: certified.cert.pem(), cert_file, key_file }
}

pub async fn spawn(opts: Options) -> TestApp {
    capture_logs();
    let idp = match &opts.behind {
        Some((_, idp)) => idp.clone(),
        None => Arc::new(TestIdp::spawn().await),
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let cert = opts.tls.then(test_cert);
    let base = match cert {
        Some(_) => format!("https://localhost:{}", addr.port()),
        None => format!("http://127.0.0.1:{}", addr.port()),
    };
    let public_url = opts.behind.as_ref().map(|(url, _)| url.clone()).unwrap_or_else(|| base.clone());
    let store = opts.store.unwrap_or_else(|| TestStore::Memory(MemoryStore::new(opts.clock.clone())));
    let mut config = ConfigEdit::parse(&config_text(&public_url, idp.issuer()));
    store.configure(&mut config);
    if let Some(c) = &cert {
        config.set("server.tls", "cert", c.cert_file.display().to_string());
        config.set("server.tls", "key", c.key_file.display().to_string());
    }
    if let Some(edit) = opts.edit {
        edit(&mut config);
    }
    let text = config.to_string();
    let config = Config::parse(&text, |_| None).expect("test config");
    let config_text = text.clone();
    let app = match &store {
        TestStore::Memory(m) => {
            let plain: Arc<dyn claimgate::store::Store> = m.clone();
            let store = match opts.wrap_store {
                Some(wrap) => wrap(plain),
                None => plain,
            };
            Application::build_with_store(config, listener, opts.clock, store).await
        }
        TestStore::Redis { .. } => Application::build_with_listener(config, listener, opts.clock).await,
    }
    .expect("app builds");
    let state = app.state();
    let admin_base = app.admin_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped());
    let root = cert.as_ref().map(|c| reqwest::Certificate::from_pem(c.cert_pem.as_bytes()).unwrap());
    let no_redirects = || {
        let b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).resolve("localhost", addr);
        match &root {
            Some(r) => b.add_root_certificate(r.clone()),
            None => b,
        }
    };
    let new_browser = {
        let root = root.clone();
        move || {
            let b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).resolve("localhost", addr);
            let b = match &root {
                Some(r) => b.add_root_certificate(r.clone()),
                None => b,
            };
            b.cookie_store(true).build().unwrap()
        }
    };
    TestApp {
        base,
        public_url,
        idp,
        state,
        store,
        browser: no_redirects().cookie_store(true).build().unwrap(),
        backend: no_redirects().build().unwrap(),
        new_browser: Box::new(new_browser),
        seen: Mutex::new(Vec::new()),
        route_to: Mutex::new(None),
        config_text,
        admin_base,
        tls_cert_pem: cert.as_ref().map(|c| c.cert_pem.clone()),
    }
}

pub fn pkce_pair() -> (String, String) {
    let verifier = claimgate::store::records::random_handle();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
