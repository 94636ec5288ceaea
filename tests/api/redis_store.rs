//! The Redis backend: conformance, a login, what a Redis dump shows, two
//! instances behind one balancer, and Redis going away and coming back.

use crate::helpers::*;
use claimgate::store::redis::RedisStore;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[tokio::test]
async fn conformance_on_redis() {
    let prefix = format!("cgtest:{}:", &claimgate::store::records::random_handle()[..10]);
    let store = RedisStore::connect(&redis_url(), &prefix).await.expect("Redis at REDIS_URL");
    crate::conformance::run_all(Arc::new(store), "c:").await;
    TestStore::Redis { urls: vec![redis_url()], prefix, cluster: false }.cleanup().await;
}

#[tokio::test]
async fn login_on_redis_and_a_dump_shows_no_profile_value_and_nothing_upstream() {
    let app = spawn(Options { store: Some(TestStore::redis()), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let info = app.userinfo(a["access_token"].as_str().unwrap()).await.json();
    assert_eq!(info["email"], "jane.doe@example.com");
    app.full_login(&APP_B, "openid profile").await;

    let dump = app.store.dump().await;
    assert!(dump.iter().any(|(k, _)| k.starts_with("session:")));
    let text = app.store_dump().await;
    for value in ["jane.doe@example.com", "Jane Doe", "googleusercontent", app.idp.marker()] {
        assert!(!contains_encoded(&text, value), "{value} readable in Redis");
    }
    assert!(!contains_encoded(&text, &app.idp.upstream_subject()));
    // Every key has a TTL in Redis itself.
    let mut c = redis::Client::open(redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let TestStore::Redis { prefix, .. } = &app.store else { unreachable!() };
    for (k, _) in &dump {
        let ttl: i64 = redis::cmd("PTTL").arg(format!("{prefix}{k}")).query_async(&mut c).await.unwrap();
        assert!(ttl > 0, "{k} has no TTL");
    }
    app.store.cleanup().await;
}

/// Instance A and instance B share one Redis and one public URL; the browser
/// and the app are sent to either, with no stickiness.
async fn two_instances() -> (TestApp, TestApp) {
    let store = TestStore::redis();
    let a = spawn(Options { store: Some(store.clone()), ..Options::default() }).await;
    let b = spawn(Options {
        store: Some(store),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        ..Options::default()
    })
    .await;
    (a, b)
}

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another() {
    let (a, b) = two_instances().await;
    // The authorization starts on A; the upstream callback lands on B.
    let upstream = a.authorize_to_upstream(&a.authorize_url(&APP_A, "openid profile email", &[])).await;
    let at_idp = a.browse(&upstream).await;
    *a.route_to.lock().unwrap() = Some(b.base.clone());
    let code = a.walk(&at_idp.location().unwrap(), APP_A.redirect_uri).await.code();
    // Token and userinfo on B, then userinfo on A.
    let tokens = b.redeem(&APP_A, &code, &[]).await.json();
    let id = b.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["iss"], a.public_url);
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(b.userinfo(at).await.json()["name"], "Jane Doe");
    assert_eq!(a.userinfo(at).await.json()["name"], "Jane Doe");
    // The SSO session is shared: app-b on B needs no upstream login.
    let before = a.idp.logins();
    a.login(&APP_B, "openid", &[]).await.code();
    assert_eq!(a.idp.logins(), before);
    a.store.cleanup().await;
}

#[tokio::test]
async fn one_code_redeemed_at_two_instances_at_once_succeeds_once() {
    let (a, b) = two_instances().await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    for _ in 0..3 {
        let code = a.login(&APP_A, "openid", &[]).await.code();
        let (a2, b2, c1, c2) = (a.clone(), b.clone(), code.clone(), code.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a2.redeem(&APP_A, &c1, &[]).await.status }),
            tokio::spawn(async move { b2.redeem(&APP_A, &c2, &[]).await.status })
        );
        let mut statuses = [ra.unwrap(), rb.unwrap()];
        statuses.sort();
        assert_eq!(statuses, [200, 400]);
    }
    a.store.cleanup().await;
}

// ---- a Redis of this test's own, stopped and started again ----

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start_redis(port: u16, extra: &[&str]) -> Child {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server on PATH");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[tokio::test]
async fn redis_going_away_gives_fast_503s_and_service_resumes_when_it_returns() {
    let port = free_port();
    let mut redis = start_redis(port, &[]);
    let store = TestStore::redis_at(&format!("redis://127.0.0.1:{port}"));
    let edit = |c: &mut ConfigEdit| forward_auth_client(c, "wiki", "http://127.0.0.1:9", &["email"]);
    let app = spawn(Options { store: Some(store), edit: Some(Box::new(edit)), ..Options::default() }).await;
    let tokens = app.full_login(&APP_A, "openid").await;
    let at = tokens["access_token"].as_str().unwrap().to_owned();

    redis.kill().unwrap();
    redis.wait().unwrap();
    let started = Instant::now();
    let page = app.browse(&app.authorize_url(&APP_A, "openid", &[("prompt", "login")])).await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("<h1>"), "browsers get an HTML page");
    let info = app.userinfo(&at).await;
    assert_eq!(info.status, 503);
    assert_eq!(info.json()["error"], "temporarily_unavailable");
    let token = app.redeem(&APP_A, "some-code", &[]).await;
    assert_eq!(token.status, 503);
    assert_eq!(token.json()["error"], "temporarily_unavailable");
    // The proxy's sub-request: a bare 503, not a sign-in redirect that would loop.
    let check = app.other_browser().get(format!("{}/auth?client=wiki", app.base));
    let check = check.header("cookie", "claimgate-fa-wiki=some-session").send().await.unwrap();
    assert_eq!(check.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(15), "failures must be bounded: {:?}", started.elapsed());
    // The process is still up and serving what needs no store; it is not ready.
    assert_eq!(app.browse("/jwks").await.status, 200);
    assert_eq!(app.browse("/healthz").await.status, 200);
    let ready = app.browse("/readyz").await;
    assert_eq!((ready.status, ready.json()["store"].as_str()), (503, Some("unavailable")));

    let mut redis = start_redis(port, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = app.browse(&app.authorize_url(&APP_A, "openid", &[])).await;
        if r.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {}", r.status);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.full_login(&APP_A, "openid profile").await;
    redis.kill().unwrap();
    redis.wait().unwrap();
}

/// Issue 26, point 2: while the shared store is down, each instance counts
/// per-address rates on its own rather than refusing everyone: requests
/// within the rate reach their handler (503: the store is down for it too),
/// those beyond it get the edge's 429.
#[tokio::test]
async fn shared_rates_fall_back_to_this_instance_while_the_store_is_down() {
    let port = free_port();
    let mut redis = start_redis(port, &[]);
    let store = TestStore::redis_at(&format!("redis://127.0.0.1:{port}"));
    let edit = |c: &mut ConfigEdit| {
        c.set("limits", "shared_rates", true).set("limits", "sign_in_per_minute", 2);
    };
    let app = spawn(Options { store: Some(store), edit: Some(Box::new(edit)), ..Options::default() }).await;
    redis.kill().unwrap();
    redis.wait().unwrap();
    let url = app.authorize_url(&APP_A, "openid", &[]);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.browse(&url).await.status);
    }
    assert_eq!(statuses, [503, 503, 429], "counted here while the store is away");
}
