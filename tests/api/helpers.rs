//! spawn_app(): claimgate on a random port in front of the in-process test
//! identity provider, and a test user agent that records everything it sees.

use crate::idp::{TestIdp, IDP_CLIENT_ID, IDP_CLIENT_SECRET};
use actix_web::web;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use claimgate::clock::SystemClock;
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
    pub base: String,
    pub idp: TestIdp,
    #[allow(dead_code)]
    pub state: web::Data<AppState>,
    pub store: Arc<MemoryStore>,
    browser: reqwest::Client,
    backend: reqwest::Client,
    /// Every response the browser and the app backend received, as text.
    pub seen: Mutex<Vec<String>>,
}

pub fn config_text(public_url: &str, idp_issuer: &str) -> String {
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
[clients.app-a]
client_secret = "secret-a"
redirect_uris = ["http://127.0.0.1:9/cb-a"]
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
    spawn_app_with(|text| text).await
}

/// `edit` may change the config text before it is parsed.
pub async fn spawn_app_with(edit: impl FnOnce(String) -> String) -> TestApp {
    capture_logs();
    let idp = TestIdp::spawn().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = Config::parse(&edit(config_text(&base, idp.issuer())), |_| None).expect("test config");
    let store = MemoryStore::new(Arc::new(SystemClock));
    let app = Application::build_with_store(config, listener, Arc::new(SystemClock), store.clone())
        .await
        .expect("app builds");
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let no_redirects = || reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    TestApp {
        base,
        idp,
        state,
        store,
        browser: no_redirects().cookie_store(true).build().unwrap(),
        backend: no_redirects().build().unwrap(),
        seen: Mutex::new(Vec::new()),
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
        let from_claimgate = response.url().as_str().starts_with(&self.base);
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

    /// The browser follows one URL (cookies kept).
    pub async fn browse(&self, url: &str) -> Resp {
        let url = if url.starts_with('/') { format!("{}{url}", self.base) } else { url.to_owned() };
        self.record(self.browser.get(url).send().await.expect("request")).await
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
        let mut next = url.to_owned();
        for _ in 0..6 {
            if next.starts_with(redirect_uri) {
                let parsed = url::Url::parse(&next).unwrap();
                return LoginEnd::App(parsed.query_pairs().into_owned().collect());
            }
            let r = self.browse(&next).await;
            match r.location() {
                Some(l) if (300..400).contains(&r.status) => next = l,
                _ => return LoginEnd::Page(r.status, r.body),
            }
        }
        panic!("too many redirects");
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
        validation.set_issuer(&[&self.base]);
        jsonwebtoken::decode::<Value>(id_token, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("valid ID token")
            .claims
    }

    /// Every stored value, as text.
    pub fn store_dump(&self) -> String {
        self.store.dump().into_iter().map(|(k, v)| format!("{k} {}\n", String::from_utf8_lossy(&v))).collect()
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
