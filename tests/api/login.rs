//! The whole flow, as an app and a browser see it.

use crate::helpers::*;

#[tokio::test]
async fn app_receives_only_the_allowed_claims_under_a_pairwise_subject() {
    let app = spawn_app().await;
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile email");
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["nonce"], "app-nonce-456");
    assert_eq!(id["name"], "Jane Doe");
    assert_eq!(id["email"], "jane.doe@example.com");
    assert_eq!(id["email_verified"], true);
    // claimgate's own URL for this app (tests/api/pictures.rs).
    assert!(id["picture"].as_str().unwrap().starts_with(&format!("{}/picture/", app.public_url)));
    let sub = id["sub"].as_str().unwrap();
    assert_ne!(sub, app.idp.upstream_subject());

    let allowed = [
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "at_hash",
        "sub",
        "name",
        "email",
        "email_verified",
        "picture",
    ];
    for key in id.as_object().unwrap().keys() {
        assert!(allowed.contains(&key.as_str()), "unexpected ID-token claim {key}");
    }

    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status, 200);
    let info = info.json();
    let mut keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["email", "email_verified", "name", "picture", "sub"]);
    assert_eq!(info["sub"], sub);
}

#[tokio::test]
async fn claimgate_asks_the_upstream_for_nothing_beyond_openid_email_profile() {
    let app = spawn_app().await;
    app.full_login(&APP_A, "openid profile email phone address").await;
    let scopes = app.idp.state.requested_scopes.lock().unwrap().clone();
    let mut requested: Vec<&str> = scopes[0].split(' ').collect();
    requested.sort();
    assert_eq!(requested, ["email", "openid", "profile"]);
}

#[tokio::test]
async fn second_app_uses_the_sso_session_and_gets_another_subject_and_fewer_claims() {
    let app = spawn_app().await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    assert_eq!(app.idp.logins(), 1);
    let b = app.full_login(&APP_B, "openid profile email").await;
    assert_eq!(app.idp.logins(), 1, "the second app's login must not go back upstream");

    let id_a = app.verify_id_token(a["id_token"].as_str().unwrap(), APP_A.id).await;
    let id_b = app.verify_id_token(b["id_token"].as_str().unwrap(), APP_B.id).await;
    assert_ne!(id_a["sub"], id_b["sub"], "two apps must not be able to correlate a user");
    assert_eq!(id_b["name"], "Jane Doe");
    assert!(id_b.get("email").is_none() && id_b.get("picture").is_none(), "app-b may see the name only: {id_b}");

    // The same app again gets the same subject.
    let a2 = app.full_login(&APP_A, "openid").await;
    let id_a2 = app.verify_id_token(a2["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id_a["sub"], id_a2["sub"]);
    assert!(id_a2.get("email").is_none(), "scope openid alone releases no profile claim");
}

#[tokio::test]
async fn prompt_login_goes_upstream_again_and_prompt_none_without_session_fails() {
    let app = spawn_app().await;
    match app.login(&APP_A, "openid", &[("prompt", "none")]).await {
        LoginEnd::App(p) => assert_eq!(p["error"], "login_required"),
        other => panic!("{other:?}"),
    }
    app.full_login(&APP_A, "openid").await;
    assert_eq!(app.idp.logins(), 1);
    let code = app.login(&APP_A, "openid", &[("prompt", "login")]).await.code();
    assert_eq!(app.idp.logins(), 2, "prompt=login must sign in upstream again");
    assert_eq!(app.redeem(&APP_A, &code, &[]).await.status, 200);
    app.login(&APP_A, "openid", &[("prompt", "none")]).await.code();
    assert_eq!(app.idp.logins(), 2);
    // An app the user has not seen the notice for cannot skip it.
    match app.login(&APP_B, "openid", &[("prompt", "none")]).await {
        LoginEnd::App(p) => assert_eq!(p["error"], "consent_required"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn profile_claims_only_in_userinfo_are_fetched_and_filtered() {
    let app = spawn_app().await;
    *app.idp.state.profile_in_id_token.lock().unwrap() = false;
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json();
    assert_eq!(info["email"], "jane.doe@example.com");
    assert_eq!(info["name"], "Jane Doe");
}

#[tokio::test]
async fn the_dev_provider_signs_in_the_sample_user_and_the_filter_drops_extras() {
    // The dev provider's default picture host: claimgate itself.
    let app = spawn_app_with(|c| {
        c.set("providers.idp", "kind", "dev");
        for key in ["issuer", "client_id", "client_secret", "picture_hosts"] {
            c.remove("providers.idp", key);
        }
    })
    .await;
    let page = match app.login(&APP_A, "openid profile email", &[]).await {
        LoginEnd::Page(200, body) => body,
        other => panic!("expected the dev sign-in page, got {other:?}"),
    };
    assert!(page.contains("phone_number"), "the dev page shows what the stand-in sends");
    let state = field_value(&page, "name=\"state\" value=\"").unwrap();
    let end = app.walk(&format!("/callback/idp?state={state}&code=dev-approved"), APP_A.redirect_uri).await;
    let r = app.redeem(&APP_A, &end.code(), &[]).await;
    let info = app.userinfo(r.json()["access_token"].as_str().unwrap()).await.json();
    assert_eq!(info["name"], "Sam Sample");
    assert!(info.get("phone_number").is_none() && info.get("birthdate").is_none());
    // The sample picture, served by the dev provider on loopback, proxied.
    let picture = info["picture"].as_str().unwrap();
    assert!(picture.starts_with(&format!("{}/picture/", app.public_url)), "{picture}");
    let image = reqwest::get(picture).await.unwrap();
    assert_eq!((image.status().as_u16(), image.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
}

#[tokio::test]
async fn the_notice_page_says_what_the_app_receives_from_the_policy() {
    let app = spawn_app_with(|c| {
        c.set("notice", "url", "https://example.com/privacy");
    })
    .await;
    let page = app.browse(&app.authorize_url(&APP_B, "openid profile email", &[])).await;
    assert!(is_notice(&page));
    assert!(
        page.body.contains("app-b will receive your name, and an identifier that is unique to it."),
        "{}",
        page.body
    );
    assert!(page.body.contains("claimgate keeps your name, your email address and your profile picture; nothing else"));
    assert!(page.body.contains("https://example.com/privacy"));
    assert!(!page.body.contains("<script"), "works without JavaScript");
    let page = app.browse(&app.authorize_url(&APP_A, "openid email", &[])).await;
    assert!(page.body.contains("app-a will receive your email address, and"), "scopes narrow the list: {}", page.body);
    // A used or forged ticket is refused.
    let forged = app.browse_post("/authorize/continue", &[("ticket", "forged"), ("provider", "idp")]).await;
    assert_eq!(forged.status, 400);
    let ticket = field_value(&page.body, "name=\"ticket\" value=\"").unwrap();
    assert_eq!(app.browse_post("/authorize/continue", &[("ticket", &ticket)]).await.status, 303);
    assert_eq!(app.browse_post("/authorize/continue", &[("ticket", &ticket)]).await.status, 400);
}
