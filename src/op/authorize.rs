//! `GET|POST /authorize`: validates the app's request, then either answers at
//! once from the SSO session or sends the user to the upstream provider.

use super::binding::{self, BrowserBinding};
use super::errors::{parse_params, OAuthError, PageError};
use super::flow::{app_error, begin, consent_then_code, Begin, Seen};
use super::par::Resolved;
use super::{session, AppState};
use crate::policy::disclosure::{ClaimsRequest, Scopes};
use crate::policy::ProfileClaim;
use crate::store::records::{AuthorizationRequest, PendingLogin, Prompt};
use crate::upstream::StartOptions;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::{BTreeSet, HashMap};

pub async fn authorize_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    authorize(&req, &state, req.query_string()).await
}

pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = std::str::from_utf8(&body).map_err(|_| PageError::bad_request("The request is not valid form data."))?;
    authorize(&req, &state, form).await
}

async fn authorize(req: &HttpRequest, state: &AppState, raw: &str) -> Result<HttpResponse, PageError> {
    let front = parse_params(raw)?;
    // RFC 9126 §4: a pushed request is used as it was pushed; of the front
    // channel only client_id (which must match) and request_uri count.
    let (request, prompt, provider) = match front.get("request_uri") {
        Some(uri) => match super::par::resolve(state, &front, uri).await? {
            Resolved::Pushed(p) => (p.request, p.prompt, p.provider),
            Resolved::NotSupported(request) => {
                let description = "request_uri is supported for pushed authorization requests (/par) only";
                return Ok(app_error(state, &request, OAuthError::RequestUriNotSupported, description));
            }
        },
        None => {
            let request = match validate(state, &front, false) {
                Ok(r) => r,
                Err(Refusal::Unsafe(message)) => return Err(PageError::bad_request(message)),
                Err(Refusal::ToApp(request, error, description)) => {
                    return Ok(app_error(state, &request, error, description))
                }
            };
            let prompt = match Prompt::parse(front.get("prompt").map(String::as_str)) {
                Ok(p) => p,
                Err(description) => return Ok(app_error(state, &request, OAuthError::InvalidRequest, description)),
            };
            (request, prompt, front.get("provider").cloned())
        }
    };
    let how = Begin {
        // OIDC Core §3.1.2.1 (errata): max_age=0 is prompt=login.
        force_login: prompt.login || request.max_age == Some(0),
        no_prompt: prompt.none,
        ask_consent: prompt.consent,
        provider: provider.as_deref(),
        binding: &BrowserBinding::of(state, req),
    };
    begin(state, req, request, how).await
}

/// The notice's form: its ticket, the provider button pressed, and the
/// optional claims ticked (`claim`, repeated).
struct ContinueForm {
    ticket: String,
    provider: Option<String>,
    ticked: BTreeSet<ProfileClaim>,
}

impl ContinueForm {
    fn parse(body: &[u8]) -> Option<ContinueForm> {
        let (mut ticket, mut provider, mut ticked) = (None, None, BTreeSet::new());
        for (k, v) in url::form_urlencoded::parse(body) {
            match &*k {
                "ticket" => ticket = Some(v.into_owned()),
                "provider" => provider = Some(v.into_owned()),
                // Unknown names are not claimgate's claims: ignored.
                "claim" => ticked.extend(v.parse::<ProfileClaim>().ok()),
                _ => {}
            }
        }
        Some(ContinueForm { ticket: ticket?, provider, ticked })
    }
}

/// `POST /authorize/continue`: the user pressed the notice page's button.
/// Only the browser the notice was shown to may: the ticket is not a bearer value.
pub async fn continue_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(form) = ContinueForm::parse(&body) else {
        return Err(PageError::bad_request("The form is not complete. Please start again from the application."));
    };
    let Some(ticket) = state.records.take_ticket(&form.ticket).await? else {
        return Err(PageError::Expired(
            "The page was already used or is too old. Please start again from the application.",
        ));
    };
    if !binding::is_same_browser(&state, &req, &ticket.binding) {
        tracing::warn!(client = %ticket.request.client_id, reason = "browser_mismatch", "authorization refused");
        return Err(PageError::OtherBrowser);
    }
    let request = ticket.request;
    let Some(client) = state.client(&request.client_id) else {
        return Err(PageError::bad_request("This application is no longer registered."));
    };
    let session = match ticket.force_login {
        true => None,
        false => {
            session::current(&state, &req).await?.filter(|(_, s)| session::serves(&state, client, s, request.max_age))
        }
    };
    if let Some((id, s)) = session {
        // The user has just seen the notice: its choices if it offered them.
        let seen = match ticket.choices_shown {
            true => Seen::Choices(form.ticked),
            false => Seen::Notice,
        };
        let step = consent_then_code(&state, request, &id, &s, seen, ticket.binding).await?;
        return Ok(BrowserBinding::of(&state, &req).attach(&state, step.into_response()));
    }
    let chosen = match form.provider.as_deref() {
        Some(p) => client.providers.iter().find(|c| *c == p),
        None if client.providers.len() == 1 => client.providers.first(),
        None => None,
    };
    let Some(provider) = chosen.and_then(|p| state.providers.get(p)).cloned() else {
        return Ok(app_error(
            &state,
            &request,
            OAuthError::InvalidRequest,
            "no provider this application allows was chosen",
        ));
    };
    let start = provider.start(StartOptions { force_login: ticket.force_login, max_age: request.max_age });
    let pending =
        PendingLogin { provider: provider.id().to_owned(), upstream: start.pending, request, binding: ticket.binding };
    state.records.put_pending(&pending.upstream.state, &pending, state.config.lifetimes.pending_login).await?;
    tracing::info!(client = %pending.request.client_id, provider = %pending.provider, outcome = "upstream_redirect", "authorization");
    state.metrics.logins_started.with_label_values(&[&pending.provider, &pending.request.client_id]).inc();
    let redirect = HttpResponse::Found()
        .insert_header((header::LOCATION, start.url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    // Renewed: the provider's page may take the user a while.
    Ok(BrowserBinding::of(&state, &req).attach(&state, redirect))
}

/// Why an authorization request is refused.
pub(super) enum Refusal {
    /// Before the client and its redirect URI are known good: never sent
    /// to the redirect URI (RFC 6749 §4.1.2.1).
    Unsafe(String),
    /// After: sent back to the app (or, for a pushed request, in the answer).
    ToApp(Box<AuthorizationRequest>, OAuthError, &'static str),
}

/// RFC 6749 §4.1.1 / OIDC Core §3.1.2.1–2. Client and redirect URI first;
/// the same rules for a pushed request (RFC 9126 §2.1), checked when it is
/// pushed and again when the browser brings it (`pushed`).
pub(super) fn validate(
    state: &AppState,
    params: &HashMap<String, String>,
    pushed: bool,
) -> Result<AuthorizationRequest, Refusal> {
    let unsafe_ = |m: &str| Refusal::Unsafe(m.to_owned());
    let client_id =
        params.get("client_id").ok_or_else(|| unsafe_("The application did not say who it is (client_id)."))?;
    let client =
        state.client(client_id).ok_or_else(|| unsafe_("This application is not registered with claimgate."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| unsafe_("The application did not say where to return (redirect_uri)."))?;
    if !client.redirect_uris.iter().any(|r| r.matches(redirect_uri)) {
        return Err(unsafe_("The return address is not registered for this application."));
    }

    let mut request = AuthorizationRequest {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scope: String::new(),
        state: params.get("state").cloned(),
        nonce: params.get("nonce").cloned(),
        code_challenge: None,
        max_age: None,
        dpop_jkt: None,
        claims: None,
    };
    let fail = |request: &AuthorizationRequest, error: OAuthError, description: &'static str| {
        Err(Refusal::ToApp(Box::new(request.clone()), error, description))
    };

    // RFC 9126 §6: such a client's requests come only through /par.
    if client.require_pushed_authorization_requests && !pushed {
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
    let scopes = if client.refresh_tokens { scopes } else { scopes.without("offline_access") };
    request.scope = scopes.as_string();

    match (params.get("code_challenge"), params.get("code_challenge_method").map(String::as_str)) {
        (Some(challenge), Some("S256")) => {
            // RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
            if !is_sha256_base64url(challenge) {
                return fail(&request, OAuthError::InvalidRequest, "code_challenge is not a S256 challenge");
            }
            request.code_challenge = Some(challenge.clone());
        }
        (Some(_), _) => {
            return fail(&request, OAuthError::InvalidRequest, "code_challenge_method must be S256");
        }
        (None, Some(_)) => return fail(&request, OAuthError::InvalidRequest, "code_challenge is missing"),
        (None, None) if client.is_public() => {
            return fail(&request, OAuthError::InvalidRequest, "public clients must use PKCE (S256)");
        }
        (None, None) => {}
    }
    // RFC 9449 §10: the code will be redeemable only with this DPoP key.
    if let Some(jkt) = params.get("dpop_jkt") {
        if !is_sha256_base64url(jkt) {
            return fail(&request, OAuthError::InvalidRequest, "dpop_jkt is not a SHA-256 JWK thumbprint");
        }
        request.dpop_jkt = Some(jkt.clone());
    }
    // OIDC Core §5.5: claims asked beside the scopes (never past the
    // client's configured claims, nor past the user's consent).
    if let Some(claims) = params.get("claims") {
        match ClaimsRequest::parse(claims) {
            Ok(c) => request.claims = Some(c),
            Err(description) => return fail(&request, OAuthError::InvalidRequest, description),
        }
    }
    // OIDC Core §3.1.2.1: a non-negative integer of seconds.
    if let Some(max_age) = params.get("max_age") {
        match max_age.parse::<u64>() {
            Ok(seconds) => request.max_age = Some(seconds),
            Err(_) => return fail(&request, OAuthError::InvalidRequest, "max_age must be a number of seconds"),
        }
    }
    if request.nonce.as_ref().is_some_and(|n| n.len() > 512) || request.state.as_ref().is_some_and(|s| s.len() > 2048) {
        return fail(&request, OAuthError::InvalidRequest, "state or nonce is too long");
    }
    Ok(request)
}

/// A base64url SHA-256 digest (a PKCE S256 challenge, a JWK thumbprint): 43 characters.
fn is_sha256_base64url(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
