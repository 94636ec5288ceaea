//! Client authentication at the back-channel endpoints (`/token`, `/par`,
//! `/introspect`, `/revoke`): RFC 6749 §2.3.1.

use crate::config::{ClientAuth, OidcApp};
use crate::protocol::errors::{parse_params, TokenError};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::HttpRequest;
use base64::{engine::general_purpose::STANDARD, Engine};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// The form of an app back-end's request (`/token`, `/revoke`,
/// `/introspect`) and the client it authenticates.
pub fn authenticated_form<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(OidcApp<'a>, HashMap<String, String>), TokenError> {
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
) -> Result<OidcApp<'a>, TokenError> {
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
    // Forward-auth clients never use these endpoints: their codes are
    // redeemed by claimgate itself at /auth/callback.
    let app = client.as_oidc().filter(|app| match (&app.oidc.auth, &secret) {
        (ClientAuth::Secret(expected), Some(given)) => {
            bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes()))
        }
        // A public client authenticates with PKCE at the grant.
        (ClientAuth::Public, None) => true,
        _ => false,
    });
    app.ok_or_else(|| {
        tracing::warn!(client = %client.id, reason = "bad_client_credentials", "token refused");
        TokenError::invalid_client(used_basic)
    })
}

fn form_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|v| v.into_owned())
}
