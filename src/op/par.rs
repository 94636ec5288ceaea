//! Pushed authorization requests (RFC 9126): `POST /par` takes an
//! authenticated client's authorization request off the front channel and
//! answers a short-lived, single-use `request_uri` for `/authorize`. The
//! browser then carries nothing an attacker could change: redirect URI,
//! scope, PKCE challenge and DPoP key were set by the app's back end.

use super::authorize::{validate, Refusal};
use super::dpop::{self, DpopError};
use super::errors::{OAuthError, PageError, TokenError};
use super::token::authenticated_form;
use super::AppState;
use crate::store::records::random_handle;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// RFC 9126 §2.2: the `request_uri` prefix.
const URN: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request waits for the browser (RFC 9126 §2.2: short;
/// the app redirects at once).
pub const LIFETIME: Duration = Duration::from_secs(60);

pub async fn par(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, TokenError> {
    let (client, mut params) = authenticated_form(&state, &req, &body)?;
    // §2.1: a pushed request cannot itself point at one.
    if params.contains_key("request_uri") {
        return Err(TokenError::invalid_request("request_uri is not allowed in a pushed request"));
    }
    // Authenticated as this client: the request is this client's. Its
    // secret (client_secret_post) authenticated this call and is not kept.
    params.insert("client_id".into(), client.id.clone());
    params.remove("client_secret");
    // RFC 9449 §10.1: a DPoP proof binds the code to its key, as dpop_jkt
    // would; both must then name the same key.
    let proof = dpop::proof(&state, &req, "/par", None).map_err(|e| e.into_token_error(&state))?;
    if let Some(p) = &proof {
        match params.get("dpop_jkt") {
            Some(jkt) if *jkt != p.jkt => return Err(DpopError::WrongKey.into_token_error(&state)),
            _ => params.insert("dpop_jkt".into(), p.jkt.clone()),
        };
    }
    // §2.1: the same rules as at /authorize; errors as at the token endpoint (§2.3).
    if let Err(refusal) = validate(&state, &params, true) {
        let (error, description) = match refusal {
            Refusal::Unsafe(message) => (OAuthError::InvalidRequest, message),
            Refusal::ToApp(_, error, description) => (error, description.to_owned()),
        };
        tracing::warn!(client = %client.id, error = error.code(), "pushed authorization request refused");
        return Err(TokenError::new(error, description));
    }
    let handle = random_handle();
    state.records.put_pushed(&handle, &params.into_iter().collect(), LIFETIME).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(p) = &proof {
        dpop::spend(&state, p).await.map_err(|e| e.into_token_error(&state))?;
        response.insert_header(("DPoP-Nonce", dpop::nonce(&state)));
    }
    tracing::info!(client = %client.id, dpop = proof.is_some(), outcome = "pushed", "pushed authorization request");
    Ok(response.json(json!({ "request_uri": format!("{URN}{handle}"), "expires_in": LIFETIME.as_secs() })))
}

/// At `/authorize`: the pushed request `request_uri` names, consumed (§4:
/// single use), if it is the `client_id`'s. Refusals are pages: until the
/// request is found, its redirect URI is unknown.
pub(super) async fn resolve(
    state: &AppState,
    front: &HashMap<String, String>,
    request_uri: &str,
) -> Result<HashMap<String, String>, PageError> {
    let invalid = || {
        PageError::bad_request(
            "The sign-in request has expired or was already used (invalid_request_uri). Please start again from the application.",
        )
    };
    let handle = request_uri.strip_prefix(URN).ok_or_else(invalid)?;
    let client_id = front.get("client_id").ok_or_else(invalid)?;
    let Some(pushed) = state.records.take_pushed(handle).await? else {
        tracing::warn!(client = %client_id, reason = "unknown_request_uri", code = OAuthError::InvalidRequestUri.code(), "authorization refused");
        return Err(invalid());
    };
    // §4: the request_uri is bound to the client that pushed it.
    if pushed.get("client_id") != Some(client_id) {
        tracing::warn!(client = %client_id, reason = "request_uri_of_another_client", code = OAuthError::InvalidRequestUri.code(), "authorization refused");
        return Err(invalid());
    }
    Ok(pushed.into_iter().collect())
}
