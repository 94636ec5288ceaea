//! `POST /token`: the authorization-code and refresh-token grants. Client
//! authentication by client_secret_basic or client_secret_post
//! (constant-time comparison), or none for public clients, which must then
//! prove PKCE. A DPoP proof (RFC 9449 §5) binds the tokens issued to its key.

use super::dpop::{self, DpopError};
use super::errors::{parse_params, OAuthError, TokenError};
use super::issue::{issue, Grant};
use super::AppState;
use crate::config::{ClientConfig, ClientKind};
use crate::dpop::Proof;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    let (client, params) = authenticated_form(state, req, body)?;
    // RFC 9449 §5: checked before anything is consumed, so that a nonce
    // challenge does not cost the client its code or refresh token.
    let proof = dpop::proof(state, req, "/token", None).map_err(|e| e.into_token_error(state))?;
    if proof.is_none() && client.require_dpop {
        return Err(DpopError::Required.into_token_error(state));
    }
    let proof = proof.as_ref();

    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(state, client, &params, proof).await,
        Some("refresh_token") => super::refresh::grant(state, client, &params, proof).await,
        Some(_) => {
            Err(TokenError::new(OAuthError::UnsupportedGrantType, "supported: authorization_code, refresh_token"))
        }
        None => Err(TokenError::invalid_request("grant_type is required")),
    }
}

/// RFC 6749 §4.1.3: the authorization-code grant.
async fn code_grant(
    state: &AppState,
    client: &ClientConfig,
    params: &HashMap<String, String>,
    proof: Option<&Proof>,
) -> Result<HttpResponse, TokenError> {
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
    // RFC 9449 §10: a code bound to a DPoP key is redeemed only with it.
    if let Some(bound) = &request.dpop_jkt {
        bound_key(state, bound, proof)?;
    }
    // The request is known good: its proof is now used (RFC 9449 §11.1).
    if let Some(p) = proof {
        super::dpop::spend(state, p).await.map_err(|e| e.into_token_error(state))?;
    }

    issue(
        state,
        client,
        Grant {
            session_id: &grant.session,
            scope: &request.scope,
            refresh_scope: &request.scope,
            nonce: request.nonce.as_deref(),
            auth_time: grant.auth_time,
            code: Some(code),
            family: None,
            claims: request.claims.as_ref(),
            dpop: proof,
        },
    )
    .await
}

/// Refuses unless `proof` is by the key a grant is bound to.
pub(super) fn bound_key(state: &AppState, bound: &str, proof: Option<&Proof>) -> Result<(), TokenError> {
    use subtle::ConstantTimeEq;
    match proof {
        Some(p) if bool::from(p.jkt.as_bytes().ct_eq(bound.as_bytes())) => Ok(()),
        Some(_) => Err(DpopError::WrongKey.into_token_error(state)),
        None => Err(DpopError::Required.into_token_error(state)),
    }
}

/// The form of an app back-end's request (`/token`, `/revoke`,
/// `/introspect`) and the client it authenticates.
pub fn authenticated_form<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(&'a ClientConfig, HashMap<String, String>), TokenError> {
    let form = std::str::from_utf8(body).map_err(|_| TokenError::invalid_request("the body is not UTF-8"))?;
    let params = parse_params(form)?;
    let client = authenticate(state, req, &params)?;
    Ok((client, params))
}

/// RFC 6749 §2.3.1: HTTP Basic (form-urlencoded id and secret) or the
/// client_secret_post parameters; exactly one method per request.
fn authenticate<'a>(
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

fn form_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|v| v.into_owned())
}
