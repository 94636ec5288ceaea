//! `POST /token`: the authorization-code grant. Client authentication by
//! client_secret_basic or client_secret_post (constant-time comparison), or
//! none for public clients, which must then prove PKCE.

use super::errors::{parse_params, OAuthError, TokenError};
use super::{session, AppState};
use crate::config::{ClientConfig, ClientKind};
use crate::policy::disclosure::{release_granted, released, Released, Scopes};
use crate::signing::SigningKey;
use crate::store::records::{random_handle, AccessGrant};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::core::{CoreGenderClaim, CoreIdToken, CoreIdTokenClaims};
use openidconnect::{
    AccessToken, Audience, AuthorizationCode, EmptyAdditionalClaims, EndUserEmail, EndUserName, EndUserPictureUrl,
    IssuerUrl, LocalizedClaim, Nonce, StandardClaims, SubjectIdentifier,
};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, TokenError> {
    let result = grant(&req, &state, &body).await;
    let outcome = result.as_ref().map(|_| "success").unwrap_or_else(|e| e.error.code());
    state.metrics.token_requests.with_label_values(&[outcome]).inc();
    result
}

async fn grant(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<HttpResponse, TokenError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(TokenError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let form = std::str::from_utf8(body).map_err(|_| TokenError::invalid_request("the body is not UTF-8"))?;
    let params = parse_params(form)?;
    let client = authenticate(state, req, &params)?;

    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {}
        Some(_) => {
            return Err(TokenError::new(OAuthError::UnsupportedGrantType, "only authorization_code is supported"))
        }
        None => return Err(TokenError::invalid_request("grant_type is required")),
    }
    let code = params.get("code").ok_or_else(|| TokenError::invalid_request("code is required"))?;
    // Consumed atomically: a replayed code finds nothing.
    let Some(grant) = state.records.take_code(code).await? else {
        // RFC 6749 §4.1.2: a code presented twice revokes the tokens issued from it.
        let reason = match state.records.revoke_replayed_code(code).await? {
            true => "code_replayed",
            false => "unknown_or_used_code",
        };
        tracing::warn!(client = %client.id, reason, "token refused");
        return Err(TokenError::invalid_grant("the code is invalid, expired or already used"));
    };
    let request = &grant.request;
    if request.client_id != client.id {
        tracing::warn!(client = %client.id, reason = "code_of_another_client", "token refused");
        return Err(TokenError::invalid_grant("the code was issued to another client"));
    }
    if params.get("redirect_uri") != Some(&request.redirect_uri) {
        return Err(TokenError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    match (&request.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                tracing::warn!(client = %client.id, reason = "pkce_mismatch", "token refused");
                return Err(TokenError::invalid_grant("code_verifier does not match the code_challenge"));
            }
        }
        (Some(_), None) => return Err(TokenError::invalid_grant("code_verifier is required")),
        // A verifier without a challenge is a downgrade attempt (RFC 9700 §2.1.1).
        (None, Some(_)) => return Err(TokenError::invalid_grant("no code_challenge was sent for this code")),
        // A public client must prove PKCE here too, whatever the code says.
        (None, None) if client.is_public() => {
            return Err(TokenError::invalid_grant("public clients must use PKCE"));
        }
        (None, None) => {}
    }

    let Some(mut session) = state.records.get_session(&grant.session).await? else {
        return Err(TokenError::invalid_grant("the sign-in session has ended"));
    };
    let Some(session_left) = session::remaining(state, &session) else {
        return Err(TokenError::invalid_grant("the sign-in session has ended"));
    };

    let lifetime = state.config.lifetimes.access_token.min(Duration::from_secs(session_left.as_secs().max(1)));
    let access_token = random_handle();
    let scopes = Scopes::parse(&request.scope);
    let claims = released(&client.claims, &scopes);
    let subject = state.keys.pseudonymizer.pairwise_subject(&client.id, &session.user_key);
    let access = AccessGrant {
        client_id: client.id.clone(),
        session: grant.session.clone(),
        scope: request.scope.clone(),
        subject: subject.clone(),
        released: session.profile.only(&claims),
    };
    // Remember the release for the user's own view (/me).
    let names: Vec<&str> = claims.iter().map(|c| c.as_str()).collect();
    session::note_disclosure(state, &mut session, &client.id, &names);
    // The session first, conditionally: one ended meanwhile (logout,
    // erasure) stays ended, and no token is issued under it.
    if !state.records.update_session(&grant.session, &session, session_left).await? {
        return Err(TokenError::invalid_grant("the sign-in session has ended"));
    }
    if !state.records.put_access(&access_token, &access, lifetime, &session.user_key).await? {
        return Err(TokenError::invalid_grant("the sign-in session has ended"));
    }
    state.records.note_redeemed_code(code, &access_token, &grant.session, lifetime, &session.user_key).await?;

    let values = release_granted(&session.profile, &claims);
    let Some(signer) = state.keys.signing.signer(client.id_token_alg) else {
        // Keys::load refuses a config without a key for every client's algorithm.
        tracing::error!(client = %client.id, alg = %client.id_token_alg, "no signing key for the client's algorithm");
        return Err(TokenError::server_error());
    };
    let id_token = sign_id_token(
        signer,
        &IdTokenContent {
            issuer: &state.issuer,
            client_id: &client.id,
            subject,
            claims: &values,
            nonce: request.nonce.as_deref(),
            auth_time: grant.auth_time,
            now: state.clock.now(),
            lifetime,
            access_token: &access_token,
        },
    )
    .map_err(|e| {
        tracing::error!(error = %e, "ID token signing failed");
        TokenError::server_error()
    })?;

    let kept: Vec<&str> = claims.iter().map(|c| c.as_str()).collect();
    tracing::info!(client = %client.id, claims = ?kept, scope = %request.scope, outcome = "success", "tokens issued");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
            "id_token": id_token,
            "scope": request.scope,
        })))
}

/// RFC 6749 §2.3.1: HTTP Basic (form-urlencoded id and secret) or the
/// client_secret_post parameters; exactly one method per request.
pub fn authenticate<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    params: &HashMap<String, String>,
) -> Result<&'a ClientConfig, TokenError> {
    let basic = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| TokenError::invalid_client(true))?;
            let encoded = value
                .strip_prefix("Basic ")
                .or_else(|| value.strip_prefix("basic "))
                .ok_or(TokenError::invalid_client(true))?;
            let decoded = STANDARD.decode(encoded.trim()).map_err(|_| TokenError::invalid_client(true))?;
            let decoded = String::from_utf8(decoded).map_err(|_| TokenError::invalid_client(true))?;
            let (id, secret) = decoded.split_once(':').ok_or(TokenError::invalid_client(true))?;
            let id = form_decode(id).ok_or(TokenError::invalid_client(true))?;
            let secret = form_decode(secret).ok_or(TokenError::invalid_client(true))?;
            Some((id, secret))
        }
        None => None,
    };
    let used_basic = basic.is_some();
    let (id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => return Err(TokenError::invalid_request("use one client authentication method, not two")),
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|c| *c != id) {
                return Err(TokenError::invalid_request("client_id does not match the authenticated client"));
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = params.get("client_id").ok_or_else(|| TokenError::invalid_client(false))?;
            (id.clone(), secret.cloned())
        }
    };
    let client = state.client(&id).ok_or_else(|| {
        tracing::warn!(reason = "unknown_client", "token refused");
        TokenError::invalid_client(used_basic)
    })?;
    let ok = match (&client.kind, secret) {
        (ClientKind::Confidential { secret: expected }, Some(given)) => {
            bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes()))
        }
        // A public client authenticates with PKCE at the grant.
        (ClientKind::Public, None) => true,
        // Forward-auth clients never use the token endpoint: their codes are
        // redeemed by claimgate itself at /auth/callback.
        (ClientKind::ForwardAuth(_), _) => false,
        _ => false,
    };
    if !ok {
        tracing::warn!(client = %client.id, reason = "bad_client_credentials", "token refused");
        return Err(TokenError::invalid_client(used_basic));
    }
    Ok(client)
}

/// What an ID token says.
pub struct IdTokenContent<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The pairwise subject.
    pub subject: String,
    /// The released claim values (name, email, picture).
    pub claims: &'a Released<'a>,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    pub now: chrono::DateTime<chrono::Utc>,
    pub lifetime: Duration,
    /// For `at_hash`.
    pub access_token: &'a str,
}

#[derive(Debug, thiserror::Error)]
#[error("ID token signing failed: {0}")]
pub struct SigningError(String);

/// Signs an ID token (RS256) with claimgate's key.
pub fn sign_id_token(key: &SigningKey, c: &IdTokenContent) -> Result<String, SigningError> {
    let mut standard = StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(c.subject.clone()));
    if let Some(name) = c.claims.name {
        standard = standard.set_name(Some(LocalizedClaim::from(EndUserName::new(name.to_owned()))));
    }
    if let Some(email) = c.claims.email {
        standard = standard
            .set_email(Some(EndUserEmail::new(email.address.to_owned())))
            .set_email_verified(Some(email.verified));
    }
    if let Some(picture) = c.claims.picture {
        standard = standard.set_picture(Some(LocalizedClaim::from(EndUserPictureUrl::new(picture.to_owned()))));
    }
    let issuer = IssuerUrl::new(c.issuer.to_owned()).map_err(|e| SigningError(e.to_string()))?;
    let id_claims = CoreIdTokenClaims::new(
        issuer,
        vec![Audience::new(c.client_id.to_owned())],
        c.now + chrono::Duration::from_std(c.lifetime).unwrap_or(chrono::Duration::minutes(5)),
        c.now,
        standard,
        EmptyAdditionalClaims {},
    )
    .set_nonce(c.nonce.map(|n| Nonce::new(n.to_owned())))
    .set_auth_time(chrono::DateTime::from_timestamp(c.auth_time, 0));
    CoreIdToken::new(
        id_claims,
        key,
        key.alg().jws(),
        Some(&AccessToken::new(c.access_token.to_owned())),
        None::<&AuthorizationCode>,
    )
    .map(|t| t.to_string())
    .map_err(|e| SigningError(e.to_string()))
}

fn form_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|v| v.into_owned())
}
