//! The steps every sign-in shares, whichever endpoint began it (`/authorize`
//! or forward-auth's `/auth/start`) and wherever it ends (the notice's
//! continue, the upstream callback): answer from the session or show the
//! notice, issue a code, send the user back to the app.

use super::binding::BrowserBinding;
use super::errors::{OAuthError, PageError};
use super::{consent, session, AppState};
use crate::config::ClientConfig;
use crate::pages;
use crate::policy::disclosure::Decision;
use crate::policy::ProfileClaim;
use crate::store::records::{random_handle, AuthCode, AuthorizationRequest, BindingDigest, Consent, Session, Ticket};
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
    /// `prompt=consent`: show the notice's choices to a known user even
    /// where the remembered consent covers the request.
    pub ask_consent: bool,
    /// The provider the app preselected (`provider=ID`).
    pub provider: Option<&'a str>,
    /// The browser this sign-in is bound to (its cookie is set on the answer).
    pub binding: &'a BrowserBinding,
}

/// From a validated request: answer from the SSO session, or show the
/// notice page (which leads upstream). Shared by `/authorize` and forward-auth sign-in.
///
/// The session answers only where it serves this client (an allowed
/// provider whose rules it passes, young enough for `max_age`) and the
/// user's remembered consent for this app covers the request; otherwise the
/// notice is shown (with the optional claims as checkboxes, the user being
/// known), or `prompt=none` fails (OIDC Core §3.1.2.6).
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
    if let Some((id, s)) = session {
        if how.no_prompt {
            // Answered from the remembered consent alone (read once here).
            let prev = consent::current(state, &s.user_key, &client.id, &id).await?;
            if !covered(client, &request, prev.as_ref()) {
                let why = "the user must see the notice for these claims first";
                return Ok(app_error(state, &request, OAuthError::ConsentRequired, why));
            }
            tracing::info!(client = %request.client_id, provider = %s.provider, outcome = "sso_session", "authorization");
            let step = issue_code(state, request, &id, s.auth_time, &s.user_key).await;
            return Ok(how.binding.attach(state, step.into_response()));
        }
        if how.ask_consent {
            let known = consent::decision(consent::current(state, &s.user_key, &client.id, &id).await?.as_ref());
            let ticket = Ticket { request, force_login: false, binding: how.binding.digest(), choices_shown: true };
            let page = notice(state, client, ticket, &[], Some(&known)).await?;
            return Ok(how.binding.attach(state, page));
        }
        let step = consent_then_code(state, request, &id, &s, Seen::Nothing, how.binding.digest()).await?;
        return Ok(how.binding.attach(state, step.into_response()));
    }
    if how.no_prompt {
        return Ok(app_error(state, &request, OAuthError::LoginRequired, "the user must sign in"));
    }
    let providers: Vec<(&str, &str)> = match how.provider {
        Some(p) => state.providers.get(p).map(|up| vec![(p, up.display_name())]).unwrap_or_default(),
        None => {
            client.providers.iter().filter_map(|p| state.providers.get(p)).map(|p| (p.id(), p.display_name())).collect()
        }
    };
    let ticket = Ticket { request, force_login: how.force_login, binding: how.binding.digest(), choices_shown: false };
    let page = notice(state, client, ticket, &providers, None).await?;
    Ok(how.binding.attach(state, page))
}

/// What the user saw of the notice for this request before the sign-in
/// could go on.
pub enum Seen {
    /// Nothing: an SSO answer.
    Nothing,
    /// The notice without choices (before the upstream sign-in, when the
    /// user was not known): its required claims are agreed to.
    Notice,
    /// The notice with the optional claims as checkboxes: these were ticked.
    Choices(BTreeSet<ProfileClaim>),
}

/// Whether the user's remembered consent answers `request` without asking.
fn covered(client: &ClientConfig, request: &AuthorizationRequest, prev: Option<&Consent>) -> bool {
    let asked = consent::asked(client, request);
    prev.is_some() && consent::decision(prev).covers(&asked.all(), &client.optional_claims, &asked.essential)
}

/// Once the user is known (an SSO answer, the notice's continue within a
/// session, the upstream callback): the user's consent for this app is
/// brought up to date with what they just saw, and the code is issued when
/// it covers the request; else the notice asks, within the session, about
/// the optional claims not decided yet (preticked where the user ticked
/// them before).
pub async fn consent_then_code(
    state: &AppState,
    request: AuthorizationRequest,
    session_id: &str,
    session: &Session,
    seen: Seen,
    binding: BindingDigest,
) -> Result<Step, PageError> {
    let Some(client) = state.client(&request.client_id) else {
        return Err(PageError::bad_request("This application is no longer registered."));
    };
    let prev = consent::current(state, &session.user_key, &client.id, session_id).await?;
    let asked = consent::asked(client, &request).all();
    let before = consent::decision(prev.as_ref());
    let after = match &seen {
        Seen::Nothing => before.clone(),
        Seen::Notice => before.clone().after_notice(&asked, &client.optional_claims, None),
        Seen::Choices(ticked) => before.clone().after_notice(&asked, &client.optional_claims, Some(ticked)),
    };
    let consent = match (&seen, prev) {
        (Seen::Nothing, prev) => prev,
        (_, Some(prev)) if after == before => Some(prev),
        _ => Some(consent::record(state, session_id, session, client, after).await?),
    };
    // A choice just made is the answer, essential claims declined included.
    if matches!(seen, Seen::Choices(_)) || covered(client, &request, consent.as_ref()) {
        tracing::info!(client = %request.client_id, provider = %session.provider, outcome = "consented", "authorization");
        return Ok(issue_code(state, request, session_id, session.auth_time, &session.user_key).await);
    }
    let ticket = Ticket { request, force_login: false, binding, choices_shown: true };
    Ok(Step::Ask(notice(state, client, ticket, &[], Some(&consent::decision(consent.as_ref()))).await?))
}

/// The notice: which app asks, what it will receive, what claimgate keeps —
/// taken from the policy. One form; one button per provider (or "Continue"
/// within a session). With `known` (the user's decision so far), the
/// optional claims are checkboxes, ticked where the user gave them before.
async fn notice(
    state: &AppState,
    client: &ClientConfig,
    ticket: Ticket,
    providers: &[(&str, &str)],
    known: Option<&Decision>,
) -> Result<HttpResponse, PageError> {
    let asked = consent::asked(client, &ticket.request);
    let all = asked.all();
    let required: Vec<ProfileClaim> = all.iter().copied().filter(|c| !client.optional_claims.contains(c)).collect();
    let optional: Vec<pages::Choice> = all
        .iter()
        .copied()
        .filter(|c| client.optional_claims.contains(c))
        .map(|claim| pages::Choice {
            claim,
            ticked: known.is_some_and(|d| d.given.contains(&claim)),
            essential: asked.essential.contains(&claim),
        })
        .collect();
    let handle = random_handle();
    let choices_shown = ticket.choices_shown;
    state.records.put_ticket(&handle, &ticket, state.config.lifetimes.pending_login).await?;
    let keeps: Vec<ProfileClaim> = state.config.notice.keeps.iter().copied().collect();
    Ok(pages::notice(&pages::Notice {
        app: &client.name,
        receives: &required,
        optional: &optional,
        choices_shown,
        keeps: &keeps,
        notice_url: state.config.notice.url.as_deref(),
        notice_version: state.config.notice.version.as_deref(),
        notice_revised: state.config.notice.revised.as_deref(),
        ticket: &handle,
        providers,
    }))
}

/// How a step that may issue a code ended; the callback keeps the session
/// it opened only when the browser needs it.
pub enum Step {
    /// Back to the app with a code.
    Code(HttpResponse),
    /// The notice asks the user, within the session.
    Ask(HttpResponse),
    /// The store could not keep the code (a Redis Cluster slot unserved, say):
    /// back to the app with `temporarily_unavailable`.
    Unavailable(HttpResponse),
}

impl Step {
    /// Whether the browser goes on with the session (a code, or a question).
    pub fn uses_session(&self) -> bool {
        !matches!(self, Step::Unavailable(_))
    }

    pub fn into_response(self) -> HttpResponse {
        match self {
            Step::Code(r) | Step::Ask(r) | Step::Unavailable(r) => r,
        }
    }
}

/// Issues a one-time code for the session and sends the user back to the
/// app. A store that cannot keep it answers `temporarily_unavailable`
/// (RFC 6749 §4.1.2.1: a temporary condition), never `server_error`.
pub async fn issue_code(
    state: &AppState,
    request: AuthorizationRequest,
    session: &str,
    auth_time: i64,
    user: &crate::policy::UserKey,
) -> Step {
    let code = random_handle();
    let record = AuthCode { request, session: session.to_owned(), auth_time };
    if let Err(e) = state.records.put_code(&code, &record, state.config.lifetimes.code, user).await {
        tracing::warn!(error = %e, client = %record.request.client_id, reason = "store_unavailable", "code not issued");
        let why = "the service is temporarily unavailable; try again";
        return Step::Unavailable(app_error(state, &record.request, OAuthError::TemporarilyUnavailable, why));
    }
    Step::Code(redirect_to_app(state, &record.request, &[("code", &code)]))
}
