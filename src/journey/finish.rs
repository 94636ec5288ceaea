//! The journey's last step, wherever the user became known (an SSO answer,
//! the notice's continue within a session, the upstream callback): consent
//! brought up to date, a code issued, the user sent back to the app.

use super::notice::notice;
use crate::account::consent;
use crate::config::ClientConfig;
use crate::messages::Msg;
use crate::pages::language;
use crate::policy::ProfileClaim;
use crate::protocol::errors::{OAuthError, PageError};
use crate::state::AppState;
use crate::store::records::{AuthCode, AuthorizationRequest, BindingDigest, Code, Consent, Session, SessionId, Ticket};
use actix_web::http::header;
use actix_web::HttpResponse;
use std::collections::BTreeSet;

/// A redirect to the app carrying `params`, plus `state` and the RFC 9207 `iss`.
pub fn redirect_to_app(state: &AppState, request: &AuthorizationRequest, params: &[(&str, &str)]) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, app_url(state, request, params))).finish()
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
pub fn covered(client: &ClientConfig, request: &AuthorizationRequest, prev: Option<&Consent>) -> bool {
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
    session_id: &SessionId,
    session: &Session,
    seen: Seen,
    binding: BindingDigest,
) -> Result<Step, PageError> {
    let Some(client) = state.client(&request.client_id) else {
        return Err(PageError::bad_request(Msg::AppNoLongerRegistered));
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
    let ticket =
        Ticket { request, force_login: false, binding, choices_shown: true, locale: Some(language::chosen_tag()) };
    Ok(Step::Ask(notice(state, client, ticket, &[], Some(&consent::decision(consent.as_ref()))).await?))
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
    session: &SessionId,
    auth_time: i64,
    user: &crate::policy::UserKey,
) -> Step {
    let code = Code::random();
    let record = AuthCode { request, session: session.clone(), auth_time };
    if let Err(e) = state.records.put_code(&code, &record, state.config.lifetimes.code, user).await {
        tracing::warn!(error = %e, client = %record.request.client_id, reason = "store_unavailable", "code not issued");
        let why = "the service is temporarily unavailable; try again";
        return Step::Unavailable(app_error(state, &record.request, OAuthError::TemporarilyUnavailable, why));
    }
    Step::Code(redirect_to_app(state, &record.request, &[("code", code.as_str())]))
}
