//! The journey's first step, from a validated request (`/authorize`, or
//! forward-auth's `/auth/start`): answer from the SSO session, or show the
//! notice page, which leads upstream.

use super::finish::{app_error, consent_then_code, covered, issue_code, Seen};
use super::notice::notice;
use crate::account::{consent, session};
use crate::messages::Msg;
use crate::pages::language;
use crate::protocol::binding::BrowserBinding;
use crate::protocol::errors::{OAuthError, PageError};
use crate::state::AppState;
use crate::store::records::{AuthorizationRequest, Ticket};
use actix_web::{HttpRequest, HttpResponse};

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
        return Err(PageError::bad_request(Msg::AppNotRegistered));
    };
    if let Some(p) = how.provider {
        if !client.providers.iter().any(|c| c == p) {
            return Ok(app_error(state, &request, OAuthError::InvalidRequest, "unknown provider"));
        }
    }
    let session = session::serving(state, req, client, request.max_age, how.force_login).await?;
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
            let ticket = Ticket {
                request,
                force_login: false,
                binding: how.binding.digest(),
                choices_shown: true,
                locale: Some(language::chosen_tag()),
            };
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
    let ticket = Ticket {
        request,
        force_login: how.force_login,
        binding: how.binding.digest(),
        choices_shown: false,
        locale: Some(language::chosen_tag()),
    };
    let page = notice(state, client, ticket, &providers, None).await?;
    Ok(how.binding.attach(state, page))
}
