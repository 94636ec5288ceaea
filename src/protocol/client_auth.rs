//! Client authentication at the back-channel endpoints (`/token`, `/par`,
//! `/introspect`, `/revoke`): a secret (RFC 6749 §2.3.1), a JWT signed with
//! the client's key (`private_key_jwt`, RFC 7523 §2.2, OIDC Core §9), or
//! none for a public client. Exactly one method per request, and only the
//! client's own.

use crate::client_assertion::{self, Expected, ALGORITHMS, ASSERTION_TYPE, FAPI2_ALGORITHMS};
use crate::config::{ClientAuth, ClientConfig, OidcApp};
use crate::protocol::errors::{parse_params, TokenError};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::HttpRequest;
use base64::{engine::general_purpose::STANDARD, Engine};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The form of an app back-end's request (`/token`, `/par`, `/revoke`,
/// `/introspect`) and the client it authenticates.
pub async fn authenticated_form<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(OidcApp<'a>, HashMap<String, String>), TokenError> {
    let form = std::str::from_utf8(body).map_err(|_| TokenError::invalid_request("the body is not UTF-8"))?;
    let params = parse_params(form)?;
    let basic = basic_credentials(req)?;
    let client = if params.contains_key("client_assertion") || params.contains_key("client_assertion_type") {
        if basic.is_some() || params.contains_key("client_secret") {
            return Err(TokenError::invalid_request("use one client authentication method, not two"));
        }
        by_assertion(state, req, &params).await?
    } else {
        by_secret(state, basic, &params)?
    };
    Ok((client, params))
}

/// HTTP Basic: form-urlencoded id and secret (RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, TokenError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let refused = || TokenError::invalid_client(true);
    let value = value.to_str().map_err(|_| refused())?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")).ok_or_else(refused)?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| refused())?;
    let decoded = String::from_utf8(decoded).map_err(|_| refused())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(refused)?;
    Ok(Some((form_decode(id).ok_or_else(refused)?, form_decode(secret).ok_or_else(refused)?)))
}

/// client_secret_basic, client_secret_post, or a public client's bare
/// `client_id`: each only for a client registered for it.
fn by_secret<'a>(
    state: &'a AppState,
    basic: Option<(String, String)>,
    params: &HashMap<String, String>,
) -> Result<OidcApp<'a>, TokenError> {
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
        // A private_key_jwt client only with its assertion.
        _ => false,
    });
    app.ok_or_else(|| {
        tracing::warn!(client = %client.id, reason = "bad_client_credentials", "token refused");
        TokenError::invalid_client(used_basic)
    })
}

/// `private_key_jwt`: the assertion names its client (`sub`), is signed
/// by one of that client's keys, and is used once.
async fn by_assertion<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    params: &HashMap<String, String>,
) -> Result<OidcApp<'a>, TokenError> {
    let refused = |client: Option<&str>, reason: &str| {
        tracing::warn!(client = client.unwrap_or("-"), reason, "client assertion refused");
        TokenError::invalid_client(false)
    };
    // RFC 7523 §2.2: this exact type, and the assertion.
    if params.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(refused(None, "assertion_type"));
    }
    let assertion = params
        .get("client_assertion")
        .ok_or_else(|| TokenError::invalid_request("client_assertion is required with client_assertion_type"))?;
    let claimed = client_assertion::claimed(assertion).map_err(|e| refused(None, e.reason()))?;
    // RFC 7521 §4.2: a client_id, if sent, names the same client.
    if params.get("client_id").is_some_and(|c| *c != claimed.client_id) {
        return Err(refused(None, "client_id_mismatch"));
    }
    let client = state
        .client(&claimed.client_id)
        .and_then(ClientConfig::as_oidc)
        .filter(|app| matches!(app.oidc.auth, ClientAuth::PrivateKeyJwt(_)))
        .ok_or_else(|| refused(None, "not_a_private_key_jwt_client"))?;
    let id = Some(client.id.as_str());
    // Before any key is fetched: no fetch for `none`, HMAC or, under FAPI 2.0, RS256.
    let algorithms: &[&str] = if client.oidc.fapi2 { &FAPI2_ALGORITHMS } else { &ALGORITHMS };
    if !algorithms.contains(&claimed.alg.as_str()) {
        return Err(refused(id, "assertion_alg"));
    }
    let key = state.client_keys.key_for(&client, claimed.kid.as_deref(), &claimed.alg).await.map_err(|e| {
        tracing::debug!(client = %client.id, error = %e, "no key for the assertion");
        refused(id, "assertion_kid")
    })?;
    let endpoint = format!("{}{}", state.issuer, req.path());
    // FAPI 2.0: the issuer only; others may also name the endpoint (RFC 7523 §3 point 3).
    let audiences: Vec<&str> = match client.oidc.fapi2 {
        true => vec![state.issuer.as_str()],
        false => vec![state.issuer.as_str(), endpoint.as_str()],
    };
    let expected = Expected {
        client_id: &client.id,
        audiences: &audiences,
        audience_as_string: client.oidc.fapi2,
        algorithms,
        now: state.now(),
    };
    let valid =
        client_assertion::validate(assertion, &claimed, &key, &expected).map_err(|e| refused(id, e.reason()))?;
    // RFC 7523 §3 point 7: single use, remembered until it expires.
    let ttl = Duration::from_secs(u64::try_from(valid.exp - state.now()).unwrap_or(0).max(1));
    if !state.records.spend_client_assertion(&client.id, &valid.jti, ttl).await? {
        return Err(refused(id, "assertion_replayed"));
    }
    Ok(client)
}

fn form_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|v| v.into_owned())
}
