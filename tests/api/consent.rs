//! Consent as the source of truth for every release (issue 23): what an
//! app receives is its configured claims ∩ what the user agreed to ∩ what
//! the request asks; the user chooses optional claims, the choice is
//! remembered, shown on /me, withdrawn there and exported.

use crate::helpers::*;
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// app-a receives only `claims`, with refresh tokens; a forward-auth
/// client `wiki` receives `wiki_claims`.
fn narrow(claims: &'static [&'static str], wiki_claims: &'static [&'static str]) -> impl FnOnce(&mut ConfigEdit) {
    move |c| {
        c.set("clients.wiki", "mode", "forward-auth")
            .set_list("clients.wiki", "return_origins", &["http://wiki.example"])
            .set_list("clients.wiki", "claims", wiki_claims);
        c.set("clients.app-a", "refresh_tokens", true).set_list("clients.app-a", "claims", claims);
    }
}

/// Point 1, the regression: an operator widens a client's claims and
/// restarts (here: a second instance on the same Redis with the wider
/// config). Nothing new is released, by refresh or by forward-auth, until
/// the user consents.
#[tokio::test]
async fn widening_a_clients_claims_releases_nothing_new_without_consent() {
    let store = TestStore::redis();
    let before = spawn(Options {
        store: Some(store.clone()),
        edit: Some(Box::new(narrow(&["name"], &["name"]))),
        ..Options::default()
    })
    .await;
    let tokens = before.full_login(&APP_A, "openid profile email offline_access").await;
    let id = before.verify_id_token(s(&tokens, "id_token"), "app-a").await;
    assert!(id.get("email").is_none(), "{id}");
    // Forward-auth sign-in for the wiki, whose cookie is then used at the wider instance.
    let callback = format!("{}/auth/callback", before.base);
    let LoginEnd::App(p) = before.walk("/auth/start?client=wiki&rd=http://wiki.example/x", &callback).await else {
        panic!("no forward-auth callback")
    };
    let done = before.browse(&format!("{callback}?code={}&state={}", p["code"], p["state"])).await;
    let cookie = done.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    let wider = spawn(Options {
        store: Some(store.clone()),
        behind: Some((before.public_url.clone(), before.idp.clone())),
        edit: Some(Box::new(narrow(&["name", "email"], &["name", "email"]))),
        ..Options::default()
    })
    .await;
    let refreshed = wider.refresh(&APP_A, s(&tokens, "refresh_token"), &[]).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let refreshed = refreshed.json();
    let id = wider.verify_id_token(s(&refreshed, "id_token"), "app-a").await;
    assert!(id.get("email").is_none(), "the refreshed ID token carries no email: {id}");
    let info = wider.userinfo(s(&refreshed, "access_token")).await.json();
    assert!(info.get("email").is_none() && info["name"] == "Jane Doe", "{info}");
    let auth = wider.browse_with_header("/auth?client=wiki", "cookie", &cookie).await;
    assert_eq!(auth.status, 200);
    assert_eq!(auth.headers["x-auth-request-email"], "", "no email header");
    assert_eq!(auth.headers["x-auth-request-user"], "Jane Doe");

    // The user's browser now reaches the wider instance: the user is asked
    // on the next interactive sign-in; then it is released.
    *before.route_to.lock().unwrap() = Some(wider.base.clone());
    let silent = before.login(&APP_A, "openid profile email", &[("prompt", "none")]).await;
    let LoginEnd::App(p) = silent else { panic!("{silent:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("consent_required"), "{p:?}");
    let (verifier, challenge) = pkce_pair();
    let pkce = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let code = before.login(&APP_A, "openid profile email", &pkce).await.code();
    let t = wider.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await.json();
    let id = wider.verify_id_token(s(&t, "id_token"), "app-a").await;
    assert_eq!(id["email"], "jane.doe@example.com", "released once consented");
    store.cleanup().await;
}

/// app-a receives name, email and picture, the picture optional.
pub(crate) fn picture_optional(c: &mut ConfigEdit) {
    c.set_list("clients.app-a", "optional_claims", &["picture"]);
}

/// A login of app-a in `browser` that stops at the first notice page
/// showing checkboxes (after the upstream sign-in when there is no
/// session); returns that page.
async fn to_choices(app: &TestApp, browser: &reqwest::Client, extra: &[(&str, &str)]) -> Resp {
    to_choices_for(app, browser, "openid profile email", extra).await
}

/// [`to_choices`] with this scope.
pub(crate) async fn to_choices_for(
    app: &TestApp,
    browser: &reqwest::Client,
    scope: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let mut r = app.browse_in(browser, &app.authorize_url(&APP_A, scope, extra)).await;
    for _ in 0..6 {
        if is_notice(&r) && !offered_claims(&r.body).is_empty() {
            return r;
        }
        if is_notice(&r) {
            r = app.press_continue_in(browser, &r.body).await;
        }
        let next = r.location().unwrap_or_else(|| panic!("stuck at {}: {}", r.status, r.body));
        assert!(!next.starts_with(APP_A.redirect_uri), "back at the app without a choice: {next}");
        r = app.browse_in(browser, &next).await;
    }
    panic!("no notice with choices");
}

/// Posts the notice with `ticked` and follows to the app; returns the tokens.
pub(crate) async fn choose(app: &TestApp, browser: &reqwest::Client, notice: &Resp, ticked: &[&str]) -> Value {
    let ticket = field_value(&notice.body, "name=\"ticket\" value=\"").unwrap();
    let mut form = vec![("ticket", ticket.as_str())];
    form.extend(ticked.iter().map(|c| ("claim", *c)));
    let r = app.post_in(browser, "/authorize/continue", &form).await;
    let location = r.location().unwrap_or_else(|| panic!("{}: {}", r.status, r.body));
    let params: std::collections::HashMap<String, String> =
        url::Url::parse(&location).unwrap().query_pairs().into_owned().collect();
    let r = app.redeem(&APP_A, &params["code"], &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn id_claims(app: &TestApp, tokens: &Value) -> Value {
    app.verify_id_token(s(tokens, "id_token"), "app-a").await
}

/// Point 2: an optional claim is a checkbox, unticked by default; unticked,
/// it is simply absent; ticked, it is released; the next notice shows the
/// user's choice.
#[tokio::test]
async fn an_optional_claim_is_a_checkbox_unticked_by_default() {
    let app = spawn_app_with(picture_optional).await;
    let browser = app.other_browser();
    // Before the upstream sign-in the user is unknown: the notice says the
    // picture is optional and chosen after signing in.
    let first = app.browse_in(&browser, &app.authorize_url(&APP_A, "openid profile email", &[])).await;
    assert!(is_notice(&first) && offered_claims(&first.body).is_empty(), "{}", first.body);
    assert!(first.body.contains("which you may decline"), "{}", first.body);
    let notice = to_choices(&app, &browser, &[]).await;
    assert_eq!(offered_claims(&notice.body), vec!["picture"]);
    assert!(ticked_claims(&notice.body).is_empty(), "unticked by default");
    assert!(notice.body.contains("<input type=\"checkbox\" name=\"claim\" value=\"picture\""), "{}", notice.body);
    let tokens = choose(&app, &browser, &notice, &[]).await;
    let id = id_claims(&app, &tokens).await;
    assert!(id.get("picture").is_none() && id["name"] == "Jane Doe" && id["email"] == "jane.doe@example.com", "{id}");
    let info = app.userinfo(s(&tokens, "access_token")).await.json();
    assert!(info.get("picture").is_none(), "{info}");

    // A silent sign-in is answered from the decision: still no picture.
    let silent = app
        .walk_in(
            &browser,
            &app.authorize_url(&APP_A, "openid profile email", &[("prompt", "none")]),
            APP_A.redirect_uri,
        )
        .await;
    let tokens = app.redeem(&APP_A, &silent.code(), &[]).await.json();
    assert!(id_claims(&app, &tokens).await.get("picture").is_none());

    // prompt=consent shows the choice again; ticked, the picture is released.
    let again = to_choices(&app, &browser, &[("prompt", "consent")]).await;
    assert!(ticked_claims(&again.body).is_empty(), "declined stays unticked");
    let tokens = choose(&app, &browser, &again, &["picture"]).await;
    assert!(id_claims(&app, &tokens).await["picture"].as_str().is_some_and(|p| p.contains("/picture/")));
    let once_more = to_choices(&app, &browser, &[("prompt", "consent")]).await;
    assert_eq!(ticked_claims(&once_more.body), vec!["picture"], "preticked: the user ticked it before");
}

/// Point 3: the decision outlives the SSO session: a new sign-in in another
/// browser (upstream again) asks nothing more and releases what was chosen;
/// `prompt=none` is answered from it; with `consent_secs = 0` it ends with
/// the session.
#[tokio::test]
async fn consent_is_remembered_across_sessions() {
    let app = spawn_app_with(picture_optional).await;
    let first = app.other_browser();
    let notice = to_choices(&app, &first, &[]).await;
    choose(&app, &first, &notice, &["picture"]).await;
    // Another browser: no session, so the upstream sign-in; no choice asked.
    let second = app.other_browser();
    let end = app.walk_in(&second, &app.authorize_url(&APP_A, "openid profile email", &[]), APP_A.redirect_uri).await;
    let tokens = app.redeem(&APP_A, &end.code(), &[]).await.json();
    assert!(id_claims(&app, &tokens).await.get("picture").is_some(), "the remembered choice applies");
    assert_eq!(app.idp.logins(), 2);

    // A request asking more than was consented (a scope never asked) is
    // answered consent_required to prompt=none.
    let app = spawn_app_with(|c| {
        picture_optional(c);
        c.set("lifetimes", "consent_secs", 0);
    })
    .await;
    let first = app.other_browser();
    app.walk_in(&first, &app.authorize_url(&APP_A, "openid profile", &[]), APP_A.redirect_uri).await;
    let wider = app
        .walk_in(&first, &app.authorize_url(&APP_A, "openid profile email", &[("prompt", "none")]), APP_A.redirect_uri)
        .await;
    let LoginEnd::App(p) = wider else { panic!("{wider:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("consent_required"));
    // consent_secs = 0: a new session (another browser) asks again.
    let second = app.other_browser();
    let notice = to_choices(&app, &second, &[]).await;
    assert!(ticked_claims(&notice.body).is_empty());
}

/// Point 4: the notice's version and revision date are shown; a consent
/// given under another version counts as none. Two instances share a Redis:
/// the second runs the next version of the notice.
#[tokio::test]
async fn a_new_notice_version_asks_again() {
    let store = TestStore::redis();
    let v1 = |c: &mut ConfigEdit| {
        picture_optional(c);
        c.set("notice", "revised", "2026-12-01");
    };
    let a = spawn(Options { store: Some(store.clone()), edit: Some(Box::new(v1)), ..Options::default() }).await;
    let notice = to_choices(&a, &a.other_browser(), &[]).await;
    assert!(notice.body.contains("Notice version test-1, revised 2026-12-01"), "{}", notice.body);
    let browser = a.other_browser();
    let notice = to_choices(&a, &browser, &[]).await;
    choose(&a, &browser, &notice, &["picture"]).await;
    let doc = a.browse("/.well-known/claimgate-disclosure").await.json();
    assert_eq!(
        (doc["notice"]["version"].as_str(), doc["notice"]["revised"].as_str()),
        (Some("test-1"), Some("2026-12-01"))
    );

    let v2 = |c: &mut ConfigEdit| {
        picture_optional(c);
        c.set("notice", "version", "test-2");
    };
    let b = spawn(Options {
        store: Some(store.clone()),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        edit: Some(Box::new(v2)),
        ..Options::default()
    })
    .await;
    *a.route_to.lock().unwrap() = Some(b.base.clone());
    let silent = a
        .walk_in(&browser, &a.authorize_url(&APP_A, "openid profile email", &[("prompt", "none")]), APP_A.redirect_uri)
        .await;
    let LoginEnd::App(p) = silent else { panic!("{silent:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("consent_required"), "{p:?}");
    let asked = a.browse_in(&browser, &a.authorize_url(&APP_A, "openid profile email", &[])).await;
    assert!(is_notice(&asked) && asked.body.contains("Notice version test-2"), "{}", asked.body);
    assert!(ticked_claims(&asked.body).is_empty(), "the old choice does not count");
    store.cleanup().await;
}

/// Point 7: the `claims` parameter (OIDC Core §5.5) asks per target,
/// beside the scopes, never past configured ∩ consented; `essential`
/// brings a declined optional claim back to the notice.
#[tokio::test]
async fn the_claims_parameter_asks_for_claims_per_target_within_consent() {
    let app = spawn_app_with(picture_optional).await;
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["claims_parameter_supported"], true);
    // Scope openid only; email asked for userinfo alone.
    let claims = r#"{"userinfo":{"email":null,"phone_number":null}}"#;
    let t = {
        let (verifier, challenge) = pkce_pair();
        let extra = [("claims", claims), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
        let code = app.login(&APP_A, "openid", &extra).await.code();
        app.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await.json()
    };
    let id = id_claims(&app, &t).await;
    assert!(id.get("email").is_none() && id.get("name").is_none(), "nothing for the ID token: {id}");
    let info = app.userinfo(s(&t, "access_token")).await.json();
    assert_eq!(info["email"], "jane.doe@example.com", "{info}");
    assert!(info.get("phone_number").is_none() && info.get("name").is_none(), "{info}");

    // Beyond the client's configured claims: app-b receives only name.
    let end = app.login(&APP_B, "openid", &[("claims", r#"{"id_token":{"email":{"essential":true}}}"#)]).await;
    let t = app.redeem(&APP_B, &end.code(), &[]).await.json();
    assert!(app.verify_id_token(s(&t, "id_token"), "app-b").await.get("email").is_none());

    // A declined optional claim asked as essential: the notice asks again.
    let browser = app.other_browser();
    let notice = to_choices(&app, &browser, &[]).await;
    choose(&app, &browser, &notice, &[]).await;
    let essential = [("claims", r#"{"id_token":{"picture":{"essential":true}}}"#)];
    let silent = app
        .walk_in(
            &browser,
            &app.authorize_url(&APP_A, "openid profile email", &[essential[0], ("prompt", "none")]),
            APP_A.redirect_uri,
        )
        .await;
    let LoginEnd::App(p) = silent else { panic!("{silent:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("consent_required"));
    let asked = to_choices(&app, &browser, &essential).await;
    assert!(asked.body.contains("says it needs this"), "{}", asked.body);
    // Declined again: the sign-in goes on without it.
    let t = choose(&app, &browser, &asked, &[]).await;
    assert!(id_claims(&app, &t).await.get("picture").is_none());

    let bad = app.login(&APP_A, "openid", &[("claims", "[1,2]")]).await;
    let LoginEnd::App(p) = bad else { panic!("{bad:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("invalid_request"));
}

/// Point 5: /me shows what each app receives, which claims were optional,
/// when and under which notice version; withdrawing one optional claim or
/// the whole app ends the app's tokens, cookies and picture link, and
/// queues its back-channel logout.
#[tokio::test]
async fn me_shows_consents_and_withdraws_a_claim_or_an_app() {
    let app = spawn_app_with(|c| {
        picture_optional(c);
        c.set("clients.app-a", "refresh_tokens", true).set(
            "clients.app-a",
            "backchannel_logout_uri",
            "http://127.0.0.1:9/bcl",
        );
    })
    .await;
    let browser = app.other_browser();
    let notice = to_choices_for(&app, &browser, "openid profile email offline_access", &[]).await;
    let tokens = choose(&app, &browser, &notice, &["picture"]).await;
    let picture = id_claims(&app, &tokens).await["picture"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&picture).await.unwrap().status(), 200);

    let me = app.browse_in(&browser, "/me").await.body;
    assert!(me.contains("What you agreed to share") && me.contains("under notice version test-1"), "{me}");
    assert!(me.contains("Receives your name, your email address and your profile picture"), "{me}");
    assert!(
        me.contains("action=\"/me/apps/app-a/withdraw\"") && me.contains("name=\"claim\" value=\"picture\""),
        "{me}"
    );
    assert!(me.contains("href=\"/me/export\""), "{me}");
    let csrf = field_value(&me, "name=\"csrf\" value=\"").unwrap();

    // Hostile: no CSRF token, a required claim, an unknown app.
    let forged = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("claim", "picture")]).await;
    assert_ne!(forged.status, 303, "a form without its CSRF token does nothing");
    let bad = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("csrf", &csrf), ("claim", "csrf-wrong")]).await;
    assert_eq!(bad.status, 400);
    let required = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("csrf", &csrf), ("claim", "name")]).await;
    assert_eq!(required.status, 400, "a required claim is withdrawn with the app");
    assert_eq!(app.userinfo(s(&tokens, "access_token")).await.status, 200, "nothing withdrawn yet");

    // One optional claim.
    let done = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("csrf", &csrf), ("claim", "picture")]).await;
    assert_eq!((done.status, done.location().as_deref()), (303, Some("/me")));
    assert_eq!(app.userinfo(s(&tokens, "access_token")).await.status, 401, "the app's tokens end");
    assert_eq!(app.refresh(&APP_A, s(&tokens, "refresh_token"), &[]).await.json()["error"], "invalid_grant");
    assert_eq!(reqwest::get(&picture).await.unwrap().status(), 404, "its picture link ends");
    let queued = app.state.records.queued_deliveries().await.unwrap();
    assert_eq!(queued.len(), 1, "the app is told by back-channel logout");
    let silent = app
        .walk_in(
            &browser,
            &app.authorize_url(&APP_A, "openid profile email", &[("prompt", "none")]),
            APP_A.redirect_uri,
        )
        .await;
    let t = app.redeem(&APP_A, &silent.code(), &[]).await.json();
    let id = id_claims(&app, &t).await;
    assert!(id.get("picture").is_none() && id["name"] == "Jane Doe", "its next sign-in gets less: {id}");
    let me = app.browse_in(&browser, "/me").await.body;
    assert!(me.contains("You declined your profile picture"), "{me}");

    // The whole app.
    let done = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    assert_eq!(app.userinfo(s(&t, "access_token")).await.status, 401);
    let silent = app
        .walk_in(
            &browser,
            &app.authorize_url(&APP_A, "openid profile email", &[("prompt", "none")]),
            APP_A.redirect_uri,
        )
        .await;
    let LoginEnd::App(p) = silent else { panic!("{silent:?}") };
    assert_eq!(p.get("error").map(String::as_str), Some("consent_required"), "asked again");
    let me = app.browse_in(&browser, "/me").await.body;
    assert!(me.contains("You have not agreed to share anything with an app."), "{me}");
}

/// Point 6: the export is one JSON attachment: the profile as stored (the
/// picture as a data URL), each session, each app with its pairwise `sub`
/// and what it receives, and each consent as a receipt naming the controller.
#[tokio::test]
async fn the_export_holds_profile_sessions_apps_and_consent_receipts() {
    let app = spawn_app_with(|c| {
        picture_optional(c);
        c.set("notice", "revised", "2026-12-01")
            .set("notice", "controller", "Imocloud.io")
            .set("notice", "contact", "support@imocloud.io")
            .set("notice", "url", "https://imocloud.io/privacy");
    })
    .await;
    let browser = app.other_browser();
    let notice = to_choices(&app, &browser, &[]).await;
    let tokens = choose(&app, &browser, &notice, &[]).await;
    let sub = id_claims(&app, &tokens).await["sub"].as_str().unwrap().to_owned();
    assert_eq!(app.browse("/me/export").await.status, 200, "another browser: the not-signed-in page");
    let r = app.browse_in(&browser, "/me/export").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(r.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(r.headers["cache-control"], "no-store");
    let doc = r.json();
    assert_eq!(doc["format"], "claimgate-export/1");
    assert_eq!(
        (doc["profile"]["name"].as_str(), doc["profile"]["email"].as_str()),
        (Some("Jane Doe"), Some("jane.doe@example.com"))
    );
    assert!(doc["profile"]["picture"].as_str().unwrap().starts_with("data:image/png;base64,"), "{}", doc["profile"]);
    assert_eq!(doc["sessions"][0]["provider"], "idp");
    let a = doc["apps"].as_array().unwrap().iter().find(|a| a["client_id"] == "app-a").expect("app-a");
    assert_eq!(a["sub"], sub.as_str(), "the app's pairwise subject");
    assert_eq!(a["receives"], serde_json::json!(["name", "email"]));
    let receipt = &a["consent"];
    assert_eq!(receipt["claims_given"], serde_json::json!(["name", "email"]));
    assert_eq!(receipt["claims_declined"], serde_json::json!(["picture"]));
    assert_eq!(
        (receipt["controller"]["name"].as_str(), receipt["controller"]["contact"].as_str()),
        (Some("Imocloud.io"), Some("support@imocloud.io"))
    );
    assert_eq!(
        (receipt["notice"]["url"].as_str(), receipt["notice"]["version"].as_str()),
        (Some("https://imocloud.io/privacy"), Some("test-1"))
    );
    assert!(
        receipt["receipt_id"].as_str().is_some_and(|r| r.len() >= 32)
            && receipt["consent_time"].is_string()
            && receipt["expires"].is_string()
    );
    let text = r.body;
    assert!(!text.contains(s(&tokens, "access_token")), "no token in the export");
}
