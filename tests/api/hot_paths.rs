//! The requests apps and proxies make most: `/userinfo` and forward-auth
//! `/auth` read one record each, and that record cannot outlive its session.

use crate::helpers::*;
use claimgate::metrics::STORE_OPS;
use claimgate::policy::disclosure::Scopes;
use claimgate::policy::Profile;
use claimgate::store::records::{AccessGrant, AccessToken, SessionId};
use std::time::Duration;

/// Store operations so far, of every kind.
fn store_ops(app: &TestApp) -> u64 {
    STORE_OPS.iter().map(|op| app.state.metrics.store_seconds.with_label_values(&[op]).get_sample_count()).sum()
}

fn with_wiki(c: &mut ConfigEdit) {
    forward_auth_client(c, "wiki", "http://127.0.0.1:9", &["email"]);
}

async fn one_read_each(store: Option<TestStore>) {
    let app = spawn(Options { store, edit: Some(Box::new(with_wiki)), ..Options::default() }).await;
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    let at = tokens["access_token"].as_str().unwrap();
    let before = store_ops(&app);
    let info = app.userinfo(at).await;
    assert_eq!((info.status, info.json()["email"].as_str()), (200, Some("jane.doe@example.com")));
    assert_eq!(store_ops(&app) - before, 1, "/userinfo reads one record");

    let fa_callback = format!("{}/auth/callback", app.base);
    let start = "/auth/start?client=wiki&rd=http%3A%2F%2F127.0.0.1%3A9%2Fdocs";
    let LoginEnd::App(params) = app.walk(start, &fa_callback).await else { panic!("no forward-auth callback") };
    let done = app.browse(&format!("{fa_callback}?code={}&state={}", params["code"], params["state"])).await;
    assert_eq!(done.status, 302);
    let before = store_ops(&app);
    let ok = app.browse("/auth?client=wiki").await;
    assert_eq!((ok.status, ok.headers["x-auth-request-email"].to_str().unwrap()), (200, "jane.doe@example.com"));
    assert_eq!(store_ops(&app) - before, 1, "/auth reads one record");

    // Ending the session ends both, though neither reads the session.
    let id_token = tokens["id_token"].as_str().unwrap();
    let bye = app
        .browse(&format!("/logout?id_token_hint={id_token}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a"))
        .await;
    assert_eq!(bye.status, 302);
    assert_eq!(app.userinfo(at).await.status, 401);
    assert_eq!(app.browse("/auth?client=wiki").await.status, 401);
    app.store.cleanup().await;
}

#[tokio::test]
async fn userinfo_and_auth_read_one_record_each_on_the_memory_store() {
    one_read_each(None).await;
}

#[tokio::test]
async fn userinfo_and_auth_read_one_record_each_on_redis() {
    one_read_each(Some(TestStore::redis())).await;
}

/// A token whose session ended between the token endpoint's checks and its
/// write (a logout or erasure racing the redemption) is not left behind: it
/// would otherwise answer /userinfo with the profile until it expires.
#[tokio::test]
async fn a_token_written_after_its_session_ended_is_not_kept() {
    let app = spawn_app().await;
    let token = AccessToken::random();
    let grant = AccessGrant {
        client_id: "app-a".into(),
        session: SessionId::random(),
        scope: Scopes::parse("openid email"),
        subject: "s".into(),
        released: Profile::default(),
        iat: 0,
        exp: i64::MAX,
        jkt: None,
    };
    let kept = app.state.records.put_access(&token, &grant, Duration::from_secs(60)).await.unwrap();
    assert!(!kept, "the session does not exist");
    assert!(app.state.records.get_access(&token).await.unwrap().is_none());
    assert_eq!(app.userinfo(token.as_str()).await.status, 401);
}
