//! A misbehaving upstream: every case must end in a clear error page and a
//! refused login, and claimgate must keep serving.

use crate::helpers::*;
use crate::idp::Misbehaviour::{self, *};

async fn refused(m: Misbehaviour, expected_reason: &str) {
    let app = spawn_app().await;
    app.idp.misbehave(m);
    match app.login(&APP_A, "openid profile email", &[]).await {
        LoginEnd::Page(status, body) => {
            assert!(status >= 400, "{m:?}: status {status}");
            assert!(body.contains("<h1>"), "{m:?}: an HTML error page");
            assert!(!body.contains(app.idp.marker()), "{m:?}: the page shows no upstream value");
        }
        LoginEnd::App(p) => panic!("{m:?}: login was not refused: {p:?}"),
    }
    assert!(
        logs().lines().any(|l| l.contains(expected_reason) && l.contains("outcome=\"failure\"")),
        "{m:?}: no failure logged with reason {expected_reason}"
    );
    assert!(app.store.dump().await.iter().all(|(k, _)| !k.starts_with("session:")), "{m:?}: no session opened");
    // Still serving: a well-behaved login right after succeeds.
    app.idp.misbehave(None);
    app.full_login(&APP_A, "openid email").await;
}

#[tokio::test]
async fn bad_signature() {
    refused(BadSignature, "id_token_bad_signature").await;
}

#[tokio::test]
async fn alg_none() {
    refused(AlgNone, "id_token_unsigned").await;
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key() {
    refused(Hs256WithPublicKey, "id_token_disallowed_alg").await;
}

#[tokio::test]
async fn hs256_signed_with_the_client_secret() {
    refused(Hs256WithClientSecret, "id_token_disallowed_alg").await;
}

#[tokio::test]
async fn wrong_issuer() {
    refused(WrongIssuer, "id_token_wrong_issuer").await;
}

/// Google's scheme-less spelling is accepted for Google only; elsewhere an
/// `iss` that is not a URL makes the token response unreadable.
#[tokio::test]
async fn issuer_without_scheme_is_refused_for_other_providers() {
    refused(GoogleBareIssuer, "token_response_unreadable").await;
}

#[tokio::test]
async fn wrong_audience() {
    refused(WrongAudience, "id_token_wrong_audience").await;
}

#[tokio::test]
async fn extra_audience_without_azp() {
    refused(ExtraAudienceWithoutAzp, "id_token_wrong_audience").await;
}

#[tokio::test]
async fn azp_of_another_client() {
    refused(WrongAzp, "id_token_wrong_audience").await;
}

#[tokio::test]
async fn expired_id_token() {
    refused(Expired, "id_token_expired").await;
}

#[tokio::test]
async fn nonce_mismatch() {
    refused(NonceMismatch, "id_token_nonce_mismatch").await;
}

#[tokio::test]
async fn missing_nonce() {
    refused(MissingNonce, "id_token_nonce_mismatch").await;
}

#[tokio::test]
async fn unknown_kid_after_a_jwks_refetch() {
    refused(UnknownKid, "id_token_unknown_key").await;
}

#[tokio::test]
async fn unverified_email() {
    refused(UnverifiedEmail, "unverified_email").await;
}

#[tokio::test]
async fn state_mismatch() {
    refused(StateMismatch, "unknown_state").await;
}

#[tokio::test]
async fn wrong_rfc9207_iss_parameter() {
    refused(WrongIssParameter, "iss_parameter_mismatch").await;
}

#[tokio::test]
async fn token_endpoint_error() {
    refused(TokenEndpointError, "token_endpoint_error").await;
}

#[tokio::test]
async fn userinfo_sub_mismatch() {
    let app = spawn_app().await;
    *app.idp.state.profile_in_id_token.lock().unwrap() = false;
    app.idp.misbehave(UserinfoSubMismatch);
    assert!(matches!(app.login(&APP_A, "openid", &[]).await, LoginEnd::Page(502, _)));
    assert!(logs().contains("userinfo_sub_mismatch"));
}

#[tokio::test]
async fn a_rotated_key_is_found_by_refetching_the_jwks() {
    let app = spawn_app().await;
    app.idp.misbehave(RotatedKey);
    app.full_login(&APP_A, "openid").await;
}

#[tokio::test]
async fn unverified_email_is_accepted_where_the_provider_allows_it() {
    let app = spawn_app_with(|c| {
        c.set("providers.idp", "allow_unverified_email", true);
    })
    .await;
    app.idp.misbehave(UnverifiedEmail);
    let tokens = app.full_login(&APP_A, "openid email").await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["email_verified"], false);
}

#[tokio::test]
async fn a_replayed_upstream_callback_is_refused() {
    let app = spawn_app().await;
    let upstream = app.authorize_to_upstream(&app.authorize_url(&APP_A, "openid", &[])).await;
    let at_idp = app.browse(&upstream).await;
    let callback = at_idp.location().unwrap();
    assert!(matches!(app.walk(&callback, APP_A.redirect_uri).await, LoginEnd::App(_)));
    match app.walk(&callback, APP_A.redirect_uri).await {
        LoginEnd::Page(400, body) => assert!(body.contains("expired")),
        other => panic!("replayed callback accepted: {other:?}"),
    }
}

#[tokio::test]
async fn an_id_token_issued_in_the_future_is_refused() {
    refused(IssuedInFuture, "id_token_issued_in_future").await;
}

#[tokio::test]
async fn a_missing_rfc9207_iss_is_refused_where_discovery_promises_it() {
    refused(OmitIssParameter, "iss_parameter_missing").await;
}

#[tokio::test]
async fn an_oversized_token_response_is_not_read() {
    refused(HugeTokenResponse, "token_endpoint_error").await;
}

#[tokio::test]
async fn a_key_the_provider_removed_stops_being_trusted_after_its_max_age() {
    let clock = std::sync::Arc::new(claimgate::clock::ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options { clock: clock.clone(), ..Options::default() }).await;
    app.full_login(&APP_A, "openid").await;
    let fetches = *app.idp.state.jwks_fetches.lock().unwrap();
    // The provider drops its key (it says the set may be cached 600 s).
    app.idp.misbehave(RemovedKey);
    app.login(&APP_A, "openid", &[("prompt", "login")]).await.code();
    assert_eq!(*app.idp.state.jwks_fetches.lock().unwrap(), fetches, "still within max-age: no refetch");
    clock.advance(chrono::Duration::seconds(601));
    match app.login(&APP_A, "openid", &[("prompt", "login")]).await {
        LoginEnd::Page(502, body) => assert!(body.contains("id_token_unknown_key"), "{body}"),
        other => panic!("a removed key was still trusted: {other:?}"),
    }
    assert_eq!(
        *app.idp.state.jwks_fetches.lock().unwrap(),
        fetches + 1,
        "one refetch: stale keys and the unknown kid share it"
    );
}
