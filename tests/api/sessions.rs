//! Retention, logout, revocation and erasure — on the memory store and on Redis.

use crate::helpers::*;
use claimgate::clock::ManualClock;
use std::sync::Arc;

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

async fn keys_of_kind(app: &TestApp, kinds: &[&str]) -> Vec<String> {
    app.store.dump().await.into_iter().map(|(k, _)| k).filter(|k| kinds.iter().any(|p| k.starts_with(p))).collect()
}

async fn logout_ends_the_session_and_every_token(store: Option<TestStore>) {
    let app = spawn(Options { store: store.clone(), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let b = app.full_login(&APP_B, "openid profile").await;
    let (at_a, at_b) = (a["access_token"].as_str().unwrap(), b["access_token"].as_str().unwrap());
    assert_eq!(app.userinfo(at_a).await.status, 200);

    // Hostile: an unregistered return address is refused, and nothing ends.
    let url = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/evil",
        a["id_token"].as_str().unwrap()
    );
    assert_eq!(app.browse(&url).await.status, 400);
    // Hostile: without a hint, a GET only asks; a POST without the right CSRF token only asks.
    let ask = app.browse("/logout").await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("Sign out?"));
    let ask = app.browse_post("/logout", &[("csrf", "forged")]).await;
    assert!(ask.body.contains("Sign out?"));
    // Hostile: a hint claimgate did not sign.
    let forged = a["id_token"].as_str().unwrap().rsplit_once('.').unwrap().0.to_owned() + ".AAAA";
    assert_eq!(app.browse(&format!("/logout?id_token_hint={forged}")).await.status, 400);
    assert_eq!(app.userinfo(at_a).await.status, 200, "nothing above may end the session");

    let url = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a&state=bye",
        a["id_token"].as_str().unwrap()
    );
    let r = app.browse(&url).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location().unwrap(), "http://127.0.0.1:9/bye-a?state=bye");
    assert!(r.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(app.userinfo(at_a).await.status, 401);
    assert_eq!(app.userinfo(at_b).await.status, 401, "tokens of other apps in the session end too");
    assert!(keys_of_kind(&app, &["session:", "access:", "idx:session:"]).await.is_empty());
    // The next login goes upstream again.
    let before = app.idp.logins();
    app.full_login(&APP_A, "openid").await;
    assert_eq!(app.idp.logins(), before + 1);
    app.store.cleanup().await;
}

async fn revocation(store: Option<TestStore>) {
    let app = spawn(Options { store: store.clone(), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let at = a["access_token"].as_str().unwrap();
    // Another client cannot revoke it (and learns nothing: 200 either way).
    assert_eq!(app.revoke(&APP_B, at).await.status, 200);
    assert_eq!(app.userinfo(at).await.status, 200);
    let wrong = Client { secret: Some("wrong"), ..APP_A };
    assert_eq!(app.revoke(&wrong, at).await.status, 401);
    assert_eq!(app.revoke(&APP_A, at).await.status, 200);
    assert_eq!(app.userinfo(at).await.status, 401);
    assert_eq!(app.revoke(&APP_A, "unknown-token").await.status, 200);
    app.store.cleanup().await;
}

async fn erasure_by_the_user(store: Option<TestStore>) {
    let app = spawn(Options { store: store.clone(), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let me = app.browse("/me").await;
    assert_eq!(me.status, 200);
    assert!(me.body.contains("Jane Doe") && me.body.contains("jane.doe@example.com"));
    assert!(
        me.body.contains("app-a received your name, your email address and your profile picture on "),
        "{}",
        me.body
    );
    let csrf = csrf_of(&me.body);
    assert_eq!(app.browse_post("/me/erase", &[("csrf", "forged")]).await.status, 403);
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 200);
    let done = app.browse_post("/me/erase", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 200);
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 401);
    assert!(keys_of_kind(&app, &["session:", "access:", "code:", "idx:user:"]).await.is_empty());
    assert!(app.browse("/me").await.body.contains("not signed in"));
    app.store.cleanup().await;
}

async fn erasure_by_email(store: Option<TestStore>) {
    let app = spawn(Options { store: store.clone(), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let b = app.full_login(&APP_B, "openid profile").await;
    let records = &app.state.records;
    let other = app.state.keys.pseudonymizer.email_key("someone.else@example.com");
    assert_eq!(records.erase_email(&other).await.unwrap(), 0);
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 200);
    // The address as an operator would type it: case and spaces do not matter.
    let key = app.state.keys.pseudonymizer.email_key(" Jane.Doe@Example.com ");
    assert_eq!(records.erase_email(&key).await.unwrap(), 1);
    for at in [&a, &b] {
        assert_eq!(app.userinfo(at["access_token"].as_str().unwrap()).await.status, 401);
    }
    assert!(keys_of_kind(&app, &["session:", "access:", "code:", "idx:"]).await.is_empty());
    app.store.cleanup().await;
}

#[tokio::test]
async fn logout_on_memory() {
    logout_ends_the_session_and_every_token(None).await;
}

#[tokio::test]
async fn logout_on_redis() {
    logout_ends_the_session_and_every_token(Some(TestStore::redis())).await;
}

#[tokio::test]
async fn revocation_on_memory() {
    revocation(None).await;
}

#[tokio::test]
async fn revocation_on_redis() {
    revocation(Some(TestStore::redis())).await;
}

#[tokio::test]
async fn erasure_by_the_user_on_memory() {
    erasure_by_the_user(None).await;
}

#[tokio::test]
async fn erasure_by_the_user_on_redis() {
    erasure_by_the_user(Some(TestStore::redis())).await;
}

#[tokio::test]
async fn erasure_by_email_on_memory() {
    erasure_by_email(None).await;
}

#[tokio::test]
async fn erasure_by_email_on_redis() {
    erasure_by_email(Some(TestStore::redis())).await;
}

#[tokio::test]
async fn an_expired_session_is_gone_from_the_store() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    assert_eq!(keys_of_kind(&app, &["session:"]).await.len(), 1);
    // Past the idle lifetime (8 h by default) without use.
    clock.advance(chrono::Duration::hours(8) + chrono::Duration::seconds(1));
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 401);
    let TestStore::Memory(m) = &app.store else { unreachable!() };
    m.sweep();
    assert!(keys_of_kind(&app, &["session:", "access:", "code:", "pending:"]).await.is_empty());
    // A new authorization goes upstream.
    let before = app.idp.logins();
    app.full_login(&APP_A, "openid").await;
    assert_eq!(app.idp.logins(), before + 1);
}

#[tokio::test]
async fn an_active_session_still_ends_at_its_absolute_lifetime() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options {
        clock: clock.clone(),
        edit: Some(Box::new(|c: &mut ConfigEdit| {
            c.set("lifetimes", "session_absolute_secs", 3600);
        })),
        ..Options::default()
    })
    .await;
    app.full_login(&APP_A, "openid").await;
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(15));
        app.full_login(&APP_A, "openid").await; // activity keeps it alive...
    }
    assert_eq!(app.idp.logins(), 1);
    clock.advance(chrono::Duration::minutes(16)); // ...but not past one hour.
    app.full_login(&APP_A, "openid").await;
    assert_eq!(app.idp.logins(), 2);
}

#[tokio::test]
async fn the_erase_command_erases_by_email() {
    let app = spawn(Options { store: Some(TestStore::redis()), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    let file =
        std::env::temp_dir().join(format!("claimgate-erase-{}.toml", &claimgate::store::records::random_handle()[..8]));
    std::fs::write(&file, &app.config_text).unwrap();
    let run = |email: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
            .args(["erase", "--config", file.to_str().unwrap(), "--email", email])
            .output()
            .unwrap()
    };
    let other = run("nobody@example.com");
    assert!(other.status.success());
    assert_eq!(String::from_utf8_lossy(&other.stdout).trim(), "erased 0 user(s)");
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 200);
    let out = run("jane.doe@example.com");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "erased 1 user(s)");
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 401);
    std::fs::remove_file(&file).unwrap();
    app.store.cleanup().await;
}

#[test]
fn the_erase_command_explains_the_memory_store() {
    let file =
        std::env::temp_dir().join(format!("claimgate-erase-{}.toml", &claimgate::store::records::random_handle()[..8]));
    std::fs::write(&file, config_text("http://127.0.0.1:8080", "http://127.0.0.1:9")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
        .args(["erase", "--config", file.to_str().unwrap(), "--email", "a@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/me"));
    std::fs::remove_file(&file).unwrap();
}
