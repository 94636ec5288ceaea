//! Refresh tokens (RFC 6749 §6, OIDC Core §12): rotation, reuse revoking the
//! whole family (RFC 9700 §4.14.2), and no refresh beyond the SSO session.

use crate::helpers::*;
use claimgate::clock::ManualClock;
use serde_json::Value;
use std::sync::Arc;

/// app-a may use refresh tokens; the others may not.
fn offline_a(c: &mut ConfigEdit) {
    c.set("clients.app-a", "refresh_tokens", true);
}

const OFFLINE: &str = "openid profile email offline_access";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

#[tokio::test]
async fn a_refresh_rotates_the_token_and_keeps_subject_and_sign_in_time() {
    let app = spawn_app_with(offline_a).await;
    let first = app.full_login(&APP_A, OFFLINE).await;
    assert_eq!(s(&first, "scope"), OFFLINE);
    let rt1 = s(&first, "refresh_token");
    let id1 = app.verify_id_token(s(&first, "id_token"), "app-a").await;

    let r = app.refresh(&APP_A, rt1, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.json();
    let rt2 = s(&second, "refresh_token");
    assert_ne!(rt1, rt2, "rotated on every use");
    assert_eq!(r.headers["cache-control"], "no-store");
    let id2 = app.verify_id_token(s(&second, "id_token"), "app-a").await;
    assert_eq!(id2["sub"], id1["sub"], "the same pairwise subject");
    assert_eq!(id2["auth_time"], id1["auth_time"], "OIDC Core §12.2: the original sign-in time");
    assert!(id2.get("nonce").is_none(), "no nonce in a refreshed ID token");
    assert_eq!(id2["email"], "jane.doe@example.com", "built from the stored profile");
    let info = app.userinfo(s(&second, "access_token")).await;
    assert_eq!((info.status, info.json()["name"].as_str()), (200, Some("Jane Doe")));
    assert_eq!(app.idp.logins(), 1, "nothing fetched upstream");

    // A narrower scope is granted; a wider one is refused (RFC 6749 §6).
    let narrow = app.refresh(&APP_A, rt2, &[("scope", "openid email")]).await.json();
    assert_eq!(s(&narrow, "scope"), "openid email");
    let info = app.userinfo(s(&narrow, "access_token")).await.json();
    assert!(info.get("name").is_none() && info["email"] == "jane.doe@example.com", "{info}");
    // The new refresh token keeps the original scope.
    let again = app.refresh(&APP_A, s(&narrow, "refresh_token"), &[]).await.json();
    assert_eq!(s(&again, "scope"), OFFLINE);
    let wide = app.refresh(&APP_B, s(&again, "refresh_token"), &[("scope", "openid profile")]).await;
    assert_eq!(wide.json()["error"], "invalid_grant", "another client's token");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_family_and_its_access_tokens_on_memory() {
    reuse_revokes_the_family(None).await;
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_family_and_its_access_tokens_on_redis() {
    reuse_revokes_the_family(Some(TestStore::redis())).await;
}

async fn reuse_revokes_the_family(store: Option<TestStore>) {
    let app = spawn(Options { store, edit: Some(Box::new(offline_a)), ..Options::default() }).await;
    let first = app.full_login(&APP_A, OFFLINE).await;
    let rt1 = s(&first, "refresh_token").to_owned();
    let second = app.refresh(&APP_A, &rt1, &[]).await.json();
    let (at1, at2, rt2) = (s(&first, "access_token"), s(&second, "access_token"), s(&second, "refresh_token"));
    assert_eq!(app.userinfo(at2).await.status, 200);

    // The stolen, already rotated token comes back.
    let reuse = app.refresh(&APP_A, &rt1, &[]).await;
    assert_eq!((reuse.status, reuse.json()["error"].as_str()), (400, Some("invalid_grant")));
    for at in [at1, at2] {
        assert_eq!(app.userinfo(at).await.status, 401, "every access token of the family ends");
    }
    assert_eq!(app.refresh(&APP_A, rt2, &[]).await.json()["error"], "invalid_grant", "and its live refresh token");
    let metrics = app.state.metrics.refresh_reuse.with_label_values(&["app-a"]).get();
    assert_eq!(metrics, 1);
    assert!(logs().contains("refresh_token_reuse"), "audited");
    // The SSO session itself lives on: a new authorization needs no upstream login.
    app.full_login(&APP_A, OFFLINE).await;
    assert_eq!(app.idp.logins(), 1);
    app.store.cleanup().await;
}

#[tokio::test]
async fn no_refresh_after_logout_erasure_or_the_end_of_the_session() {
    // Logout.
    let app = spawn_app_with(offline_a).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    let bye = format!("/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a", s(&t, "id_token"));
    assert_eq!(app.browse(&bye).await.status, 302);
    assert_eq!(app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json()["error"], "invalid_grant");

    // Erasure from /me.
    let app = spawn_app_with(offline_a).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    let me = app.browse("/me").await.body;
    let csrf = field_value(&me, "name=\"csrf\" value=\"").expect("a csrf field");
    assert_eq!(app.browse_post("/me/erase", &[("csrf", &csrf)]).await.status, 200);
    assert_eq!(app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json()["error"], "invalid_grant");
    let left: Vec<String> = app.store.dump().await.into_iter().map(|(k, _)| k).collect();
    assert!(!left.iter().any(|k| k.starts_with("refresh:") || k.starts_with("rotated:")), "{left:?}");

    // The session's absolute end (24 h), even while refreshes keep it active.
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), edit: Some(Box::new(offline_a)), ..Options::default() }).await;
    let mut t = app.full_login(&APP_A, OFFLINE).await;
    for _ in 0..5 {
        clock.advance(chrono::Duration::hours(5));
        let r = app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await;
        if r.status != 200 {
            assert_eq!(r.json()["error"], "invalid_grant");
            return;
        }
        t = r.json();
    }
    panic!("a refresh token outlived the session's absolute lifetime");
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_family() {
    let app = spawn_app_with(offline_a).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    // Another client cannot revoke it (§2.1: no oracle, 200 all the same).
    assert_eq!(app.revoke(&APP_B, s(&t, "refresh_token")).await.status, 200);
    assert_eq!(app.userinfo(s(&t, "access_token")).await.status, 200);
    assert_eq!(app.revoke(&APP_A, s(&t, "refresh_token")).await.status, 200);
    assert_eq!(app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json()["error"], "invalid_grant");
    assert_eq!(app.userinfo(s(&t, "access_token")).await.status, 401, "RFC 7009 §2.1: its access tokens too");
}

#[tokio::test]
async fn offline_access_only_for_clients_configured_for_it() {
    let app = spawn_app_with(offline_a).await;
    let b = app.full_login(&APP_B, "openid profile offline_access").await;
    assert!(b.get("refresh_token").is_none(), "{b}");
    assert_eq!(s(&b, "scope"), "openid profile");
    let a = app.full_login(&APP_A, "openid email").await;
    assert!(a.get("refresh_token").is_none(), "no offline_access asked, no refresh token");
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["grant_types_supported"], serde_json::json!(["authorization_code", "refresh_token"]));
    assert!(discovery["scopes_supported"].as_array().unwrap().contains(&"offline_access".into()));
}

/// RFC 7662: a client introspects its own tokens only, and learns nothing
/// of the profile.
#[tokio::test]
async fn introspection_answers_for_own_tokens_only_and_carries_no_profile() {
    let app = spawn_app_with(offline_a).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    let id = app.verify_id_token(s(&t, "id_token"), "app-a").await;
    let own = app.introspect(&APP_A, s(&t, "access_token")).await;
    assert_eq!((own.status, own.headers["cache-control"].to_str().unwrap()), (200, "no-store"));
    let own = own.json();
    assert_eq!(own["active"], true);
    assert_eq!((own["client_id"].as_str(), own["scope"].as_str()), (Some("app-a"), Some(OFFLINE)));
    assert_eq!(own["sub"], id["sub"], "the client's pairwise subject");
    assert!(own["exp"].as_i64().unwrap() > own["iat"].as_i64().unwrap());
    let keys: Vec<&String> = own.as_object().unwrap().keys().collect();
    for leak in ["name", "email", "email_verified", "picture"] {
        assert!(!keys.iter().any(|k| *k == leak), "no profile claim: {keys:?}");
    }
    let refresh = app.introspect(&APP_A, s(&t, "refresh_token")).await.json();
    assert_eq!((refresh["active"].as_bool(), refresh["sub"].clone()), (Some(true), id["sub"].clone()));

    // Hostile: another client's token, an unknown one, a public client, no credentials.
    assert_eq!(app.introspect(&APP_B, s(&t, "access_token")).await.json(), serde_json::json!({"active": false}));
    assert_eq!(app.introspect(&APP_A, "not-a-token").await.json(), serde_json::json!({"active": false}));
    assert_eq!(app.introspect(&PUBLIC_APP, s(&t, "access_token")).await.status, 401);
    // app-a's id without its secret.
    let unauthenticated = Client { id: "app-a", secret: None, redirect_uri: APP_A.redirect_uri };
    assert_eq!(app.introspect(&unauthenticated, s(&t, "access_token")).await.status, 401);
    // A revoked token is inactive.
    app.revoke(&APP_A, s(&t, "access_token")).await;
    assert_eq!(app.introspect(&APP_A, s(&t, "access_token")).await.json()["active"], false);
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["introspection_endpoint"], format!("{}/introspect", app.public_url));
}
