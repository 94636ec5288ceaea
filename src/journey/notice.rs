//! The notice page: which app asks, what it will receive, what claimgate
//! keeps, and (once the user is known) the optional claims as checkboxes.
//! Its form comes back to `/authorize/continue` with a single-use ticket.

use crate::account::consent;
use crate::config::ClientConfig;
use crate::pages;
use crate::policy::disclosure::Decision;
use crate::policy::ProfileClaim;
use crate::protocol::errors::PageError;
use crate::state::AppState;
use crate::store::records::{Ticket, TicketHandle};
use actix_web::HttpResponse;

/// The notice: which app asks, what it will receive, what claimgate keeps —
/// taken from the policy. One form; one button per provider (or "Continue"
/// within a session). With `known` (the user's decision so far), the
/// optional claims are checkboxes, ticked where the user gave them before.
pub async fn notice(
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
    let handle = TicketHandle::random();
    let choices_shown = ticket.choices_shown;
    state.records.put_ticket(&handle, &ticket, state.config.lifetimes.pending_login).await?;
    let keeps: Vec<ProfileClaim> = state.config.notice.keeps.iter().copied().collect();
    // Apple tells its relying parties the user's name once: say so where it is offered.
    let apple = providers.iter().any(|(id, _)| {
        state.config.providers.get(*id).is_some_and(|p| matches!(p.kind, crate::config::ProviderKind::Apple(_)))
    });
    Ok(pages::notice(&pages::Notice {
        apple_name_once: apple,
        app: &client.name,
        receives: &required,
        optional: &optional,
        choices_shown,
        keeps: &keeps,
        notice_url: state.config.notice.url.as_deref(),
        notice_version: state.config.notice.version.as_deref(),
        notice_revised: state.config.notice.revised.as_deref(),
        ticket: handle.as_str(),
        providers,
    }))
}
