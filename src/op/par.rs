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
use crate::store::records::{random_handle, AuthorizationRequest, Prompt, PushedRequest};
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
    let refused = |error: OAuthError, description: String| {
        tracing::warn!(client = %client.id, error = error.code(), "pushed authorization request refused");
        TokenError::new(error, description)
    };
    let request = validate(&state, &params, true).map_err(|refusal| match refusal {
        Refusal::Unsafe(message) => refused(OAuthError::InvalidRequest, message),
        Refusal::ToApp(_, error, description) => refused(error, description.to_owned()),
    })?;
    let prompt = Prompt::parse(params.get("prompt").map(String::as_str))
        .map_err(|description| refused(OAuthError::InvalidRequest, description.to_owned()))?;
    // Only what /authorize acts on is kept, each bounded (the pre-login
    // memory bound of docs/SECURITY.md); every other pushed field is dropped.
    let provider = params.get("provider").filter(|p| client.providers.contains(p)).cloned();
    let handle = random_handle();
    state.records.put_pushed(&handle, &PushedRequest { request, prompt, provider }, LIFETIME).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(p) = &proof {
        dpop::spend(&state, p).await.map_err(|e| e.into_token_error(&state))?;
        response.insert_header(("DPoP-Nonce", dpop::nonce(&state)));
    }
    tracing::info!(client = %client.id, dpop = proof.is_some(), outcome = "pushed", "pushed authorization request");
    Ok(response.json(json!({ "request_uri": format!("{URN}{handle}"), "expires_in": LIFETIME.as_secs() })))
}

/// What a `request_uri` at `/authorize` names.
pub(super) enum Resolved {
    /// One of claimgate's pushed requests, now used.
    Pushed(PushedRequest),
    /// Not one of claimgate's URNs (a request object by reference, OIDC
    /// Core §6.2): answered at the app, whose request this validated, as
    /// `request_uri_not_supported`.
    NotSupported(AuthorizationRequest),
}

/// At `/authorize`: the pushed request `request_uri` names, consumed (§4:
/// single use), if it is the `client_id`'s. Refusals of claimgate's own
/// URNs are pages: until the request is found, its redirect URI is unknown.
pub(super) async fn resolve(
    state: &AppState,
    front: &HashMap<String, String>,
    request_uri: &str,
) -> Result<Resolved, PageError> {
    let invalid = || {
        PageError::bad_request(
            "The sign-in request has expired or was already used (invalid_request_uri). Please start again from the application.",
        )
    };
    let Some(handle) = request_uri.strip_prefix(URN) else {
        // Sent back only where the front channel names a registered
        // redirect URI of its client (RFC 6749 §4.1.2.1).
        return match validate(state, front, true) {
            Ok(request) => Ok(Resolved::NotSupported(request)),
            Err(Refusal::ToApp(request, ..)) => Ok(Resolved::NotSupported(*request)),
            Err(Refusal::Unsafe(message)) => Err(PageError::bad_request(message)),
        };
    };
    let client_id = front.get("client_id").ok_or_else(invalid)?;
    let Some(pushed) = state.records.take_pushed(handle).await? else {
        tracing::warn!(client = %client_id, reason = "unknown_request_uri", code = OAuthError::InvalidRequestUri.code(), "authorization refused");
        return Err(invalid());
    };
    // §4: the request_uri is bound to the client that pushed it.
    if pushed.request.client_id != *client_id {
        tracing::warn!(client = %client_id, reason = "request_uri_of_another_client", code = OAuthError::InvalidRequestUri.code(), "authorization refused");
        return Err(invalid());
    }
    // Validated when pushed, up to 60 s ago; the client and its redirect
    // URI must still be registered (a restart with another config).
    let registered = state
        .client(client_id)
        .is_some_and(|c| c.redirect_uris.iter().any(|r| r.matches(&pushed.request.redirect_uri)));
    if !registered {
        return Err(PageError::bad_request("The return address is not registered for this application."));
    }
    Ok(Resolved::Pushed(pushed))
}
