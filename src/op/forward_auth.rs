//! Forward-auth for backends that cannot speak OIDC (nginx `auth_request`,
//! Traefik `ForwardAuth`, Envoy `ext_authz` over HTTP), for clients with
//! `mode = "forward-auth"`.
//!
//! - `GET /auth?client=ID`: with a valid forward-auth cookie, 200 and headers
//!   carrying only that client's allowed claims (and the pairwise subject);
//!   else 401, or a redirect to sign-in (`unauthenticated = "redirect"`).
//! - `GET /auth/start?client=ID&rd=URL`: sign-in; `rd` must be on one of the
//!   client's exact `return_origins` — never a suffix match.
//! - `GET /auth/callback`: claimgate's own redirect target; sets the cookie
//!   (an opaque id only) and returns to `rd`.

use crate::account::{consent, session};
use crate::config::{ClientConfig, ForwardAuth};
use crate::journey::begin::{begin, Begin};
use crate::messages::Msg;
use crate::pages;
use crate::policy::disclosure::{release_granted, Asked, Scopes};
use crate::policy::ProfileClaim;
use crate::protocol::binding::{self, BrowserBinding};
use crate::protocol::cookies;
use crate::protocol::errors::{PageError, Unavailable};
use crate::state::AppState;
use crate::store::records::{
    AuthorizationRequest, Code, ForwardReturn, ForwardReturnHandle, ForwardSession, ForwardSessionId,
};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeSet;
use url::Url;

const SCOPE: &str = "openid profile email";

/// The longest `rd` accepted.
const MAX_RETURN_URL_BYTES: usize = 2048;

fn callback_url(state: &AppState) -> String {
    format!("{}/auth/callback", state.issuer)
}

fn forward_client<'a>(state: &'a AppState, id: Option<&str>) -> Option<(&'a ClientConfig, &'a ForwardAuth)> {
    let client = state.client(id?)?;
    Some((client, client.forward_auth()?))
}

/// `rd`, if its origin is exactly one of the client's return origins.
fn allowed_return(fa: &ForwardAuth, rd: &str) -> Option<String> {
    // Stored until the sign-in ends: bounded like a redirect URI.
    if rd.len() > MAX_RETURN_URL_BYTES {
        return None;
    }
    let url = Url::parse(rd).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    fa.return_origins.contains(&origin).then(|| url.to_string())
}

/// The URL the user asked the proxy for: `X-Original-URL` (nginx), or
/// `X-Forwarded-Proto/Host/Uri` (Traefik).
fn original_url(req: &HttpRequest) -> Option<String> {
    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    h("x-original-url").or_else(|| {
        Some(format!(
            "{}://{}{}",
            h("x-forwarded-proto")?,
            h("x-forwarded-host")?,
            h("x-forwarded-uri").unwrap_or_else(|| "/".into())
        ))
    })
}

#[derive(Deserialize)]
pub struct AuthQuery {
    client: Option<String>,
}

/// `GET /auth`: the proxy's sub-request.
pub async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuthQuery>,
) -> Result<HttpResponse, Unavailable> {
    let Some((client, fa)) = forward_client(&state, q.client.as_deref()) else {
        return Ok(HttpResponse::BadRequest().body("unknown forward-auth client"));
    };
    let denied = || {
        let sign_in =
            original_url(&req).and_then(|u| allowed_return(fa, &u)).filter(|_| fa.redirect_when_unauthenticated);
        match sign_in {
            Some(rd) => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client", &client.id)
                    .append_pair("rd", &rd)
                    .finish();
                let start = format!("{}/auth/start?{query}", state.issuer);
                HttpResponse::Found().insert_header((header::LOCATION, start)).finish()
            }
            None => HttpResponse::Unauthorized().finish(),
        }
    };
    let Some(id) = cookies::presented(&req, &fa.cookie_name).map(ForwardSessionId::presented) else {
        return Ok(denied());
    };
    // One store read: the record holds what /auth answers; ending the
    // session deletes it. The client's provider policy is checked as it is now.
    let (fwd, consented) = match state.records.get_forward_session(&id).await? {
        Some(mut f)
            if f.client_id == client.id
                && f.expires_at > state.now()
                && session::admits(&state, client, &f.provider, &f.profile) =>
        {
            // A cookie from before consent governed forward-auth: sign in again.
            let Some(consented) = f.released.take() else { return Ok(denied()) };
            (f, consented)
        }
        _ => return Ok(denied()),
    };
    // What the user consented to when the cookie was set, within what the
    // client's config allows now: a widened config releases nothing new.
    let granted: BTreeSet<ProfileClaim> = consented.intersection(&client.claims).copied().collect();
    let values = release_granted(&fwd.profile, &granted);
    let mut ok = HttpResponse::Ok();
    ok.insert_header((fa.header_sub.clone(), fwd.subject.as_str()));
    let email = values.email.map(|e| e.address);
    for (value, name) in
        [(email, &fa.header_email), (values.name, &fa.header_user), (values.picture, &fa.header_picture)]
    {
        // Header values must be visible ASCII; anything else is not sent.
        // Every header is present, empty when nothing is released: a proxy
        // that copies them then overwrites whatever the browser sent.
        let v = value.filter(|v| v.bytes().all(|b| (0x20..0x7f).contains(&b)));
        ok.insert_header((name.clone(), v.unwrap_or("")));
    }
    Ok(ok.finish())
}

#[derive(Deserialize)]
pub struct StartQuery {
    client: Option<String>,
    rd: Option<String>,
    provider: Option<String>,
}

/// `GET /auth/start`: sign-in for a forward-auth client.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, PageError> {
    let Some((client, fa)) = forward_client(&state, q.client.as_deref()) else {
        return Err(PageError::bad_request(Msg::AppNotRegistered));
    };
    let Some(rd) = q.rd.as_deref().and_then(|rd| allowed_return(fa, rd)) else {
        tracing::warn!(client = %client.id, reason = "return_url_not_allowed", "forward-auth sign-in refused");
        return Err(PageError::bad_request(Msg::ReturnNotRegistered));
    };
    let handle = ForwardReturnHandle::random();
    let binding = BrowserBinding::of(&state, &req);
    let back = ForwardReturn { client_id: client.id.clone(), return_to: rd, binding: binding.digest() };
    state.records.put_forward_return(&handle, &back, state.config.lifetimes.pending_login).await?;
    let request = AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: callback_url(&state),
        scope: Scopes::parse(SCOPE),
        state: Some(handle.into_string()),
        nonce: None,
        code_challenge: None,
        max_age: None,
        dpop_jkt: None,
        claims: None,
    };
    let how = Begin {
        force_login: false,
        no_prompt: false,
        ask_consent: false,
        provider: q.provider.as_deref(),
        binding: &binding,
    };
    begin(&state, &req, request, how).await
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback`: the end of a forward-auth sign-in, in the browser
/// that began it (or nothing: no cookie, and the code is spent).
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let expired = || Err(PageError::Expired(Msg::OpenPageAgain));
    match q.error.as_deref() {
        // The store could not keep the code: claimgate's own 503 page.
        Some("temporarily_unavailable") => {
            return Ok(pages::refused(StatusCode::SERVICE_UNAVAILABLE, Msg::SignInUnavailableTitle, Msg::TryAgain));
        }
        Some(_) => return Ok(pages::refused(StatusCode::FORBIDDEN, Msg::SignInFailedTitle, Msg::SignInNotCompleted)),
        None => {}
    }
    let (Some(code), Some(handle)) = (q.code.as_deref(), q.state.as_deref()) else { return expired() };
    let (code, back_handle) = (Code::presented(code), ForwardReturnHandle::presented(handle));
    let (Some(grant), Some(back)) =
        (state.records.take_code(&code).await?, state.records.take_forward_return(&back_handle).await?)
    else {
        return expired();
    };
    if !binding::is_same_browser(&state, &req, &back.binding) {
        tracing::warn!(client = %back.client_id, reason = "browser_mismatch", "forward-auth sign-in refused");
        return Err(PageError::OtherBrowser);
    }
    // The code must have been issued for this very sign-in.
    if grant.request.client_id != back.client_id
        || grant.request.redirect_uri != callback_url(&state)
        || grant.request.state.as_deref() != Some(handle)
    {
        return expired();
    }
    let Some((client, fa)) = forward_client(&state, Some(&back.client_id)) else { return expired() };
    let Some(mut sso) = state.records.get_session(&grant.session).await? else { return expired() };
    let Some(ttl) = session::remaining(&state, &sso) else { return expired() };
    let id = ForwardSessionId::random();
    // The one release rule (policy::disclosure): asked ∩ configured ∩ consented.
    let (asked, consented) =
        consent::releasable(&state, client, (&sso.user_key, &grant.session), &grant.request.scope, None).await?;
    let claims = Asked::release(&asked.all(), &client.claims, &consented.given);
    let names: Vec<&str> = claims.iter().map(|c| c.as_str()).collect();
    session::note_disclosure(&state, &mut sso, &client.id, &names);
    // The session first, conditionally: one ended meanwhile stays ended.
    if !session::update(&state, &grant.session, &sso).await? {
        return expired();
    }
    // Whole (the provider policy is checked on it), but a picture link is
    // made only for a consented picture.
    let mut profile = sso.profile.clone();
    if !claims.contains(&ProfileClaim::Picture) {
        profile.picture = None;
    }
    let record = ForwardSession {
        client_id: client.id.clone(),
        session: grant.session.clone(),
        subject: state.keys.pseudonymizer.pairwise_subject(&client.id, &sso.user_key),
        provider: sso.provider.clone(),
        profile: crate::account::picture::for_client(&state, client, &sso, profile).await?,
        expires_at: sso.expires_at,
        released: Some(claims.clone()),
    };
    if !state.records.put_forward_session(&id, &record, ttl).await? {
        return expired();
    }
    tracing::info!(client = %client.id, claims = ?names, outcome = "success", "forward-auth sign-in");
    let secure = state.config.server.is_https() || back.return_to.starts_with("https://");
    let mut cookie = Cookie::build(fa.cookie_name.clone(), id.into_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(ttl.as_secs() as i64))
        .finish();
    if let Some(domain) = &fa.cookie_domain {
        cookie.set_domain(domain.clone());
    }
    let mut response = HttpResponse::Found().insert_header((header::LOCATION, back.return_to)).finish();
    let _ = response.add_cookie(&cookie);
    Ok(response)
}
