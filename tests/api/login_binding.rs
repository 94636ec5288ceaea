//! Every login step is bound to the browser that began it, and an existing
//! session opens an app only within that app's policy (issue 10): login
//! CSRF at the upstream and forward-auth callbacks, bearer notice tickets,
//! provider lists, consent per set of claims, `prompt=login` / `max_age`,
//! erasure that a racing write cannot undo, and replayed codes.

use crate::helpers::*;
use std::time::Duration;

/// A client limited to the `corp` provider, whose rule the test user fails.
const INTERNAL: Client = Client { id: "internal", secret: Some("secret-i"), redirect_uri: "http://127.0.0.1:9/cb-i" };

/// Adds a `corp` provider (the dev provider, limited to a domain the test
/// user does not have), an OIDC client and a forward-auth client limited to
/// it, and limits app-a to the test IdP.
fn with_corp(c: &mut ConfigEdit) {
    c.set("providers.corp", "kind", "dev").set("providers.corp", "display_name", "Corp").set_list(
        "providers.corp",
        "allowed_email_domains",
        &["corp.example"],
    );
    c.set("clients.internal", "client_secret", "secret-i")
        .set_list("clients.internal", "redirect_uris", &["http://127.0.0.1:9/cb-i"])
        .set_list("clients.internal", "claims", &["email"])
        .set_list("clients.internal", "providers", &["corp"]);
    forward_auth_client(c, "wiki", "http://127.0.0.1:18571", &["email"]);
    c.set_list("clients.wiki", "providers", &["corp"]);
    c.set_list("clients.app-a", "providers", &["idp"]);
}

fn wiki_config(c: &mut ConfigEdit) {
    forward_auth_client(c, "wiki", "http://127.0.0.1:18570", &["email"]);
}

fn sets_cookie(r: &Resp, name: &str) -> bool {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
}

fn issued_code(r: &Resp) -> bool {
    r.location().is_some_and(|l| l.contains("code="))
}

#[tokio::test]
async fn an_upstream_callback_finished_in_another_browser_gets_no_session() {
    let app = spawn_app().await;
    // The attacker starts a login and stops before the callback.
    let upstream = app.authorize_to_upstream(&app.authorize_url(&APP_A, "openid email", &[])).await;
    let callback = app.browse(&upstream).await.location().expect("the IdP answers with a redirect");
    assert!(callback.contains("/callback/idp?"), "{callback}");
    // The victim's browser, which never started a login, is sent there.
    let victim = app.other_browser();
    let r = app.browse_in(&victim, &callback).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("another browser"), "{}", r.body);
    assert!(!issued_code(&r) && !sets_cookie(&r, "claimgate-session"), "{:?}", r.headers);
    assert!(app.browse_in(&victim, "/me").await.body.contains("not signed in"));
    assert!(logs().contains("reason=\"browser_mismatch\""));
}

#[tokio::test]
async fn a_forward_auth_callback_finished_in_another_browser_sets_no_cookie() {
    let app = spawn_app_with(wiki_config).await;
    let start = format!("/auth/start?client=wiki&rd={}", "http%3A%2F%2F127.0.0.1%3A18570%2Fx");
    let fa_callback = format!("{}/auth/callback", app.base);
    let victim = app.other_browser();
    // Twice: through the upstream, then silently from the attacker's own session.
    for round in ["after an upstream login", "from an existing session"] {
        let LoginEnd::App(params) = app.walk(&start, &fa_callback).await else { panic!("{round}: no callback") };
        let url = format!("{fa_callback}?code={}&state={}", params["code"], params["state"]);
        let r = app.browse_in(&victim, &url).await;
        assert_eq!(r.status, 400, "{round}: {}", r.body);
        assert!(!sets_cookie(&r, "claimgate-fa-wiki"), "{round}: {:?}", r.headers);
    }
}

#[tokio::test]
async fn a_notice_ticket_from_another_browser_issues_no_code() {
    let app = spawn_app().await;
    app.full_login(&APP_A, "openid profile email").await;
    // The attacker gets a ticket without any cookie of the victim...
    let attacker = app.other_browser();
    let notice = app.browse_in(&attacker, &app.authorize_url(&APP_B, "openid profile", &[])).await;
    assert!(is_notice(&notice));
    let ticket = field_value(&notice.body, "name=\"ticket\" value=\"").unwrap();
    // ...and makes the signed-in victim's browser post it.
    let r = app.browse_post("/authorize/continue", &[("ticket", &ticket)]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!issued_code(&r), "{:?}", r.location());
}

#[tokio::test]
async fn a_session_from_another_provider_does_not_open_a_client_limited_to_corp() {
    let app = spawn_app_with(with_corp).await;
    app.full_login(&APP_A, "openid profile email").await;

    // OIDC client: interactive goes to an allowed provider, silent fails.
    match app.login(&INTERNAL, "openid email", &[]).await {
        LoginEnd::Page(200, body) => assert!(body.contains("Sign in as the sample user"), "{body}"),
        other => panic!("the idp session must not open a corp-only client: {other:?}"),
    }
    match app.login(&INTERNAL, "openid email", &[("prompt", "none")]).await {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("login_required"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    // Forward-auth client: sign-in goes upstream, /auth stays closed.
    let start = format!("/auth/start?client=wiki&rd={}", "http%3A%2F%2F127.0.0.1%3A18571%2Fx");
    match app.walk(&start, "http://127.0.0.1:18571").await {
        LoginEnd::Page(200, body) => assert!(body.contains("Sign in as the sample user"), "{body}"),
        other => panic!("the idp session must not open a corp-only forward-auth client: {other:?}"),
    }
    assert_eq!(app.browse("/auth?client=wiki").await.status, 401);
    // The session still serves the client it is allowed for.
    assert!(app.login(&APP_A, "openid", &[("prompt", "none")]).await.code().len() > 20);
}

#[tokio::test]
async fn a_wider_scope_asks_again() {
    let app = spawn_app().await;
    app.full_login(&APP_A, "openid").await;
    match app.login(&APP_A, "openid profile email", &[("prompt", "none")]).await {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("consent_required"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    assert!(is_notice(&app.browse(&app.authorize_url(&APP_A, "openid profile email", &[])).await));
    // What was consented to stays silent; so does the wider set once consented.
    app.login(&APP_A, "openid", &[("prompt", "none")]).await.code();
    app.full_login(&APP_A, "openid profile email").await;
    app.login(&APP_A, "openid email", &[("prompt", "none")]).await.code();
}

#[tokio::test]
async fn prompt_login_and_max_age_reach_the_upstream_and_auth_time_is_the_upstreams() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    *app.idp.state.auth_age.lock().unwrap() = Some(1000);
    let tokens = app.full_login(&APP_A, "openid").await;
    let claims = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!((auth_time - (now - 1000)).abs() < 30, "auth_time is the upstream's sign-in, not the broker's: {claims}");

    // The session is 1000 s old: max_age=600 must not reuse it.
    match app.login(&APP_A, "openid", &[("max_age", "600"), ("prompt", "none")]).await {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("login_required"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    *app.idp.state.auth_age.lock().unwrap() = Some(5);
    let before = app.idp.logins();
    let end = app.login(&APP_A, "openid", &[("max_age", "600")]).await;
    assert_eq!(app.idp.logins(), before + 1, "a fresh upstream sign-in");
    assert_eq!(app.idp.last_authorize_request().get("max_age").map(String::as_str), Some("600"));
    let t = app.redeem(&APP_A, &end.code(), &[]).await.json();
    let claims = app.verify_id_token(t["id_token"].as_str().unwrap(), APP_A.id).await;
    assert!(claims["auth_time"].as_i64().unwrap() >= now - 30, "{claims}");

    // prompt=login always signs in upstream again, and says so upstream.
    let before = app.idp.logins();
    app.login(&APP_A, "openid", &[("prompt", "login")]).await.code();
    assert_eq!(app.idp.logins(), before + 1);
    assert_eq!(app.idp.last_authorize_request().get("prompt").map(String::as_str), Some("login"));

    // OIDC Core §3.1.2.1: none with any other value is an error.
    match app.login(&APP_A, "openid", &[("prompt", "none login")]).await {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("invalid_request"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    match app.login(&APP_A, "openid", &[("max_age", "soon")]).await {
        LoginEnd::App(p) => assert_eq!(p.get("error").map(String::as_str), Some("invalid_request"), "{p:?}"),
        other => panic!("{other:?}"),
    }
}

async fn a_racing_write_cannot_undo_an_erasure(store: Option<TestStore>) {
    let app = spawn(Options { store, ..Options::default() }).await;
    let end = app.login(&APP_A, "openid profile email", &[]).await;
    let records = &app.state.records;
    // A token request has read the session...
    let code =
        records.take_code(&claimgate::store::records::Code::presented(end.code())).await.unwrap().expect("the code");
    let session = records.get_session(&code.session).await.unwrap().expect("the session");
    // ...the user erases their data...
    records.erase_user(&session.user_key).await.unwrap();
    // ...and the request writes the session back (activity, disclosures).
    let _ = records.update_session(&code.session, &session, Duration::from_secs(600)).await;
    assert!(records.get_session(&code.session).await.unwrap().is_none(), "the erased session came back");
    assert!(app.browse("/me").await.body.contains("not signed in"));
    assert!(app.store.dump().await.iter().all(|(k, _)| !k.starts_with("session:")));
    app.store.cleanup().await;
}

#[tokio::test]
async fn a_racing_write_cannot_undo_an_erasure_on_memory() {
    a_racing_write_cannot_undo_an_erasure(None).await;
}

#[tokio::test]
async fn a_racing_write_cannot_undo_an_erasure_on_redis() {
    a_racing_write_cannot_undo_an_erasure(Some(TestStore::redis())).await;
}

async fn erasure_on_me_leaves_no_key(store: Option<TestStore>) {
    let app = spawn(Options { store, ..Options::default() }).await;
    app.full_login(&APP_A, "openid profile email").await;
    app.full_login(&APP_B, "openid profile").await;
    let me = app.browse("/me").await;
    let csrf = field_value(&me.body, "name=\"csrf\" value=\"").unwrap();
    assert_eq!(app.browse_post("/me/erase", &[("csrf", &csrf)]).await.status, 200);
    let left: Vec<String> = app.store.dump().await.into_iter().map(|(k, _)| k).collect();
    assert!(left.is_empty(), "keys left after erasure: {left:?}");
    app.store.cleanup().await;
}

#[tokio::test]
async fn erasure_on_me_leaves_no_key_on_memory() {
    erasure_on_me_leaves_no_key(None).await;
}

#[tokio::test]
async fn erasure_on_me_leaves_no_key_on_redis() {
    erasure_on_me_leaves_no_key(Some(TestStore::redis())).await;
}

async fn a_replayed_code_revokes_its_tokens(store: Option<TestStore>) {
    let app = spawn(Options { store, ..Options::default() }).await;
    let code = app.login(&APP_A, "openid profile", &[]).await.code();
    let first = app.redeem(&APP_A, &code, &[]).await;
    assert_eq!(first.status, 200);
    let access = first.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&access).await.status, 200);
    let replay = app.redeem(&APP_A, &code, &[]).await;
    assert_eq!((replay.status, replay.json()["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(app.userinfo(&access).await.status, 401, "RFC 6749 §4.1.2: the replay revokes what the code issued");
    assert!(logs().contains("reason=\"code_replayed\""));
    app.store.cleanup().await;
}

#[tokio::test]
async fn a_replayed_code_revokes_its_tokens_on_memory() {
    a_replayed_code_revokes_its_tokens(None).await;
}

#[tokio::test]
async fn a_replayed_code_revokes_its_tokens_on_redis() {
    a_replayed_code_revokes_its_tokens(Some(TestStore::redis())).await;
}
