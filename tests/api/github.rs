//! The GitHub provider against a local fake of GitHub's OAuth and REST API.

use crate::helpers::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quirk {
    None,
    NoName,
    PrimaryUnverified,
    NoEmails,
    TokenError,
    StateMismatch,
}

struct Fake {
    /// Where the fake serves (GitHub Enterprise: avatars on its own host).
    base: String,
    marker: String,
    quirk: Mutex<Quirk>,
    challenges: Mutex<HashMap<String, String>>,
}

async fn spawn_fake() -> (String, Arc<Fake>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let fake = Arc::new(Fake {
        base: base.clone(),
        marker: format!("GHMARK{}", &claimgate::store::records::random_handle()[..10].replace(['-', '_'], "y")),
        quirk: Mutex::new(Quirk::None),
        challenges: Mutex::new(HashMap::new()),
    });
    let data = web::Data::from(fake.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/login/oauth/authorize", web::get().to(authorize))
            .route("/login/oauth/access_token", web::post().to(token))
            .route("/user", web::get().to(user))
            .route("/user/emails", web::get().to(emails))
            .route("/avatars/u/{id}", web::get().to(avatar))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (base, fake)
}

async fn avatar() -> HttpResponse {
    HttpResponse::Ok().content_type("image/jpeg").body(crate::pictures_upstream::jpeg(40, 40))
}

async fn authorize(f: web::Data<Fake>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    assert_eq!(q.get("client_id").map(String::as_str), Some("gh-client"));
    assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"));
    let mut scopes: Vec<&str> = q["scope"].split(' ').collect();
    scopes.sort();
    assert_eq!(scopes, ["read:user", "user:email"], "read-only profile and addresses, nothing more");
    let code = format!("ghcode-{}-{}", f.marker, claimgate::store::records::random_handle());
    f.challenges.lock().unwrap().insert(code.clone(), q["code_challenge"].clone());
    let mut state = q["state"].clone();
    if *f.quirk.lock().unwrap() == Quirk::StateMismatch {
        state.push('x');
    }
    let mut url = url::Url::parse(&q["redirect_uri"]).unwrap();
    url.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
    HttpResponse::Found().insert_header(("Location", url.to_string())).finish()
}

async fn token(f: web::Data<Fake>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    if *f.quirk.lock().unwrap() == Quirk::TokenError {
        return HttpResponse::Ok().json(json!({"error": "bad_verification_code", "error_description": f.marker}));
    }
    if form.get("client_secret").map(String::as_str) != Some("gh-secret") {
        return HttpResponse::Unauthorized().json(json!({"error": "incorrect_client_credentials"}));
    }
    let challenge = f.challenges.lock().unwrap().remove(form.get("code").map(String::as_str).unwrap_or_default());
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if challenge != Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))) {
        return HttpResponse::Ok().json(json!({"error": "bad_verification_code"}));
    }
    HttpResponse::Ok().json(
        json!({"access_token": format!("gho_{}", f.marker), "token_type": "bearer", "scope": "read:user,user:email"}),
    )
}

fn authorized(req: &HttpRequest, f: &Fake) -> bool {
    req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer gho_{}", f.marker))
}

async fn user(req: HttpRequest, f: web::Data<Fake>) -> HttpResponse {
    if !authorized(&req, &f) {
        return HttpResponse::Unauthorized().finish();
    }
    let m = &f.marker;
    let name = if *f.quirk.lock().unwrap() == Quirk::NoName { json!(null) } else { json!("The Octocat") };
    HttpResponse::Ok().json(json!({
        "login": "octocat", "id": 583231, "node_id": format!("MDQ6{m}"), "name": name,
        "avatar_url": format!("{}/avatars/u/583231?v=4", f.base),
        "html_url": "https://github.com/octocat", "company": format!("@{m}"), "blog": format!("https://{m}.example"),
        "location": format!("{m} City"), "email": null, "hireable": null, "bio": format!("bio {m}"),
        "twitter_username": null, "public_repos": 8, "followers": 1, "following": 9, "created_at": "2011-01-25T18:44:36Z"
    }))
}

async fn emails(req: HttpRequest, f: web::Data<Fake>) -> HttpResponse {
    if !authorized(&req, &f) {
        return HttpResponse::Unauthorized().finish();
    }
    let quirk = *f.quirk.lock().unwrap();
    if quirk == Quirk::NoEmails {
        return HttpResponse::Ok().json(json!([]));
    }
    HttpResponse::Ok().json(json!([
        {"email": format!("other-{}@example.com", f.marker), "primary": false, "verified": true, "visibility": null},
        {"email": "octocat@github.example", "primary": true, "verified": quirk != Quirk::PrimaryUnverified, "visibility": "public"}
    ]))
}

/// `[providers.gh]`: GitHub at the fake's address.
fn with_github(c: &mut ConfigEdit, base: &str) {
    c.set("providers.gh", "kind", "github")
        .set("providers.gh", "client_id", "gh-client")
        .set("providers.gh", "client_secret", "gh-secret")
        .set("providers.gh", "web_url", base)
        .set("providers.gh", "api_url", base);
}

async fn spawn_with_github(allow_unverified_email: bool) -> (TestApp, Arc<Fake>) {
    let (base, fake) = spawn_fake().await;
    let app = spawn_app_with(move |c| {
        with_github(c, &base);
        if allow_unverified_email {
            c.set("providers.gh", "allow_unverified_email", true);
        }
    })
    .await;
    (app, fake)
}

#[tokio::test]
async fn github_sign_in_gives_the_same_minimal_claims() {
    let (app, fake) = spawn_with_github(false).await;
    let (verifier, challenge) = pkce_pair();
    let end = app
        .login(
            &APP_A,
            "openid profile email",
            &[("provider", "gh"), ("code_challenge", &challenge), ("code_challenge_method", "S256")],
        )
        .await;
    let tokens = app.redeem(&APP_A, &end.code(), &[("code_verifier", &verifier)]).await.json();
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["name"], "The Octocat");
    assert_eq!(id["email"], "octocat@github.example");
    assert_eq!(id["email_verified"], true);
    // Proxied: GitHub Enterprise's avatars come from its own host (the
    // default picture_hosts), and the app gets claimgate's URL.
    let picture = id["picture"].as_str().unwrap();
    assert!(picture.starts_with(&format!("{}/picture/", app.public_url)), "{picture}");
    assert!(!picture.contains("583231"), "nothing of GitHub's avatar URL (the account id) reaches the app");
    let image = reqwest::get(picture).await.unwrap();
    assert_eq!((image.status().as_u16(), image.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    assert_ne!(id["sub"], "583231");
    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json();
    let mut keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["email", "email_verified", "name", "picture", "sub"]);
    // Nothing GitHub-specific leaks: not the token, not the dropped fields.
    let seen = app.seen.lock().unwrap().join("\n");
    for text in [&seen, &logs(), &app.store_dump().await] {
        assert!(!contains_encoded(text, &fake.marker));
    }
}

#[tokio::test]
async fn github_name_falls_back_to_login() {
    let (app, fake) = spawn_with_github(false).await;
    *fake.quirk.lock().unwrap() = Quirk::NoName;
    let code = app.login(&APP_A, "openid profile", &[("provider", "gh")]).await.code();
    let tokens = app.redeem(&APP_A, &code, &[]).await.json();
    assert_eq!(app.userinfo(tokens["access_token"].as_str().unwrap()).await.json()["name"], "octocat");
}

async fn refused(quirk: Quirk, reason: &str) {
    let (app, fake) = spawn_with_github(false).await;
    *fake.quirk.lock().unwrap() = quirk;
    match app.login(&APP_A, "openid email", &[("provider", "gh")]).await {
        LoginEnd::Page(status, body) => {
            assert!(status >= 400, "{quirk:?}");
            assert!(!body.contains(&fake.marker));
        }
        other => panic!("{quirk:?} not refused: {other:?}"),
    }
    assert!(logs().lines().any(|l| l.contains("provider=gh") && l.contains(reason)), "{quirk:?}: {reason} not logged");
}

#[tokio::test]
async fn github_without_a_verified_primary_address_is_refused() {
    refused(Quirk::PrimaryUnverified, "unverified_email").await;
}

#[tokio::test]
async fn github_without_any_address_is_refused() {
    refused(Quirk::NoEmails, "missing_email").await;
}

#[tokio::test]
async fn github_state_mismatch_is_refused() {
    refused(Quirk::StateMismatch, "unknown_state").await;
}

#[tokio::test]
async fn github_token_error_is_refused() {
    refused(Quirk::TokenError, "token_endpoint_error").await;
}

#[tokio::test]
async fn github_unverified_primary_is_accepted_where_configured() {
    let (app, fake) = spawn_with_github(true).await;
    *fake.quirk.lock().unwrap() = Quirk::PrimaryUnverified;
    let code = app.login(&APP_A, "openid email", &[("provider", "gh")]).await.code();
    let tokens = app.redeem(&APP_A, &code, &[]).await.json();
    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json();
    assert_eq!(
        (info["email"].as_str(), info["email_verified"].as_bool()),
        (Some("octocat@github.example"), Some(false))
    );
}

#[tokio::test]
async fn one_page_offers_every_provider_and_both_give_the_same_claim_set() {
    let (app, _fake) = spawn_with_github(false).await;
    let page = app.browse(&app.authorize_url(&APP_A, "openid profile email", &[])).await;
    assert!(page.body.contains("Continue with GitHub") && page.body.contains("value=\"idp\""), "{}", page.body);
    let gh = app.login(&APP_A, "openid profile email", &[("provider", "gh")]).await.code();
    let gh = app.redeem(&APP_A, &gh, &[]).await.json();
    let other = spawn_app().await;
    let idp = other.full_login(&APP_A, "openid profile email").await;
    let keys = |v: serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let a = keys(app.userinfo(gh["access_token"].as_str().unwrap()).await.json());
    let b = keys(other.userinfo(idp["access_token"].as_str().unwrap()).await.json());
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_client_offers_only_its_own_providers() {
    let (base, _fake) = spawn_fake().await;
    let app = spawn_app_with(move |c| {
        with_github(c, &base);
        c.set_list("clients.app-b", "providers", &["gh"]);
    })
    .await;
    let page = app.browse(&app.authorize_url(&APP_B, "openid profile", &[])).await;
    assert!(page.body.contains("value=\"gh\"") && !page.body.contains("value=\"idp\""), "{}", page.body);
    match app.login(&APP_B, "openid", &[("provider", "idp")]).await {
        LoginEnd::App(p) => assert_eq!(p["error"], "invalid_request"),
        other => panic!("{other:?}"),
    }
    // A forged continue for a provider the client does not allow is refused.
    let ticket = field_value(&page.body, "name=\"ticket\" value=\"").unwrap();
    let r = app.browse_post("/authorize/continue", &[("ticket", &ticket), ("provider", "idp")]).await;
    assert!(r.location().is_some_and(|l| l.starts_with(APP_B.redirect_uri) && l.contains("error=invalid_request")));
    // app-a still has both.
    let page = app.browse(&app.authorize_url(&APP_A, "openid", &[])).await;
    assert!(page.body.contains("value=\"gh\"") && page.body.contains("value=\"idp\""));
}
