//! The refresh-token family rules of the second security review (issue 24,
//! points 1–8 and 13): nothing is done to a token unless its owner presents
//! it (and proves its key), reuse is told to the owner, rotation is one
//! store operation, a replayed DPoP proof spends nothing, a refresh re-checks
//! the provider policy, a replayed code ends its refresh tokens,
//! introspection says what is usable, apps' refreshes are not the user's
//! activity, and erasure leaves no key behind.

use crate::helpers::*;
use claimgate::clock::ManualClock;
use serde_json::Value;
use std::sync::Arc;

const OFFLINE: &str = "openid profile email offline_access";

/// app-a and app-b may use refresh tokens, and so may the public client.
fn offline_all(c: &mut ConfigEdit) {
    for client in ["app-a", "app-b", "public-app"] {
        c.set(&format!("clients.{client}"), "refresh_tokens", true);
    }
}

/// Both confidential apps registered for back-channel logout at `uri`.
fn offline_with_backchannel(uri: &'static str) -> impl FnOnce(&mut ConfigEdit) {
    move |c| {
        offline_all(c);
        c.set("clients.app-a", "backchannel_logout_uri", uri).set("clients.app-b", "backchannel_logout_uri", uri);
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// The client ids of the back-channel logouts queued in the store.
async fn queued_logouts(app: &TestApp) -> Vec<String> {
    let mut clients = Vec::new();
    for r in app.state.records.queued_deliveries().await.unwrap() {
        if let Some(d) = app.state.records.peek_delivery(&r).await.unwrap() {
            clients.push(d.client_id.to_string());
        }
    }
    clients.sort();
    clients
}

/// Point 1: another client's live token, or a rotated one, presented by
/// anyone but its owner, does nothing: no family revoked, no logout.
#[tokio::test]
async fn a_refresh_token_presented_by_another_party_does_nothing() {
    let app = spawn_app_with(offline_with_backchannel("http://127.0.0.1:9/bcl")).await;
    let a = app.full_login(&APP_A, OFFLINE).await;
    app.full_login(&APP_B, OFFLINE).await;
    let rt1 = s(&a, "refresh_token").to_owned();

    // A live token of app-a, presented by app-b and by the public client.
    let by_b = app.refresh(&APP_B, &rt1, &[]).await;
    assert_eq!((by_b.status, by_b.json()["error"].as_str()), (400, Some("invalid_grant")));
    let by_public = app
        .token_raw(&[("grant_type", "refresh_token"), ("refresh_token", &rt1), ("client_id", "public-app")], None)
        .await;
    assert_eq!(by_public.json()["error"], "invalid_grant");
    assert_eq!(app.userinfo(s(&a, "access_token")).await.status, 200, "the family lives on");
    let second = app.refresh(&APP_A, &rt1, &[]).await;
    assert_eq!(second.status, 200, "the owner still refreshes: {}", second.body);
    let second = second.json();

    // The rotated token, presented by another client: still nothing.
    let rotated_by_b = app.refresh(&APP_B, &rt1, &[]).await;
    assert_eq!(rotated_by_b.json()["error"], "invalid_grant");
    let rotated_by_public = app
        .token_raw(&[("grant_type", "refresh_token"), ("refresh_token", &rt1), ("client_id", "public-app")], None)
        .await;
    assert_eq!(rotated_by_public.json()["error"], "invalid_grant");
    assert_eq!(app.userinfo(s(&second, "access_token")).await.status, 200, "no family revoked");
    assert!(queued_logouts(&app).await.is_empty(), "no app told of a logout");
    assert_eq!(app.state.metrics.refresh_reuse.with_label_values(&["app-a"]).get(), 0);
    assert!(logs().contains("refresh_token_of_another_client"), "audited");
    let misplaced = app.state.metrics.refresh_misplaced.with_label_values(&["app-b"]).get();
    assert!(misplaced >= 2, "counted: {misplaced}");

    // The owner's reuse is a reuse.
    let reuse = app.refresh(&APP_A, &rt1, &[]).await;
    assert_eq!(reuse.json()["error"], "invalid_grant");
    assert_eq!(app.userinfo(s(&second, "access_token")).await.status, 401);
}

/// Point 2: a reuse tells the app that owns the family, and only it.
#[tokio::test]
async fn a_reuse_is_told_to_the_owner_of_the_family() {
    let app = spawn_app_with(offline_with_backchannel("http://127.0.0.1:9/bcl")).await;
    let a = app.full_login(&APP_A, OFFLINE).await;
    app.full_login(&APP_B, OFFLINE).await;
    let rt1 = s(&a, "refresh_token").to_owned();
    assert_eq!(app.refresh(&APP_A, &rt1, &[]).await.status, 200);
    // app-b, which received tokens in the same session, brings app-a's rotated token.
    app.refresh(&APP_B, &rt1, &[]).await;
    assert!(queued_logouts(&app).await.is_empty(), "app-b's presentation tells nobody");
    app.refresh(&APP_A, &rt1, &[]).await;
    assert_eq!(queued_logouts(&app).await, vec!["app-a".to_owned()], "the owner is told");
}

/// Point 3: of concurrent uses of one token, one wins and every other finds
/// it rotated, so the family is revoked (RFC 9700 §4.14.2). On Redis, where
/// every store call is a round trip.
#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_always_revoke_the_family() {
    let store = TestStore::redis();
    let app =
        spawn(Options { store: Some(store.clone()), edit: Some(Box::new(offline_all)), ..Options::default() }).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    let rt = s(&t, "refresh_token").to_owned();
    let answers = futures::future::join_all((0..12).map(|_| app.refresh(&APP_A, &rt, &[]))).await;
    assert!(answers.iter().all(|r| r.status == 200 || r.json()["error"] == "invalid_grant"));
    // The winner, if its tokens were issued before a loser revoked the
    // family, holds revoked tokens.
    let winners: Vec<Value> = answers.iter().filter(|r| r.status == 200).map(Resp::json).collect();
    assert!(winners.len() <= 1, "one use at most wins");
    for won in &winners {
        let next = app.refresh(&APP_A, s(won, "refresh_token"), &[]).await;
        assert_eq!(next.json()["error"], "invalid_grant", "the family is revoked");
        assert_eq!(app.userinfo(s(won, "access_token")).await.status, 401);
    }
    assert_eq!(app.userinfo(s(&t, "access_token")).await.status, 401, "the first access token too");
    assert!(app.state.metrics.refresh_reuse.with_label_values(&["app-a"]).get() >= 1);
    store.cleanup().await;
}

/// Point 4: a thief replaying the owner's recent proof with a stolen bound
/// refresh token is refused, and the token is not spent.
#[tokio::test]
async fn a_replayed_dpop_proof_does_not_spend_a_bound_refresh_token() {
    let app = spawn_app_with(offline_all).await;
    let key = DpopKey::new();
    let (verifier, challenge) = pkce_pair();
    let code = app
        .login(&PUBLIC_APP, OFFLINE, &[("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")])
        .await
        .code();
    let url = format!("{}/token", app.public_url);
    let nonce = app.dpop_nonce(&key).await;
    let form = [&code_form(&PUBLIC_APP, &code, &verifier)[..], &[("client_id", "public-app")]].concat();
    let first = app.post_dpop("/token", &form, None, &key.proof(&DpopKey::claims("POST", &url, Some(&nonce)))).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let rt1 = first.json()["refresh_token"].as_str().unwrap().to_owned();

    // The owner refreshes with proof P; the answer's refresh token is stolen.
    let proof = key.proof(&DpopKey::claims("POST", &url, Some(&nonce)));
    let form = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", rt.to_owned()),
            ("client_id", "public-app".to_owned()),
        ]
    };
    let owned = app.post_dpop("/token", &as_pairs(&form(&rt1)), None, &proof).await;
    assert_eq!(owned.status, 200, "{}", owned.body);
    let rt2 = owned.json()["refresh_token"].as_str().unwrap().to_owned();
    // The thief replays P with it.
    let replay = app.post_dpop("/token", &as_pairs(&form(&rt2)), None, &proof).await;
    assert_eq!((replay.status, replay.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", replay.body);
    // The owner's next refresh works: nothing was spent, no family revoked.
    let next = app
        .post_dpop("/token", &as_pairs(&form(&rt2)), None, &key.proof(&DpopKey::claims("POST", &url, Some(&nonce))))
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(app.state.metrics.refresh_reuse.with_label_values(&["public-app"]).get(), 0);
}

fn as_pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Point 5: a refresh holds the client's provider policy and the
/// provider's rules as configured now, like SSO does. Two instances share a
/// Redis; the second runs a config whose rules no longer admit the user.
#[tokio::test]
async fn a_refresh_re_checks_the_provider_rules_as_configured_now() {
    let store = TestStore::redis();
    let a =
        spawn(Options { store: Some(store.clone()), edit: Some(Box::new(offline_all)), ..Options::default() }).await;
    let t = a.full_login(&APP_A, OFFLINE).await;
    let b = spawn(Options {
        store: Some(store.clone()),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        edit: Some(Box::new(|c: &mut ConfigEdit| {
            offline_all(c);
            c.set_list("providers.idp", "allowed_email_domains", &["other.example"]);
        })),
        ..Options::default()
    })
    .await;
    let r = b.refresh(&APP_A, s(&t, "refresh_token"), &[]).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_grant")), "{}", r.body);
    // And a client no longer allowed the provider.
    let c = spawn(Options {
        store: Some(store.clone()),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        edit: Some(Box::new(|c: &mut ConfigEdit| {
            offline_all(c);
            c.set("providers.other", "kind", "dev");
            c.set_list("clients.app-a", "providers", &["other"]);
        })),
        ..Options::default()
    })
    .await;
    let r = c.refresh(&APP_A, s(&t, "refresh_token"), &[]).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
    // The instance with the original config still refreshes: nothing was spent.
    assert_eq!(a.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.status, 200);
    store.cleanup().await;
}

/// Point 6: a replayed code revokes every token issued from it, the
/// refresh token too (RFC 6749 §4.1.2).
#[tokio::test]
async fn a_replayed_code_revokes_the_refresh_token_issued_from_it() {
    let app = spawn_app_with(offline_all).await;
    let code = app.login(&APP_A, OFFLINE, &[]).await.code();
    let t = app.redeem(&APP_A, &code, &[]).await.json();
    let replay = app.redeem(&APP_A, &code, &[]).await;
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert_eq!(app.userinfo(s(&t, "access_token")).await.status, 401);
    let r = app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
}

/// Points 7 and 8: an app's refreshes are not the user's activity, so the
/// browser's session idles out (8 h by default) however often the app
/// refreshes; then the refresh token is not usable, and introspection says so.
#[tokio::test]
async fn app_refreshes_do_not_keep_the_browser_signed_in_and_introspection_agrees() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), edit: Some(Box::new(offline_all)), ..Options::default() }).await;
    let mut t = app.full_login(&APP_A, OFFLINE).await;
    for _ in 0..2 {
        clock.advance(chrono::Duration::hours(3));
        let r = app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        t = r.json();
    }
    clock.advance(chrono::Duration::hours(3));
    // 9 h since the user last did anything: the browser is signed out.
    let silent = app.login(&APP_A, "openid", &[("prompt", "none")]).await;
    let LoginEnd::App(params) = silent else { panic!("expected a redirect to the app, got {silent:?}") };
    assert_eq!(params.get("error").map(String::as_str), Some("login_required"), "{params:?}");
    let intro = app.introspect(&APP_A, s(&t, "refresh_token")).await.json();
    assert_eq!(intro, serde_json::json!({"active": false}), "active means usable");
    assert_eq!(app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json()["error"], "invalid_grant");
}

/// Point 7 alone: while the session lives, the refresh token is active;
/// a rotated one is not.
#[tokio::test]
async fn introspection_reports_rotated_refresh_tokens_inactive() {
    let app = spawn_app_with(offline_all).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    assert_eq!(app.introspect(&APP_A, s(&t, "refresh_token")).await.json()["active"], true);
    let next = app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json();
    assert_eq!(app.introspect(&APP_A, s(&t, "refresh_token")).await.json(), serde_json::json!({"active": false}));
    assert_eq!(app.introspect(&APP_A, s(&next, "refresh_token")).await.json()["active"], true);
}

/// Point 13: "Delete my data" leaves no key that was written for the user,
/// refresh families included, on Redis.
#[tokio::test]
async fn erasure_leaves_no_key_behind() {
    let store = TestStore::redis();
    let app =
        spawn(Options { store: Some(store.clone()), edit: Some(Box::new(offline_all)), ..Options::default() }).await;
    let t = app.full_login(&APP_A, OFFLINE).await;
    let next = app.refresh(&APP_A, s(&t, "refresh_token"), &[]).await.json();
    app.refresh(&APP_A, s(&next, "refresh_token"), &[]).await;
    let keys = |dump: Vec<(String, Vec<u8>)>| dump.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    let before = keys(store.dump().await);
    assert!(before.iter().any(|k| k.starts_with("idx:family:")), "{before:?}");
    let me = app.browse("/me").await.body;
    let csrf = field_value(&me, "name=\"csrf\" value=\"").expect("a csrf field");
    assert_eq!(app.browse_post("/me/erase", &[("csrf", &csrf)]).await.status, 200);
    let after = keys(store.dump().await);
    assert!(after.is_empty(), "left behind: {after:?}");
    store.cleanup().await;
}
