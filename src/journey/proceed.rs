//! The notice's button (`/authorize/continue`): within a live session the
//! journey finishes at once with the user's choices; otherwise the user goes
//! to the provider they chose, with a pending login that only this browser
//! can finish. Only the browser the notice was shown to may press it: the
//! ticket is not a bearer value.

use super::finish::{app_error, consent_then_code, Seen};
use crate::account::session;
use crate::ids::ProviderId;
use crate::messages::Msg;
use crate::pages::language;
use crate::policy::ProfileClaim;
use crate::protocol::binding::{self, BrowserBinding};
use crate::protocol::errors::{OAuthError, PageError};
use crate::state::AppState;
use crate::store::records::{PendingLogin, Ticket, TicketHandle};
use crate::upstream::StartOptions;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::BTreeSet;

/// What the notice's form sent.
pub struct Pressed {
    /// The notice's single-use ticket.
    pub ticket: String,
    /// The provider button pressed.
    pub provider: Option<String>,
    /// The optional claims ticked.
    pub ticked: BTreeSet<ProfileClaim>,
}

pub async fn proceed(state: &AppState, req: &HttpRequest, pressed: Pressed) -> Result<HttpResponse, PageError> {
    let Some(ticket) = state.records.take_ticket(&TicketHandle::presented(pressed.ticket)).await? else {
        return Err(PageError::Expired(Msg::PageUsed));
    };
    if !binding::is_same_browser(state, req, &ticket.binding) {
        tracing::warn!(client = %ticket.request.client_id, reason = "browser_mismatch", "authorization refused");
        return Err(PageError::OtherBrowser);
    }
    language::restore(ticket.locale.as_deref());
    let Some(client) = state.client(&ticket.request.client_id) else {
        return Err(PageError::bad_request(Msg::AppNoLongerRegistered));
    };
    let session = session::serving(state, req, client, ticket.request.max_age, ticket.force_login).await?;
    let Some((id, s)) = session else { return go_upstream(state, req, ticket, pressed.provider.as_deref()).await };
    // The user has just seen the notice: its choices if it offered them.
    let seen = match ticket.choices_shown {
        true => Seen::Choices(pressed.ticked),
        false => Seen::Notice,
    };
    let step = consent_then_code(state, ticket.request, &id, &s, seen, ticket.binding).await?;
    Ok(BrowserBinding::of(state, req).attach(state, step.into_response()))
}

/// To the provider chosen (or the client's only one), with a pending login
/// bound to this browser.
async fn go_upstream(
    state: &AppState,
    req: &HttpRequest,
    ticket: Ticket,
    chosen: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let request = ticket.request;
    let Some(client) = state.client(&request.client_id) else {
        return Err(PageError::bad_request(Msg::AppNoLongerRegistered));
    };
    let chosen = match chosen {
        Some(p) => client.providers.iter().find(|c| *c == p),
        None if client.providers.len() == 1 => client.providers.first(),
        None => None,
    };
    let Some(provider) = chosen.and_then(|p| state.providers.get(p)).cloned() else {
        let why = "no provider this application allows was chosen";
        return Ok(app_error(state, &request, OAuthError::InvalidRequest, why));
    };
    let start = provider.start(StartOptions { force_login: ticket.force_login, max_age: request.max_age });
    let pending = PendingLogin {
        provider: ProviderId::from(provider.id()),
        upstream: start.pending,
        request,
        binding: ticket.binding,
        locale: ticket.locale,
    };
    state.records.put_pending(&pending.upstream.state, &pending, state.config.lifetimes.pending_login).await?;
    tracing::info!(client = %pending.request.client_id, provider = %pending.provider, outcome = "upstream_redirect", "authorization");
    state
        .metrics
        .logins_started
        .with_label_values(&[pending.provider.as_str(), pending.request.client_id.as_str()])
        .inc();
    let redirect = HttpResponse::Found().insert_header((header::LOCATION, start.url.to_string())).finish();
    // Renewed: the provider's page may take the user a while.
    Ok(BrowserBinding::of(state, req).attach(state, redirect))
}
