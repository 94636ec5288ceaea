//! Pushed authorization requests (RFC 9126): the request goes through the
//! back channel; the browser carries only a short-lived, single-use
//! `request_uri` of the client that pushed it.

use crate::helpers::*;
use claimgate::clock::ManualClock;
use serde_json::Value;
use std::sync::Arc;

const URN: &str = "urn:ietf:params:oauth:request_uri:";

/// app-a pushes a code request with PKCE; returns (request_uri, verifier).
pub(crate) async fn push(app: &TestApp, extra: &[(&str, &str)]) -> (Resp, String) {
    push_with_state(app, "pushed-state", extra).await
}

pub(crate) fn request_uri(r: &Resp) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    assert_eq!(body["expires_in"], 60);
    body["request_uri"].as_str().unwrap().to_owned()
}

pub(crate) fn authorize_with(app: &TestApp, client_id: &str, uri: &str, extra: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", uri)
        .finish();
    format!("{}/authorize?{q}{extra}", app.base)
}

#[tokio::test]
async fn a_pushed_request_signs_in_and_the_front_channel_cannot_change_it() {
    let app = spawn_app().await;
    let (r, verifier) = push(&app, &[]).await;
    let uri = request_uri(&r);
    assert!(uri.starts_with(URN) && uri.len() > URN.len() + 40, "{uri}");
    assert_eq!(r.headers["cache-control"], "no-store");
    // Front-channel parameters beside client_id and request_uri are ignored.
    let url =
        authorize_with(&app, "app-a", &uri, "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid&state=forged");
    let LoginEnd::App(params) = app.walk(&url, APP_A.redirect_uri).await else { panic!("no code") };
    assert_eq!(params["state"], "pushed-state");
    let tokens = app.redeem(&APP_A, &params["code"], &[("code_verifier", &verifier)]).await.json();
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), "app-a").await;
    assert_eq!((id["nonce"].as_str(), id["email"].as_str()), (Some("pushed-nonce"), Some("jane.doe@example.com")));

    // Single use: the same request_uri again is refused.
    let again = app.browse(&authorize_with(&app, "app-a", &uri, "")).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("invalid_request_uri"), "{}", again.body);
}

#[tokio::test]
async fn request_uris_expire_and_belong_to_their_client() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), ..Options::default() }).await;
    let uri = request_uri(&push(&app, &[]).await.0);
    clock.advance(chrono::Duration::seconds(61));
    let expired = app.browse(&authorize_with(&app, "app-a", &uri, "")).await;
    assert!(expired.status == 400 && expired.body.contains("invalid_request_uri"), "{}", expired.body);

    let uri = request_uri(&push(&app, &[]).await.0);
    let stolen = app.browse(&authorize_with(&app, "app-b", &uri, "")).await;
    assert!(stolen.status == 400 && stolen.body.contains("invalid_request_uri"), "another client's: {}", stolen.body);
    let forged = app.browse(&authorize_with(&app, "app-a", &format!("{URN}forged"), "")).await;
    assert_eq!(forged.status, 400);
    let not_urn = app.browse(&authorize_with(&app, "app-a", "https://evil.example/request", "")).await;
    assert_eq!(not_urn.status, 400);
}

#[tokio::test]
async fn a_client_that_requires_par_cannot_use_the_front_channel() {
    let app = spawn_app_with(|c| {
        c.set("clients.app-a", "require_pushed_authorization_requests", true);
    })
    .await;
    let front = app.login(&APP_A, "openid", &[]).await;
    match front {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("invalid_request"), "{p:?}"),
        other => panic!("expected an error at the app, got {other:?}"),
    }
    let (r, verifier) = push(&app, &[]).await;
    let code = app.walk(&authorize_with(&app, "app-a", &request_uri(&r), ""), APP_A.redirect_uri).await.code();
    assert_eq!(app.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await.status, 200);
    let d = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(d["pushed_authorization_request_endpoint"], format!("{}/par", app.public_url));
    assert_eq!(
        d["require_pushed_authorization_requests"], false,
        "app-b and public-app may still use the front channel"
    );
}

#[tokio::test]
async fn the_par_endpoint_refuses_what_authorize_would() {
    let app = spawn_app().await;
    let base = [("response_type", "code"), ("redirect_uri", APP_A.redirect_uri), ("scope", "openid")];
    let by_post = [&base[..], &[("client_id", "app-a"), ("client_secret", "secret-a")]].concat();
    let pushed = request_uri(&app.post_form("/par", &by_post, None).await);
    let kept = app
        .state
        .records
        .take_pushed(&claimgate::store::records::PushedHandle::presented(&pushed[URN.len()..]))
        .await
        .unwrap()
        .expect("the pushed request");
    assert_eq!(kept.request.client_id, "app-a");
    assert!(!format!("{kept:?}").contains("secret-a"), "the secret authenticated the push and is not kept: {kept:?}");
    let unauthenticated = app.post_form("/par", &base, None).await;
    assert_eq!((unauthenticated.status, unauthenticated.json()["error"].as_str()), (401, Some("invalid_client")));
    let wrong_secret = app.post_form("/par", &base, Some(("app-a", "nope"))).await;
    assert_eq!(wrong_secret.status, 401);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("response_type", "code"), ("redirect_uri", "https://evil.example/cb"), ("scope", "openid")],
            "invalid_request",
        ),
        (
            vec![("response_type", "token"), ("redirect_uri", APP_A.redirect_uri), ("scope", "openid")],
            "unsupported_response_type",
        ),
        (vec![("response_type", "code"), ("redirect_uri", APP_A.redirect_uri), ("scope", "profile")], "invalid_scope"),
        ([&base[..], &[("request_uri", "urn:ietf:params:oauth:request_uri:x")]].concat(), "invalid_request"),
        ([&base[..], &[("client_id", "app-b")]].concat(), "invalid_request"),
    ];
    for (form, error) in cases {
        let r = app.post_form("/par", &form, Some(("app-a", "secret-a"))).await;
        let body: Value = r.json();
        assert_eq!((r.status, body["error"].as_str()), (400, Some(error)), "{form:?}: {}", r.body);
    }
    // A public client pushes with PKCE and no secret.
    let (verifier, challenge) = pkce_pair();
    let public = [
        ("client_id", "public-app"),
        ("response_type", "code"),
        ("redirect_uri", PUBLIC_APP.redirect_uri),
        ("scope", "openid email"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let r = app.post_form("/par", &public, None).await;
    let code =
        app.walk(&authorize_with(&app, "public-app", &request_uri(&r), ""), PUBLIC_APP.redirect_uri).await.code();
    assert_eq!(app.redeem(&PUBLIC_APP, &code, &[("code_verifier", &verifier)]).await.status, 200);
}

#[tokio::test]
async fn a_proof_at_par_binds_the_code_to_its_key() {
    let app = spawn_app().await;
    let (key, other) = (DpopKey::new(), DpopKey::new());
    let nonce = app.dpop_nonce(&key).await;
    let par_url = format!("{}/par", app.public_url);
    let (verifier, challenge) = pkce_pair();
    let form = [
        ("response_type", "code"),
        ("redirect_uri", APP_A.redirect_uri),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // A dpop_jkt naming another key than the proof's is refused (RFC 9449 §10.1).
    let other_jkt = other.thumbprint();
    let mismatch = [&form[..], &[("dpop_jkt", other_jkt.as_str())]].concat();
    let r = app
        .post_dpop(
            "/par",
            &mismatch,
            Some(("app-a", "secret-a")),
            &key.proof(&DpopKey::claims("POST", &par_url, Some(&nonce))),
        )
        .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", r.body);

    let r = app
        .post_dpop(
            "/par",
            &form,
            Some(("app-a", "secret-a")),
            &key.proof(&DpopKey::claims("POST", &par_url, Some(&nonce))),
        )
        .await;
    let code = app.walk(&authorize_with(&app, "app-a", &request_uri(&r), ""), APP_A.redirect_uri).await.code();
    // Without a proof by that key the code is refused...
    let plain = app.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await;
    assert_eq!(plain.json()["error"], "invalid_dpop_proof");
    // ...and a second code, redeemed with the key, works.
    let r = app
        .post_dpop(
            "/par",
            &form,
            Some(("app-a", "secret-a")),
            &key.proof(&DpopKey::claims("POST", &par_url, Some(&nonce))),
        )
        .await;
    let code = app.walk(&authorize_with(&app, "app-a", &request_uri(&r), ""), APP_A.redirect_uri).await.code();
    let token_url = format!("{}/token", app.public_url);
    let redeem = code_form(&APP_A, &code, &verifier);
    let ok = app
        .post_dpop(
            "/token",
            &redeem,
            Some(("app-a", "secret-a")),
            &key.proof(&DpopKey::claims("POST", &token_url, Some(&nonce))),
        )
        .await;
    assert_eq!((ok.status, ok.json()["token_type"].as_str()), (200, Some("DPoP")), "{}", ok.body);
}

/// Review point 14 (OIDC Core §6.2, the OIDF module
/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported):
/// a `request_uri` that is not one of claimgate's pushed-request URNs, with
/// a registered redirect URI, goes back to the app as
/// `request_uri_not_supported`. Without a registered redirect URI, and for
/// an unknown or expired URN of claimgate's own, a page as before.
#[tokio::test]
async fn a_foreign_request_uri_is_answered_at_the_app_as_not_supported() {
    let app = spawn_app().await;
    let front = format!(
        "&redirect_uri={}&response_type=code&scope=openid&state=s14",
        url::form_urlencoded::byte_serialize(APP_A.redirect_uri.as_bytes()).collect::<String>()
    );
    let r = app.browse(&authorize_with(&app, "app-a", "https://app.example/request.jwt", &front)).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = url::Url::parse(&r.location().unwrap()).unwrap();
    assert!(location.as_str().starts_with(APP_A.redirect_uri), "{location}");
    let params: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(params.get("error").map(String::as_str), Some("request_uri_not_supported"), "{params:?}");
    assert_eq!(params.get("state").map(String::as_str), Some("s14"));
    assert_eq!(params.get("iss"), Some(&app.public_url), "RFC 9207");

    // No redirect URI, or an unregistered one: nothing is redirected.
    let bare = app.browse(&authorize_with(&app, "app-a", "https://app.example/request.jwt", "")).await;
    assert_eq!(bare.status, 400);
    let evil = app
        .browse(&authorize_with(
            &app,
            "app-a",
            "https://app.example/request.jwt",
            "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        ))
        .await;
    assert_eq!(evil.status, 400);
    // claimgate's own URN, unknown: the page naming invalid_request_uri.
    let forged = app.browse(&authorize_with(&app, "app-a", &format!("{URN}forged"), &front)).await;
    assert!(forged.status == 400 && forged.body.contains("invalid_request_uri"), "{}", forged.body);
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["request_uri_parameter_supported"], false);
}

/// Review point 10: a pushed request is stored as the validated
/// authorization request only (known parameters, each bounded), so a
/// pushed record is no larger than any other pre-login record (the memory
/// bound of docs/SECURITY.md), and pushes count towards `limits.max_pending`.
#[tokio::test]
async fn a_pushed_request_stores_only_the_validated_request_within_the_pending_cap() {
    let app = spawn_app_with(|c| {
        c.set("limits", "max_pending", 3);
    })
    .await;
    let junk: Vec<(String, String)> = (0..180).map(|i| (format!("junk{i}"), "x".repeat(60))).collect();
    let mut extra: Vec<(&str, &str)> = junk.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let long_state = "s".repeat(2000);
    extra.push(("login_hint", "jane.doe@example.com"));
    let (r, _) = push_with_state(&app, &long_state, &extra).await;
    request_uri(&r);
    let dump = app.store.dump().await;
    let (_, record) = dump.iter().find(|(k, _)| k.starts_with("par:")).expect("a pushed record");
    assert!(record.len() <= 3584, "a pushed record of {} bytes", record.len());
    // Pushed requests are pre-login records: the third fills the cap.
    request_uri(&push(&app, &[]).await.0);
    request_uri(&push(&app, &[]).await.0);
    let full = push(&app, &[]).await.0;
    assert_eq!(full.status, 503, "{}", full.body);
    assert!(app.state.metrics.render().contains("claimgate_limited_total{reason=\"pending_full\"} 1"));
}

/// [`push`] with this `state`.
async fn push_with_state(app: &TestApp, state: &str, extra: &[(&str, &str)]) -> (Resp, String) {
    let (verifier, challenge) = pkce_pair();
    let mut form = vec![
        ("response_type", "code"),
        ("client_id", "app-a"),
        ("redirect_uri", APP_A.redirect_uri),
        ("scope", "openid profile email"),
        ("state", state),
        ("nonce", "pushed-nonce"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    (app.post_form("/par", &form, Some(("app-a", "secret-a"))).await, verifier)
}
