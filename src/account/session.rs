//! The SSO session: its lifetime (idle from the user's activity, cut at its
//! absolute end), reading it from the browser's cookie, writing it back,
//! and whether it may answer for a client.

use crate::config::ClientConfig;
use crate::ids::ClientId;
use crate::policy::Profile;
use crate::protocol::cookies::session_id;
use crate::state::AppState;
use crate::store::records::{Session, SessionId};
use crate::store::StoreError;
use actix_web::HttpRequest;
use std::time::Duration;

/// Time-to-live for a session record now: the idle lifetime from the
/// user's last activity in the browser, cut at the session's absolute end.
/// `None` when the session is over. Apps' token requests write the session
/// with this too, so they never extend it: an unattended browser is signed
/// out after the idle lifetime however often its apps refresh.
pub fn remaining(state: &AppState, session: &Session) -> Option<Duration> {
    let now = state.now();
    let idle = i64::try_from(state.config.lifetimes.session_idle.as_secs()).unwrap_or(i64::MAX);
    let idle_end = session.last_active.unwrap_or(now).saturating_add(idle);
    let left = idle_end.min(session.expires_at) - now;
    (left > 0).then(|| Duration::from_secs(left as u64))
}

/// Time until the session's absolute end (at least a second): the most a
/// record that ends with the session may live (refresh tokens, their markers).
pub fn until_end(state: &AppState, session: &Session) -> Duration {
    Duration::from_secs(u64::try_from(session.expires_at - state.now()).unwrap_or(0).max(1))
}

/// The live session behind the request's cookie, if any. The user's use
/// extends the idle lifetime; a session past its end is deleted.
pub async fn current(state: &AppState, req: &HttpRequest) -> Result<Option<(SessionId, Session)>, StoreError> {
    let Some(id) = session_id(state, req) else { return Ok(None) };
    let Some(mut session) = state.records.get_session(&id).await? else { return Ok(None) };
    if remaining(state, &session).is_none() {
        state.records.end_session(&id).await?;
        return Ok(None);
    }
    session.last_active = Some(state.now());
    Ok(update(state, &id, &session).await?.then_some((id, session)))
}

/// Writes a session back (activity, consents, disclosures) with its
/// remaining lifetime. False when it has ended since it was read (absolute
/// end, logout, erasure): nothing is written, and the caller treats the
/// session as gone.
pub async fn update(state: &AppState, id: &SessionId, session: &Session) -> Result<bool, StoreError> {
    match remaining(state, session) {
        Some(ttl) => state.records.update_session(id, session, ttl).await,
        None => Ok(false),
    }
}

/// The browser's live session, if it may answer `client`'s request without
/// a new upstream sign-in (see [`serves`]); none when the request forces one
/// (`prompt=login`, `max_age=0`).
pub async fn serving(
    state: &AppState,
    req: &HttpRequest,
    client: &ClientConfig,
    max_age: Option<u64>,
    force_login: bool,
) -> Result<Option<(SessionId, Session)>, StoreError> {
    if force_login {
        return Ok(None);
    }
    Ok(current(state, req).await?.filter(|(_, s)| serves(state, client, s, max_age)))
}

/// Whether this session may answer for `client` without a new upstream
/// sign-in: it came from a provider the client allows, its profile still
/// passes that provider's rules as configured now, and it is no older than
/// the request's `max_age` (OIDC Core §3.1.2.1).
pub fn serves(state: &AppState, client: &ClientConfig, session: &Session, max_age: Option<u64>) -> bool {
    let provider_allowed = admits(state, client, &session.provider, &session.profile);
    let fresh = max_age
        .is_none_or(|max| state.now().saturating_sub(session.auth_time) <= i64::try_from(max).unwrap_or(i64::MAX));
    provider_allowed && fresh
}

/// Whether `client` accepts a sign-in through `provider` with this profile,
/// under the provider's rules as they are now.
pub fn admits(state: &AppState, client: &ClientConfig, provider: &str, profile: &Profile) -> bool {
    client.providers.iter().any(|p| p == provider)
        && state.config.providers.get(provider).is_some_and(|p| p.rules.admits(profile).is_ok())
}

/// Remembers that `client` received `claims` in this session (shown on /me).
pub fn note_disclosure(state: &AppState, session: &mut Session, client: &ClientId, claims: &[&str]) {
    session.disclosures.retain(|d| d.client_id != *client);
    session.disclosures.push(crate::store::records::Disclosure {
        client_id: client.clone(),
        claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        at: state.now(),
    });
}
