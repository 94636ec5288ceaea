//! The steps every sign-in shares, whichever endpoint began it (`/authorize`
//! or forward-auth's `/auth/start`) and wherever it ends (the notice's
//! continue, the upstream callback): answer from the session or show the
//! notice, issue a code, send the user back to the app.

use super::binding::BrowserBinding;
use super::errors::{OAuthError, PageError};
use super::{session, AppState};
use crate::config::ClientConfig;
use crate::pages;
use crate::policy::disclosure::{released, Scopes};
use crate::policy::ProfileClaim;
use crate::store::records::{random_handle, AuthCode, AuthorizationRequest, Ticket};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::BTreeSet;

/// A redirect to the app carrying `params`, plus `state` and the RFC 9207 `iss`.
pub fn redirect_to_app(state: &AppState, request: &AuthorizationRequest, params: &[(&str, &str)]) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, app_url(state, request, params)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The app's registered redirect URI, exactly as registered, with `params`,
/// `state` and the RFC 9207 `iss` added to its query (RFC 6749 §3.1.2: its
/// own query is kept; config refuses a fragment).
pub fn app_url(state: &AppState, request: &AuthorizationRequest, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    if let Some(s) = &request.state {
        query.append_pair("state", s);
    }
    query.append_pair("iss", &state.issuer);
    let separator = if request.redirect_uri.contains('?') { '&' } else { '?' };
    format!("{}{separator}{}", request.redirect_uri, query.finish())
}

/// An error sent back to the app (the redirect URI is known to be
/// registered): RFC 6749 §4.1.2.1.
pub fn app_error(
    state: &AppState,
    request: &AuthorizationRequest,
    error: OAuthError,
    description: &str,
) -> HttpResponse {
    redirect_to_app(state, request, &[("error", error.code()), ("error_description", description)])
}

/// How a validated authorization proceeds.
pub struct Begin<'a> {
    /// `prompt=login`: sign in upstream even with a live session.
    pub force_login: bool,
    /// `prompt=none`: answer without showing anything, or fail.
    pub no_prompt: bool,
    /// The provider the app preselected (`provider=ID`).
    pub provider: Option<&'a str>,
    /// The browser this sign-in is bound to (its cookie is set on the answer).
    pub binding: &'a BrowserBinding,
}

/// From a validated request: answer from the SSO session, or show the
/// notice page (which leads upstream). Shared by `/authorize` and forward-auth sign-in.
///
/// The session answers only where it serves this client (an allowed
/// provider whose rules it passes, young enough for `max_age`) and the user
/// already agreed to release these claims to it; otherwise the notice is
/// shown, or `prompt=none` fails (OIDC Core §3.1.2.6).
pub async fn begin(
    state: &AppState,
    req: &HttpRequest,
    request: AuthorizationRequest,
    how: Begin<'_>,
) -> Result<HttpResponse, PageError> {
    let Some(client) = state.client(&request.client_id) else {
        return Err(PageError::bad_request("This application is not registered with claimgate."));
    };
    if let Some(p) = how.provider {
        if !client.providers.iter().any(|c| c == p) {
            return Ok(app_error(state, &request, OAuthError::InvalidRequest, "unknown provider"));
        }
    }
    let session = match how.force_login {
        true => None,
        false => {
            session::current(state, req).await?.filter(|(_, s)| session::serves(state, client, s, request.max_age))
        }
    };
    let claims = released(&client.claims, &Scopes::parse(&request.scope));
    if let Some((id, s)) = &session {
        if s.has_consent(&client.id, &claims) {
            tracing::info!(client = %request.client_id, provider = %s.provider, outcome = "sso_session", "authorization");
            let response = issue_code(state, request, id, s.auth_time, &s.user_key).await;
            return Ok(how.binding.attach(state, response));
        }
    }
    if how.no_prompt {
        let (error, why) = match session {
            Some(_) => (OAuthError::ConsentRequired, "the user must see the notice for these claims first"),
            None => (OAuthError::LoginRequired, "the user must sign in"),
        };
        return Ok(app_error(state, &request, error, why));
    }

    let handle = random_handle();
    let ticket = Ticket { request, force_login: how.force_login, binding: how.binding.digest() };
    state.records.put_ticket(&handle, &ticket, state.config.lifetimes.pending_login).await?;
    let providers: Vec<(&str, &str)> = match (&session, how.provider) {
        (Some(_), _) => Vec::new(),
        (None, Some(p)) => state.providers.get(p).map(|up| vec![(p, up.display_name())]).unwrap_or_default(),
        (None, None) => {
            client.providers.iter().filter_map(|p| state.providers.get(p)).map(|p| (p.id(), p.display_name())).collect()
        }
    };
    Ok(how.binding.attach(state, notice_page(state, client, &claims, &handle, &providers)))
}

/// The notice: which app asks, what it will receive, what claimgate keeps —
/// taken from the policy. One form; one button per provider (or "Continue"
/// within a session).
fn notice_page(
    state: &AppState,
    client: &ClientConfig,
    receives: &BTreeSet<ProfileClaim>,
    ticket: &str,
    providers: &[(&str, &str)],
) -> HttpResponse {
    let keeps: Vec<ProfileClaim> = state.config.notice.keeps.iter().copied().collect();
    pages::notice(&pages::Notice {
        app: &client.name,
        receives: &receives.iter().copied().collect::<Vec<_>>(),
        keeps: &keeps,
        notice_url: state.config.notice.url.as_deref(),
        ticket,
        providers,
    })
}

/// Issues a one-time code for the session and sends the user back to the app.
pub async fn issue_code(
    state: &AppState,
    request: AuthorizationRequest,
    session: &str,
    auth_time: i64,
    user: &crate::policy::UserKey,
) -> HttpResponse {
    let code = random_handle();
    let record = AuthCode { request, session: session.to_owned(), auth_time };
    if let Err(e) = state.records.put_code(&code, &record, state.config.lifetimes.code, user).await {
        tracing::error!(error = %e, "store failed while issuing a code");
        return app_error(state, &record.request, OAuthError::ServerError, "the code could not be stored");
    }
    redirect_to_app(state, &record.request, &[("code", &code)])
}
