//! Hostile apps and requests against claimgate's own endpoints.

use crate::helpers::*;

fn error_of(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let app = spawn_app().await;
    let code = app.login(&APP_A, "openid", &[]).await.code();
    assert_eq!(app.redeem(&APP_A, &code, &[]).await.status, 200);
    let again = app.redeem(&APP_A, &code, &[]).await;
    assert_eq!(again.status, 400);
    assert_eq!(error_of(&again), "invalid_grant");
    assert_eq!(again.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_have_one_winner() {
    let app = std::sync::Arc::new(spawn_app().await);
    let code = app.login(&APP_A, "openid", &[]).await.code();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, code) = (app.clone(), code.clone());
            tokio::spawn(async move { app.redeem(&APP_A, &code, &[]).await.status })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += (t.await.unwrap() == 200) as usize;
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_a_page_never_a_redirect() {
    let app = spawn_app().await;
    let evil = Client { redirect_uri: "http://127.0.0.1:9/cb-a/../evil", ..APP_A };
    let r = app.browse(&app.authorize_url(&evil, "openid", &[])).await;
    assert_eq!(r.status, 400);
    assert!(r.location().is_none());
    for prefix_attack in ["http://127.0.0.1:9/cb-a?x=1", "http://127.0.0.1:9/cb-aa", "HTTP://127.0.0.1:9/cb-a"] {
        let c = Client { redirect_uri: prefix_attack, ..APP_A };
        let r = app.browse(&app.authorize_url(&c, "openid", &[])).await;
        assert_eq!((r.status, r.location()), (400, None), "{prefix_attack}");
    }
    // Another client's registered URI is not this client's.
    let c = Client { redirect_uri: APP_B.redirect_uri, ..APP_A };
    assert_eq!(app.browse(&app.authorize_url(&c, "openid", &[])).await.status, 400);
}

#[tokio::test]
async fn an_unknown_client_gets_a_page() {
    let app = spawn_app().await;
    let c = Client { id: "nobody", ..APP_A };
    let r = app.browse(&app.authorize_url(&c, "openid", &[])).await;
    assert_eq!((r.status, r.location()), (400, None));
}

#[tokio::test]
async fn protocol_errors_redirect_to_the_registered_uri_with_state_and_iss() {
    let app = spawn_app().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 4] = [
        (&[("response_type", "token")], "openid", "unsupported_response_type"),
        (&[], "profile email", "invalid_scope"),
        (&[("code_challenge", "abc"), ("code_challenge_method", "plain")], "openid", "invalid_request"),
        (&[("request", "eyJ")], "openid", "request_not_supported"),
    ];
    for (extra, scope, expected) in cases {
        let mut url = app.authorize_url(&APP_A, scope, extra);
        if extra.iter().any(|(k, _)| *k == "response_type") {
            url = url.replacen("response_type=code&", "", 1);
        }
        let r = app.browse(&url).await;
        let loc = url::Url::parse(&r.location().expect("redirect")).unwrap();
        assert!(loc.as_str().starts_with(APP_A.redirect_uri));
        let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
        assert_eq!(q["error"], expected, "{extra:?}");
        assert_eq!(q["state"], "app-state-123");
        assert_eq!(q["iss"], app.base);
    }
}

#[tokio::test]
async fn repeated_parameters_are_refused() {
    let app = spawn_app().await;
    let url = app.authorize_url(&APP_A, "openid", &[]) + "&client_id=app-b";
    assert_eq!(app.browse(&url).await.status, 400);
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_either_way() {
    let app = spawn_app().await;
    let code = app.login(&APP_A, "openid", &[]).await.code();
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", APP_A.redirect_uri)];
    let basic = app.token_raw(&form, Some((APP_A.id, "wrong"))).await;
    assert_eq!((basic.status, error_of(&basic)), (401, "invalid_client".into()));
    assert!(basic.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let mut post = form.to_vec();
    post.extend([("client_id", APP_A.id), ("client_secret", "secret-a-but-longer")]);
    let r = app.token_raw(&post, None).await;
    assert_eq!((r.status, error_of(&r)), (401, "invalid_client".into()));
    // No secret at all for a confidential client.
    let r = app.token_raw(&[form.as_slice(), &[("client_id", APP_A.id)]].concat(), None).await;
    assert_eq!(error_of(&r), "invalid_client");
    // The failed attempts did not burn the code: client_secret_post works.
    let mut good = form.to_vec();
    good.extend([("client_id", APP_A.id), ("client_secret", "secret-a")]);
    assert_eq!(app.token_raw(&good, None).await.status, 200);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let app = spawn_app().await;
    let code = app.login(&APP_A, "openid", &[]).await.code();
    let stolen = app
        .token_raw(
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", APP_A.redirect_uri)],
            Some((APP_B.id, "secret-b")),
        )
        .await;
    assert_eq!(error_of(&stolen), "invalid_grant");

    let code = app.login(&APP_A, "openid", &[]).await.code();
    let r = app
        .token_raw(
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/other")],
            Some((APP_A.id, "secret-a")),
        )
        .await;
    assert_eq!(error_of(&r), "invalid_grant");
}

#[tokio::test]
async fn pkce_verifier_must_match() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let pkce = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let code = app.login(&APP_A, "openid", &pkce).await.code();
    let r = app.redeem(&APP_A, &code, &[("code_verifier", &other_verifier)]).await;
    assert_eq!(error_of(&r), "invalid_grant");
    let code = app.login(&APP_A, "openid", &pkce).await.code();
    assert_eq!(error_of(&app.redeem(&APP_A, &code, &[]).await), "invalid_grant");
    // A verifier for a code issued without a challenge: downgrade attempt.
    let code = app.login(&APP_A, "openid", &[]).await.code();
    assert_eq!(error_of(&app.redeem(&APP_A, &code, &[("code_verifier", &other_verifier)]).await), "invalid_grant");
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let app = spawn_app().await;
    match app.login(&PUBLIC_APP, "openid email", &[]).await {
        LoginEnd::App(q) => assert_eq!(q["error"], "invalid_request"),
        other => panic!("{other:?}"),
    }
    let tokens = app.full_login(&PUBLIC_APP, "openid profile email").await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), PUBLIC_APP.id).await;
    assert_eq!(id["email"], "jane.doe@example.com");
    assert!(id.get("name").is_none());
    // A public client cannot present a secret it does not have.
    let code = app
        .login(&PUBLIC_APP, "openid", &[("code_challenge", &pkce_pair().1), ("code_challenge_method", "S256")])
        .await
        .code();
    let r = app
        .token_raw(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", PUBLIC_APP.redirect_uri),
                ("client_id", PUBLIC_APP.id),
                ("client_secret", "guess"),
            ],
            None,
        )
        .await;
    assert_eq!(error_of(&r), "invalid_client");
}

#[tokio::test]
async fn token_endpoint_rejects_other_grants_and_bad_bodies() {
    let app = spawn_app().await;
    let r = app.token_raw(&[("grant_type", "password"), ("username", "u")], Some((APP_A.id, "secret-a"))).await;
    assert_eq!(error_of(&r), "unsupported_grant_type");
    let r = app
        .token_raw(
            &[("grant_type", "authorization_code"), ("code", "nope"), ("redirect_uri", APP_A.redirect_uri)],
            Some((APP_A.id, "secret-a")),
        )
        .await;
    assert_eq!(error_of(&r), "invalid_grant");
}

#[tokio::test]
async fn userinfo_refuses_bad_tokens_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let r = app.userinfo("not-a-token").await;
    assert_eq!(r.status, 401);
    assert!(r.headers["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let plain = reqwest::get(format!("{}/userinfo", app.base)).await.unwrap();
    assert_eq!(plain.status(), 401);
    assert!(plain.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
}

#[tokio::test]
async fn the_session_cookie_holds_only_an_opaque_id() {
    let app = spawn_app().await;
    let upstream = app.authorize_to_upstream(&app.authorize_url(&APP_A, "openid", &[])).await;
    let at_idp = app.browse(&upstream).await;
    let callback = app.browse(&at_idp.location().unwrap()).await;
    let cookie = callback.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("claimgate-session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http public_url: no Secure flag");
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_eq!(value.len(), 43);
    assert!(!contains_encoded(value, "jane"));
}

/// `Cache-Control: no-store` is written once for every answer (startup's
/// default headers): pages, redirects, JSON, bare statuses and the edge's
/// refusals alike; only discovery and keys say they may be cached.
#[tokio::test]
async fn every_answer_but_discovery_is_no_store() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let notice = app.authorize_url(&APP_A, "openid", &[]);
    let cases = [
        client.get(notice),
        client.get(format!("{}/authorize?client_id=nobody", app.base)),
        client.get(format!("{}/userinfo", app.base)),
        client.post(format!("{}/token", app.base)).form(&[("grant_type", "nothing")]),
        client.post(format!("{}/revoke", app.base)).form(&[("token", "x"), ("client_id", "app-a")]),
        client.get(format!("{}/picture/unknown", app.base)),
        client.get(format!("{}/me", app.base)),
        client.get(format!("{}/callback/nobody", app.base)),
        client.get(format!("{}/auth?client=nobody", app.base)),
        client.get(format!("{}/authorize?q={}", app.base, "x".repeat(5000))),
        client.post(format!("{}/token", app.base)).body(vec![b'x'; 100_000]),
    ];
    for request in cases {
        let r = request.send().await.unwrap();
        let url = r.url().path().to_owned();
        let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(cache.as_deref(), Some("no-store"), "{url} ({})", r.status());
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{url} ({})", r.status());
    }
    let discovery = client.get(format!("{}/.well-known/openid-configuration", app.base)).send().await.unwrap();
    assert_eq!(discovery.headers()["cache-control"], "public, max-age=300");
}
