//! OpenID Connect Back-Channel Logout 1.0, claimgate as OP: a logout token
//! for every app that received tokens in the session, on logout, erasure
//! and refresh-token reuse; verified here with an independent JOSE library;
//! retried after a failure; delivered by another instance on a shared store.

use crate::helpers::*;
use actix_web::{web, App, HttpResponse, HttpServer};
use claimgate::clock::Clock;
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// An app's back-channel endpoint: keeps every logout token it receives,
/// after refusing the first `refuse` deliveries with a 500.
/// What the receiver keeps: the tokens, and how many deliveries to refuse.
type Inbox = (Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>);

struct Receiver {
    uri: String,
    tokens: Arc<Mutex<Vec<String>>>,
    refuse: Arc<AtomicUsize>,
}

async fn bcl(data: web::Data<Inbox>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    if data.1.load(Ordering::SeqCst) > 0 {
        data.1.fetch_sub(1, Ordering::SeqCst);
        return HttpResponse::InternalServerError().finish();
    }
    data.0.lock().unwrap().push(form.get("logout_token").cloned().unwrap_or_default());
    HttpResponse::Ok().finish()
}

async fn receiver(refuse: usize) -> Receiver {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tokens, refusals) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicUsize::new(refuse)));
    let data = web::Data::new((tokens.clone(), refusals.clone()));
    let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/bcl", web::post().to(bcl)))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    tokio::spawn(server);
    Receiver { uri: format!("http://127.0.0.1:{port}/bcl"), tokens, refuse: refusals }
}

impl Receiver {
    /// The logout tokens received within `wait`, at least `n` of them.
    async fn received(&self, n: usize, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        loop {
            let got = self.tokens.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// app-a registers the receiver's URI (and refresh tokens).
fn with_backchannel(uri: &str) -> impl FnOnce(&mut ConfigEdit) + 'static {
    let uri = uri.to_owned();
    move |c| {
        c.set("clients.app-a", "refresh_tokens", true).set("clients.app-a", "backchannel_logout_uri", uri);
    }
}

/// claimgate on a fresh Redis prefix, app-a registered with `rx`.
async fn on_redis_with_backchannel(rx: &Receiver) -> (TestStore, TestApp) {
    let store = TestStore::redis();
    let edit = Box::new(with_backchannel(&rx.uri));
    let app = spawn(Options { store: Some(store.clone()), edit: Some(edit), ..Options::default() }).await;
    (store, app)
}

/// Verifies a logout token against the JWKS with `jsonwebtoken`.
async fn verified(app: &TestApp, token: &str) -> Value {
    let jwks: JwkSet = serde_json::from_value(app.browse("/jwks").await.json()).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    verify_with_jwks(token, &jwks, &app.public_url, "app-a", jsonwebtoken::Algorithm::RS256)
        .expect("a valid logout token")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

#[tokio::test]
async fn logout_tells_the_apps_of_the_session_with_a_token_that_matches_their_id_token() {
    let rx = receiver(0).await;
    let app = spawn_app_with(with_backchannel(&rx.uri)).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    app.full_login(&APP_B, "openid profile").await;
    let id = app.verify_id_token(s(&a, "id_token"), "app-a").await;
    let sid = s(&id, "sid").to_owned();
    let b_id = app.full_login(&APP_B, "openid").await;
    assert!(
        app.verify_id_token(s(&b_id, "id_token"), "app-b").await.get("sid").is_none(),
        "no sid without back-channel"
    );

    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(
        (
            discovery["backchannel_logout_supported"].as_bool(),
            discovery["backchannel_logout_session_supported"].as_bool()
        ),
        (Some(true), Some(true))
    );

    let started = Instant::now();
    let bye = format!("/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a", s(&a, "id_token"));
    assert_eq!(app.browse(&bye).await.status, 302);
    assert!(started.elapsed() < Duration::from_secs(2), "delivery does not hold up the user");
    let tokens = rx.received(1, Duration::from_secs(5)).await;
    assert_eq!(tokens.len(), 1, "one token, for app-a only");
    let claims = verified(&app, &tokens[0]).await;
    assert_eq!(
        (s(&claims, "sub"), s(&claims, "sid")),
        (s(&id, "sub"), sid.as_str()),
        "the same sub and sid as the ID token"
    );
    assert_eq!(claims["events"][EVENT], serde_json::json!({}));
    assert!(claims.get("nonce").is_none() && claims.get("jti").is_some());
    assert!(logs().contains("back-channel logout") && logs().contains("outcome=\"delivered\""));
    assert!(!tokens[0].is_empty() && !logs().contains(&tokens[0]), "the token is never logged");
    // A second session's sid differs: sids are per session (and per app).
    let again = app.full_login(&APP_A, "openid").await;
    assert_ne!(s(&app.verify_id_token(s(&again, "id_token"), "app-a").await, "sid"), sid);
}

#[tokio::test]
async fn a_refused_delivery_is_retried() {
    let rx = receiver(1).await;
    let app = spawn_app_with(with_backchannel(&rx.uri)).await;
    let a = app.full_login(&APP_A, "openid").await;
    let bye = format!("/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a", s(&a, "id_token"));
    app.browse(&bye).await;
    // The retry comes 2 s after the refusal; the wait is generous for a
    // loaded machine and ends as soon as the token arrives.
    let tokens = rx.received(1, Duration::from_secs(20)).await;
    assert_eq!(tokens.len(), 1, "delivered on the second attempt");
    assert_eq!(rx.refuse.load(Ordering::SeqCst), 0);
    let m = &app.state.metrics.backchannel;
    assert_eq!(
        (m.with_label_values(&["app-a", "retrying"]).get(), m.with_label_values(&["app-a", "delivered"]).get()),
        (1, 1)
    );
}

/// An app down for longer than a few minutes (a redeploy) still gets its
/// logout: deliveries are retried, at most 5 minutes apart, until the
/// documented hour is over, and only then given up. Manual clock.
#[tokio::test]
async fn a_delivery_is_retried_for_the_whole_retry_window() {
    let rx = receiver(12).await;
    let clock = Arc::new(claimgate::clock::ManualClock::new(chrono::Utc::now()));
    let app =
        spawn(Options { clock: clock.clone(), edit: Some(Box::new(with_backchannel(&rx.uri))), ..Options::default() })
            .await;
    let a = app.full_login(&APP_A, "openid").await;
    let bye = format!("/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a", s(&a, "id_token"));
    app.browse(&bye).await;
    let notifier = claimgate::state::Notifier::from(&**app.state);
    let started = clock.now();
    for _ in 0..65 {
        claimgate::backchannel::run_due(&notifier).await.unwrap();
        if !rx.received(1, Duration::ZERO).await.is_empty() {
            break;
        }
        clock.advance(chrono::Duration::seconds(60));
    }
    let m = &app.state.metrics.backchannel;
    let counts: Vec<u64> = ["retrying", "failed", "delivered"].map(|o| m.with_label_values(&["app-a", o]).get()).into();
    assert_eq!(rx.received(1, Duration::ZERO).await.len(), 1, "delivered after 12 refusals: {counts:?}");
    let waited = clock.now() - started;
    assert!(waited > chrono::Duration::minutes(20), "the receiver was down for {waited}");
    let m = &app.state.metrics.backchannel;
    assert_eq!(
        (m.with_label_values(&["app-a", "failed"]).get(), m.with_label_values(&["app-a", "delivered"]).get()),
        (0, 1)
    );

    // A receiver that never comes back: given up once the hour is over, not before.
    let down = receiver(usize::MAX).await;
    let clock = Arc::new(claimgate::clock::ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options {
        clock: clock.clone(),
        edit: Some(Box::new(with_backchannel(&down.uri))),
        ..Options::default()
    })
    .await;
    let a = app.full_login(&APP_A, "openid").await;
    let bye = format!("/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a", s(&a, "id_token"));
    app.browse(&bye).await;
    let notifier = claimgate::state::Notifier::from(&**app.state);
    let failed = || app.state.metrics.backchannel.with_label_values(&["app-a", "failed"]).get();
    let started = clock.now();
    while failed() == 0 && clock.now() - started < chrono::Duration::hours(2) {
        claimgate::backchannel::run_due(&notifier).await.unwrap();
        clock.advance(chrono::Duration::seconds(60));
    }
    let gave_up_after = clock.now() - started;
    assert!(
        gave_up_after > chrono::Duration::minutes(55) && gave_up_after <= chrono::Duration::minutes(62),
        "given up after {gave_up_after}"
    );
    assert!(app.state.records.queued_deliveries().await.unwrap().is_empty());
}

#[tokio::test]
async fn erasure_tells_the_apps_and_the_page_says_so() {
    let rx = receiver(0).await;
    let app = spawn_app_with(with_backchannel(&rx.uri)).await;
    app.full_login(&APP_A, "openid email").await;
    let me = app.browse("/me").await.body;
    let csrf = field_value(&me, "name=\"csrf\" value=\"").unwrap();
    let done = app.browse_post("/me/erase", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("App told that you signed out") && done.body.contains("app-a: told."), "{}", done.body);
    assert_eq!(rx.received(1, Duration::from_secs(1)).await.len(), 1);
}

#[tokio::test]
async fn a_reused_refresh_token_tells_the_app() {
    let rx = receiver(0).await;
    let app = spawn_app_with(with_backchannel(&rx.uri)).await;
    let t = app.full_login(&APP_A, "openid offline_access").await;
    let rt1 = s(&t, "refresh_token").to_owned();
    assert_eq!(app.refresh(&APP_A, &rt1, &[]).await.status, 200);
    assert_eq!(app.refresh(&APP_A, &rt1, &[]).await.status, 400);
    let tokens = rx.received(1, Duration::from_secs(5)).await;
    assert_eq!(tokens.len(), 1);
    verified(&app, &tokens[0]).await;
}

/// On a shared store, a delivery queued by one instance is delivered by
/// another: here the queuing instance never runs its worker (it stopped).
#[tokio::test]
async fn another_instance_delivers_what_a_stopped_one_queued() {
    let rx = receiver(0).await;
    let (store, app) = on_redis_with_backchannel(&rx).await;
    // What the stopped instance left in the store: a due delivery.
    let stopped = store.records_like(&app).await;
    let delivery = claimgate::store::records::Delivery {
        client_id: "app-a".into(),
        sub: "sub-of-app-a".into(),
        sid: "sid-of-app-a".into(),
        jti: claimgate::store::records::random_handle(),
        attempts: 0,
        next_at: chrono::Utc::now().timestamp(),
        queued_at: chrono::Utc::now().timestamp(),
        set: None,
    };
    stopped.queue_delivery(&delivery).await.unwrap();
    let tokens = rx.received(1, Duration::from_secs(5)).await;
    assert_eq!(tokens.len(), 1, "the running instance delivered it");
    let claims = verified(&app, &tokens[0]).await;
    assert_eq!((s(&claims, "sid"), s(&claims, "jti")), ("sid-of-app-a", delivery.jti.as_str()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.received(1, Duration::ZERO).await.len(), 1, "delivered once");
    store.cleanup().await;
}

/// `claimgate erase` tells the apps too, and prints what became of it.
#[tokio::test]
async fn the_erase_command_tells_the_apps() {
    let rx = receiver(0).await;
    let (store, app) = on_redis_with_backchannel(&rx).await;
    app.full_login(&APP_A, "openid email").await;
    let file =
        std::env::temp_dir().join(format!("claimgate-bcl-{}.toml", &claimgate::store::records::random_handle()[..8]));
    std::fs::write(&file, &app.config_text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
        .args(["erase", "--config", file.to_str().unwrap(), "--email", "jane.doe@example.com"])
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("erased 1 user(s)\napp app-a: "), "{stdout}");
    let tokens = rx.received(1, Duration::from_secs(5)).await;
    assert!(!tokens.is_empty(), "the app was told");
    verified(&app, &tokens[0]).await;
    store.cleanup().await;
}
