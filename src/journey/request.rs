//! The app's authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1),
//! validated the same way whether it comes through the front channel or was
//! pushed (RFC 9126 §2.1), and a pushed request found again from its
//! `request_uri` (§4).

use super::finish::app_error;
use crate::config::{ClientConfig, OidcApp};
use crate::ids::{ClientId, ProviderId};
use crate::messages::Msg;
use crate::policy::disclosure::{ClaimsRequest, Scopes};
use crate::protocol::errors::{OAuthError, PageError};
use crate::state::AppState;
use crate::store::records::{AuthorizationRequest, Prompt, PushedHandle, PushedRequest};
use actix_web::HttpResponse;
use std::collections::HashMap;
use std::time::Duration;

/// What `/authorize` was asked, once validated or found again.
pub enum Incoming {
    /// A request to go on with.
    Request(PushedRequest),
    /// Refused, and answered at the app (its redirect URI is registered).
    Refused(HttpResponse),
}

/// The request the front channel carries: a pushed one named by its
/// `request_uri` (RFC 9126 §4: used as it was pushed; of the front channel
/// only client_id, which must match, and request_uri count), or its own
/// parameters, validated. Refusals before the redirect URI is known good
/// are pages, never redirects (RFC 6749 §4.1.2.1).
pub async fn from_front_channel(state: &AppState, front: &HashMap<String, String>) -> Result<Incoming, PageError> {
    if let Some(uri) = front.get("request_uri") {
        return Ok(match resolve(state, front, uri).await? {
            Resolved::Pushed(p) => Incoming::Request(p),
            Resolved::NotSupported(request) => {
                let description = "request_uri is supported for pushed authorization requests (/par) only";
                Incoming::Refused(app_error(state, &request, OAuthError::RequestUriNotSupported, description))
            }
        });
    }
    let request = match validate(state, front, false) {
        Ok(r) => r,
        Err(Refusal::Unsafe(message)) => return Err(PageError::bad_request(message)),
        Err(Refusal::ToApp(request, error, description)) => {
            return Ok(Incoming::Refused(app_error(state, &request, error, description)))
        }
    };
    Ok(match Prompt::parse(front.get("prompt").map(String::as_str)) {
        Ok(prompt) => Incoming::Request(PushedRequest {
            request,
            prompt,
            provider: front.get("provider").map(|p| ProviderId::from(p.as_str())),
            ui_locale: None,
        }),
        Err(description) => Incoming::Refused(app_error(state, &request, OAuthError::InvalidRequest, description)),
    })
}

/// RFC 9126 §2.2: the `request_uri` prefix.
pub const URN: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request waits for the browser (RFC 9126 §2.2: short;
/// the app redirects at once).
pub const PAR_LIFETIME: Duration = Duration::from_secs(60);

/// Why an authorization request is refused.
pub enum Refusal {
    /// Before the client and its redirect URI are known good: never sent
    /// to the redirect URI (RFC 6749 §4.1.2.1).
    Unsafe(Msg),
    /// After: sent back to the app (or, for a pushed request, in the answer).
    ToApp(Box<AuthorizationRequest>, OAuthError, &'static str),
}

/// RFC 6749 §4.1.1 / OIDC Core §3.1.2.1–2. Client and redirect URI first;
/// the same rules for a pushed request (RFC 9126 §2.1), checked when it is
/// pushed and again when the browser brings it (`pushed`).
pub fn validate(
    state: &AppState,
    params: &HashMap<String, String>,
    pushed: bool,
) -> Result<AuthorizationRequest, Refusal> {
    let (client, mut request) = client_and_redirect(state, params)?;
    let fail = |request: &AuthorizationRequest, error: OAuthError, description: &'static str| {
        Err(Refusal::ToApp(Box::new(request.clone()), error, description))
    };
    // RFC 9126 §6: such a client's requests come only through /par.
    if client.oidc.require_pushed_authorization_requests && !pushed {
        return fail(&request, OAuthError::InvalidRequest, "this client must push its authorization requests (PAR)");
    }
    match params.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(_) => return fail(&request, OAuthError::UnsupportedResponseType, "only response_type=code is supported"),
        None => return fail(&request, OAuthError::InvalidRequest, "response_type is required"),
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return fail(&request, OAuthError::InvalidRequest, "only response_mode=query is supported");
    }
    if params.contains_key("request") {
        return fail(&request, OAuthError::RequestNotSupported, "request objects are not supported");
    }
    let scopes = Scopes::parse(params.get("scope").map(String::as_str).unwrap_or(""));
    if !scopes.contains("openid") {
        return fail(&request, OAuthError::InvalidScope, "the openid scope is required");
    }
    // OIDC Core §11: offline access only for clients configured for it;
    // for the others the scope is not granted (RFC 6749 §3.3).
    let scopes = if client.oidc.refresh_tokens { scopes } else { scopes.without("offline_access") };
    request.scope = scopes;
    // PKCE for public clients (RFC 9700 §2.1.1) and FAPI 2.0 clients (§5.3.2.2).
    if let Err(description) = proof_keys(client.is_public() || client.oidc.fapi2, params, &mut request) {
        return fail(&request, OAuthError::InvalidRequest, description);
    }
    if let Err(description) = the_rest(params, &mut request) {
        return fail(&request, OAuthError::InvalidRequest, description);
    }
    Ok(request)
}

/// The client and its exact redirect URI: refused before either is known
/// good, never at the redirect URI (RFC 6749 §4.1.2.1).
fn client_and_redirect<'a>(
    state: &'a AppState,
    params: &HashMap<String, String>,
) -> Result<(OidcApp<'a>, AuthorizationRequest), Refusal> {
    let client_id = params.get("client_id").ok_or(Refusal::Unsafe(Msg::NoClientId))?;
    // A forward-auth client signs in through /auth/start only.
    let client =
        state.client(client_id).and_then(ClientConfig::as_oidc).ok_or(Refusal::Unsafe(Msg::AppNotRegistered))?;
    let redirect_uri = params.get("redirect_uri").ok_or(Refusal::Unsafe(Msg::NoRedirectUri))?;
    if !client.oidc.redirect_uris.iter().any(|r| r.matches(redirect_uri)) {
        return Err(Refusal::Unsafe(Msg::ReturnNotRegistered));
    }
    let request = AuthorizationRequest {
        client_id: ClientId::from(client_id.as_str()),
        redirect_uri: redirect_uri.clone(),
        scope: Scopes::default(),
        state: params.get("state").cloned(),
        nonce: params.get("nonce").cloned(),
        code_challenge: None,
        max_age: None,
        dpop_jkt: None,
        claims: None,
    };
    Ok((client, request))
}

/// PKCE (RFC 7636 §4.2–4.3; public clients must use it) and the DPoP key
/// the code will be bound to (RFC 9449 §10).
fn proof_keys(
    pkce_required: bool,
    params: &HashMap<String, String>,
    request: &mut AuthorizationRequest,
) -> Result<(), &'static str> {
    match (params.get("code_challenge"), params.get("code_challenge_method").map(String::as_str)) {
        // BASE64URL(SHA256(verifier)) is 43 characters.
        (Some(challenge), Some("S256")) if is_sha256_base64url(challenge) => {
            request.code_challenge = Some(challenge.clone())
        }
        (Some(_), Some("S256")) => return Err("code_challenge is not a S256 challenge"),
        (Some(_), _) => return Err("code_challenge_method must be S256"),
        (None, Some(_)) => return Err("code_challenge is missing"),
        (None, None) if pkce_required => return Err("this client must use PKCE (S256)"),
        (None, None) => {}
    }
    if let Some(jkt) = params.get("dpop_jkt") {
        if !is_sha256_base64url(jkt) {
            return Err("dpop_jkt is not a SHA-256 JWK thumbprint");
        }
        request.dpop_jkt = Some(jkt.clone());
    }
    Ok(())
}

/// The `claims` parameter, `max_age`, and the lengths of `state` and `nonce`.
fn the_rest(params: &HashMap<String, String>, request: &mut AuthorizationRequest) -> Result<(), &'static str> {
    // OIDC Core §5.5: claims asked beside the scopes (never past the
    // client's configured claims, nor past the user's consent).
    if let Some(claims) = params.get("claims") {
        request.claims = Some(ClaimsRequest::parse(claims)?);
    }
    // OIDC Core §3.1.2.1: a non-negative integer of seconds.
    if let Some(max_age) = params.get("max_age") {
        request.max_age = Some(max_age.parse::<u64>().map_err(|_| "max_age must be a number of seconds")?);
    }
    if request.nonce.as_ref().is_some_and(|n| n.len() > 512) || request.state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err("state or nonce is too long");
    }
    Ok(())
}

/// A base64url SHA-256 digest (a PKCE S256 challenge, a JWK thumbprint): 43 characters.
fn is_sha256_base64url(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a `request_uri` at `/authorize` names.
pub enum Resolved {
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
pub async fn resolve(
    state: &AppState,
    front: &HashMap<String, String>,
    request_uri: &str,
) -> Result<Resolved, PageError> {
    let invalid = || PageError::bad_request(Msg::RequestUriInvalid);
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
    let Some(pushed) = state.records.take_pushed(&PushedHandle::presented(handle)).await? else {
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
        .and_then(|c| c.oidc())
        .is_some_and(|c| c.redirect_uris.iter().any(|r| r.matches(&pushed.request.redirect_uri)));
    if !registered {
        return Err(PageError::bad_request(Msg::ReturnNotRegistered));
    }
    Ok(Resolved::Pushed(pushed))
}
