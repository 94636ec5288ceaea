//! Sign in with Apple (issue 29) against a stand-in that behaves as Apple
//! does: a cross-site form post with `code`, `state` and, on the first
//! authorization only, `user`; ID tokens in RS256 with `email_verified` as
//! a string and a private relay address; a token endpoint that verifies the
//! ES256 client-secret JWT claimgate makes.

use crate::helpers::*;
use actix_web::{web, App, HttpResponse, HttpServer};
use claimgate::signing::{SigningAlg, SigningKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use openidconnect::PrivateSigningKey;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SERVICES_ID: &str = "com.example.signin";
const TEAM_ID: &str = "ABCDE12345";
const KEY_ID: &str = "KEY123ABCD";

/// What the stand-in does and saw.
struct AppleState {
    issuer: String,
    /// The public half of claimgate's `.p8` key: client secrets verify with it.
    secret_key: jsonwebtoken::jwk::Jwk,
    id_token_key: EncodingKey,
    id_token_jwk: Value,
    /// code → nonce of its authorization.
    grants: Mutex<HashMap<String, Option<String>>>,
    /// Whether this Apple ID has authorized the app before (then no `user`).
    authorized_before: Mutex<bool>,
    /// Claims that replace the usual ones in the next ID tokens.
    overrides: Mutex<serde_json::Map<String, Value>>,
    /// The claims of every client secret that verified, and every refusal.
    secrets: Mutex<Vec<Result<Value, String>>>,
    /// The query of every authorization request.
    authorizations: Mutex<Vec<HashMap<String, String>>>,
}

struct AppleStandIn {
    state: Arc<AppleState>,
    /// The `.p8` key claimgate is configured with.
    p8: String,
}

impl AppleStandIn {
    async fn spawn() -> Self {
        let p8_key = SigningKey::generate(SigningAlg::Es256).unwrap();
        let secret_key = serde_json::from_value(serde_json::to_value(p8_key.as_verification_key()).unwrap()).unwrap();
        let rsa = SigningKey::generate(SigningAlg::Rs256).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(AppleState {
            issuer: format!("http://127.0.0.1:{port}"),
            secret_key,
            id_token_key: EncodingKey::from_rsa_pem(rsa.to_pkcs8_pem().unwrap().as_bytes()).unwrap(),
            id_token_jwk: serde_json::to_value(rsa.as_verification_key()).unwrap(),
            grants: Mutex::default(),
            authorized_before: Mutex::new(false),
            overrides: Mutex::default(),
            secrets: Mutex::default(),
            authorizations: Mutex::default(),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/auth/keys", web::get().to(keys))
                .route("/auth/authorize", web::get().to(authorize))
                .route("/auth/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        AppleStandIn { state, p8: p8_key.to_pkcs8_pem().unwrap() }
    }

    /// `[providers.apple]` for this stand-in, and app-a offered only it.
    fn configure(&self) -> impl FnOnce(&mut ConfigEdit) + 'static {
        let (issuer, p8) = (self.state.issuer.clone(), self.p8.clone());
        move |c| {
            c.set("providers.apple", "kind", "apple")
                .set("providers.apple", "issuer", issuer.as_str())
                .set("providers.apple", "client_id", SERVICES_ID)
                .set("providers.apple", "team_id", TEAM_ID)
                .set("providers.apple", "key_id", KEY_ID)
                .set("providers.apple", "private_key", p8.as_str());
            c.set_list("clients.app-a", "providers", &["apple"]);
        }
    }

    fn set_claim(&self, name: &str, value: Value) {
        self.state.overrides.lock().unwrap().insert(name.into(), value);
    }
}

async fn discovery(s: web::Data<AppleState>) -> HttpResponse {
    let i = &s.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": i, "authorization_endpoint": format!("{i}/auth/authorize"),
        "token_endpoint": format!("{i}/auth/token"), "jwks_uri": format!("{i}/auth/keys"),
        "response_types_supported": ["code"], "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "name"], "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "is_private_email", "iss", "nonce",
                             "nonce_supported", "real_user_status", "sub", "transfer_sub"]
    }))
}

async fn keys(s: web::Data<AppleState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": [s.id_token_jwk] }))
}

/// The authorization page: Apple answers with a page that POSTs the
/// result to the redirect URI (here as a form for the test to submit).
async fn authorize(s: web::Data<AppleState>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let q = q.into_inner();
    s.authorizations.lock().unwrap().push(q.clone());
    let code = format!("c{}", claimgate::store::records::random_handle());
    s.grants.lock().unwrap().insert(code.clone(), q.get("nonce").cloned());
    let mut fields = vec![("code", code), ("state", q.get("state").cloned().unwrap_or_default())];
    let mut first = s.authorized_before.lock().unwrap();
    if !*first {
        fields.push((
            "user",
            r#"{"name":{"firstName":"Jane","lastName":"Appleseed"},"email":"x7k2@privaterelay.appleid.com"}"#.into(),
        ));
        *first = true;
    }
    let inputs: String = fields
        .iter()
        .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, v.replace('"', "&quot;")))
        .collect();
    let page = format!(r#"<form method="post" action="{}">{inputs}</form>"#, q["redirect_uri"]);
    HttpResponse::Ok().content_type("text/html").body(page)
}

/// Apple's client-secret rules, checked as Apple would.
fn check_secret(s: &AppleState, secret: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(secret).map_err(|e| e.to_string())?;
    if header.alg != Algorithm::ES256 || header.kid.as_deref() != Some(KEY_ID) {
        return Err(format!("header {:?} {:?}", header.alg, header.kid));
    }
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[s.issuer.as_str()]);
    v.set_issuer(&[TEAM_ID]);
    v.sub = Some(SERVICES_ID.into());
    v.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud"]);
    let key = DecodingKey::from_jwk(&s.secret_key).map_err(|e| e.to_string())?;
    let claims = jsonwebtoken::decode::<Value>(secret, &key, &v).map_err(|e| e.to_string())?.claims;
    let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
    if exp - iat > 180 * 24 * 3600 || iat > chrono::Utc::now().timestamp() + 60 {
        return Err("lifetime".into());
    }
    Ok(claims)
}

async fn token(s: web::Data<AppleState>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let checked = check_secret(&s, form.get("client_secret").map(String::as_str).unwrap_or(""));
    s.secrets.lock().unwrap().push(checked.clone());
    if checked.is_err() || form.get("client_id").map(String::as_str) != Some(SERVICES_ID) {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_client"}));
    }
    let Some(nonce) = s.grants.lock().unwrap().remove(form.get("code").map(String::as_str).unwrap_or("")) else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let now = chrono::Utc::now().timestamp();
    let Value::Object(mut claims) = json!({
        "iss": s.issuer, "aud": SERVICES_ID, "exp": now + 600, "iat": now, "sub": "001234.8f3c.0042",
        "nonce": nonce, "nonce_supported": true, "email": "x7k2@privaterelay.appleid.com",
        "email_verified": "true", "is_private_email": "true", "real_user_status": 2, "auth_time": now,
    }) else {
        unreachable!()
    };
    for (k, v) in s.overrides.lock().unwrap().iter() {
        claims.insert(k.clone(), v.clone());
    }
    let header = Header { kid: s.id_token_jwk["kid"].as_str().map(str::to_owned), ..Header::new(Algorithm::RS256) };
    let id_token = jsonwebtoken::encode(&header, &claims, &s.id_token_key).unwrap();
    HttpResponse::Ok().json(json!({
        "access_token": "apple-access", "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": "apple-refresh", "id_token": id_token,
    }))
}

/// The hidden fields of the stand-in's form page, and where it posts.
fn form_of(page: &str) -> (String, Vec<(String, String)>) {
    let action = page.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let fields = page
        .split("<input ")
        .skip(1)
        .map(|i| {
            let attr = |name: &str| {
                i.split(&format!("{name}=\"")).nth(1).unwrap().split('"').next().unwrap().replace("&quot;", "\"")
            };
            (attr("name"), attr("value"))
        })
        .collect();
    (action, fields)
}

/// A sign-in with Apple for app-a in `browser` up to Apple's form post,
/// which `poster` sends (the same browser, or another). Returns the
/// claimgate answer to the POST and the form it carried.
async fn to_apple_form_post(app: &TestApp, browser: &reqwest::Client, poster: &reqwest::Client) -> Resp {
    let notice = app.browse_in(browser, &app.authorize_url(&APP_A, "openid profile email", &[])).await;
    assert!(notice.body.contains("Continue with Apple"), "{}", notice.body);
    assert!(notice.body.contains("Apple shares your name only the first time"), "the notice says so");
    let to_apple = app.press_continue_in(browser, &notice.body).await;
    let page = app.browse_in(browser, &to_apple.location().unwrap()).await.body;
    let (action, fields) = form_of(&page);
    assert_eq!(action, format!("{}/callback/apple", app.public_url));
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_in(poster, &action, &form).await
}

/// Follows claimgate's 303 to its same-site hop and on to the app.
async fn finish(app: &TestApp, browser: &reqwest::Client, posted: &Resp) -> LoginEnd {
    assert_eq!(posted.status, 303, "{}", posted.body);
    let hop = posted.location().unwrap();
    assert!(hop.starts_with("/callback/apple?state=") && !hop.contains("code"), "{hop}");
    app.walk_in(browser, &hop, APP_A.redirect_uri).await
}

#[tokio::test]
async fn sign_in_with_apple_the_name_arrives_once_and_the_relay_address_is_kept() {
    let apple = AppleStandIn::spawn().await;
    let app = spawn_app_with(apple.configure()).await;
    let browser = app.other_browser();
    let posted = to_apple_form_post(&app, &browser, &browser).await;
    let code = finish(&app, &browser, &posted).await.code();
    let tokens = app.redeem(&APP_A, &code, &[]).await.json();
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), "app-a").await;
    assert_eq!(id["name"], "Jane Appleseed", "from the first authorization's user field");
    assert_eq!(id["email"], "x7k2@privaterelay.appleid.com", "the relay address is the email");
    assert_eq!(id["email_verified"], true, "Apple's string \"true\"");
    for dropped in ["is_private_email", "real_user_status", "nonce_supported"] {
        assert!(id.get(dropped).is_none(), "{dropped}");
    }
    // What claimgate asked of Apple, and the secret it made.
    let asked = apple.state.authorizations.lock().unwrap()[0].clone();
    assert_eq!((asked["response_mode"].as_str(), asked["scope"].as_str()), ("form_post", "openid email name"));
    let secret = apple.state.secrets.lock().unwrap()[0].clone().expect("the client secret verifies");
    assert_eq!((secret["iss"].as_str(), secret["sub"].as_str()), (Some(TEAM_ID), Some(SERVICES_ID)));
    assert!(!logs().contains("Appleseed"), "no name in the logs");

    // A later sign-in (another browser, no session): no name any more.
    let later = app.other_browser();
    let posted = to_apple_form_post(&app, &later, &later).await;
    let code = finish(&app, &later, &posted).await.code();
    let tokens = app.redeem(&APP_A, &code, &[]).await.json();
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), "app-a").await;
    assert!(id.get("name").is_none(), "{id}");
    assert_eq!(id["email"], "x7k2@privaterelay.appleid.com");
    assert_eq!(apple.state.secrets.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn apples_form_post_finished_in_another_browser_signs_nothing_in() {
    let apple = AppleStandIn::spawn().await;
    let app = spawn_app_with(apple.configure()).await;
    let (victim, attacker) = (app.other_browser(), app.other_browser());
    // The attacker's own sign-in, its form post sent from the victim's browser.
    let posted = to_apple_form_post(&app, &attacker, &victim).await;
    assert_eq!(posted.status, 303);
    let hop = app.browse_in(&victim, &posted.location().unwrap()).await;
    assert_eq!(hop.status, 400, "{}", hop.body);
    assert!(hop.body.contains("another browser"), "{}", hop.body);
    assert!(!hop.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().contains("session")));
    // A POST naming no sign-in in progress stores nothing and is refused.
    let r = app.post_in(&victim, "/callback/apple", &[("code", "x"), ("state", "forged")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // A GET carrying a code in its URL is not Apple's answer.
    let fresh = app.other_browser();
    let notice = app.browse_in(&fresh, &app.authorize_url(&APP_A, "openid", &[])).await;
    let to_apple = app.press_continue_in(&fresh, &notice.body).await;
    let state = url::Url::parse(&to_apple.location().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let forged = app.browse_in(&fresh, &format!("/callback/apple?state={state}&code=anything")).await;
    assert_eq!(forged.status, 502, "no form post, no code: {}", forged.body);
}

#[tokio::test]
async fn a_cancelled_sign_in_and_hostile_id_tokens_are_refused() {
    let apple = AppleStandIn::spawn().await;
    let app = spawn_app_with(apple.configure()).await;
    // The user cancels at Apple: Apple posts error=user_cancelled_authorize.
    let browser = app.other_browser();
    let notice = app.browse_in(&browser, &app.authorize_url(&APP_A, "openid", &[])).await;
    let to_apple = app.press_continue_in(&browser, &notice.body).await;
    let page = app.browse_in(&browser, &to_apple.location().unwrap()).await.body;
    let (action, fields) = form_of(&page);
    let state = fields.iter().find(|(k, _)| k == "state").unwrap().1.clone();
    let posted = app.post_in(&browser, &action, &[("error", "user_cancelled_authorize"), ("state", &state)]).await;
    let LoginEnd::Page(status, body) = finish(&app, &browser, &posted).await else { panic!("a page") };
    assert_eq!(status, 502);
    // The page names the reason by its language-neutral code.
    assert!(body.contains("Apple could not sign you in.") && body.contains("Error code: upstream_denied"), "{body}");

    for (claim, value, reason) in [
        ("aud", json!("com.other.app"), "id_token_wrong_audience"),
        ("iss", json!("https://evil.example"), "id_token_wrong_issuer"),
        ("nonce", json!("another-nonce"), "id_token_nonce_mismatch"),
        ("email_verified", json!("false"), "unverified"),
    ] {
        apple.state.overrides.lock().unwrap().clear();
        apple.set_claim(claim, value);
        let browser = app.other_browser();
        let posted = to_apple_form_post(&app, &browser, &browser).await;
        let end = finish(&app, &browser, &posted).await;
        assert!(matches!(end, LoginEnd::Page(s, _) if s >= 400), "{claim}: {end:?}");
        assert!(logs().contains(reason), "{claim}: {reason} logged");
    }
}
