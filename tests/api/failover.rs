//! A store failing in the middle of a sign-in (a Redis Cluster master dying
//! with some slots unserved, issue 32): the sign-in is refused as
//! temporarily unavailable, never as a server error, and leaves no session
//! cookie behind for a sign-in that produced no code.

use crate::helpers::*;
use async_trait::async_trait;
use claimgate::store::{Store, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A store whose writes of authorization codes fail while `failing` is set:
/// the slot the code lands on is unserved, the others answer.
struct CodesUnserved {
    inner: Arc<dyn Store>,
    failing: Arc<AtomicBool>,
}

impl CodesUnserved {
    fn check(&self, key: &str) -> Result<(), StoreError> {
        match self.failing.load(Ordering::SeqCst) && key.starts_with("code:") {
            true => Err(StoreError::Unavailable("CLUSTERDOWN the slot is not served".into())),
            false => Ok(()),
        }
    }
}

#[async_trait]
impl Store for CodesUnserved {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.check(key)?;
        self.inner.put(key, value, ttl).await
    }
    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError> {
        self.inner.rate(key, limit, period).await
    }
    async fn put_capped(&self, c: &str, k: &str, v: &[u8], ttl: Duration, cap: u64) -> Result<bool, StoreError> {
        self.inner.put_capped(c, k, v, ttl, cap).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key).await
    }
    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.inner.put_new(key, value, ttl).await
    }
    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.inner.replace(key, value, ttl).await
    }
    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.swap(key, value, ttl).await
    }
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.take(key).await
    }
    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.take_capped(class, key).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        self.inner.set_add(key, member, ttl).await
    }
    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        self.inner.set_remove(key, member).await
    }
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        self.inner.set_members(key).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

async fn spawn_with_unserved_codes() -> (TestApp, Arc<AtomicBool>) {
    let failing = Arc::new(AtomicBool::new(false));
    let switch = failing.clone();
    let wrap = move |inner: Arc<dyn Store>| -> Arc<dyn Store> { Arc::new(CodesUnserved { inner, failing: switch }) };
    let app = spawn(Options { wrap_store: Some(Box::new(wrap)), ..Options::default() }).await;
    (app, failing)
}

/// The upstream callback opens the session, then the code's slot is
/// unserved: the app gets `temporarily_unavailable` with its state and the
/// issuer (RFC 6749 §4.1.2.1, RFC 9207), and the browser no session cookie.
#[tokio::test]
async fn a_code_that_cannot_be_stored_is_temporarily_unavailable_at_the_app() {
    let (app, failing) = spawn_with_unserved_codes().await;
    let upstream = app.authorize_to_upstream(&app.authorize_url(&APP_A, "openid profile", &[])).await;
    let callback = app.browse(&upstream).await.location().expect("back from the provider");
    failing.store(true, Ordering::SeqCst);
    let r = app.browse(&callback).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = url::Url::parse(&r.location().unwrap()).unwrap();
    let params: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(params.get("error").map(String::as_str), Some("temporarily_unavailable"), "{params:?}");
    assert_eq!(params.get("state").map(String::as_str), Some("app-state-123"));
    assert_eq!(params.get("iss"), Some(&app.public_url));
    let cookies: Vec<&str> = r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(
        !cookies.iter().any(|c| c.starts_with("claimgate-session=") && !c.starts_with("claimgate-session=;")),
        "no session cookie: {cookies:?}"
    );
    assert!(!app.store.dump().await.iter().any(|(k, _)| k.starts_with("session:")), "the session it opened is gone");
    assert!(!logs().contains("store failed while issuing a code"), "not logged as a server error");

    // An SSO answer whose code cannot be stored: the same answer.
    failing.store(false, Ordering::SeqCst);
    app.full_login(&APP_A, "openid profile").await;
    failing.store(true, Ordering::SeqCst);
    let sso = app.login(&APP_A, "openid profile", &[]).await;
    let LoginEnd::App(p) = sso else { panic!("{sso:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("temporarily_unavailable"), "{p:?}");
    // Served again: the next sign-in works without a restart.
    failing.store(false, Ordering::SeqCst);
    app.full_login(&APP_A, "openid profile").await;
}

/// Forward-auth: the same failure ends on claimgate's own 503 page, without
/// a forward-auth cookie.
#[tokio::test]
async fn a_forward_auth_sign_in_whose_code_cannot_be_stored_gets_the_503_page() {
    let failing = Arc::new(AtomicBool::new(false));
    let switch = failing.clone();
    let wrap = move |inner: Arc<dyn Store>| -> Arc<dyn Store> { Arc::new(CodesUnserved { inner, failing: switch }) };
    let edit = |c: &mut ConfigEdit| {
        c.set("clients.wiki", "mode", "forward-auth")
            .set_list("clients.wiki", "return_origins", &["http://wiki.example"])
            .set_list("clients.wiki", "claims", &["name"]);
    };
    let app =
        spawn(Options { wrap_store: Some(Box::new(wrap)), edit: Some(Box::new(edit)), ..Options::default() }).await;
    let start = app.authorize_to_upstream("/auth/start?client=wiki&rd=http://wiki.example/x").await;
    let callback = app.browse(&start).await.location().expect("back from the provider");
    failing.store(true, Ordering::SeqCst);
    let to_fa = app.browse(&callback).await.location().expect("to /auth/callback");
    assert!(to_fa.contains("error=temporarily_unavailable"), "{to_fa}");
    let page = app.browse(&to_fa).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.headers.get("set-cookie").is_none_or(|c| !c.to_str().unwrap().contains("claimgate-fa-")));
}
