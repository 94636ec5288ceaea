//! An off-the-shelf OpenID Connect client (the `openidconnect` crate) signs
//! in through claimgate: discovery, code flow with PKCE, ID-token validation
//! against claimgate's JWKS, userinfo.

use crate::helpers::*;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};

#[tokio::test]
async fn openidconnect_crate_completes_a_login_and_sees_only_allowed_claims() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
        .await
        .expect("claimgate discovery");
    let mut subjects = Vec::new();
    for client in [&APP_A, &APP_B] {
        let rp = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client.id.into()),
            Some(ClientSecret::new(client.secret.unwrap().into())),
        )
        .set_redirect_uri(RedirectUrl::new(client.redirect_uri.into()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf, nonce) = rp
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let params = match app.walk(url.as_str(), client.redirect_uri).await {
            LoginEnd::App(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(&params["state"], csrf.secret());
        let tokens = rp
            .exchange_code(AuthorizationCode::new(params["code"].clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .expect("token exchange");
        let id_token = tokens.id_token().expect("an ID token");
        let claims = id_token.claims(&rp.id_token_verifier(), &nonce).expect("ID token validates");
        assert_ne!(claims.subject().as_str(), app.idp.upstream_subject());
        subjects.push(claims.subject().clone());
        let info: CoreUserInfoClaims =
            rp.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.expect("userinfo");
        assert_eq!(info.subject(), claims.subject());
        if client.id == APP_A.id {
            assert_eq!(info.email().unwrap().as_str(), "jane.doe@example.com");
            assert!(info.picture().is_some() && info.name().is_some());
        } else {
            assert!(info.email().is_none() && info.picture().is_none());
            assert!(info.name().is_some());
        }
        assert!(info.given_name().is_none() && info.family_name().is_none() && info.locale().is_none());
        assert!(info.phone_number().is_none() && info.birthdate().is_none() && info.address().is_none());
    }
    assert_ne!(subjects[0], subjects[1]);
}
