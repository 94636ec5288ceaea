//! spawn_app(): claimgate on a random port in front of the in-process test
//! identity provider, and a test user agent that records everything it sees.

use crate::idp::{TestIdp, IDP_CLIENT_ID, IDP_CLIENT_SECRET};
use actix_web::web;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use claimgate::clock::{Clock, SystemClock};
use claimgate::config::Config;
use claimgate::op::AppState;
use claimgate::startup::Application;
use claimgate::store::memory::MemoryStore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};

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

// ---- log capture: every line claimgate writes, at the most verbose level ----

#[derive(Clone)]
struct LogSink;

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| LogSink)
            .try_init();
    });
}

/// Everything logged so far by this test process (all tests).
pub fn logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

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
    browser: reqwest::Client,
    backend: reqwest::Client,
    /// Builds another browser (its own cookie jar) for this instance.
    new_browser: Box<dyn Fn() -> reqwest::Client + Send + Sync>,
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
    format!(
        r#"
# STORE
[server]
listen = "127.0.0.1:0"
public_url = "{public_url}"
[notice]
keeps = ["name", "email", "picture"]
version = "test-1"
[keys]
pairwise_secret = "a-test-pairwise-secret-of-32-chars-or-more"
# KEYS
[providers.idp]
kind = "oidc"
issuer = "{idp_issuer}"
client_id = "{IDP_CLIENT_ID}"
client_secret = "{IDP_CLIENT_SECRET}"
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

/// `edit` may change the config text before it is parsed.
pub async fn spawn_app_with(edit: impl FnOnce(String) -> String + 'static) -> TestApp {
    spawn(Options { edit: Some(Box::new(edit)), ..Options::default() }).await
}

/// Where a test app keeps its records.
#[derive(Clone)]
pub enum TestStore {
    Memory(Arc<MemoryStore>),
    /// A Redis at `url` (or a cluster through these nodes), under a prefix of this test's own.
    Redis {
        urls: Vec<String>,
        prefix: String,
        cluster: bool,
    },
}

impl TestStore {
    /// The shared Redis at REDIS_URL, under a fresh prefix.
    pub fn redis() -> TestStore {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let reachable = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection_with_timeout(std::time::Duration::from_secs(2)))
            .is_ok();
        assert!(
            reachable,
            "this test needs a Redis at {url} (REDIS_URL): run `bash scripts/test.sh`, which starts one"
        );
        TestStore::redis_at(&url)
    }

    pub fn redis_at(url: &str) -> TestStore {
        let prefix = format!("cgtest:{}:", &claimgate::store::records::random_handle()[..10]);
        TestStore::Redis { urls: vec![url.to_owned()], prefix, cluster: false }
    }

    /// The `[store]` section and the extra `[keys]` lines a shared store needs.
    fn config(&self) -> (String, String) {
        let keys = format!(
            "signing_key = \"\"\"\n{}\"\"\"\nstorage_keys = [\"k1:{}\"]\n",
            shared_signing_key(),
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        );
        match self {
            TestStore::Memory(_) => (String::new(), String::new()),
            TestStore::Redis { urls, prefix, cluster: false } => {
                (format!("[store]\nkind = \"redis\"\nurl = \"{}\"\nkey_prefix = \"{prefix}\"\n", urls[0]), keys)
            }
            TestStore::Redis { urls, prefix, cluster: true } => {
                (format!("[store]\nkind = \"redis-cluster\"\nurls = {urls:?}\nkey_prefix = \"{prefix}\"\n"), keys)
            }
        }
    }

    /// Every key and value this test stored (sets: members joined by spaces).
    pub async fn dump(&self) -> Vec<(String, Vec<u8>)> {
        match self {
            TestStore::Memory(m) => m.dump(),
            TestStore::Redis { urls, prefix, cluster } => {
                let mut out = Vec::new();
                for url in urls {
                    let mut c =
                        redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
                    let keys: Vec<String> =
                        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut c).await.unwrap();
                    for k in keys {
                        let kind: String = redis::cmd("TYPE").arg(&k).query_async(&mut c).await.unwrap();
                        let v: Vec<u8> = if kind == "zset" {
                            let m: Vec<String> =
                                redis::cmd("ZRANGE").arg(&k).arg(0).arg(-1).query_async(&mut c).await.unwrap();
                            m.join(" ").into_bytes()
                        } else {
                            redis::cmd("GET").arg(&k).query_async(&mut c).await.unwrap_or_default()
                        };
                        out.push((k.trim_start_matches(prefix.as_str()).to_owned(), v));
                    }
                    if !cluster {
                        break;
                    }
                }
                out
            }
        }
    }

    /// Deletes this test's keys (never anything else).
    pub async fn cleanup(&self) {
        if let TestStore::Redis { urls, prefix, .. } = self {
            for url in urls {
                let Ok(client) = redis::Client::open(url.as_str()) else { continue };
                let Ok(mut c) = client.get_multiplexed_async_connection().await else { continue };
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut c).await.unwrap_or_default();
                for k in keys {
                    let _: Result<(), _> = redis::cmd("DEL").arg(&k).query_async(&mut c).await;
                }
            }
        }
    }
}

/// One RSA key for every instance that must share it (shared stores).
fn shared_signing_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string()
    })
}

pub struct Options {
    /// Changes the config text before it is parsed. An edit that changes
    /// nothing fails the test: its anchor text is gone, and the test would
    /// silently run on the default config.
    pub edit: Option<Box<dyn FnOnce(String) -> String>>,
    pub store: Option<TestStore>,
    pub clock: Arc<dyn Clock>,
    /// Another instance's public URL (instances behind one load balancer),
    /// and the upstream provider they share.
    pub behind: Option<(String, Arc<TestIdp>)>,
    /// Serve over TLS with a certificate made for `localhost` by the test.
    pub tls: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { edit: None, store: None, clock: Arc::new(SystemClock), behind: None, tls: false }
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
    let (store_section, key_lines) = store.config();
    let default_text = config_text(&public_url, idp.issuer());
    let edited = match opts.edit {
        Some(edit) => {
            let edited = edit(default_text.clone());
            assert_ne!(edited, default_text, "the test's config edit changed nothing: its anchor is not in the config");
            edited
        }
        None => default_text,
    };
    let text = edited.replace("# STORE\n", &store_section).replace("# KEYS\n", &key_lines);
    let text = match &cert {
        Some(c) => text
            .replace("[notice]", &format!("[server.tls]\ncert = {:?}\nkey = {:?}\n[notice]", c.cert_file, c.key_file)),
        None => text,
    };
    let config = Config::parse(&text, |_| None).expect("test config");
    let config_text = text.clone();
    let app = match &store {
        TestStore::Memory(m) => Application::build_with_store(config, listener, opts.clock, m.clone()).await,
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

impl TestApp {
    /// Records responses that claimgate sent (the browser also passes
    /// through the upstream, whose own responses are not claimgate's).
    async fn record(&self, response: reqwest::Response) -> Resp {
        let url = response.url().as_str();
        let routed = self.route_to.lock().unwrap().clone();
        let from_claimgate = url.starts_with(&self.base)
            || url.starts_with(&self.public_url)
            || routed.is_some_and(|r| url.starts_with(&r));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let mut text = format!("{status}\n");
        for (k, v) in &headers {
            text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("<binary>")));
        }
        text.push_str(&body);
        if from_claimgate {
            self.seen.lock().unwrap().push(text);
        }
        Resp { status, headers, body }
    }

    /// Where a request to `url` goes: relative paths to this instance, the
    /// public URL to the instance `route_to` names.
    fn target(&self, url: &str) -> String {
        let url = if url.starts_with('/') { format!("{}{url}", self.base) } else { url.to_owned() };
        match &*self.route_to.lock().unwrap() {
            Some(to) if url.starts_with(&self.public_url) => url.replacen(&self.public_url, to, 1),
            _ => url,
        }
    }

    /// The browser follows one URL (cookies kept).
    pub async fn browse(&self, url: &str) -> Resp {
        self.browse_in(&self.browser, url).await
    }

    /// Another browser, with a cookie jar of its own (a victim's, or an attacker's).
    pub fn other_browser(&self) -> reqwest::Client {
        (self.new_browser)()
    }

    /// `browser` follows one URL (cookies kept in its own jar).
    pub async fn browse_in(&self, browser: &reqwest::Client, url: &str) -> Resp {
        let url = self.target(url);
        self.record(browser.get(url).send().await.expect("request")).await
    }

    /// `browser` posts a form.
    pub async fn post_in(&self, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Resp {
        let url = self.target(path);
        self.record(browser.post(url).form(form).send().await.unwrap()).await
    }

    pub fn authorize_url(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!("{}/authorize", self.base)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client.id)
            .append_pair("redirect_uri", client.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", "app-state-123")
            .append_pair("nonce", "app-nonce-456");
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        url.to_string()
    }

    /// Walks redirects like a browser from `url` until the app's redirect
    /// URI is reached or a page is shown.
    pub async fn walk(&self, url: &str, redirect_uri: &str) -> LoginEnd {
        self.walk_in(&self.browser, url, redirect_uri).await
    }

    /// [`Self::walk`] in another browser.
    pub async fn walk_in(&self, browser: &reqwest::Client, url: &str, redirect_uri: &str) -> LoginEnd {
        let mut next = url.to_owned();
        for _ in 0..6 {
            if next.starts_with(redirect_uri) {
                let parsed = url::Url::parse(&next).unwrap();
                return LoginEnd::App(parsed.query_pairs().into_owned().collect());
            }
            let mut r = self.browse_in(browser, &next).await;
            if is_notice(&r) {
                r = self.press_continue_in(browser, &r.body).await;
            }
            match r.location() {
                Some(l) if (300..400).contains(&r.status) => next = l,
                _ => return LoginEnd::Page(r.status, r.body),
            }
        }
        panic!("too many redirects");
    }

    /// The user presses the notice page's (first) button.
    pub async fn press_continue(&self, notice_body: &str) -> Resp {
        self.press_continue_in(&self.browser, notice_body).await
    }

    /// [`Self::press_continue`] in another browser.
    pub async fn press_continue_in(&self, browser: &reqwest::Client, notice_body: &str) -> Resp {
        let ticket = field_value(notice_body, "name=\"ticket\" value=\"").expect("a ticket");
        let mut form = vec![("ticket", ticket)];
        if let Some(provider) = field_value(notice_body, "name=\"provider\" value=\"") {
            form.push(("provider", provider));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_in(browser, "/authorize/continue", &form).await
    }

    /// Authorizes and presses continue; returns where claimgate sends the browser.
    pub async fn authorize_to_upstream(&self, url: &str) -> String {
        let r = self.browse(url).await;
        assert!(is_notice(&r), "expected the notice page, got {}: {}", r.status, r.body);
        self.press_continue(&r.body).await.location().expect("a redirect upstream")
    }

    pub async fn login(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> LoginEnd {
        self.walk(&self.authorize_url(client, scope, extra), client.redirect_uri).await
    }

    /// The app's backend calls `/token` with `client_secret_basic`.
    pub async fn redeem(&self, client: &Client, code: &str, extra: &[(&str, &str)]) -> Resp {
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri)];
        form.extend_from_slice(extra);
        let mut req = self.backend.post(format!("{}/token", self.base)).form(&form);
        if let Some(secret) = client.secret {
            req = req.basic_auth(client.id, Some(secret));
        } else {
            form.push(("client_id", client.id));
            req = self.backend.post(format!("{}/token", self.base)).form(&form);
        }
        self.record(req.send().await.unwrap()).await
    }

    pub async fn token_raw(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Resp {
        let mut req = self.backend.post(format!("{}/token", self.base)).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.record(req.send().await.unwrap()).await
    }

    /// The browser follows one URL, sending one extra header.
    pub async fn browse_with_header(&self, url: &str, name: &str, value: &str) -> Resp {
        let url = self.target(url);
        self.record(self.browser.get(url).header(name, value).send().await.expect("request")).await
    }

    /// The browser posts a form.
    pub async fn browse_post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.post_in(&self.browser, path, form).await
    }

    /// The app backend calls `/revoke`.
    pub async fn revoke(&self, client: &Client, token: &str) -> Resp {
        let req = self.backend.post(format!("{}/revoke", self.base)).form(&[("token", token)]);
        self.record(req.basic_auth(client.id, client.secret).send().await.unwrap()).await
    }

    pub async fn userinfo(&self, access_token: &str) -> Resp {
        let req = self.backend.get(format!("{}/userinfo", self.base)).bearer_auth(access_token);
        self.record(req.send().await.unwrap()).await
    }

    /// A complete login and token redemption for `client`; returns the token response.
    pub async fn full_login(&self, client: &Client, scope: &str) -> Value {
        let (verifier, challenge) = pkce_pair();
        let end = self.login(client, scope, &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
        let r = self.redeem(client, &end.code(), &[("code_verifier", &verifier)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// Verifies an ID token against claimgate's JWKS and returns its claims.
    pub async fn verify_id_token(&self, id_token: &str, audience: &str) -> Value {
        let jwks: jsonwebtoken::jwk::JwkSet = self.browse("/jwks").await.json().pipe(serde_json::from_value).unwrap();
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("kid in JWKS");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.public_url]);
        jsonwebtoken::decode::<Value>(id_token, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("valid ID token")
            .claims
    }

    /// Every stored key and value, as text.
    pub async fn store_dump(&self) -> String {
        self.store.dump().await.into_iter().map(|(k, v)| format!("{k} {}\n", String::from_utf8_lossy(&v))).collect()
    }
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

/// Whether `haystack` contains `needle` raw or base64/base64url encoded
/// (at any of the three byte alignments).
pub fn contains_encoded(haystack: &str, needle: &str) -> bool {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    if haystack.contains(needle) {
        return true;
    }
    for offset in 0..3 {
        let mut padded = vec![b'\0'; offset];
        padded.extend_from_slice(needle.as_bytes());
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&padded);
            // Skip the characters that depend on the unknown preceding bytes,
            // and the last one, which depends on what follows.
            let skip = if offset == 0 { 0 } else { (offset * 4).div_ceil(3) };
            let core = &enc[skip..enc.len().saturating_sub(1)];
            if core.len() >= 8 && haystack.contains(core) {
                return true;
            }
        }
    }
    false
}

pub fn is_notice(r: &Resp) -> bool {
    r.status == 200 && r.body.contains("action=\"/authorize/continue\"")
}

/// The value of the first attribute that follows `marker` in an HTML page.
pub fn field_value(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    Some(html_unescape(body[start..].split('"').next()?))
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'").replace("&amp;", "&")
}
