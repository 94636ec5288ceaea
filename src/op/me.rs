//! `/me`: the signed-in user's own view — what claimgate stores about them,
//! which apps received what and when, what they consented to — with
//! withdrawal per app or per claim, sign-out and erasure. The download of
//! all of it is [`super::export`].

use crate::account::{consent, erasure, session};
use crate::messages::Msg;
use crate::pages;
use crate::policy::{Picture, ProfileClaim};
use crate::protocol::cookies;
use crate::protocol::errors::PageError;
use crate::secevent::{Event, Initiator};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

pub async fn me(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::not_signed_in());
    };
    let apps = s
        .disclosures
        .iter()
        .map(|d| {
            let name = state.client(&d.client_id).map(|c| c.name.as_str()).unwrap_or(&d.client_id);
            let claims = d.claims.iter().filter_map(|c| c.parse::<ProfileClaim>().ok()).collect();
            (name, claims, when(d.at))
        })
        .collect();
    let csrf = state.keys.pseudonymizer.csrf_token(id.as_str());
    let consents = consent::all_of(&state, &s.user_key, &id).await?;
    let consents = consents
        .iter()
        .filter_map(|c| {
            let client = state.client(&c.client_id)?;
            let receives: Vec<ProfileClaim> = c.given.intersection(&client.claims).copied().collect();
            Some(pages::AppConsent {
                client_id: &client.id,
                app: &client.name,
                optional: receives.iter().copied().filter(|r| client.optional_claims.contains(r)).collect(),
                receives,
                declined: c.declined.iter().copied().collect(),
                given_at: when(c.at),
                notice_version: c.notice_version.clone(),
                current: c.notice_version == state.config.notice.version,
            })
        })
        .collect();
    Ok(pages::me(&pages::MeView {
        name: s.profile.name.as_deref(),
        email: s.profile.email_address(),
        picture: s.profile.picture.as_ref().map(|p| match p {
            Picture::Proxied => pages::OwnPicture::Proxied,
            Picture::Link(url) => pages::OwnPicture::Link(url),
        }),
        provider: &s.provider,
        signed_in: when(s.auth_time),
        ends_by: when(s.expires_at),
        apps,
        consents,
        notice_url: state.config.notice.url.as_deref(),
        notice_version: state.config.notice.version.as_deref(),
        notice_revised: state.config.notice.revised.as_deref(),
        csrf: &csrf,
    }))
}

/// A `/me` form without its session's CSRF token (an old page, or another site's).
fn form_expired() -> HttpResponse {
    pages::refused(StatusCode::FORBIDDEN, Msg::RequestRefusedTitle, Msg::FormExpired)
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Erases every session, code and token of the signed-in user.
pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::refused(StatusCode::BAD_REQUEST, Msg::NotSignedInTitle, Msg::NothingToDelete));
    };
    if !state.keys.pseudonymizer.csrf_matches(id.as_str(), &form.csrf) {
        return Ok(form_expired());
    }
    // Every session of the user ends: the apps that received tokens in any
    // of them are told (Back-Channel Logout 1.0), and the page says whether
    // they heard within a few seconds; the rest is retried in the background.
    let notifier = crate::state::Notifier::from(&**state);
    let erased = erasure::erase(&notifier, &[s.user_key], Initiator::User, std::time::Duration::from_secs(3)).await?;
    tracing::info!(outcome = "erased", by = "user", "erasure");
    let told: Vec<(String, bool)> = erased
        .told
        .into_iter()
        .map(|(client, o)| {
            let name = state.client(&client).map_or(client.to_string(), |c| c.name.clone());
            (name, o == crate::backchannel::Outcome::Delivered)
        })
        .collect();
    let mut r = pages::deleted(&told);
    let _ = r.add_cookie(&cookies::removal_cookie(&state));
    Ok(r)
}

/// The form of `POST /me/apps/{client_id}/withdraw`: one optional claim, or
/// (without `claim`) the whole app.
#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    claim: Option<String>,
}

/// `POST /me/apps/{client_id}/withdraw` (GDPR Art. 7(3): as easy as giving
/// it). Withdrawing the app deletes the consent; withdrawing one optional
/// claim records it declined. Either way the app's codes, tokens and
/// forward-auth cookies end (its next sign-in gets less), its picture link
/// ends, and it is told by back-channel logout.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<WithdrawForm>,
) -> Result<HttpResponse, PageError> {
    let refused = |title: Msg, text: Msg| Ok(pages::refused(StatusCode::BAD_REQUEST, title, text));
    let Some((id, s)) = session::current(&state, &req).await? else {
        return refused(Msg::NotSignedInTitle, Msg::NothingToWithdraw);
    };
    if !state.keys.pseudonymizer.csrf_matches(id.as_str(), &form.csrf) {
        return Ok(form_expired());
    }
    let Some(client) = state.client(&path) else {
        return refused(Msg::UnknownAppTitle, Msg::AppNotRegistered);
    };
    let scope = consent::scope_of(&state, &id);
    let Some(given) = state.records.get_consent(&s.user_key, &client.id, scope).await? else {
        return refused(Msg::NothingWithdrawTitle, Msg::NoConsentToWithdraw);
    };
    let withdrawn = match form.claim.as_deref() {
        None => {
            state.records.delete_consent(&s.user_key, &client.id, scope).await?;
            None
        }
        Some(name) => {
            let Some(claim) = name.parse::<ProfileClaim>().ok().filter(|c| client.optional_claims.contains(c)) else {
                return refused(Msg::NotOptionalTitle, Msg::NotOptionalText);
            };
            let mut decision = consent::decision(Some(&given));
            decision.given.remove(&claim);
            decision.declined.insert(claim);
            consent::record(&state, &id, &s, client, decision).await?;
            Some(claim)
        }
    };
    let ended = state.records.revoke_client(&s.user_key, &client.id).await?;
    if withdrawn.is_none_or(|c| c == ProfileClaim::Picture) {
        let handle = state.keys.pseudonymizer.picture_handle(&client.id, &s.user_key);
        state.records.delete_picture_link(&handle).await?;
    }
    // The app drops its own session, which holds what was withdrawn
    // (back-channel logout, CAEP session-revoked), and hears which claims
    // it no longer receives (CAEP token-claims-change), in one `txn`.
    let notifier = crate::state::Notifier::from(&**state);
    let action = crate::signals::Action::new(Initiator::User);
    for (reference, session) in state.records.sessions_of(&s.user_key).await? {
        crate::backchannel::session_ended(&notifier, &reference, &session, Some(&client.id), &action).await?;
    }
    if let Some(claim) = withdrawn {
        let changed = Event::TokenClaimsChange { initiator: Initiator::User, withdrawn: vec![claim.as_str()] };
        crate::signals::tell(&notifier, client, &s.user_key, &changed, &action).await?;
    }
    tracing::info!(
        target: "claimgate::audit", client = %client.id, claim = withdrawn.map(|c| c.as_str()).unwrap_or("*"),
        ended, outcome = "withdrawn", "consent withdrawn"
    );
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, "/me")).finish())
}
