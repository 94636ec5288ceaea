//! The pages speak the user's language: `ui_locales` (OIDC Core
//! §3.1.2.1) before `Accept-Language` before `[pages] default_locale`, the
//! choice kept for the whole sign-in, and an operator's `locales_dir`.

use crate::helpers::*;
use crate::idp::Misbehaviour;
use crate::par::{authorize_with, push, request_uri};

/// A browser (own cookie jar) whose `Accept-Language` is `languages`.
fn browser_speaking(languages: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", languages.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

fn lang_of(body: &str) -> &str {
    let start = body.find("<html lang=\"").expect("an html page") + "<html lang=\"".len();
    &body[start..start + body[start..].find('"').unwrap()]
}

#[tokio::test]
async fn ui_locales_beats_accept_language_and_lasts_the_whole_sign_in() {
    let app = spawn_app().await;
    let german = browser_speaking("de-DE,de;q=0.9,en;q=0.5");
    // Accept-Language alone.
    let notice = app.browse_in(&german, &app.authorize_url(&APP_A, "openid email", &[])).await;
    assert!(is_notice(&notice));
    assert_eq!(lang_of(&notice.body), "de");
    assert_eq!(notice.headers["content-language"], "de");
    assert!(notice.body.contains("app-a erhält Ihre E-Mail-Adresse sowie eine Kennung"), "{}", notice.body);

    // ui_locales=fr beats Accept-Language: de, from the notice to the
    // provider's failure shown after the callback.
    *app.idp.state.behaviour.lock().unwrap() = Misbehaviour::NonceMismatch;
    let url = app.authorize_url(&APP_A, "openid email", &[("ui_locales", "ja fr-CA de")]);
    let notice = app.browse_in(&german, &url).await;
    assert_eq!(lang_of(&notice.body), "fr");
    assert!(notice.body.contains("app-a vous demande de vous connecter"), "{}", notice.body);
    let LoginEnd::Page(status, body) = app.walk_in(&german, &url, APP_A.redirect_uri).await else { panic!("a page") };
    assert_eq!(status, 502);
    assert_eq!(lang_of(&body), "fr", "{body}");
    assert!(body.contains("Échec de la connexion") && body.contains("Revenir à l’application"), "{body}");
    *app.idp.state.behaviour.lock().unwrap() = Misbehaviour::None;

    // A page refused before the request is known good speaks it too.
    let unknown = app.browse_in(&german, &format!("{}/authorize?client_id=nobody&ui_locales=es", app.base)).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(lang_of(&unknown.body), "es");
    assert!(unknown.body.contains("Esta aplicación no está registrada en claimgate."), "{}", unknown.body);
}

#[tokio::test]
async fn an_unsupported_language_falls_back_to_the_default() {
    let app = spawn_app().await;
    let japanese = browser_speaking("ja,zh;q=0.8");
    let url = app.authorize_url(&APP_A, "openid email", &[("ui_locales", "ja")]);
    let notice = app.browse_in(&japanese, &url).await;
    assert_eq!(lang_of(&notice.body), "en");
    assert!(notice.body.contains("app-a asks you to sign in"));
    // q=0 is "not this one".
    let notice = app.browse_in(&browser_speaking("de;q=0, es;q=0.4"), &url).await;
    assert_eq!(lang_of(&notice.body), "es");

    // [pages] default_locale.
    let app = spawn_app_with(|c| {
        c.set("pages", "default_locale", "de");
    })
    .await;
    let notice = app.browse_in(&japanese, &app.authorize_url(&APP_A, "openid email", &[])).await;
    assert_eq!(lang_of(&notice.body), "de");
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["ui_locales_supported"], serde_json::json!(["en", "de", "fr", "es"]));
}

#[tokio::test]
async fn a_pushed_requests_ui_locales_is_kept_with_it() {
    let app = spawn_app().await;
    let uri = request_uri(&push(&app, &[("ui_locales", "es-MX")]).await.0);
    let notice = app.browse_in(&browser_speaking("fr"), &authorize_with(&app, "app-a", &uri, "")).await;
    assert!(is_notice(&notice), "{}", notice.body);
    assert_eq!(lang_of(&notice.body), "es");
}

#[tokio::test]
async fn an_operators_files_add_a_language_and_override_a_message() {
    let dir = std::env::temp_dir().join(format!("claimgate-api-locales-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("it.ftl"), "notice-heading = { $app } ti chiede di accedere\nnotice-continue = Continua\n")
        .unwrap();
    std::fs::write(dir.join("de.ftl"), "notice-continue-with = Los geht's mit { $provider }\n").unwrap();
    let dir_text = dir.display().to_string();
    let app = spawn_app_with(move |c| {
        c.set("pages", "locales_dir", dir_text.as_str());
    })
    .await;
    let url = app.authorize_url(&APP_A, "openid email", &[]);
    let italian = app.browse_in(&browser_speaking("it-IT,it;q=0.9"), &url).await;
    assert_eq!(lang_of(&italian.body), "it");
    assert!(
        italian.body.contains("app-a ti chiede di accedere") && italian.body.contains(">Continue with"),
        "{}",
        italian.body
    );
    // What the Italian file lacks is the default's (English) text.
    assert!(italian.body.contains("claimgate keeps your name"), "{}", italian.body);
    let german = app.browse_in(&browser_speaking("de"), &app.authorize_url(&APP_B, "openid", &[])).await;
    // The overridden message, and the rest of the built-in German.
    assert!(german.body.contains(">Los geht's mit "), "{}", german.body);
    assert!(german.body.contains("app-b bittet Sie, sich anzumelden"), "{}", german.body);
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["ui_locales_supported"], serde_json::json!(["en", "de", "fr", "es", "it"]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_edge_limits_page_speaks_the_browsers_language() {
    let app = spawn_app().await;
    let long = format!("{}/authorize?padding={}", app.base, "x".repeat(5000));
    let page = app.browse_in(&browser_speaking("fr-FR,fr;q=0.9"), &long).await;
    assert_eq!(page.status, 414);
    assert_eq!(lang_of(&page.body), "fr");
    assert!(page.body.contains("Requête trop longue"), "{}", page.body);
    // An app's back-end is answered in English (RFC 6749 §5.2: ASCII).
    let json = app.post_form(&format!("/token?padding={}", "x".repeat(5000)), &[], None).await;
    assert_eq!(json.status, 414);
    assert_eq!(json.json()["error_description"], "The address of this request is too long.");
}
