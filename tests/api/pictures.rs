//! The picture proxy (`[notice] picture = "proxy"`, the default): apps
//! receive claimgate's own URL, one per app, for a re-encoded copy; the
//! provider's URL reaches no app, and a hostile picture costs nothing but
//! the picture.

use crate::helpers::*;
use crate::pictures_upstream::{bomb, png_with_text, Answer};
use serde_json::{json, Value};
use std::time::Duration;

/// app-b receives the picture too (name and picture).
fn both_apps_receive_pictures(c: &mut ConfigEdit) {
    c.set_list("clients.app-b", "claims", &["name", "picture"]);
}

/// A login for `client`; `fresh` signs in upstream again (`prompt=login`)
/// rather than answering from the session.
async fn login(app: &TestApp, client: &Client, fresh: bool) -> Value {
    let (verifier, challenge) = pkce_pair();
    let mut extra = vec![("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    if fresh {
        extra.push(("prompt", "login"));
    }
    let end = app.login(client, "openid profile email", &extra).await;
    let r = app.redeem(client, &end.code(), &[("code_verifier", &verifier)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn picture_of(app: &TestApp, client: &Client) -> Option<String> {
    let tokens = login(app, client, true).await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), client.id).await;
    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json();
    assert_eq!(id.get("picture"), info.get("picture"), "the ID token and userinfo agree");
    id.get("picture").and_then(Value::as_str).map(str::to_owned)
}

/// A request as an app's page makes it: no cookie of claimgate's.
async fn fetch(url: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).send().await.unwrap()
}

fn refusals(app: &TestApp, reason: &str) -> u64 {
    app.state.metrics.pictures.with_label_values(&["idp", reason]).get()
}

#[tokio::test]
async fn two_apps_get_unrelated_urls_for_one_reencoded_picture() {
    let app = spawn_app_with(both_apps_receive_pictures).await;
    let a = picture_of(&app, &APP_A).await.expect("app-a receives a picture");
    // app-b from the same SSO session, without a new upstream login.
    let tokens = login(&app, &APP_B, false).await;
    let b = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_B.id).await["picture"]
        .as_str()
        .expect("app-b receives a picture")
        .to_owned();
    let base = format!("{}/picture/", app.public_url);
    assert!(a.starts_with(&base) && b.starts_with(&base), "{a} {b}");
    assert_ne!(a, b, "one URL per app");
    let (ha, hb) = (&a[base.len()..], &b[base.len()..]);
    assert!(ha.len() == 43 && hb.len() == 43);
    let tokens = login(&app, &APP_A, false).await;
    let again = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(again["picture"], a.as_str(), "stable for one app");

    // The provider's URL (and host) reached no app: not in any response
    // the browser or an app's back end received from claimgate.
    let provider_url = format!("{}/pictures/jane.png", app.idp.issuer());
    let seen = app.seen.lock().unwrap().join("\n");
    assert!(!seen.contains(&provider_url) && !seen.contains("/pictures/"), "the provider's URL leaked");

    let (ra, rb) = (fetch(&a).await, fetch(&b).await);
    for r in [&ra, &rb] {
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["content-type"], "image/png");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], "default-src 'none'");
        assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
        assert!(h["cache-control"].to_str().unwrap().starts_with("private"));
        assert!(h.get("set-cookie").is_none(), "no cookies");
    }
    let etag = ra.headers()["etag"].to_str().unwrap().to_owned();
    let (body_a, body_b) = (ra.bytes().await.unwrap(), rb.bytes().await.unwrap());
    assert_eq!(body_a, body_b, "both URLs serve one picture");

    // claimgate's own PNG: the provider's text chunk (and its marker) is gone.
    let source = png_with_text(48, 32, app.idp.marker());
    assert_ne!(&body_a[..], &source[..], "re-encoded, not passed through");
    assert!(!contains(&body_a, app.idp.marker().as_bytes()), "metadata passed through");
    for chunk in [b"tEXt", b"iTXt", b"zTXt", b"eXIf"] {
        assert!(!contains(&body_a, chunk), "a metadata chunk passed through");
    }
    let decoded = image::load_from_memory_with_format(&body_a, image::ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (48, 32));

    // Revalidation answers 304 without the body.
    let again = reqwest::Client::new().get(&a).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    // claimgate fetched it once per login, with no cookie and no credentials.
    let requests = app.idp.picture_requests();
    assert_eq!(requests.len(), 1, "fetched at login, not through the app's browser");
    for (_, headers) in &requests {
        assert!(!headers.contains_key("cookie") && !headers.contains_key("authorization"), "{headers:?}");
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn hostile_pictures_are_refused_without_hurting_the_login() {
    let app = spawn_app().await;
    let idp = app.idp.issuer().to_owned();
    let unlisted = idp.replace("127.0.0.1", "localhost");
    let cases: Vec<(&str, String, Option<Answer>)> = vec![
        ("host_not_allowed", "https://tracker.example/jane.png".into(), None),
        ("host_not_allowed", format!("{unlisted}/pictures/jane.png"), None),
        (
            "redirect_not_allowed",
            format!("{idp}/pictures/away"),
            Some(Answer::redirect(&format!("{unlisted}/pictures/jane.png"))),
        ),
        ("too_many_redirects", format!("{idp}/pictures/loop"), Some(Answer::redirect(&format!("{idp}/pictures/loop")))),
        ("too_large", format!("{idp}/pictures/huge"), Some(Answer::ok("image/png", vec![0; 2 * 1024 * 1024]))),
        ("not_an_image", format!("{idp}/pictures/page"), Some(Answer::ok("text/html", b"<html>hi</html>".to_vec()))),
        ("not_an_image", format!("{idp}/pictures/svg"), Some(Answer::ok("image/svg+xml", b"<svg/>".to_vec()))),
        ("not_an_image", format!("{idp}/pictures/liar"), Some(Answer::ok("image/png", b"<html>hi</html>".to_vec()))),
        ("too_many_pixels", format!("{idp}/pictures/bomb"), Some(Answer::ok("image/png", bomb(8000)))),
        ("status", format!("{idp}/pictures/missing"), None),
    ];
    for (reason, url, answer) in cases {
        if let Some(answer) = answer {
            app.idp.set_picture(url.rsplit('/').next().unwrap(), answer);
        }
        app.idp.set_claim("picture", json!(url));
        let before = refusals(&app, reason);
        let tokens = login(&app, &APP_A, true).await;
        let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
        assert_eq!(id["name"], "Jane Doe", "{reason}: the login goes on");
        assert!(id.get("picture").is_none(), "{reason}: no picture rather than the provider's URL: {id}");
        assert_eq!(refusals(&app, reason), before + 1, "{reason} ({url})");
    }
    // The same server under a name not listed: never asked.
    assert!(app.idp.picture_requests().iter().all(|(name, _)| name != "jane.png"), "a request left the list");
    let seen = app.seen.lock().unwrap().join("\n");
    assert!(!seen.contains("tracker.example") && !seen.contains("/pictures/"), "no provider URL reached an app");
}

#[tokio::test]
async fn a_slow_picture_host_delays_the_login_by_a_bounded_time() {
    let app = spawn_app().await;
    let slow = Answer { delay: Some(Duration::from_secs(8)), ..Answer::ok("image/png", png_with_text(8, 8, "x")) };
    app.idp.set_picture("slow.png", slow);
    app.idp.set_claim("picture", json!(format!("{}/pictures/slow.png", app.idp.issuer())));
    let started = std::time::Instant::now();
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert!(id.get("picture").is_none());
    assert_eq!(refusals(&app, "timed_out"), 1);
}

#[tokio::test]
async fn erasure_and_a_login_without_a_picture_end_the_url() {
    let app = spawn_app().await;
    let url = picture_of(&app, &APP_A).await.unwrap();
    assert_eq!(fetch(&url).await.status(), 200);

    // The provider stops sending a picture: the old one is not served.
    app.idp.set_claim("picture", Value::Null);
    assert_eq!(picture_of(&app, &APP_A).await, None);
    assert_eq!(fetch(&url).await.status(), 404);

    // A picture again, then erasure from /me.
    app.idp.set_claim("picture", json!(format!("{}/pictures/jane.png", app.idp.issuer())));
    assert_eq!(picture_of(&app, &APP_A).await.as_deref(), Some(url.as_str()), "the same URL for the same app");
    assert_eq!(fetch(&url).await.status(), 200);
    let me = app.browse("/me").await;
    assert!(me.body.contains("<img src=\"/me/picture\""), "{}", me.body);
    let own = app.browse("/me/picture").await;
    assert_eq!((own.status, own.headers["content-type"].to_str().unwrap()), (200, "image/png"));
    let csrf = field_value(&me.body, "name=\"csrf\" value=\"").unwrap();
    assert_eq!(app.browse_post("/me/erase", &[("csrf", &csrf)]).await.status, 200);
    assert_eq!(fetch(&url).await.status(), 404, "erased with the user");
    assert_eq!(app.browse("/me/picture").await.status, 404);
    for bad in ["nope", "../../etc/passwd", &"A".repeat(43)] {
        assert_eq!(fetch(&format!("{}/picture/{bad}", app.public_url)).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn link_mode_passes_the_provider_url_and_fetches_nothing() {
    let app = spawn_app_with(|c| {
        c.set("notice", "picture", "link");
    })
    .await;
    let url = picture_of(&app, &APP_A).await.unwrap();
    assert_eq!(url, format!("{}/pictures/jane.png", app.idp.issuer()));
    assert!(app.idp.picture_requests().is_empty());
}

#[tokio::test]
async fn the_disclosure_document_says_how_pictures_are_handled() {
    let app = spawn_app().await;
    let doc = app.browse("/.well-known/claimgate-disclosure").await.json();
    assert_eq!(doc["notice"]["picture"]["mode"], "proxy");
    let idp = &doc["providers"][0];
    assert_eq!(idp["picture_hosts"], json!([app.idp.issuer().trim_start_matches("http://")]));
    let picture = idp["claims"].as_array().unwrap().iter().find(|c| c["claim"] == "picture").unwrap();
    assert!(picture["rule"].as_str().unwrap().contains("never this one"), "{picture}");
}

#[tokio::test]
async fn forward_auth_sends_the_proxied_url_in_its_picture_header() {
    let app = spawn_app_with(|c| forward_auth_client(c, "wiki", "http://wiki.example", &["email", "picture"])).await;
    let fa_callback = format!("{}/auth/callback", app.base);
    let rd: String = url::form_urlencoded::byte_serialize(b"http://wiki.example/x").collect();
    let LoginEnd::App(params) = app.walk(&format!("/auth/start?client=wiki&rd={rd}"), &fa_callback).await else {
        panic!("no forward-auth callback")
    };
    app.browse(&format!("{fa_callback}?code={}&state={}", params["code"], params["state"])).await;
    let ok = app.browse("/auth?client=wiki").await;
    assert_eq!(ok.status, 200);
    let picture = ok.headers["x-auth-request-picture"].to_str().unwrap();
    assert!(picture.starts_with(&format!("{}/picture/", app.public_url)), "{picture}");
    assert_eq!(fetch(picture).await.status(), 200);
}

/// A login for app-a with offline access in `browser`, upstream again.
async fn offline_login_in(app: &TestApp, browser: reqwest::Client) -> Value {
    let (verifier, challenge) = pkce_pair();
    let params = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256"), ("prompt", "login")];
    let url = app.authorize_url(&APP_A, "openid profile offline_access", &params);
    let code = app.walk_in(&browser, &url, APP_A.redirect_uri).await.code();
    app.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await.json()
}

async fn refreshed(app: &TestApp, tokens: &Value) -> Value {
    let r = app.refresh(&APP_A, tokens["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// The user does something in `browser` (their activity, unlike an app's
/// refresh, keeps the session from idling out).
async fn active(app: &TestApp, browser: &reqwest::Client) {
    assert_eq!(app.browse_in(browser, "/me").await.status, 200, "still signed in");
}

async fn picture_in(app: &TestApp, tokens: &Value) -> Value {
    app.verify_id_token(tokens["id_token"].as_str().unwrap(), "app-a").await["picture"].clone()
}

/// One user, two sessions (two browsers): a refresh in the older session
/// must not shorten the picture URL that the newer session's tokens carry.
#[tokio::test]
async fn the_picture_url_lives_as_long_as_the_users_newest_session() {
    use claimgate::clock::ManualClock;
    let clock = std::sync::Arc::new(ManualClock::new(chrono::Utc::now()));
    let offline = |c: &mut ConfigEdit| {
        c.set("clients.app-a", "refresh_tokens", true);
    };
    let app = spawn(Options { clock: clock.clone(), edit: Some(Box::new(offline)), ..Options::default() }).await;
    let hours = |h| clock.advance(chrono::Duration::hours(h));
    // Session A at 0 h (its user active within each 8 h idle time: apps'
    // refreshes do not count), session B at 14 h.
    let (browser_a, browser_b) = (app.other_browser(), app.other_browser());
    let mut a = offline_login_in(&app, browser_a.clone()).await;
    hours(7);
    active(&app, &browser_a).await;
    a = refreshed(&app, &a).await;
    hours(7);
    active(&app, &browser_a).await;
    a = refreshed(&app, &a).await;
    let mut b = offline_login_in(&app, browser_b.clone()).await;
    let url = picture_in(&app, &b).await.as_str().unwrap().to_owned();
    hours(7);
    active(&app, &browser_b).await;
    b = refreshed(&app, &b).await;
    // A refresh in session A (which ends at 24 h) comes last.
    active(&app, &browser_a).await;
    a = refreshed(&app, &a).await;
    assert_eq!(picture_in(&app, &a).await, url.as_str(), "one URL per app and user");
    hours(4);
    // 25 h: session A is over; session B's tokens, and the URL they carry, are not.
    assert_eq!(fetch(&url).await.status(), 200, "session B's picture URL still answers");
    assert_eq!(app.refresh(&APP_A, a["refresh_token"].as_str().unwrap(), &[]).await.status, 400);
    b = refreshed(&app, &b).await;
    assert_eq!(picture_in(&app, &b).await, url.as_str());
}

/// An RGB PNG of random pixels: it does not compress, so its re-encoded
/// copy is as large as a picture of its size can be.
fn noise_png(side: u32) -> Vec<u8> {
    use rand::RngCore;
    let mut pixels = vec![0u8; (side * side * 3) as usize];
    rand::thread_rng().fill_bytes(&mut pixels);
    let img = image::RgbImage::from_raw(side, side, pixels).unwrap();
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// Review point 12: a later refused fetch does not leave the previous
/// picture served while /me says none is stored: apps' URLs and /me agree.
#[tokio::test]
async fn a_refused_picture_at_a_later_login_is_not_served_in_its_place() {
    let app = spawn_app().await;
    let url = picture_of(&app, &APP_A).await.unwrap();
    assert_eq!(fetch(&url).await.status(), 200);
    app.idp.set_claim("picture", json!(format!("{}/pictures/missing", app.idp.issuer())));
    assert_eq!(picture_of(&app, &APP_A).await, None, "refused: no picture for the app");
    let me = app.browse("/me").await;
    assert!(!me.body.contains("<img src=\"/me/picture\""), "/me shows no picture");
    assert_eq!(fetch(&url).await.status(), 404, "and no app's URL serves the old one");
}

/// Review point 12: the stored picture has a size cap: a picture that
/// would not fit re-encoded at 256 px is kept smaller.
#[tokio::test]
async fn the_stored_picture_is_capped_in_size() {
    let app = spawn_app().await;
    let source = noise_png(400);
    assert!(source.len() < 1024 * 1024, "within the fetch cap: {}", source.len());
    app.idp.set_picture("noise.png", Answer::ok("image/png", source));
    app.idp.set_claim("picture", json!(format!("{}/pictures/noise.png", app.idp.issuer())));
    let url = picture_of(&app, &APP_A).await.expect("a picture");
    let body = fetch(&url).await.bytes().await.unwrap();
    assert!(body.len() <= claimgate::pictures::MAX_STORED_BYTES, "{} bytes served", body.len());
    let decoded = image::load_from_memory_with_format(&body, image::ImageFormat::Png).unwrap();
    assert!(decoded.width() <= 256 && decoded.width() >= 64, "{}", decoded.width());
}

/// Review point 12: a listed host *name* that resolves to a loopback,
/// private, link-local or unique-local address is refused (DNS rebinding);
/// the same server listed as an IP literal is fetched (the other tests).
#[tokio::test]
async fn a_picture_host_name_resolving_to_a_private_address_is_refused() {
    let app = spawn_app_with(|c| {
        let issuer = c.get_str("providers.idp", "issuer").unwrap();
        let port = url::Url::parse(&issuer).unwrap().port().unwrap();
        c.set_list("providers.idp", "picture_hosts", &[&format!("localhost:{port}")]);
    })
    .await;
    let by_name = app.idp.issuer().replace("127.0.0.1", "localhost");
    app.idp.set_claim("picture", json!(format!("{by_name}/pictures/jane.png")));
    assert_eq!(picture_of(&app, &APP_A).await, None);
    assert_eq!(refusals(&app, "private_address"), 1);
    assert!(app.idp.picture_requests().is_empty(), "never connected");
}

/// Review point 12: each app's URL has its own ETag: one value across apps
/// would let colluding apps link a user.
#[tokio::test]
async fn each_apps_picture_url_has_its_own_etag() {
    let app = spawn_app_with(both_apps_receive_pictures).await;
    let a = picture_of(&app, &APP_A).await.unwrap();
    let tokens = login(&app, &APP_B, false).await;
    let b = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_B.id).await["picture"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ra, rb) = (fetch(&a).await, fetch(&b).await);
    let (ea, eb) =
        (ra.headers()["etag"].to_str().unwrap().to_owned(), rb.headers()["etag"].to_str().unwrap().to_owned());
    assert_ne!(ea, eb, "one ETag per app");
    let again = reqwest::Client::new().get(&a).header("if-none-match", &ea).send().await.unwrap();
    assert_eq!(again.status(), 304, "revalidation still works");
    let crossed = reqwest::Client::new().get(&b).header("if-none-match", &ea).send().await.unwrap();
    assert_eq!(crossed.status(), 200, "another app's ETag does not match");
}

/// Issue 31: a picture kept from the same URL is used again while its host
/// said it is fresh, and revalidated after (a 304 costs no decoding); a
/// changed picture or a new URL is fetched again.
#[tokio::test]
async fn an_unchanged_picture_is_reused_or_revalidated_not_fetched_and_encoded_again() {
    let clock = std::sync::Arc::new(claimgate::clock::ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), ..Options::default() }).await;
    let outcome = |o: &str| app.state.metrics.pictures.with_label_values(&["idp", o]).get();
    let requests = || app.idp.picture_requests().iter().filter(|(n, _)| n == "jane.png").count();
    let v1 = png_with_text(48, 32, "v1");
    app.idp.set_picture("jane.png", Answer { etag: Some("\"v1\""), max_age: Some(600), ..Answer::ok("image/png", v1) });
    let first = picture_of(&app, &APP_A).await.unwrap();
    let stored = fetch(&first).await.bytes().await.unwrap();
    assert_eq!((outcome("proxied"), requests()), (1, 1));

    // Within max-age: not even asked.
    assert!(picture_of(&app, &APP_A).await.is_some());
    assert_eq!((outcome("reused"), requests()), (1, 1), "fresh: no request to the host");

    // Past it: a conditional request, answered 304; the same bytes served.
    clock.advance(chrono::Duration::seconds(601));
    assert!(picture_of(&app, &APP_A).await.is_some());
    assert_eq!((outcome("revalidated"), requests()), (1, 2));
    let (_, asked) = app.idp.picture_requests().last().unwrap().clone();
    assert_eq!(asked.get("if-none-match").map(String::as_str), Some("\"v1\""));
    assert_eq!(fetch(&first).await.bytes().await.unwrap(), stored);

    // The host's picture changes (a new validator): fetched and encoded again.
    clock.advance(chrono::Duration::seconds(601));
    let v2 = png_with_text(64, 64, "v2");
    app.idp.set_picture("jane.png", Answer { etag: Some("\"v2\""), max_age: Some(600), ..Answer::ok("image/png", v2) });
    assert!(picture_of(&app, &APP_A).await.is_some());
    assert_eq!(outcome("proxied"), 2);
    assert_ne!(fetch(&first).await.bytes().await.unwrap(), stored, "the new picture is served");

    // A new URL is another source, however fresh the kept one is.
    app.idp.set_picture("other.png", Answer::ok("image/png", png_with_text(16, 16, "o")));
    app.idp.set_claim("picture", json!(format!("{}/pictures/other.png", app.idp.issuer())));
    assert!(picture_of(&app, &APP_A).await.is_some());
    assert_eq!(outcome("proxied"), 3);
}
